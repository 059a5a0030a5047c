"""The turbo kernel compiled ahead of time, for a process that should not start numba at all.

A CLI run of the course's Taxi training with numba's JIT kernel (``agents.turbokernel``) spent
about half its time before the first step on numba: importing it (~0.15 s) and loading the
cached machine code. ``numba.pycc`` compiles the very same Python function, with the same numba
and the same flags, into a CPython extension module that needs only numpy: it imports in about a
millisecond (the whole CLI run fell from ~0.6 to ~0.3 s here). The module is built once per
version of the kernel's sources, numba, numpy and Python, into numba's cache folder
(``NUMBA_CACHE_DIR``, else ``agents/__pycache__``), the first time the CLI trains with turbo;
that needs a C compiler (~10 s). Without one, or if the build fails, the caller gets the JIT
kernel, and a failed build is not retried for those versions.

The module's ``run_steps`` takes exactly the arrays ``agents.fast.TurboRunner`` passes
(``SIGNATURE``); it holds the GIL while it runs, so the app's worker thread keeps the JIT kernel.
``numba.pycc`` is marked pending deprecation by numba ("replacement technology is being
developed"); numba is pinned in requirements.txt.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path

import numpy as np

from agents.fast import TurboKernel
from agents.turbodrive import jit_kernel

HERE = Path(__file__).resolve().parent
# The files whose code the kernel is compiled from (the kernel inlines their functions).
SOURCES = ("turbokernel.py", "fast.py", "schedules.py", "traces.py", "dyna.py")

# The arrays and numbers TurboRunner passes, in order (all arrays C-contiguous).
SIGNATURE = (
    "i8(f8[:,::1], f8[:,:,::1], i8[:,:,::1], f8[:,:,::1], b1[:,:,::1], f8[::1], i8,"
    " i8, f8, f8, i8, f8, f8, f8,"
    " f8[::1], i8, i8[::1], f8[::1], i8[::1], f8[:,::1], i8[::1],"
    " f8[::1], i8[::1], b1[::1], b1[::1], b1,"
    " f8, b1, i8[::1], f8[::1], i8[::1], i8[::1],"
    " i8, i8[:,::1], f8[:,::1], b1[:,::1], i8[::1], i8[:,::1], i8[::1], i8[::1], i8[::1])"
)


def module_path() -> Path:
    """Where the extension module for the current sources and numba lives (or would live)."""
    digest = hashlib.sha256(f"{SIGNATURE} {sys.version} numpy {np.__version__}".encode())
    for name in SOURCES:
        digest.update((HERE / name).read_bytes())
    numba_spec = importlib.util.find_spec("numba")  # finds numba without importing it
    if numba_spec is not None and numba_spec.origin:
        digest.update((Path(numba_spec.origin).parent / "_version.py").read_bytes())
    folder = Path(os.environ.get("NUMBA_CACHE_DIR") or HERE / "__pycache__")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return folder / f"_turbo_aot_{digest.hexdigest()[:16]}{suffix}"


def load_kernel(path: Path | None = None) -> TurboKernel | None:
    """The ahead-of-time ``run_steps`` when its module is built, else None."""
    path = path or module_path()
    if not path.is_file():
        return None
    name = path.name.split(".")[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:  # damaged, or built against another numpy: build it again
        return None
    return module.run_steps


def can_build() -> bool:
    """Whether a C compiler is at hand (``numba.pycc`` compiles its C glue with Python's)."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(compiler) is not None and importlib.util.find_spec("setuptools") is not None


def build_kernel(path: Path | None = None) -> Path:
    """Compile ``agents.turbokernel.run_steps`` into the extension module at ``path``.

    Built in a temporary folder beside it and moved into place, so a reader never sees half a
    file and two builders do not collide. Modules (and failure notes) of earlier versions of the
    sources, for the same Python, are removed.
    """
    path = path or module_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.split(".")[0]
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".build-") as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pycc's pending-deprecation notice
            from numba.pycc import CC

        from agents.turbokernel import run_steps

        cc = CC(name)
        cc.output_dir = tmp
        cc.export("run_steps", SIGNATURE)(run_steps.py_func)
        cc.compile()
        os.replace(Path(tmp) / path.name, path)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for pattern in (f"_turbo_aot_*{suffix}", f"_turbo_aot_*{suffix}.failed"):
        for old in path.parent.glob(pattern):
            if old != path:
                old.unlink(missing_ok=True)
    return path


def ahead_of_time_kernel() -> TurboKernel:
    """The ahead-of-time kernel, built first when these sources have none yet; numba's JIT
    kernel when it cannot be built (no C compiler, or a build that failed before)."""
    path = module_path()
    kernel = load_kernel(path)
    if kernel is not None:
        return kernel
    failed = path.with_name(path.name + ".failed")
    if can_build() and not failed.exists():
        print("compiling the turbo kernel ahead of time, once for this version (~10 s)",
              file=sys.stderr)
        try:
            kernel = load_kernel(build_kernel(path))
        except Exception as exc:  # no Python headers, a linker error, a read-only folder...
            print(f"could not compile it ({type(exc).__name__}: {exc}); using numba's JIT "
                  f"kernel", file=sys.stderr)
            _remember_failure(failed, exc)
    return kernel or jit_kernel()


def _remember_failure(marker: Path, exc: Exception) -> None:
    """Leave a note beside the module so later runs do not try again (if the folder takes one)."""
    try:
        marker.write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
    except OSError:
        pass

"""Load compiled kernels from numba's cache without starting the whole of numba's compiler.

Before a dispatcher looks in its cache, numba "refreshes" its CPU target: it imports every
implementation module it has (about 300, cffi's C parser and SciPy's linear algebra among them)
so that it could compile anything. A function found in the cache is machine code already and
needs none of them, only numba's runtime (NRT), whose helpers the code calls. On a course-length
Taxi run of the CLI that refresh was the largest single cost (~0.3 s of ~0.7 s here).

``load_cached_without_refresh`` makes a dispatcher's cache loads skip the refresh; a miss still
compiles the usual way, refresh included, so correctness never depends on the cache. It relies on
two internals of numba: a dispatcher's ``_cache`` and the ``load_overload(sig, target_context)``
that calls ``target_context.refresh()`` (numba is pinned in requirements.txt;
``tests/test_numba_start.py`` fails if either changes).

The kernels here are compiled with ``_nrt=False`` (numba's own flag for code that allocates
nothing, used throughout its library). Such code never counts references, so loading it skips
NRT's start, which compiles NRT's reference-counting helpers with LLVM (~45 ms here); it only
needs the addresses of NRT's C helpers it names (its exception path names
``NRT_MemInfo_call_dtor``; an unresolved name crashes the process), registered here instead.
"""

from __future__ import annotations

from typing import Any

import llvmlite.binding as ll
from numba.core.runtime import _nrt_python, rtsys


def load_cached_without_refresh(dispatcher: Any) -> None:
    """Make ``dispatcher`` load its cached machine code without refreshing numba's target."""
    cache = dispatcher._cache
    if getattr(cache.load_overload, "skips_refresh", False):
        return
    load = cache.load_overload
    uses_nrt = dispatcher.targetoptions.get("_nrt", True)

    def load_overload(sig: Any, target_context: Any) -> Any:
        # Called by Dispatcher.compile under numba's global compiler lock: no other thread
        # compiles (and refreshes) while the context's refresh is switched off here.
        if uses_nrt:
            rtsys.initialize(target_context)  # before code that calls NRT's helpers is linked
        else:
            _register_nrt_c_helpers()
        target_context.refresh = _no_refresh  # shadows the method for this one load
        try:
            return load(sig, target_context)
        finally:
            del target_context.refresh

    load_overload.skips_refresh = True  # type: ignore[attr-defined]
    cache.load_overload = load_overload


def _register_nrt_c_helpers() -> None:
    """Give LLVM the addresses of NRT's C helpers under the names compiled code uses for them
    (what ``rtsys.initialize`` registers before it compiles the reference-counting helpers)."""
    for name, address in _nrt_python.c_helpers.items():
        ll.add_symbol(name if name.startswith("_") else "NRT_" + name, address)


def _no_refresh() -> None:
    """Stands in for ``BaseContext.refresh`` while a cached function loads."""

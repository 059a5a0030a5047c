"""What an agent file must pass before anything in it is trusted or allocated.

An agent file may come from anyone. A few kilobytes can claim a 32 TiB array in an ``.npz``
header, decompress to gigabytes (a zip bomb), carry NaN weights or metadata of the wrong types.
These checks read sizes and types from headers and compare them with the project's limits and
with the file's own size, so a hostile or damaged file costs at most its own size in memory.
Each failure is a :class:`FileCheckError` whose message completes "<file> ...": the storage
modules prefix the file name and raise their own error type.

Torch-free: the ``.pt`` checks that need tensors take them as already loaded objects.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

MAX_TABLE_ENTRIES = 2**24
"""Most Q-table entries (states x actions) a file may hold: 128 MiB of float64. The largest
level (64x64 cells, 8 small cheeses: 2**20 states, 4 actions) needs 2**22."""
MAX_META_CHARS = 2**20
"""Most characters of an ``.npz`` file's JSON metadata."""
NPZ_MEMBER_BYTES = {"q": MAX_TABLE_ENTRIES * 8 + 4096, "meta": 4 * MAX_META_CHARS + 4096}
"""Most bytes each member of an ``.npz`` agent file may unpack to (data plus ``.npy`` header)."""
MAX_NPZ_BYTES = sum(NPZ_MEMBER_BYTES.values()) + 2**16
"""The largest ``.npz`` agent file read (stored uncompressed, plus the zip's own records)."""


class FileCheckError(ValueError):
    """A check failed; the message completes the sentence "<file> ..."."""


# ---- .npz ------------------------------------------------------------------------------------
def read_npz_members(data: bytes, limits: dict[str, int]) -> dict[str, np.ndarray]:
    """The arrays ``limits`` names (member -> most bytes, unpacked) from ``.npz`` bytes.

    Before anything is decompressed: each member's declared size must be within its limit, and
    its ``.npy`` header's shape and dtype must account for exactly that size.
    Reading to the member's end checks its CRC. Members not named are not read.

    Raises:
        FileCheckError: not a zip, a member missing, claims that do not add up, a damaged member.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileCheckError("is not a readable agent file: it is truncated, corrupt or not an "
                             ".npz") from None
    with archive:
        arrays = {}
        for name, most in limits.items():
            try:
                info = archive.getinfo(f"{name}.npy")
            except KeyError:
                raise FileCheckError("is an .npz archive but not an RL Sandbox agent file") \
                    from None
            arrays[name] = _read_member(archive, info, most)
    return arrays


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> np.ndarray:
    damaged = FileCheckError(f"is damaged: its {info.filename} member is truncated or corrupt")
    if info.file_size > most:
        raise FileCheckError(f"is refused: its {info.filename} member claims "
                             f"{info.file_size:,} bytes, more than an agent file holds")
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            shape, fortran, dtype = _read_header(member, version)
            if dtype.hasobject or dtype.kind not in "fiub" + "U":
                raise FileCheckError(f"is refused: its {info.filename} member holds "
                                     f"{dtype} data, not numbers or text")
            count = math.prod(shape)
            # Zero-length dimensions aside: (0, 2**40) holds nothing but cannot be an array.
            if math.prod(max(d, 1) for d in shape) * max(dtype.itemsize, 1) > most:
                raise FileCheckError(f"is refused: its {info.filename} member claims shape "
                                     f"{_shape_text(shape)}, more than an agent file holds")
            if member.tell() + count * dtype.itemsize != info.file_size:
                raise damaged
            raw = member.read(count * dtype.itemsize)
            member.read()  # to the end: zipfile checks the CRC there
    except FileCheckError:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, KeyError,
            RuntimeError, OverflowError, MemoryError, TypeError):
        raise damaged from None
    if len(raw) != count * dtype.itemsize:
        raise damaged
    array = np.frombuffer(raw, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C").copy()


def _read_header(member: Any, version: tuple[int, int]) -> tuple[tuple[int, ...], bool, np.dtype]:
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"unknown .npy version {version}")


def _shape_text(shape: tuple[int, ...]) -> str:
    text = "(" + ", ".join(str(d) for d in shape[:6]) + (", ...)" if len(shape) > 6 else ")")
    return text if len(text) <= 60 else text[:57] + "..."


# ---- metadata types ----------------------------------------------------------------------------
WHOLE = "a whole number"
TEXT = "text"
MAPPING = "a mapping"
NUMBER = "a number"


def check_fields(meta: dict[str, Any], fields: dict[str, str], required: tuple[str, ...] = ()
                 ) -> None:
    """Each of ``fields`` present in ``meta`` must be of its kind (``WHOLE``, ``TEXT``,
    ``MAPPING``, ``NUMBER``; ``None`` is allowed for all but ``required`` fields).

    Raises:
        FileCheckError: "is damaged: its meta field 'x' is a list, not a whole number".
    """
    for name, kind in fields.items():
        if name not in meta or (meta[name] is None and name not in required):
            if name in required:
                raise FileCheckError(f"is damaged: its metadata has no {name!r}")
            continue
        value = meta[name]
        if not _is_kind(value, kind):
            raise FileCheckError(f"is damaged: its meta field {name!r} is "
                                 f"{_describe(value)}, not {kind}")


def _is_kind(value: Any, kind: str) -> bool:
    if kind == WHOLE:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
    if kind == NUMBER:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value))
    if kind == TEXT:
        return isinstance(value, str) and len(value) <= 4096
    if kind == MAPPING:
        return isinstance(value, dict)
    raise ValueError(f"unknown field kind {kind!r}")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number out of range" if value >= 0 else "a negative number"
    if isinstance(value, float):
        return f"the number {value}" if not math.isfinite(value) else "a fractional number"
    if isinstance(value, str):
        return "text" if len(value) <= 4096 else "a very long text"
    return {list: "a list", dict: "a mapping", type(None): "null"}.get(type(value), "a value")


def check_version(meta: dict[str, Any], newest: int) -> None:
    """The format version must be a whole number from 1 to ``newest``."""
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileCheckError("has no valid format version")
    if version > newest:
        raise FileCheckError(f"was written by a newer RL Sandbox (format version {version}; "
                             f"this one reads up to {newest})")


def check_hyperparameters(values: dict[str, Any]) -> None:
    """Hyperparameters are plain JSON scalars or short lists of them (``hidden``)."""
    for name, value in values.items():
        scalar = value is None or isinstance(value, bool | int | float | str)
        listed = isinstance(value, list) and len(value) <= 64 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        if not (scalar or listed) or (isinstance(value, str) and len(value) > 256):
            raise FileCheckError(f"is damaged: its hyperparameter {str(name)[:40]!r} is "
                                 f"{_describe(value)}")


# ---- .pt -------------------------------------------------------------------------------------
def check_zip_integrity(data: bytes, max_unpacked: int) -> None:
    """A torch archive's members must declare at most ``max_unpacked`` bytes in all and pass
    their CRC checks (torch's own reader checks neither)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if declared > max_unpacked:
                raise FileCheckError(f"is refused: its members claim {declared:,} bytes, more "
                                     "than an agent file holds")
            bad = archive.testzip()
    except FileCheckError:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError,
            RuntimeError, OverflowError, MemoryError):
        bad = "?"
    if bad is not None:
        raise FileCheckError("is truncated or damaged and cannot be loaded (a checksum fails)")


def iter_tensors(tree: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """``(name, tensor)`` for every tensor-like leaf (anything with ``isfinite``) of a nested
    dict / list / tuple, such as a state dict or an optimizer state."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from iter_tensors(value, f"{where}.{key}" if where else str(key))
    elif isinstance(tree, list | tuple):
        for i, value in enumerate(tree):
            yield from iter_tensors(value, f"{where}[{i}]")
    elif hasattr(tree, "isfinite") and hasattr(tree, "dtype"):
        yield where, tree


BOX_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
              "uint16", "uint32", "uint64", "bool")


def check_space_meta(meta: dict[str, Any], what: str, max_inputs: int) -> int:
    """A saved space (``{"type": "Discrete", "n": ..}`` or ``{"type": "Box", "shape": ..}``)
    of at most ``max_inputs`` network inputs; returns that input count.

    Raises:
        FileCheckError: an unknown type, a malformed or oversized shape, an unknown dtype.
    """
    kind = meta.get("type")
    if kind == "Discrete":
        n, start = meta.get("n"), meta.get("start", 0)
        if not _is_kind(n, WHOLE) or n < 1 or isinstance(start, bool) or not isinstance(
                start, int) or abs(start) >= 2**62:
            raise FileCheckError(f"is damaged: its {what} space has no valid size")
        size = n
    elif kind == "Box":
        shape, dtype = meta.get("shape"), meta.get("dtype")
        if (not isinstance(shape, list) or not 1 <= len(shape) <= 8
                or not all(_is_kind(d, WHOLE) and d >= 1 for d in shape)):
            raise FileCheckError(f"is damaged: its {what} space has no valid shape")
        if dtype not in BOX_DTYPES:
            raise FileCheckError(f"is damaged: its {what} space has no valid dtype")
        size = math.prod(shape)
    else:
        raise FileCheckError(f"is damaged: its {what} space is neither Discrete nor Box")
    if size > max_inputs:
        raise FileCheckError(f"is refused: its {what} space claims {size:,} values, more than "
                             f"a DQN here takes ({max_inputs:,})")
    return size


def check_finite(tree: Any) -> None:
    """Every tensor in ``tree`` (a state dict, an optimizer state) must be free of NaN and inf."""
    for name, tensor in iter_tensors(tree):
        if tensor.dtype.is_floating_point and not bool(tensor.isfinite().all()):
            raise FileCheckError(f"is damaged: its weights hold NaN or infinite values "
                                 f"({name[:60]})")

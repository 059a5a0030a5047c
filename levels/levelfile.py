"""Level files: the bundled levels, loading by name or path, saving atomically.

The text inside a file is :mod:`levels.leveltext`'s format (``Level.from_text`` / ``to_text``).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from levels.atomic import atomic_write_text
from levels.fileread import FileRefused, read_regular_file
from levels.level import Level, LevelError
from levels.tiles import MAX_LEVEL_BYTES

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


# ---- files -------------------------------------------------------------------------------------
def bundled_level_names() -> list[str]:
    """Names of the levels shipped with the sandbox (file stems in ``levels/bundled``)."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.txt"))


def bundled_level_path(name: str) -> Path:
    """The file of a bundled level; LevelError naming the close ones if there is none."""
    if name not in bundled_level_names():
        raise LevelError(f"no bundled level named {_quote(name)}{_suggest(name)}")
    return BUNDLED_DIR / f"{name}.txt"


def _suggest(name: str) -> str:
    names = bundled_level_names()
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5) if len(name) <= 100 else []
    if near:
        return "; did you mean " + " or ".join(repr(n) for n in near) + "?"
    return "; bundled levels are " + ", ".join(names)


def load_level(name_or_path: str | os.PathLike[str]) -> Level:
    """Load a bundled level by name (``"mouse"``) or any level file by path."""
    spec = str(os.fspath(name_or_path))
    plain_name = bool(spec) and "/" not in spec and os.sep not in spec and not Path(spec).suffix
    if not spec.strip():
        raise LevelError("no level name or file path was given")
    if plain_name and spec in bundled_level_names():
        path = BUNDLED_DIR / f"{spec}.txt"
    else:
        path = Path(spec)
        if not path_exists(path):
            if plain_name:
                raise LevelError(f"no bundled level or file named {_quote(spec)}{_suggest(spec)}")
            raise LevelError("no such file", path=path)
    try:
        data = read_regular_file(path, MAX_LEVEL_BYTES)
    except FileRefused as err:
        raise LevelError(f"not a level file: {err}", path=path) from None
    except OSError as err:
        raise LevelError(f"cannot read the file ({err.strerror or err})", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LevelError(f"the file is not UTF-8 text (byte {err.start + 1})", path=path) from None
    return Level.from_text(text, path=path)


def _quote(text: str, limit: int = 60) -> str:
    """``text`` quoted like ``repr``, cut to about ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def path_exists(path: str | os.PathLike[str]) -> bool:
    """``Path.exists`` that answers False for names the OS refuses (too long, NUL bytes)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def save_level(level: Level, path: str | os.PathLike[str]) -> None:
    """Write a level file atomically (never half-written); refuses an invalid level."""
    try:
        level.validate()
    except LevelError as err:
        raise err.with_path(path) from None
    atomic_write_text(path, level.to_text())

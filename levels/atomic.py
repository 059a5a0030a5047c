"""Atomic file writes: a crash or a full disk never leaves a half-written file behind.

The data goes to a temporary file in the target's own directory (so the final rename stays on one
file system), is flushed to disk, and only then replaces the target with ``os.replace``.

A writer killed mid-write (``kill -9``) leaves its temporary file (``.NAME.XXXXXXXX.tmp``) behind.
Each write first removes such leftovers in its folder: a writer holds an exclusive ``flock`` on its
temporary file until the rename, so a file of that pattern nobody holds, and that has not been
touched for :data:`STALE_AFTER_S` seconds, belongs to a writer that died. (Without ``fcntl``,
on Windows, only files untouched for an hour count as abandoned.)
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STALE_AFTER_S = 2.0
"""A temporary file nobody locks must also be this old to be removed (covers the instant between
``mkstemp`` creating it and its writer locking it)."""
_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # mkstemp: 8 characters of [a-z0-9_]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    target = Path(path)
    remove_abandoned_temp_files(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # owns fd from here, so it is closed on any error
            if fcntl is not None:  # held until the rename: a live write is never "abandoned"
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            os.chmod(tmp_name, _mode_for(target))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            if fcntl is not None:
                os.replace(tmp_name, target)
        if fcntl is None:  # Windows cannot rename an open file
            os.replace(tmp_name, target)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def remove_abandoned_temp_files(folder: str | os.PathLike[str]) -> list[str]:
    """Delete the temporary files of writers that died in ``folder``; returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if _TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            if _abandoned(entry.path):
                try:
                    os.unlink(entry.path)
                    removed.append(entry.name)
                except OSError:
                    pass
    return removed


def _abandoned(path: str) -> bool:
    try:
        age = time.time() - os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        return False
    if fcntl is None:
        return age > 3600
    if age < STALE_AFTER_S:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer lives
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops our lock


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; give a new one the usual umask-based mode."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))

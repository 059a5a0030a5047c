"""Reading a file a user (or a file a user was given) names: regular files only, up to a size cap.

A path can name ``/dev/zero`` (endless), a FIFO or ``/dev/stdin`` (a read that never returns), or
a file of gigabytes. Every reader of untrusted paths (level files, agent files) goes through
:func:`read_regular_file`, which refuses all of these in one sentence before reading a byte.
"""

from __future__ import annotations

import os
import stat


class FileRefused(ValueError):
    """A path that is not a regular file, or a file over the caller's size cap.

    The message is one sentence without the path: the caller says which file it is.
    """


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes`` bytes.

    The file is opened without blocking (a FIFO swapped in after the check cannot stall the
    read) and checked again through the open descriptor.

    Raises:
        FileRefused: not a regular file (a folder, device, pipe or socket), or too big.
        OSError: the file is missing or cannot be opened or read.
    """
    _check_stat(os.stat(path), max_bytes)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        _check_stat(os.fstat(handle.fileno()), max_bytes)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew since the check
        raise FileRefused(f"it is larger than {_size(max_bytes)}, the most this reads")
    return data


def _check_stat(info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused("it is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("it is not a regular file (a device, a pipe or a socket)")
    if info.st_size > max_bytes:
        raise FileRefused(f"it is {_size(info.st_size)}, more than the {_size(max_bytes)} "
                          "this reads")


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"

"""Reading files from disk safely: only regular files, and never more than a cap.

A FIFO blocks open() and read() for ever, /dev/zero never ends and /proc files report 0 bytes in
st_size: so a file is opened without blocking, judged by fstat on the open descriptor (no race
with a swapped path), and read with the cap counted while reading, not trusted from st_size.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

# (test, slug for the message catalogue, English words for the technical detail)
_KINDS = (
    (stat.S_ISFIFO, "fifo", "a named pipe (FIFO)"),
    (stat.S_ISCHR, "char_device", "a character device"),
    (stat.S_ISBLK, "block_device", "a block device"),
    (stat.S_ISSOCK, "socket", "a socket"),
    (stat.S_ISDIR, "folder", "a folder"),
)


class NotRegularFile(OSError):
    """The path is a pipe, a device, a socket or a folder: it is never read."""

    kind: str = "other"  # a slug of _KINDS, for the message catalogue


def describe_mode(mode: int) -> str:
    """What kind of file a st_mode names, in a few English words."""
    return next((text for test, _, text in _KINDS if test(mode)), "not a regular file")


def kind_of_mode(mode: int) -> str:
    """The slug of the kind of file a st_mode names ("fifo", "folder", … or "other")."""
    return next((slug for test, slug, _ in _KINDS if test(mode)), "other")


def check_regular(mode: int, name: str | Path) -> None:
    """Raise NotRegularFile unless mode is a regular file's."""
    if not stat.S_ISREG(mode):
        error = NotRegularFile(errno.EINVAL, describe_mode(mode), str(name))
        error.kind = kind_of_mode(mode)
        raise error


def open_regular(path: str | Path, *, dir_fd: int | None = None, follow: bool = True) -> BinaryIO:
    """Open a regular file for reading; a pipe or device raises NotRegularFile without blocking.

    The path is stat'ed first so that a device is never even opened (opening some has side
    effects); the open descriptor is checked again in case the path changed in between.
    """
    check_regular(os.stat(path, dir_fd=dir_fd, follow_symlinks=follow).st_mode, path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags, dir_fd=dir_fd)
    try:
        check_regular(os.fstat(fd).st_mode, path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(stream: BinaryIO, cap: int) -> bytes | None:
    """At most cap bytes of the stream, or None when it holds more (one byte more is read)."""
    data = stream.read(cap + 1)
    return None if len(data) > cap else data


def read_regular(path: str | Path, cap: int) -> bytes | None:
    """The bytes of a regular file, None when larger than cap; NotRegularFile or OSError else."""
    with open_regular(path) as stream:
        return read_capped(stream, cap)

"""Atomic writes: every output goes to a temporary file in the target folder and is renamed into
place, so a crash never leaves half a file; an input file is never a destination."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

# Our temporary files: "<folder>/.xlcheck-<mkstemp's random part>.tmp"; a killed run leaves them
TEMP_PREFIX = ".xlcheck-"
TEMP_SUFFIX = ".tmp"


class OutputError(Exception):
    """An output could not be written (unwritable folder, would overwrite an input)."""


def write_atomic(
    dest: Path, write: Callable[[BinaryIO], None], *, protect: Mapping[Path, Any] | None = None
) -> None:
    """Write through a temporary file in the same folder, then rename; never onto a protected input.

    The file gets the mode a plain open() would give (0666 less the umask), not mkstemp's 0600:
    colleagues on a shared folder must be able to open the outputs.
    """
    dest = Path(dest)
    if protect and file_identity(dest) in {file_identity(p) for p in protect} - {None}:
        raise_onto_input(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"无法写入 / cannot write to {dest.parent}: {exc.strerror}") from exc
    raw = _Discardable(fd)
    try:
        os.fchmod(fd, 0o666 & ~process_umask())
        fh = io.BufferedWriter(raw)
        write(fh)
        fh.close()  # not on failure: a writer's half-done ZipFile still refers to it
        os.replace(tmp, dest)
    except BaseException:
        raw.discard()
        Path(tmp).unlink(missing_ok=True)
        raise


class _Discardable(io.RawIOBase):
    """A file that, once discarded, swallows whatever is still written to it.

    When a write fails (a full disk), a writer's ZipFile is left half-written; its __del__ later
    seeks and writes its central directory, which on a closed file printed one "Exception ignored
    in ZipFile.__del__" traceback per output. Discarded, the file is closed at once and those
    late calls do nothing.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._file: io.FileIO | None = io.FileIO(fd, "wb")
        self._position = 0  # once discarded: where the late writer believes it is

    def discard(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError, ValueError):
                self._position = self._file.tell()
            self._file.close()
            self._file = None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._file is not None:
            return self._file.write(data)
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if self._file is not None:
            return self._file.seek(offset, whence)
        self._position = offset + (self._position if whence == os.SEEK_CUR else 0)
        return self._position

    def tell(self) -> int:
        return self._position if self._file is None else self._file.tell()

    def truncate(self, size: int | None = None) -> int:
        return self._position if self._file is None else self._file.truncate(size)

    def fileno(self) -> int:
        if self._file is None:
            raise OSError("discarded")
        return self._file.fileno()

    def close(self) -> None:
        try:
            if self._file is not None:
                self._file.close()
        finally:
            super().close()


@functools.cache
def process_umask() -> int:
    """The umask, read once: from /proc where Linux has it (umask() cannot read without
    writing), else set and restored at once, before any worker or thread starts."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(dest: Path, data: bytes, **kwargs: Any) -> None:
    def write(fh: BinaryIO) -> None:
        fh.write(data)

    write_atomic(dest, write, **kwargs)


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file, None when there is none: two paths, one file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def raise_onto_input(dest: Path) -> None:
    raise OutputError(f"输出会覆盖输入文件，已停止 / refusing to overwrite the input: {dest}")

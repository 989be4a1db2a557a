"""Resource limits for reading one untrusted workbook, and the soft deadline checked in loops."""

from __future__ import annotations

import time
from dataclasses import dataclass

from xlcheck.xlsx.errors import PackageError

MIB = 2**20


@dataclass(frozen=True)
class Limits:
    """Caps applied before and while inflating a package; exceeding one raises PackageError."""

    max_file_bytes: int = 50 * MIB
    max_part_bytes: int = 64 * MIB  # declared uncompressed size of any member
    max_total_uncompressed: int = 256 * MIB
    max_ratio: int = 200  # uncompressed/compressed, for members larger than 1 MiB
    max_members: int = 10_000
    max_shared_strings: int = 1_000_000
    max_rows_scanned: int = 10_000
    max_seconds: float = 10.0


class Deadline:
    """A soft wall-clock deadline; `check()` raises PackageError('timeout') once it has passed."""

    __slots__ = ("_end", "_seconds")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._end:
            raise PackageError("timeout", f"reading took longer than {self._seconds:g} s")

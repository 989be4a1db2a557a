"""The archive of accepted reports across years: one canonical JSON per accepted submission in a
folder tree (ARCHIVE/<office>/<year>/<sha256[:12]>.json) and an SQLite index of who sent it.

`store` writes it (a batch adds its current valid reports; `archive link` joins a renamed office to
its old name); `lookup` reads it (last year's report of an office, an office's history).
"""

from __future__ import annotations

from .store import ArchiveError, open_archive

__all__ = ["ArchiveError", "open_archive"]

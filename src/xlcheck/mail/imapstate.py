"""What `mail fetch` has already stored in an inbox folder: a small SQLite file in that folder.

A message is known by (server, user, folder, UIDVALIDITY, UID) and by the SHA-256 of its bytes:
the UIDs make a re-run fetch only new mail, the hashes make sure no message is stored twice when
the server renumbers a folder (a new UIDVALIDITY) or when a run died between writing a message
and recording it. The file's name starts with a dot, so `batch` skips it like any hidden file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = ".xlcheck-imap.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetched (
    server TEXT NOT NULL, user TEXT NOT NULL, folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (server, user, folder, uidvalidity, uid)
);
CREATE TABLE IF NOT EXISTS stored (sha256 TEXT PRIMARY KEY, filename TEXT NOT NULL);
"""


class StateBusy(Exception):
    """Another fetch is writing into the same folder right now."""


@dataclass(frozen=True)
class Source:
    """One folder on one server for one user: the UIDs of different sources never mix."""

    server: str
    user: str
    folder: str


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FetchState:
    """The state file of one inbox folder, held exclusively while a fetch runs."""

    def __init__(self, folder: Path, db: sqlite3.Connection, lock: int) -> None:
        self.folder = folder
        self._db = db
        self._lock = lock

    @classmethod
    @contextlib.contextmanager
    def open(cls, folder: Path) -> Iterator[FetchState]:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / STATE_FILE
        lock = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StateBusy(str(path)) from exc
            db = sqlite3.connect(path)
            try:
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(_SCHEMA)
                state = cls(folder, db, lock)
                state.adopt_files()
                yield state
            finally:
                db.close()
        finally:
            os.close(lock)  # releases the flock

    def adopt_files(self) -> None:
        """Hash the .eml files in the folder the state does not know yet: a message written by a
        run that died before recording it, a state file lost, or the clerk's own exports."""
        known = {row[0] for row in self._db.execute("SELECT filename FROM stored")}
        with self._db:
            for path in sorted(self.folder.glob("*.eml")):
                if path.name not in known and path.is_file() and not path.is_symlink():
                    self._db.execute(
                        "INSERT OR IGNORE INTO stored VALUES (?, ?)",
                        (digest(path.read_bytes()), path.name),
                    )

    def known_uids(self, source: Source, uidvalidity: int) -> set[int]:
        rows = self._db.execute(
            "SELECT uid FROM fetched WHERE server=? AND user=? AND folder=? AND uidvalidity=?",
            (source.server, source.user, source.folder, uidvalidity),
        )
        return {int(row[0]) for row in rows}

    def stored_as(self, sha256: str) -> str | None:
        row = self._db.execute("SELECT filename FROM stored WHERE sha256=?", (sha256,)).fetchone()
        return None if row is None else str(row[0])

    def record(
        self, source: Source, uidvalidity: int, uid: int, sha256: str, filename: str
    ) -> None:
        """Remember one message; called only once its file is on disk (one transaction)."""
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO stored VALUES (?, ?)", (sha256, filename))
            self._db.execute(
                "INSERT OR REPLACE INTO fetched VALUES (?, ?, ?, ?, ?, ?)",
                (source.server, source.user, source.folder, uidvalidity, uid, sha256),
            )

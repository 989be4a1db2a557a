"""The sent log of an output folder: which messages an SMTP server accepted, so each goes once.

An SQLite file beside the batch's state, one row per accepted message, keyed by the message's
content SHA-256 (a draft file's bytes; an acceptance mail's identity) and its Message-ID. Each
row is committed (synchronous=FULL) right after the server answered 250 and before the next
message is sent, so a run killed between messages re-sends nothing the server accepted. What it
cannot close: a kill in the instant between the server's 250 and that commit re-sends that one
message on the next run (SMTP has no way to ask a server whether it already holds a message).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

SENT_LOG = ".xlcheck-sent.sqlite"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sent (key TEXT PRIMARY KEY, message_id TEXT NOT NULL,"
    " kind TEXT NOT NULL, office TEXT NOT NULL, recipients TEXT NOT NULL, subject TEXT NOT NULL,"
    " answer TEXT NOT NULL, sent_at TEXT NOT NULL)"
)
_INDEX = "CREATE INDEX IF NOT EXISTS sent_message_id ON sent (message_id)"


class SentLog:
    """Read the log of a folder; `record` opens (creates) it for writing on first use."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / SENT_LOG
        self.db: sqlite3.Connection | None = None
        if self.path.is_file():
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)  # autocommit: each row durable
        db.execute("PRAGMA synchronous=FULL")
        db.execute(_SCHEMA)
        db.execute(_INDEX)
        return db

    def has(self, key: str, message_id: str) -> bool:
        """Whether a message with this content or this Message-ID was accepted before."""
        if self.db is None:
            return False
        query = "SELECT 1 FROM sent WHERE key = ? OR (message_id = ? AND message_id != '')"
        return self.db.execute(query, (key, message_id)).fetchone() is not None

    def record(
        self,
        key: str,
        message_id: str,
        kind: str,
        office: str,
        recipients: str,
        subject: str,
        answer: str,
    ) -> None:
        """Remember one accepted message (committed before this returns)."""
        if self.db is None:
            self.db = self._open()
        when = datetime.now(UTC).isoformat(timespec="seconds")
        row = (key, message_id, kind, office, recipients, subject, answer, when)
        self.db.execute("INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

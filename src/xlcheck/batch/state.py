"""The re-run state of an output folder: which inputs (bytes and file name, see store_key) were
checked, with what result, and which files the batch placed (so stale ones can be removed and nothing else is touched).

It is an SQLite file, read and written row by row, so a province-sized folder costs no memory:
every outcome and placed file is stamped with the run that last used it; at the end of a run the
older rows are the stale ones. A run that fails commits nothing, so the state stays as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .records import Outcome
from .worker import VALUES_FILE, store_dir

STATE_FILE = ".xlcheck-state.sqlite"
STORE_DIR = ".xlcheck-store"
# The stored outcome's shape: 3 added the form each submission was checked against (a mixed
# batch); a state of another version is started afresh (it is a cache).
STATE_VERSION = "3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entry (sha TEXT PRIMARY KEY, outcome TEXT NOT NULL,"
    " run INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS placed (path TEXT PRIMARY KEY, run INTEGER NOT NULL)",
)


class State:
    """Outcomes by input key (store_key: content and file name) and the placed output files
    (relative), for one run. The column keeps its old name `sha`: rows of older runs, keyed by
    the content alone, simply match nothing and are forgotten at the end of the run."""

    def __init__(self, out_dir: Path, config: dict[str, Any]) -> None:
        self.db = _open(out_dir / STATE_FILE)
        saved = dict(self.db.execute("SELECT key, value FROM meta"))
        if saved.get("version") != STATE_VERSION:
            self.db.executescript("DELETE FROM entry; DELETE FROM placed;")
        if saved.get("config") != _dump(config):
            self.db.execute("DELETE FROM entry")  # outputs depend on form, version and settings
        self.config = config
        last = self.db.execute(
            "SELECT MAX(run) FROM (SELECT run FROM entry UNION SELECT run FROM placed)"
        )
        self.run = (last.fetchone()[0] or 0) + 1

    def outcome(self, key: str) -> Outcome | None:
        """The outcome remembered for that input; None when there is none or it is unusable."""
        row = self.db.execute("SELECT outcome FROM entry WHERE sha = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return Outcome.from_json(json.loads(row[0]))
        except ValueError:  # written by another version: check the input again
            return None

    def remember(self, key: str, outcome: Outcome) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO entry VALUES (?, ?, ?)",
            (key, _dump(outcome.to_json(), keep_order=True), self.run),
        )

    def place(self, paths: Iterable[str]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO placed VALUES (?, ?)", ((p, self.run) for p in paths)
        )

    def stale_paths(self) -> Iterator[str]:
        """Files placed by an earlier run and not by this one."""
        rows = self.db.execute("SELECT path FROM placed WHERE run < ? ORDER BY path", (self.run,))
        yield from (path for (path,) in rows.fetchall())

    def kept(self, key: str) -> bool:
        """Whether this run used the stored outputs of that input (a store folder's name)."""
        query = "SELECT 1 FROM entry WHERE sha = ? AND run = ?"
        return self.db.execute(query, (key, self.run)).fetchone() is not None

    def save(self) -> None:
        """Forget what this run did not use, record the settings, commit."""
        self.db.execute("DELETE FROM entry WHERE run < ?", (self.run,))
        self.db.execute("DELETE FROM placed WHERE run < ?", (self.run,))
        meta = (("version", STATE_VERSION), ("config", _dump(self.config)))
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta)
        self.db.commit()

    def close(self) -> None:
        self.db.close()  # uncommitted changes (a failed run) are rolled back


def _open(path: Path) -> sqlite3.Connection:
    """The state database; an unreadable one is only a cache, so it is started afresh."""
    for attempt in (1, 2):
        try:
            db = sqlite3.connect(path)
            for statement in _SCHEMA:
                db.execute(statement)
            return db
        except sqlite3.DatabaseError:
            if attempt == 2:
                raise
            path.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def _dump(value: Any, *, keep_order: bool = False) -> str:
    """JSON text; outcomes keep their key order (outputs list them in that order)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=not keep_order, default=str)


def load_state(out_dir: Path, config: dict[str, Any]) -> State:
    """The saved state; its entries are dropped when the form, version or settings changed."""
    return State(out_dir, config)


def cached_result(state: State, store: Path, key: str) -> tuple[Outcome, dict[str, Any]] | None:
    """(outcome, values) of an input checked before whose stored outputs are all still there.

    `key` (store_key) covers the file name, so the messages and outputs found here name this
    very input, not another file with the same bytes.
    """
    outcome = state.outcome(key)
    if outcome is None:
        return None
    folder = store_dir(store, key)
    names = [*outcome.files.values(), VALUES_FILE] if outcome.readable else []
    if not all((folder / name).is_file() for name in names):
        return None
    if not outcome.readable:
        return outcome, {}
    try:
        values = json.loads((folder / VALUES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return outcome, values if isinstance(values, dict) else {}

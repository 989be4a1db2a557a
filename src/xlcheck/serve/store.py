"""The serve folder (DIR): its SQLite index of offices, links, submissions, settings and login
failures, and the files the index points to. The one module that writes into DIR.

A submission is never lost and never seen half written: its bytes are written and fsynced under
DIR/.incoming first, then its row is committed (with the path the file will have), then the file
is renamed into DIR/inbox. A kill at any moment leaves either no row (the temp is removed on the
next open) or a row whose file is in place or still in its temp (the next open finishes the move).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import shutil
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xlcheck.batch.offices import normalise_name, safe_filename, valid_credit_code
from xlcheck.filenames import safe_name
from xlcheck.form.model import Lang

from .auth import hash_password, new_token, token_hash, verify_password
from .folder import (
    DATA,
    OUTPUTS,
    fsync_dir,
    make_folder,
    make_secret,
    move_into_place,
    release_lock,
    remove,
    share_lock,
    take_lock,
    write_synced,
)

INDEX = "index.sqlite"
SECRET = "secret"
INBOX = "inbox"
INCOMING = ".incoming"
SECRET_BYTES = 32
NAME_BOUND = 255  # an upload's name is kept as data, cut to this many characters
LOGIN_WINDOW = 15 * 60.0  # seconds
LOGIN_PER_CLIENT = 5
LOGIN_OVERALL = 100  # a botnet spread over many addresses still grinds at most this fast
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
_TOKEN_BOUND = 200  # longer is no token of ours: not even hashed

WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "not_folder": "「{path}」不是文件夹，不能作为 xlcheck serve 的数据文件夹",
        "unwritable": "无法写入数据文件夹「{path}」：{reason}",
        "bad_index": "「{path}」不是 xlcheck serve 的索引（不是 SQLite 数据库或已损坏）：{reason}",
        "bad_secret": "会话密钥文件「{path}」应为 32 字节，实为 {reason} 字节；删除它再启动会生成新密钥（所有人需重新登录）",
        "save_failed": "提交未能全部保存到「{path}」：{reason}；已记录的提交会在下次启动时补齐",
        "no_office": "数据文件夹「{path}」中没有编号为 {reason} 的报送单位",
        "foreign_index": "「{path}」是别的程序的数据库，不是 xlcheck serve 的索引；请换一个数据文件夹",
    },
    "en": {
        "not_folder": "“{path}” is not a folder and cannot be the xlcheck serve data folder",
        "unwritable": "cannot write to the data folder “{path}”: {reason}",
        "bad_index": "“{path}” is not an xlcheck serve index (not an SQLite database, or damaged): {reason}",
        "bad_secret": "the session key file “{path}” should hold 32 bytes but holds {reason}; delete it and start again to make a new one (everyone logs in again)",
        "save_failed": "the submission could not be saved in full to “{path}”: {reason}; a recorded submission is completed at the next start",
        "no_office": "the data folder “{path}” has no office numbered {reason}",
        "foreign_index": "“{path}” is another program’s database, not an xlcheck serve index; choose another data folder",
    },
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS office (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, norm_name TEXT NOT NULL,
  credit_code TEXT UNIQUE, folder TEXT NOT NULL, folder_key TEXT NOT NULL UNIQUE,
  token_hash TEXT UNIQUE, link_issued_at TEXT);
CREATE INDEX IF NOT EXISTS office_by_name ON office (norm_name);
CREATE TABLE IF NOT EXISTS submission (
  id INTEGER PRIMARY KEY AUTOINCREMENT, receipt TEXT NOT NULL UNIQUE,
  office_id INTEGER NOT NULL REFERENCES office (id), received_at TEXT NOT NULL,
  received_ts REAL NOT NULL, sha256 TEXT NOT NULL, original_name TEXT NOT NULL,
  stored_path TEXT NOT NULL UNIQUE, facts TEXT NOT NULL, outputs TEXT NOT NULL,
  incoming TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS submission_by_office ON submission (office_id, id);
CREATE INDEX IF NOT EXISTS submission_by_incoming ON submission (incoming);
CREATE TABLE IF NOT EXISTS login_failure (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failure_by_client ON login_failure (client, at);
CREATE INDEX IF NOT EXISTS login_failure_by_time ON login_failure (at);
"""
_MARK = "('serve_index', '1')"  # made with the tables, in one transaction
_OFFICE_COLUMNS = "id, name, credit_code, token_hash, link_issued_at"
_SUBMISSION_COLUMNS = (
    "id, receipt, office_id, received_at, sha256, original_name, stored_path, facts, outputs"
)


class StoreError(Exception):
    """DIR cannot be used or written: str() is one zh line naming the path; text(lang) for en."""

    def __init__(self, key: str, path: object, reason: object = "") -> None:
        self.key, self.path = key, str(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever the OS said
        super().__init__(self.text("zh"))

    def text(self, lang: Lang) -> str:
        return WORDS[lang][self.key].format(path=self.path, reason=self.reason)


@dataclass(frozen=True)
class OfficeRow:
    id: int
    name: str
    credit_code: str | None
    has_link: bool  # a token is issued and not revoked
    link_issued_at: str | None  # ISO 8601 UTC


@dataclass(frozen=True)
class Facts:
    """What the checker found, kept with the submission."""

    status: str  # "valid" | "invalid" | "unreadable"
    errors: int
    warnings: int
    open_warnings: int
    form_id: str | None
    year: int | None
    report: dict[str, Any]
    values: dict[str, Any]
    explanations: list[dict[str, str]]  # [{"rule":..,"place":..,"text":..}]; may be []


@dataclass(frozen=True)
class SubmissionRow:
    id: int  # order of arrival
    receipt: str  # 提交编号 S<YYYYMMDD>-<id:06d>
    office_id: int
    received_at: str  # ISO 8601 UTC with seconds
    sha256: str
    original_name: str  # as uploaded: data only, never a path
    stored_path: str  # relative to DIR, with "/"
    facts: Facts
    outputs: dict[str, str]  # kind -> path relative to DIR


class Store:
    """DIR opened for serving; every method may be called from several threads at once."""

    def __init__(self, root: Path, db: sqlite3.Connection, lock_fd: int | None, secret: bytes,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self.root = root
        self._db = db
        self._lock_fd = lock_fd
        self._secret = secret
        self._clock = clock
        # One connection for all threads, one statement or transaction at a time: a submit holds
        # it only for its insert and commit; writing and fsyncing the bytes happens outside it.
        self._mutex = threading.Lock()

    @classmethod
    def open(cls, root: Path, *, clock: Callable[[], float] = time.time) -> Store:
        """Make or reopen DIR's layout and index; finish or drop what a kill left half done."""
        root = Path(root)
        _make_layout(root)
        lock_fd, alone = take_lock(root / INCOMING)
        db = None
        try:
            db = _connect(root / INDEX)
            secret = _load_secret(root / SECRET, root / INCOMING)
            store = cls(root, db, lock_fd, secret=secret, clock=clock)
            if alone:  # another Store on DIR may have a submit in flight: its temps are not ours
                store._recover()
        except BaseException:
            if db is not None:
                db.close()
            release_lock(lock_fd)
            raise
        share_lock(lock_fd)
        return store

    def close(self) -> None:
        with self._mutex:
            self._db.close()
            release_lock(self._lock_fd)
            self._lock_fd = None

    # ---- offices and links -------------------------------------------------------------------

    def add_offices(self, rows: Iterable[tuple[str, str | None]]) -> list[tuple[OfficeRow, str]]:
        """Add the offices not known yet (same credit code, else same normalised name, as batch
        tells offices apart); each new one gets a link. Returns (office, token) for those only."""
        new: list[tuple[int, str]] = []
        with self._write() as db:
            for name, code in rows:
                found = _add_office(db, name.strip(), _clean_code(code), self._iso_now())
                if found is not None:
                    new.append(found)
        for office_id, _ in new:
            self._make_folder(office_id)
        return [(self._known_office(office_id), token) for office_id, token in new]

    def issue_token(self, office_id: int) -> str:
        """A new link for the office; the one it had stops working."""
        token = new_token()
        with self._write() as db:
            query = "UPDATE office SET token_hash = ?, link_issued_at = ? WHERE id = ?"
            if not db.execute(query, (token_hash(token), self._iso_now(), office_id)).rowcount:
                raise StoreError("no_office", self.root, office_id)
        return token

    def revoke_token(self, office_id: int) -> None:
        with self._write() as db:
            query = "UPDATE office SET token_hash = NULL, link_issued_at = NULL WHERE id = ?"
            db.execute(query, (office_id,))

    def office_for_token(self, token: str) -> OfficeRow | None:
        """The office whose current link this is; None for a revoked, replaced or guessed one.

        Looked up by the token's hash: SQL compares hashes, so timing tells nothing about a token.
        """
        if not token or len(token) > _TOKEN_BOUND:
            return None
        query = f"SELECT {_OFFICE_COLUMNS} FROM office WHERE token_hash = ?"
        rows = self._read(query, (token_hash(token),))
        return _office(rows[0]) if rows else None

    def offices(self) -> list[OfficeRow]:
        return [_office(r) for r in self._read(f"SELECT {_OFFICE_COLUMNS} FROM office ORDER BY id")]

    def office(self, office_id: int) -> OfficeRow | None:
        return self._office_row(office_id)

    # ---- submissions -------------------------------------------------------------------------

    def submit(
        self,
        office_id: int,
        data: bytes,
        original_name: str,
        sha256: str,
        suffix: str,
        facts: Facts,
        outputs: Mapping[str, tuple[str, bytes]],
    ) -> SubmissionRow:
        """Keep one submission: durable (bytes fsynced, row committed, file in place) on return."""
        if hashlib.sha256(data).hexdigest() != sha256 or not _SUFFIX.fullmatch(suffix):
            raise ValueError("submit: sha256 does not match the data, or a bad suffix")
        folder = self._folder(office_id)
        staged = self._stage(data, outputs)
        try:
            given = _Given(original_name, sha256, facts)
            row, when = self._commit(office_id, folder, staged, suffix, given)
        except BaseException:
            shutil.rmtree(staged.temp, ignore_errors=True)
            raise
        self._place(staged.temp, row, when)
        return row

    def submissions(self, office_id: int | None = None) -> list[SubmissionRow]:
        """In order of arrival, all of them or one office's."""
        query = f"SELECT {_SUBMISSION_COLUMNS} FROM submission"
        if office_id is None:
            return [_submission(r) for r in self._read(query + " ORDER BY id")]
        rows = self._read(query + " WHERE office_id = ? ORDER BY id", (office_id,))
        return [_submission(r) for r in rows]

    def submission(self, receipt: str) -> SubmissionRow | None:
        query = f"SELECT {_SUBMISSION_COLUMNS} FROM submission WHERE receipt = ?"
        rows = self._read(query, (receipt,))
        return _submission(rows[0]) if rows else None

    # ---- settings ----------------------------------------------------------------------------

    def deadline(self) -> str | None:
        return self._setting("deadline")

    def set_deadline(self, text: str | None) -> None:
        self._set_setting("deadline", text)

    def has_password(self) -> bool:
        return self._setting("password") is not None

    def set_password(self, password: str) -> None:
        self._set_setting("password", hash_password(password))

    def check_password(self, password: str) -> bool:
        """Whether it is the admin's password (constant-time compare); False while none is set."""
        encoded = self._setting("password")
        return encoded is not None and verify_password(password, encoded)

    def session_secret(self) -> bytes:
        return self._secret

    # ---- login rate limit --------------------------------------------------------------------

    def login_allowed(self, client: str) -> bool:
        """Fewer than 5 failures from this client, and fewer than 100 overall, in 15 minutes."""
        since = self._clock() - LOGIN_WINDOW
        mine = "SELECT COUNT(*) FROM login_failure WHERE client = ? AND at > ?"
        everyone = "SELECT COUNT(*) FROM login_failure WHERE at > ?"
        if self._read(mine, (client[:_TOKEN_BOUND], since))[0][0] >= LOGIN_PER_CLIENT:
            return False
        return bool(self._read(everyone, (since,))[0][0] < LOGIN_OVERALL)

    def record_login_failure(self, client: str) -> None:
        now = self._clock()
        with self._write() as db:
            db.execute("INSERT INTO login_failure VALUES (?, ?)", (client[:_TOKEN_BOUND], now))
            db.execute("DELETE FROM login_failure WHERE at <= ?", (now - LOGIN_WINDOW,))

    def clear_login_failures(self, client: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM login_failure WHERE client = ?", (client[:_TOKEN_BOUND],))

    # ---- inside -------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed (fsynced: synchronous=FULL) when the block ends."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT may have rolled back already
                    self._db.execute("ROLLBACK")
                raise

    def _read(self, query: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._mutex:
            return self._db.execute(query, args).fetchall()

    def _iso_now(self) -> str:
        return _iso(self._clock())

    def _setting(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def _set_setting(self, key: str, value: str | None) -> None:
        with self._write() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))
            if value is not None:
                db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))

    def _office_row(self, office_id: int) -> OfficeRow | None:
        rows = self._read(f"SELECT {_OFFICE_COLUMNS} FROM office WHERE id = ?", (office_id,))
        return _office(rows[0]) if rows else None

    def _known_office(self, office_id: int) -> OfficeRow:
        office = self._office_row(office_id)
        if office is None:
            raise StoreError("no_office", self.root, office_id)
        return office

    def _folder(self, office_id: int) -> str:
        rows = self._read("SELECT folder FROM office WHERE id = ?", (office_id,))
        if not rows:
            raise StoreError("no_office", self.root, office_id)
        return str(rows[0][0])

    def _make_folder(self, office_id: int) -> None:
        folder = self.root / INBOX / self._folder(office_id)
        try:
            make_folder(folder)
        except OSError as exc:
            raise StoreError("unwritable", folder, exc.strerror or exc) from exc

    def _stage(self, data: bytes, outputs: Mapping[str, tuple[str, bytes]]) -> _Staged:
        """The upload and its outputs written and fsynced in a fresh temp folder of their own."""
        staged = _Staged(self.root / INCOMING / secrets.token_hex(16), _output_names(outputs))
        try:
            staged.temp.mkdir()
            write_synced(staged.temp / DATA, data)
            if outputs:
                (staged.temp / OUTPUTS).mkdir()
                for kind, name in staged.outputs.items():
                    write_synced(staged.temp / OUTPUTS / name, outputs[kind][1])
                fsync_dir(staged.temp / OUTPUTS)
            fsync_dir(staged.temp)
        except OSError as exc:
            shutil.rmtree(staged.temp, ignore_errors=True)
            raise StoreError("save_failed", staged.temp.parent, exc.strerror or exc) from exc
        return staged

    def _commit(
        self, office_id: int, folder: str, staged: _Staged, suffix: str, given: _Given
    ) -> tuple[SubmissionRow, float]:
        """The row, with the paths its files will have, committed: from here nothing is lost.

        The time is read inside the transaction, so arrival order, ids and times agree."""
        name = given.name.encode("utf-8", "replace").decode("utf-8")[:NAME_BOUND]
        facts_json = json.dumps(dataclasses.asdict(given.facts), separators=(",", ":"))
        sha = given.sha256
        try:
            with self._write() as db:
                when = self._clock()
                pending = f"pending:{staged.temp.name}"
                cursor = db.execute(
                    f"INSERT INTO submission ({_SUBMISSION_COLUMNS}, received_ts, incoming)"
                    " VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)",
                    (pending, office_id, _iso(when), sha, name, pending, facts_json, when,
                     staged.temp.name),
                )  # fmt: skip
                sub_id = cursor.lastrowid or 0
                receipt, stored = _receipt_and_path(sub_id, when, folder, suffix)
                outputs = {k: f"{OUTPUTS}/{receipt}/{n}" for k, n in staged.outputs.items()}
                db.execute(
                    "UPDATE submission SET receipt = ?, stored_path = ?, outputs = ? WHERE id = ?",
                    (receipt, stored, json.dumps(outputs, separators=(",", ":")), sub_id),
                )
        except sqlite3.Error as exc:
            raise StoreError("save_failed", self.root / INDEX, exc) from exc
        row = SubmissionRow(
            sub_id, receipt, office_id, _iso(when), sha, name, stored, given.facts, outputs
        )
        return row, when

    def _place(self, temp: Path, row: SubmissionRow, when: float) -> None:
        """Move the committed submission's files from their temp into inbox/ and outputs/."""
        target = self.root / row.stored_path
        try:
            move_into_place(temp, target, self.root / OUTPUTS / row.receipt, when)
        except OSError as exc:
            raise StoreError("save_failed", target, exc.strerror or exc) from exc

    def _recover(self) -> None:
        """After a kill: finish the moves of committed submissions, drop uncommitted temps."""
        incoming = self.root / INCOMING
        for temp in sorted(incoming.iterdir()):
            query = f"SELECT {_SUBMISSION_COLUMNS}, received_ts FROM submission WHERE incoming = ?"
            rows = self._db.execute(query, (temp.name,)).fetchall()
            if rows and temp.is_dir():
                self._place(temp, _submission(rows[0][:-1]), rows[0][-1])
            remove(temp)
        fsync_dir(incoming)


# ---- offices --------------------------------------------------------------------------------------


def _clean_code(code: str | None) -> str | None:
    """The credit code as batch reads it (full-width folded, upper case) when valid, else None."""
    code = unicodedata.normalize("NFKC", code).strip().upper() if isinstance(code, str) else None
    return code if valid_credit_code(code) else None


def _add_office(
    db: sqlite3.Connection, name: str, code: str | None, now: str
) -> tuple[int, str] | None:
    """(id, token) of a new office; None when it is known (then a code it lacked is filled in)."""
    norm = normalise_name(name)
    if not norm:
        return None
    if code and db.execute("SELECT 1 FROM office WHERE credit_code = ?", (code,)).fetchone():
        return None
    same_name = db.execute(
        "SELECT id, credit_code FROM office WHERE norm_name = ? ORDER BY id", (norm,)
    ).fetchall()
    for office_id, known_code in same_name:
        if known_code is None or code is None:
            if code:
                db.execute("UPDATE office SET credit_code = ? WHERE id = ?", (code, office_id))
            return None
    token = new_token()
    cursor = db.execute(
        "INSERT INTO office (name, norm_name, credit_code, folder, folder_key, token_hash,"
        " link_issued_at) VALUES (?, ?, ?, '', ?, ?, ?)",
        (name, norm, code, f"\0{token_hash(token)}", token_hash(token), now),
    )
    office_id = cursor.lastrowid or 0
    folder = _free_folder(db, safe_filename(name), office_id)
    db.execute(
        "UPDATE office SET folder = ?, folder_key = ? WHERE id = ?",
        (folder, _folder_key(folder), office_id),
    )
    return office_id, token


def _free_folder(db: sqlite3.Connection, base: str, office_id: int) -> str:
    """The office's inbox folder: its safe name, or with its id added when another office has
    that name already (Windows and macOS see ABC and abc as one folder)."""
    candidates = [base, f"{base}-{office_id}"]
    candidates += (f"{base}-{office_id}-{n}" for n in range(2, 100))
    for folder in candidates:
        query = "SELECT 1 FROM office WHERE folder_key = ?"
        if not db.execute(query, (_folder_key(folder),)).fetchone():
            return folder
    return f"{office_id}-{secrets.token_hex(4)}"


def _folder_key(folder: str) -> str:
    return unicodedata.normalize("NFC", folder).casefold()


def _office(row: tuple[Any, ...]) -> OfficeRow:
    office_id, name, code, hashed, issued = row
    return OfficeRow(office_id, name, code, hashed is not None, issued)


# ---- submissions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Given:
    name: str  # the upload's name, data only
    sha256: str
    facts: Facts


@dataclass(frozen=True)
class _Staged:
    temp: Path  # DIR/.incoming/<random>: the upload as `data`, the outputs in `outputs/`
    outputs: dict[str, str]  # kind -> its file name in outputs/


def _receipt_and_path(sub_id: int, when: float, folder: str, suffix: str) -> tuple[str, str]:
    """The receipt and the inbox path of a new submission. Their date and time are the server's
    local time: what the county reads in the folder and the office on its receipt."""
    local = datetime.fromtimestamp(when)
    receipt = f"S{local:%Y%m%d}-{sub_id:06d}"
    return receipt, f"{INBOX}/{folder}/{local:%Y%m%d-%H%M%S}-{receipt}{suffix}"


def _output_names(outputs: Mapping[str, tuple[str, bytes]]) -> dict[str, str]:
    """A safe file name per output (the download name made safe); when two come out alike (as
    Windows sees names), the later is led by its kind and a number."""
    names: dict[str, str] = {}
    for n, (kind, (name, _)) in enumerate(outputs.items()):
        safe = safe_name(name, reserve=20)
        if _folder_key(safe) in {_folder_key(known) for known in names.values()}:
            safe = safe_name(f"{kind}-{n}-{safe}", reserve=20)
        names[kind] = safe
    return names


def _submission(row: tuple[Any, ...]) -> SubmissionRow:
    sub_id, receipt, office_id, received_at, sha, name, stored, facts, outputs = row
    return SubmissionRow(
        sub_id, receipt, office_id, received_at, sha, name, stored,
        Facts(**json.loads(facts)), json.loads(outputs),
    )  # fmt: skip


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- opening --------------------------------------------------------------------------------------


def _make_layout(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise StoreError("not_folder", root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for sub in (INBOX, OUTPUTS, INCOMING):
            make_folder(root / sub)
        probe = root / INCOMING / f"probe-{secrets.token_hex(8)}"
        probe.write_bytes(b"")  # an existing layout on a read-only mount creates nothing
        probe.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError("unwritable", root, exc.strerror or exc) from exc


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    try:
        # WAL: readers never wait for a submit; FULL: a commit is on disk when it returns.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        if not _ours(db):
            db.close()
            raise StoreError("foreign_index", path)
        db.executescript(f"BEGIN; {_SCHEMA} INSERT OR IGNORE INTO meta VALUES {_MARK}; COMMIT;")
    except sqlite3.OperationalError as exc:
        db.close()
        raise StoreError("unwritable", path, exc) from exc
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError("bad_index", path, exc) from exc
    return db


def _ours(db: sqlite3.Connection) -> bool:
    """An empty database (a new index) or one marked as a serve index: never another program's."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return True
    mark = "SELECT 1 FROM meta WHERE (key, value) = " + _MARK
    return "meta" in tables and db.execute(mark).fetchone() is not None


def _load_secret(path: Path, temp_dir: Path) -> bytes:
    """DIR/secret: 32 random bytes made once (mode 0600), the same on every later open."""
    try:
        secret = make_secret(path, SECRET_BYTES, temp_dir)
    except OSError as exc:
        raise StoreError("unwritable", path, exc.strerror or exc) from exc
    if len(secret) != SECRET_BYTES:
        raise StoreError("bad_secret", path, len(secret))
    return secret

"""The archive's index and folder tree: open (or create) it, add accepted reports, link offices.

The index is an SQLite file (WAL, so batch workers can read it while nothing else writes) beside
the canonical JSON files. Every accepted submission is kept, by its SHA-256 (the submitted file's,
as summary.json names it): adding it again adds nothing. An office's latest accepted report for a
year is the one added last; earlier ones stay as its resubmissions.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xlcheck.batch.offices import normalise_name, safe_filename, valid_credit_code
from xlcheck.form.model import Text

INDEX_FILE = "archive.sqlite"
FORMAT = "xlcheck-archive"
VERSION = "1"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS report (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " office_key TEXT NOT NULL, office TEXT NOT NULL, name_key TEXT NOT NULL, credit_code TEXT,"
    " year INTEGER NOT NULL, sha256 TEXT NOT NULL UNIQUE, path TEXT NOT NULL,"
    " added_at TEXT NOT NULL, source TEXT, received TEXT, warnings INTEGER NOT NULL DEFAULT 0,"
    " findings TEXT NOT NULL DEFAULT '[]', form TEXT, form_version TEXT)",
    "CREATE INDEX IF NOT EXISTS report_office ON report (office_key, year)",
    "CREATE INDEX IF NOT EXISTS report_name ON report (name_key, year)",
    "CREATE TABLE IF NOT EXISTS link (old_key TEXT NOT NULL, new_key TEXT NOT NULL,"
    " old_written TEXT NOT NULL, new_written TEXT NOT NULL, added_at TEXT NOT NULL,"
    " PRIMARY KEY (old_key, new_key))",
)


class ArchiveError(Exception):
    """The archive cannot be used (not writable, not an archive): one line in each language."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.zh)
        self.text = text


@dataclass(frozen=True)
class Accepted:
    """One accepted report to keep: who sent it, for which year, and its canonical JSON."""

    office_key: str
    office: str
    credit_code: str | None
    year: int
    sha256: str
    document: bytes  # the canonical JSON exactly as the batch wrote it
    source: str | None = None  # the submitted file's name
    received: str | None = None  # the message's date, when it came by mail
    warnings: int = 0
    findings: tuple[str, ...] = ()  # the warnings' messages, as the batch showed them
    form: str | None = None
    form_version: str | None = None


def office_key_of(written: str) -> str:
    """The key of an office as a clerk writes it (a credit code or a name), as the batch makes
    it: code:<credit code> when it is a valid one, else name:<normalised name>."""
    code = unicodedata.normalize("NFKC", written).strip().upper()
    if valid_credit_code(code):
        return f"code:{code}"
    return f"name:{normalise_name(written)}"


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Archive:
    """The archive opened for writing."""

    def __init__(self, root: Path, db: sqlite3.Connection) -> None:
        self.root = root
        self.db = db

    def close(self) -> None:
        self.db.close()

    def has(self, sha256: str) -> bool:
        query = "SELECT 1 FROM report WHERE sha256 = ?"
        return self.db.execute(query, (sha256,)).fetchone() is not None

    def add(self, report: Accepted) -> bool:
        """Keep one accepted report; False when it is already kept (same SHA-256)."""
        if self.has(report.sha256):
            return False
        relative = report_path(report)
        _write_file(self.root / relative, report.document)
        with self.db:
            self.db.execute(
                "INSERT INTO report (office_key, office, name_key, credit_code, year, sha256,"
                " path, added_at, source, received, warnings, findings, form, form_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.office_key,
                    report.office,
                    f"name:{normalise_name(report.office)}",
                    report.credit_code,
                    report.year,
                    report.sha256,
                    relative.as_posix(),
                    now(),
                    report.source,
                    report.received,
                    report.warnings,
                    json.dumps(list(report.findings), ensure_ascii=False),
                    report.form,
                    report.form_version,
                ),
            )
        return True

    def link(self, old: str, new: str) -> tuple[str, str]:
        """NEW's lookups find OLD's reports too (a renamed or merged office); the two keys."""
        old_key, new_key = office_key_of(old), office_key_of(new)
        if old_key == new_key:
            raise ArchiveError(
                Text(
                    f"「{old}」和「{new}」是同一个机关，无需关联",
                    f"“{old}” and “{new}” are the same office; nothing to link",
                )
            )
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO link VALUES (?, ?, ?, ?, ?)",
                (old_key, new_key, old.strip(), new.strip(), now()),
            )
        return old_key, new_key


def report_path(report: Accepted) -> Path:
    """<office folder>/<year>/<sha256[:12]>.json, relative to the archive's root."""
    return Path(safe_filename(report.office)) / str(report.year) / f"{report.sha256[:12]}.json"


def _write_file(path: Path, data: bytes) -> None:
    from xlcheck.outputs import write_bytes_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


def open_archive(root: Path) -> Archive:
    """The archive at `root` for writing, made when the folder has none; ArchiveError when the
    folder cannot be written or its index is not an archive's."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArchiveError(
            Text(
                f"无法写入档案文件夹「{root}」：{reason}",
                f"cannot write to the archive folder {root}: {reason}",
            )
        ) from exc
    index = root / INDEX_FILE
    db = connect(index, read_only=False)
    try:
        if not _is_archive(db):
            if _has_tables(db):
                raise not_an_archive(index)
            _create(db)
    except sqlite3.Error as exc:
        db.close()
        raise not_an_archive(index) from exc
    except ArchiveError:
        db.close()
        raise
    return Archive(root.resolve(), db)


def refuse_inside(root: Path, folders: list[Path]) -> None:
    """ArchiveError when the archive would lie inside an inbox folder or the batch's output:
    its canonical JSON would be gathered as submissions, or mixed with the outputs."""
    where = root.resolve()
    for folder in folders:
        if not folder.is_dir():
            continue
        inside = folder.resolve()
        if where == inside or inside in where.parents:
            raise ArchiveError(
                Text(
                    f"档案文件夹「{root}」不能放在收件或输出文件夹「{folder}」之内",
                    f"the archive folder {root} must not be inside the inbox or output "
                    f"folder {folder}",
                )
            )


def connect(index: Path, *, read_only: bool) -> sqlite3.Connection:
    """The index; read-only opens never create it (batch workers, lookups)."""
    try:
        if read_only:
            db = sqlite3.connect(f"{index.resolve().as_uri()}?mode=ro", uri=True)
        else:
            db = sqlite3.connect(index)
        db.execute("PRAGMA busy_timeout = 5000")
        return db
    except sqlite3.Error as exc:
        raise not_an_archive(index) from exc


def _is_archive(db: sqlite3.Connection) -> bool:
    if not _has_tables(db, "meta"):
        return False
    saved = dict(db.execute("SELECT key, value FROM meta"))
    return saved.get("format") == FORMAT


def check_archive(db: sqlite3.Connection, index: Path) -> None:
    """ArchiveError unless `db` is an archive's index."""
    try:
        ok = _is_archive(db)
    except sqlite3.Error as exc:
        raise not_an_archive(index) from exc
    if not ok:
        raise not_an_archive(index)


def _has_tables(db: sqlite3.Connection, name: str | None = None) -> bool:
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    names = {row[0] for row in db.execute(query)}
    return name in names if name is not None else bool(names)


def _create(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode = WAL")  # workers read while nothing writes
    with db:
        for statement in _SCHEMA:
            db.execute(statement)
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (("format", FORMAT), ("version", VERSION)),
        )


def not_an_archive(index: Path) -> ArchiveError:
    return ArchiveError(
        Text(
            f"「{index}」不是 xlcheck 的档案索引（文件损坏或是别的数据库）",
            f"{index} is not an xlcheck archive index (damaged, or another database)",
        )
    )


def archive_missing(root: Path) -> ArchiveError:
    return ArchiveError(
        Text(
            f"「{root}」中没有档案（应有 {INDEX_FILE}；档案由 batch --archive 建立）",
            f"no archive in {root} (no {INDEX_FILE}; batch --archive makes one)",
        )
    )

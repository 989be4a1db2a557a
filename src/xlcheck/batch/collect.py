"""Phase one of a batch: gather every input, check it (or take it from the re-run state), and spool
one record per submission to disk so the parent never holds all results in memory."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from xlcheck.form.model import Form
from xlcheck.inbox import Skipped, gather
from xlcheck.inbox.walk import gather_deferring_mail

from .aggregate import Aggregate
from .mailpool import MailPool
from .pool import Result, chunked, run_pool
from .records import Envelope, Ignored, Outcome, Record, envelope_of, unreadable
from .worker import Job, Settings, store_key

FormIdent = tuple[str, str]  # (form id, form version)

Runner = Callable[[Iterable[list[Job]]], Iterator[Result]]

# Skipped reasons that mean "a submission we could not open", as opposed to "not a submission"
UNREADABLE_REASONS = {
    "unreadable_file",
    "unreadable_container",
    "zip_bomb",
    "encrypted_zip",
    "too_large",
    "nested_too_deep",
    "not_regular_file",
    "symlink_loop",
    "symlink_outside",
    "symlink_inside",
    "folder_too_deep",
}
REASON_TEXT = {  # (zh, en)
    "unreadable_file": ("文件无法读取", "cannot be read"),
    "unreadable_container": (
        "压缩包或邮件已损坏，无法读取",
        "is a damaged archive or e-mail and cannot be read",
    ),
    "zip_bomb": (
        "压缩包大小异常，为安全起见没有解压",
        "is an archive of abnormal size; not unpacked, for safety",
    ),
    "encrypted_zip": ("压缩包有密码，无法读取", "is a password-protected archive"),
    "too_large": ("文件过大，没有读取", "is too large; not read"),
    "nested_too_deep": (
        "压缩包或转发邮件嵌套过深",
        "has archives or forwarded e-mails nested too deep",
    ),
    "not_regular_file": (
        "不是普通文件（是管道、设备等），没有读取",
        "is not a regular file (a pipe, a device, ...); not read",
    ),
    "symlink_loop": ("是循环的链接，无法读取", "is a link that leads back to itself"),
    "symlink_outside": (
        "是指向收件文件夹以外的链接，为安全起见没有读取；请放入文件本身",
        "is a link to outside the inbox folder; not followed, for safety: put the file itself there",
    ),
    "symlink_inside": (
        "是指向收件文件夹本身或其中文件的链接，没有读取，以免重复或循环",
        "is a link back into the inbox folder; not followed, to avoid duplicates and loops",
    ),
    "folder_too_deep": (
        "文件夹嵌套过深，其中的文件没有读取",
        "is a folder nested too deep; the files in it were not read",
    ),
}
# Why a file was left out although it was readable: it is not a submission
IGNORED_TEXT = {
    "not_a_workbook": "不是工作簿或报送文件，未处理",
    "no_attachment": "邮件没有附件",
}


@dataclass(frozen=True)
class Entry:
    """One spooled submission as the finishing pass needs it."""

    seq: int
    offset: int
    office_key: str | None
    office: str | None
    when: float  # e-mail Date, else file mtime, else NO_TIME; gather order breaks ties
    original: int | None = None  # a duplicate: the seq of the first copy (see mark_duplicates)


NO_TIME = -1e300  # sorts before every real time (SQLite has no -inf literal to rely on)


class Spool:
    """Records appended as JSON lines to a scratch file, read back by offset.

    Each record's line is followed by a line with its values (a few hundred cells), which the
    finishing pass decodes only when it needs them (changed cells, a superseded valid report).
    The index lives in a private, temporary on-disk SQLite database (sqlite3.connect("")), so
    the parent's memory does not grow with the number of submissions. `totals` holds, per form,
    the running county total of the valid reports in that form spooled so far (see collect).
    """

    def __init__(self, fh: IO[bytes], forms: Mapping[FormIdent, Form]) -> None:
        self.fh = fh
        self.forms = forms
        self.totals: dict[FormIdent, Aggregate] = {}
        self.seen: set[FormIdent] = set()  # the forms of the readable submissions
        self.db = sqlite3.connect("")
        # files that are not submissions (a PDF, an e-mail without attachment) and later copies
        # of a submission (duplicate = 1, added by the finishing pass), kept here too
        self.db.execute(
            "CREATE TABLE skipped (seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
            " duplicate INTEGER NOT NULL)"
        )
        # `copy` says which entries are the same submission (see _copy_of); `original` is filled
        # in by mark_duplicates once every entry is in
        self.db.execute(
            "CREATE TABLE entry (seq INTEGER PRIMARY KEY, offset INTEGER NOT NULL,"
            " office_key TEXT, office TEXT, at REAL NOT NULL, copy TEXT, original INTEGER)"
        )
        self.db.execute("CREATE INDEX by_office ON entry (office_key, at, seq)")
        self.db.execute("CREATE INDEX by_copy ON entry (copy, at, seq)")
        self.marked = False

    def append(self, record: Record, values: dict[str, Any]) -> None:
        offset = self.fh.tell()
        self.fh.write(_json_line(record.to_json()) + _json_line(values))
        outcome, when = record.outcome, record.envelope.when
        key = outcome.office_key if outcome.readable else None
        if outcome.readable and outcome.form_ident is not None:
            self.seen.add(outcome.form_ident)
        self.db.execute(
            "INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                record.envelope.seq,
                offset,
                key,
                outcome.office,
                when if math.isfinite(when) else NO_TIME,
                _copy_of(record),
            ),
        )

    def total(self, outcome: Outcome) -> Aggregate:
        """The running total of the outcome's form (a valid outcome names one of the batch's)."""
        ident = outcome.form_ident
        if ident is None or ident not in self.forms:
            raise ValueError(f"outcome of an unknown form: {ident}")
        if ident not in self.totals:
            self.totals[ident] = Aggregate(self.forms[ident])
        return self.totals[ident]

    def mark_duplicates(self) -> None:
        """Set `original` on every later copy of a submission: the earliest copy (by time, then
        gather order) is the submission, as the office first sent it; the rest repeat it."""
        self.db.execute(
            "UPDATE entry SET original = (SELECT o.seq FROM entry o"
            "  WHERE o.copy = entry.copy AND o.office_key IS entry.office_key"
            "  AND (o.at < entry.at OR (o.at = entry.at AND o.seq < entry.seq))"
            "  ORDER BY o.at, o.seq LIMIT 1)"
        )
        self.marked = True

    def ordered(self) -> Iterator[tuple[Entry, bool]]:
        """(entry, is current) grouped by office, oldest first; unreadable ones last, in order.

        The current submission of an office is its latest (by time, then gather order) that is
        no duplicate; a duplicate (entry.original set) is never current.
        """
        if not self.marked:
            self.mark_duplicates()
        readable = self.db.execute(
            "SELECT e.seq, e.offset, e.office_key, e.office, e.at, e.original,"
            " e.original IS NULL AND NOT EXISTS ("
            "  SELECT 1 FROM entry n WHERE n.office_key = e.office_key AND n.original IS NULL"
            "  AND (n.at > e.at OR (n.at = e.at AND n.seq > e.seq)))"
            " FROM entry e WHERE e.office_key IS NOT NULL"
            " ORDER BY COALESCE(e.office, ''), e.office_key, e.at, e.seq"
        )
        for seq, offset, key, office, at, original, current in readable:
            yield Entry(seq, offset, key, office, at, original), bool(current)
        unreadable = self.db.execute(
            "SELECT seq, offset, office, original FROM entry WHERE office_key IS NULL ORDER BY seq"
        )
        for seq, offset, office, original in unreadable:
            yield Entry(seq, offset, None, office, NO_TIME, original), False

    def entry(self, seq: int) -> Entry:
        """The entry spooled with that gather seq (the original of a duplicate)."""
        row = self.db.execute(
            "SELECT offset, office_key, office, at FROM entry WHERE seq = ?", (seq,)
        ).fetchone()
        return Entry(seq, *row)

    def read(self, entry: Entry) -> Record:
        """The record (envelope and outcome) without its values."""
        self.fh.seek(entry.offset)
        return Record.from_json(json.loads(self.fh.readline()))

    def values(self, entry: Entry) -> dict[str, Any]:
        """The values of a record: the line after it."""
        self.fh.seek(entry.offset)
        self.fh.readline()
        values: dict[str, Any] = json.loads(self.fh.readline())
        return values

    def add_skipped(self, ignored: Ignored, duplicate: bool = False) -> None:
        """A file that is not a submission (listed in the summaries, never checked), or a
        duplicate of one (checked, then found to repeat an earlier copy)."""
        self.db.execute(
            "INSERT INTO skipped VALUES (?, ?, ?)",
            (ignored.envelope.seq, _json_line(ignored.to_json()).decode("utf-8"), duplicate),
        )

    def skipped(self) -> Iterator[Ignored]:
        """The files that are not submissions, in gather order, read back from the database."""
        for (text,) in self.db.execute("SELECT record FROM skipped ORDER BY seq"):
            yield Ignored.from_json(json.loads(text))

    def ignored_count(self, duplicates: bool = False) -> int:
        """How many files were no submission (or, with duplicates=True, repeated one)."""
        query = "SELECT COUNT(*) FROM skipped WHERE duplicate = ?"
        count: int = self.db.execute(query, (duplicates,)).fetchone()[0]
        return count

    def close(self) -> None:
        self.db.close()


def _copy_of(record: Record) -> str | None:
    """What two entries share when they are one submission arriving twice.

    A readable one: its bytes (SHA-256), within its office, wherever it came from (a loose file
    and its copy in a zip, one attachment in two e-mails). An unreadable one names no office,
    and two offices may well send the same empty or broken file: only the same input given
    twice (same place, same bytes) is one.
    """
    sha = record.outcome.sha256
    if record.outcome.readable:
        return str(sha) if sha else None  # None: a copy of nothing
    return f"{record.envelope.origin}\n{sha or ''}"


def _json_line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8") + b"\n"


def skipped_outcome(item: Skipped, lang: str = "zh") -> Outcome:
    """The reason in plain words; the technical detail goes to summary.json's problems only."""
    zh, en = REASON_TEXT.get(item.reason, (item.reason, item.reason))
    message = f"“{item.filename}” {en}" if lang == "en" else f"「{item.filename}」{zh}"
    return unreadable(None, item.reason, message, problems=(item.detail,))


def collect(
    inputs: Iterable[Path],
    spool: Spool,
    remember: Callable[[str, Outcome], None] | None,
    lookup: Callable[[str], tuple[Outcome, dict[str, Any]] | None],
    run: Runner,
    progress: Callable[[int, int], None] | None,
    out_dir: Path,
    lang: str = "zh",
    mail: MailPool | None = None,
) -> int:
    """Gather, check what is new, and spool every submission; return how many were reused.

    With `mail`, e-mails are parsed by its worker processes instead of this one (same items,
    same order).

    Progress is reported as (done, seen so far): the total is not known before gathering ends.

    Outcomes worth remembering for the next run are passed to `remember` with the input's key
    (store_key: its bytes and file name; None in check-only runs, which keep no state).
    """
    envelopes: dict[int, Envelope] = {}
    counter = {"done": 0, "seen": 0, "reused": 0}

    def finish(seq: int, outcome: Outcome, values: dict[str, Any]) -> None:
        spool.append(Record(envelopes.pop(seq), outcome), values)
        # Summed now, while the values are at hand, so the single-threaded finishing pass need not
        # decode them again; it takes back the few that turn out superseded.
        if outcome.readable and outcome.valid:
            spool.total(outcome).add(values)
        if remember is not None and outcome.key and not outcome.transient:
            remember(outcome.key, outcome)
        counter["done"] += 1
        if progress is not None:
            progress(counter["done"], counter["seen"])

    def jobs() -> Iterator[Job]:
        walked = (
            gather(list(inputs))
            if mail is None
            else mail.expand(gather_deferring_mail(list(inputs)))
        )
        for seq, item in enumerate(walked):
            record = envelope_of(seq, item)
            if _inside(item.path, out_dir):  # our own outputs are never submissions
                continue
            if isinstance(item, Skipped):
                if item.reason in UNREADABLE_REASONS:
                    counter["seen"] += 1
                    envelopes[seq] = record
                    finish(seq, skipped_outcome(item, lang), {})
                else:
                    spool.add_skipped(Ignored(record, item.reason, item.detail))
                continue
            counter["seen"] += 1
            envelopes[seq] = record
            key = store_key(item.sha256, item.filename)
            hit = lookup(key)  # answers a re-run, and a copy whose twin was checked in this one
            if hit is not None:
                counter["reused"] += 1
                finish(seq, *hit)
            else:
                yield Job(seq, item.filename, item.data, item.sha256, key)

    for seq, outcome, values in run(chunked(jobs())):
        finish(seq, outcome, values)
    return counter["reused"]


def _inside(path: Path | None, folder: Path) -> bool:
    if path is None:
        return False
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return False
    return resolved == folder or folder in resolved.parents


def make_runner(workers: int, form_names: tuple[str, ...], settings: Settings) -> Runner:
    def run(chunks: Iterable[list[Job]]) -> Iterator[Result]:
        return run_pool(workers, form_names, settings, chunks)

    return run

"""Phase two of a batch: decide which submission of each office is current, place outputs, and
stream every row into summary.json and 汇总.xlsx with the county totals and rule counts."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from xlcheck.filenames import name_key
from xlcheck.form.model import Form

from .aggregate import check_aggregate
from .collect import NO_TIME, Entry, Spool
from .offices import missing_offices, safe_filename
from .place import place_outputs
from .state import State
from .summary import SummaryBook, SummaryJson, relative

PASSED, FAILED, UNREADABLE, SUPERSEDED = "通过", "有错误", "无法读取", "已被新版本取代"
STATUSES = (PASSED, FAILED, UNREADABLE, SUPERSEDED)
MAX_CHANGED_SHOWN = 40
SKIPPED_KEYS = ("origin", "filename", "reason", "detail", "sender", "subject", "date")
DUPLICATE_KEYS = ("office", "duplicate_of")  # in summary.json for a duplicate only
DUPLICATE = "duplicate"  # the skipped reason of a later copy of a submission
DUPLICATE_TEXT = {  # (zh, en); "same": the very input given twice, "copy": the same bytes elsewhere
    "same": (
        "「{office}」：同一文件重复给出，只计一次",
        "“{office}”: the same file given twice; counted once",
    ),
    "copy": (
        "「{office}」重复报送：与「{original}」内容相同，只计一次",
        "duplicate from “{office}”: same content as “{original}”; counted once",
    ),
}


@dataclass
class Plan:
    """How the finishing pass runs: where outputs go, and what it found so far."""

    form: Form
    out_dir: Path
    store: Path | None
    drafts: bool
    lang: str
    roster: list[tuple[str, str | None]] | None
    roster_keys: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    rule_counts: Counter[str] = field(default_factory=Counter)
    reported: set[str] = field(default_factory=set)
    state: State | None = None  # the re-run state: records the files placed
    rows: list[dict[str, Any]] = field(default_factory=list)
    folders: sqlite3.Connection | None = None  # office key -> folder, see office_folder


def status_of(outcome: Mapping[str, Any], current: bool) -> str:
    if not outcome["readable"]:
        return UNREADABLE
    if not current:
        return SUPERSEDED
    return PASSED if outcome["valid"] else FAILED


REPORT_ROWS = 1000


def run_finish(plan: Plan, spool: Spool, json_fh: IO[bytes], xlsx_fh: IO[bytes]) -> None:
    """One pass over the spool in row order, writing both summaries as it goes."""
    spool.db.execute(
        "CREATE TABLE office_folder (key TEXT PRIMARY KEY, folder TEXT, folded TEXT UNIQUE)"
    )
    plan.folders = spool.db
    book = SummaryBook(xlsx_fh)
    summary = SummaryJson(json_fh, {"form": plan.form.id, "form_version": plan.form.form_version})
    for row in rows_of(plan, spool):
        book.add_row({**row, "changed": _changed_refs(row.get("changed"))})
        summary.add_row(row)
        if len(plan.rows) < REPORT_ROWS:  # the full list is in summary.json; memory stays flat
            plan.rows.append(_slim(row))
    total = spool.total  # every valid report, less the superseded ones (rows_of): the passed ones
    totals = total.values()
    failures = check_aggregate(plan.form, totals)
    missing = missing_offices(plan.roster, plan.reported) if plan.roster is not None else None
    book.finish(
        plan.form, totals, failures, total.count, plan.rule_counts, missing, spool.skipped()
    )
    summary.finish(_tail(plan, totals, failures, total.count, missing, spool.skipped()))


def rows_of(plan: Plan, spool: Spool) -> Iterator[dict[str, Any]]:
    """Rows in order; changed cells against the same office's previous submission.

    Collect added every valid report to the county total; a superseded one is taken back here.
    Values are decoded only for those and for offices that sent more than one submission.
    """
    previous = Entry(-1, -1, None, None, NO_TIME)  # no office: matches none
    previous_values: dict[str, Any] | None = None  # when decoded
    for entry, current in spool.ordered():
        record = spool.read(entry)
        if entry.original is not None:
            skip_duplicate(plan, spool, entry, record)
            continue
        row = make_row(plan, record, current)
        values = None
        if entry.office_key is not None and entry.office_key == previous.office_key:
            if previous_values is None:
                previous_values = spool.values(previous)
            values = spool.values(entry)
            row["changed"] = changed_cells(plan.form, previous_values, values)
        if row["status"] == SUPERSEDED and record["outcome"]["valid"]:
            if values is None:
                values = spool.values(entry)
            spool.total.remove(values)
        previous, previous_values = entry, values
        yield row


def skip_duplicate(plan: Plan, spool: Spool, entry: Entry, record: dict[str, Any]) -> None:
    """A later copy of a submission: no row, no outputs, out of the totals; listed once among
    the files that are no submission of their own, naming the copy it repeats."""
    assert entry.original is not None
    original = spool.read(spool.entry(entry.original))
    outcome = record["outcome"]
    if outcome["readable"] and outcome["valid"]:  # collect summed every valid report
        spool.total.remove(spool.values(entry))
    same = original["origin"] == record["origin"]
    zh, en = DUPLICATE_TEXT["same" if same else "copy"]
    office = outcome["office"] or record["filename"]
    text = (en if plan.lang == "en" else zh).format(office=office, original=original["origin"])
    detail = f"same content as {original['origin']}" + (" (the same input)" if same else "")
    keys = ("seq", "origin", "filename", "sender", "subject", "date")
    skipped = {k: record.get(k) for k in keys} | {"reason": DUPLICATE, "detail": detail}
    skipped |= {"office": outcome["office"], "duplicate_of": original["origin"], "text": text}
    spool.add_skipped(skipped, duplicate=True)


def make_row(plan: Plan, record: dict[str, Any], current: bool) -> dict[str, Any]:
    outcome = record["outcome"]
    status = status_of(outcome, current)
    plan.counts[status] += 1
    row = {k: record.get(k) for k in ("seq", "origin", "filename", "sender", "subject", "date")}
    row.update({k: outcome.get(k) for k in ("office", "credit_code", "year", "errors", "warnings")})
    row.update({"status": status, "rules": outcome["rules"], "messages": outcome["messages"]})
    row.update({"sha256": outcome.get("sha256"), "problems": outcome.get("problems", [])})
    row["outputs"] = {}
    if outcome["readable"]:
        if plan.roster is not None:  # only roster offices are remembered: memory stays flat
            keys = (outcome["office_key"], f"name:{outcome['office']}")
            plan.reported.update(k for k in keys if k in plan.roster_keys)
        if current:
            plan.rule_counts.update(outcome["rules"])
        if plan.store is not None:
            row["outputs"] = _place(plan, record, current)
    return row


def _place(plan: Plan, record: dict[str, Any], current: bool) -> dict[str, str]:
    assert plan.store is not None
    outcome = record["outcome"]
    folder = plan.out_dir / office_folder(plan, outcome["office_key"], outcome["office"])
    placed = place_outputs(record, folder, plan.store, current, plan.drafts)
    rels = {kind: relative(path, plan.out_dir) for kind, path in placed.items()}
    if plan.state is not None:
        plan.state.place(rels.values())
    return rels


def office_folder(plan: Plan, key: str, name: str) -> str:
    """A folder per office; two offices with the same name get distinct folders, and so do two
    whose names differ only in case (one folder on Windows and macOS).

    The names are kept in the spool's SQLite database, not in memory (one row per office).
    """
    db = plan.folders
    assert db is not None, "run_finish sets the folder table"
    row = db.execute("SELECT folder FROM office_folder WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return str(row[0])
    base = safe_filename(name)
    folder, n = base, 2
    while db.execute(
        "SELECT 1 FROM office_folder WHERE folded = ?", (name_key(folder),)
    ).fetchone():
        folder, n = f"{base}-{n}", n + 1
    db.execute("INSERT INTO office_folder VALUES (?, ?, ?)", (key, folder, name_key(folder)))
    return folder


def changed_cells(
    form: Form, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Fields whose value differs from the previous submission, with their sheet and cell."""
    changes = []
    for key, f in form.fields.items():
        old, new = before.get(key), after.get(key)
        if old != new:
            where = f"{form.sheet(f.sheet).name}!{f.cell}"
            changes.append({"key": key, "cell": where, "before": old, "after": new})
    return changes


def _changed_refs(changes: list[dict[str, Any]] | None) -> str | None:
    if changes is None:
        return None
    if not changes:
        return "无变化"
    refs = [c["cell"] for c in changes[:MAX_CHANGED_SHOWN]]
    more = f" 等 {len(changes)} 处" if len(changes) > MAX_CHANGED_SHOWN else ""
    return "、".join(refs) + more


def _slim(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "office",
        "status",
        "errors",
        "warnings",
        "rules",
        "origin",
        "sender",
        "date",
        "outputs",
    )
    return {k: row.get(k) for k in keys}


def _tail(
    plan: Plan,
    totals: Mapping[str, Any],
    failures: list[Any],
    reported: int,
    missing: list[tuple[str, str | None]] | None,
    skipped: Iterator[dict[str, Any]],
) -> dict[str, Any]:
    """What follows the rows in summary.json; `skipped` is streamed (SummaryJson.finish)."""
    return {
        "counts": {s: plan.counts.get(s, 0) for s in STATUSES},
        "rule_counts": dict(sorted(plan.rule_counts.items())),
        "aggregate": {
            "reports": reported,
            "rules_hold": not failures,
            "failures": [f.to_dict(plan.lang) for f in failures],
            "values": dict(totals),
        },
        "not_reported": None
        if missing is None
        else [{"name": n, "credit_code": c} for n, c in missing],
        "skipped": (_skipped_item(s) for s in skipped),
    }


def _skipped_item(record: Mapping[str, Any]) -> dict[str, Any]:
    item = {k: record.get(k) for k in SKIPPED_KEYS}
    if record.get("reason") == DUPLICATE:
        item.update({k: record.get(k) for k in DUPLICATE_KEYS})
    return item

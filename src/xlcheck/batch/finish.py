"""Phase two of a batch: decide which submission of each office is current, place outputs, and
stream every row into summary.json and 汇总.xlsx with the county totals and rule counts."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from xlcheck.filenames import name_key
from xlcheck.form.model import Form, Lang

from .aggregate import Aggregate, check_aggregate
from .collect import NO_TIME, Entry, FormIdent, Spool
from .offices import missing_offices, safe_filename
from .place import place_outputs
from .records import Ignored, Outcome, Record
from .state import State
from .summary import FormSection, SummaryBook, SummaryJson, relative

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
    """How the finishing pass runs: where outputs go, and what it found so far.

    `forms` are the batch's forms by (id, version), newest first; `primary` is the one a batch
    without any readable submission shows (the --form one, or the default).
    """

    forms: dict[FormIdent, Form]
    out_dir: Path
    store: Path | None
    drafts: bool
    lang: str
    roster: list[tuple[str, str | None]] | None
    roster_keys: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    rule_counts: dict[FormIdent, Counter[str]] = field(default_factory=dict)  # per form
    reported: set[str] = field(default_factory=set)
    state: State | None = None  # the re-run state: records the files placed
    rows: list[dict[str, Any]] = field(default_factory=list)
    folders: sqlite3.Connection | None = None  # office key -> folder, see office_folder

    @property
    def primary(self) -> Form:
        return next(iter(self.forms.values()))


def status_of(outcome: Outcome, current: bool) -> str:
    if not outcome.readable:
        return UNREADABLE
    if not current:
        return SUPERSEDED
    return PASSED if outcome.valid else FAILED


REPORT_ROWS = 1000


def shown_forms(plan: Plan, spool: Spool) -> list[Form]:
    """The forms that get a 合计 and a 规则: those some readable submission was in, newest
    first; the primary form when there is none (an empty or unreadable inbox)."""
    return [f for ident, f in plan.forms.items() if ident in spool.seen] or [plan.primary]


def run_finish(plan: Plan, spool: Spool, json_fh: IO[bytes], xlsx_fh: IO[bytes]) -> None:
    """One pass over the spool in row order, writing both summaries as it goes."""
    spool.db.execute(
        "CREATE TABLE office_folder (key TEXT PRIMARY KEY, folder TEXT, folded TEXT UNIQUE)"
    )
    plan.folders = spool.db
    forms = shown_forms(plan, spool)
    book = SummaryBook(xlsx_fh)
    summary = SummaryJson(json_fh, _head(forms))
    for row in rows_of(plan, spool):
        shown = row["form_version"] if row["status"] != UNREADABLE else None
        book.add_row({**row, "changed": _changed_refs(row), "form_version": shown})
        summary.add_row(row)
        if len(plan.rows) < REPORT_ROWS:  # the full list is in summary.json; memory stays flat
            plan.rows.append(_slim(row))
    sections = [_section(plan, spool, form, forms) for form in forms]
    missing = missing_offices(plan.roster, plan.reported) if plan.roster is not None else None
    book.finish(sections, missing, (ignored.to_json() for ignored in spool.skipped()))
    summary.finish(_tail(plan, sections, missing, spool.skipped()))


def _head(forms: list[Form]) -> dict[str, Any]:
    """summary.json's first keys: the forms; form and form_version as before when only one."""
    listed = [{"form": f.id, "form_version": f.form_version} for f in forms]
    return ({**listed[0]} if len(forms) == 1 else {}) | {"forms": listed}


def _section(plan: Plan, spool: Spool, form: Form, forms: list[Form]) -> FormSection:
    """One form's totals: every valid report in it less the superseded ones (see rows_of)."""
    ident = (form.id, form.form_version)
    total = spool.totals.get(ident) or Aggregate(form)
    values = total.values()
    return FormSection(
        form=form,
        values=values,
        failures=check_aggregate(form, values),
        reports=total.count,
        rule_counts=plan.rule_counts.get(ident, Counter()),
        others=tuple(f.form_version for f in forms if f is not form),
    )


def rows_of(plan: Plan, spool: Spool) -> Iterator[dict[str, Any]]:
    """Rows in order; changed cells against the same office's previous submission.

    Collect added every valid report to its form's county total; a superseded one is taken back
    here. Values are decoded only for those and for offices that sent more than one submission.
    """
    previous = Entry(-1, -1, None, None, NO_TIME)  # no office: matches none
    previous_form: FormIdent | None = None
    previous_values: dict[str, Any] | None = None  # when decoded
    for entry, current in spool.ordered():
        record = spool.read(entry)
        outcome = record.outcome
        if entry.original is not None:
            skip_duplicate(plan, spool, entry, record)
            continue
        row = make_row(plan, record, current)
        values = None
        if entry.office_key is not None and entry.office_key == previous.office_key:
            if previous_form != outcome.form_ident:  # cells of two formats do not compare
                row["changed_format"] = previous_form[1] if previous_form else None
            else:
                if previous_values is None:
                    previous_values = spool.values(previous)
                values = spool.values(entry)
                form = spool.forms[outcome.form_ident] if outcome.form_ident else plan.primary
                row["changed"] = changed_cells(form, previous_values, values)
        if row["status"] == SUPERSEDED and outcome.valid:
            if values is None:
                values = spool.values(entry)
            spool.total(outcome).remove(values)
        previous, previous_form, previous_values = entry, outcome.form_ident, values
        yield row


def skip_duplicate(plan: Plan, spool: Spool, entry: Entry, record: Record) -> None:
    """A later copy of a submission: no row, no outputs, out of the totals; listed once among
    the files that are no submission of their own, naming the copy it repeats."""
    assert entry.original is not None
    original = spool.read(spool.entry(entry.original)).envelope
    outcome, envelope = record.outcome, record.envelope
    if outcome.readable and outcome.valid:  # collect summed every valid report
        spool.total(outcome).remove(spool.values(entry))
    same = original.origin == envelope.origin
    zh, en = DUPLICATE_TEXT["same" if same else "copy"]
    office = outcome.office or envelope.filename
    text = (en if plan.lang == "en" else zh).format(office=office, original=original.origin)
    detail = f"same content as {original.origin}" + (" (the same input)" if same else "")
    ignored = Ignored(envelope, DUPLICATE, detail, outcome.office, original.origin, text)
    spool.add_skipped(ignored, duplicate=True)


def make_row(plan: Plan, record: Record, current: bool) -> dict[str, Any]:
    outcome, envelope = record.outcome, record.envelope
    status = status_of(outcome, current)
    plan.counts[status] += 1
    data = envelope.to_json()
    # sender_name and message_id: what `mail send --acceptance` needs to answer the e-mail
    row_keys = (
        "seq",
        "origin",
        "filename",
        "sender",
        "sender_name",
        "subject",
        "message_id",
        "date",
    )
    row = {k: data[k] for k in row_keys}
    row.update(
        office=outcome.office,
        credit_code=outcome.credit_code,
        year=outcome.year,
        form_version=outcome.form_version,
        errors=outcome.errors,
        warnings=outcome.warnings,
        explained=outcome.explained,
    )
    row.update({"status": status, "rules": list(outcome.rules), "messages": list(outcome.messages)})
    row.update({"sha256": outcome.sha256, "problems": list(outcome.problems)})
    row["outputs"] = {}
    if outcome.readable:
        if plan.roster is not None:  # only roster offices are remembered: memory stays flat
            keys = (outcome.office_key, f"name:{outcome.office}")
            plan.reported.update(k for k in keys if k in plan.roster_keys)
        if current and outcome.form_ident is not None:
            plan.rule_counts.setdefault(outcome.form_ident, Counter()).update(outcome.rules)
        if plan.store is not None:
            row["outputs"] = _place(plan, record, current)
    return row


def _place(plan: Plan, record: Record, current: bool) -> dict[str, str]:
    assert plan.store is not None
    outcome = record.outcome
    assert outcome.office_key is not None and outcome.office is not None
    folder = plan.out_dir / office_folder(plan, outcome.office_key, outcome.office)
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


def _changed_refs(row: Mapping[str, Any]) -> str | None:
    if "changed_format" in row:
        now = row.get("form_version")
        return f"格式由 {row['changed_format']} 改为 {now}，不逐格比较"
    changes = row.get("changed")
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
        "explained",
        "rules",
        "origin",
        "sender",
        "date",
        "outputs",
    )
    return {k: row.get(k) for k in keys}


def _tail(
    plan: Plan,
    sections: list[FormSection],
    missing: list[tuple[str, str | None]] | None,
    skipped: Iterator[Ignored],
) -> dict[str, Any]:
    """What follows the rows in summary.json; `skipped` is streamed (SummaryJson.finish).

    `totals` has one entry per form; with only one form, `rule_counts` and `aggregate` are its
    own, as before the batch knew several forms (a mixed batch has no single county total).
    """
    tail: dict[str, Any] = {"counts": {s: plan.counts.get(s, 0) for s in STATUSES}}
    totals = [_totals_item(plan, section) for section in sections]
    if len(sections) == 1:
        tail["rule_counts"] = totals[0]["rule_counts"]
        tail["aggregate"] = {
            k: totals[0][k] for k in ("reports", "rules_hold", "failures", "values")
        }
    tail["totals"] = totals
    tail["not_reported"] = (
        None if missing is None else [{"name": n, "credit_code": c} for n, c in missing]
    )
    tail["skipped"] = (_skipped_item(s) for s in skipped)
    return tail


def _totals_item(plan: Plan, section: FormSection) -> dict[str, Any]:
    return {
        "form": section.form.id,
        "form_version": section.form.form_version,
        "reports": section.reports,
        "rules_hold": not section.failures,
        "failures": [f.to_dict(cast(Lang, plan.lang)) for f in section.failures],
        "values": dict(section.values),
        "rule_counts": dict(sorted(section.rule_counts.items())),
    }


def _skipped_item(ignored: Ignored) -> dict[str, Any]:
    record = ignored.to_json()
    item = {k: record[k] for k in SKIPPED_KEYS}
    if ignored.reason == DUPLICATE:
        item.update({k: record[k] for k in DUPLICATE_KEYS})
    return item

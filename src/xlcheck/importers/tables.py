"""Recognise a form's published tables by their labels (never by position) and read their values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlcheck.codes import detail, make_finding, render
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Text
from xlcheck.importers.audit import PrintedTotal, printed_total_rules
from xlcheck.importers.labels import RowKey, names_row_normed, table_labels
from xlcheck.importers.layouts import join_split_numbers
from xlcheck.importers.model import MAX_SPAN, Cell, Reading, Row, unreadable, zh_place
from xlcheck.importers.norm import norm, read_field_value, read_value

MIN_SCORE = 2  # labels a block must show before it counts as part of a table


@dataclass
class Sink:
    """What reading the tables produced: values by key, readings, findings, labels seen."""

    values: dict[str, Any] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    blanks: list[Reading] = field(default_factory=list)  # blank cells: 0 only if totals confirm

    def see(self, label: str) -> None:
        if label not in self.labels:
            self.labels.append(label)


def classify_blocks(form: Form, rows: list[Row]) -> dict[str, list[list[Row]]]:
    """Group rows into blocks and give each block to the table whose labels it shows most
    (the first declared of equals); by sheet id, in the declared order of the tables."""
    blocks: dict[int, list[Row]] = {}
    for row in rows:
        blocks.setdefault(row.block, []).append(row)
    labels = {t.sheet: table_labels(form, t) for t in form.published.tables}
    out: dict[str, list[list[Row]]] = {sheet: [] for sheet in labels}
    if not labels:
        return out
    for block in blocks.values():
        texts = [norm(c.text) for r in block for c in r.cells if c.origin]
        scores = {t: sum(1 for x in texts if x in labels[t]) for t in labels}
        best = max(labels, key=lambda t: scores[t])
        if scores[best] >= MIN_SCORE:
            out[best].append(block)
    return out


def merge_value_rows(rows: list[Row]) -> list[Row]:
    """A row of values only (one cell per line, a data row under its header) joins the row above,
    up to MAX_SPAN cells; built in one pass (rows of a million value lines stay linear)."""
    out: list[tuple[list[Cell], str, int, bool]] = []  # cells, place, block, has values
    for row in rows:
        values_only = all(read_value(c.text).kind != "text" for c in row.cells)
        if out and values_only and len(out[-1][0]) + len(row.cells) <= MAX_SPAN:
            cells, place, block, has_values = out[-1]
            cells.extend(row.cells)
            place = place if has_values else row.place  # where the values start
            filled = any(c.origin and c.text.strip() for c in row.cells)
            out[-1] = (cells, place, block, has_values or filled)
        else:
            out.append((list(row.cells), row.place, row.block, bool(value_cells(row))))
    return [Row(tuple(cells), place, block) for cells, place, block, _ in out]


def label_index(row: Row) -> int:
    """Index of the last non-value cell: values are what follows it."""
    found = -1
    for index, cell in enumerate(row.cells):
        if read_value(cell.text).kind == "text":
            found = index
    return found


def value_cells(row: Row) -> list[tuple[int, Cell]]:
    """The cells after the label, blank ones at either end left out."""
    cells = value_slots(row)
    while cells and not cells[0][1].text.strip():
        cells.pop(0)
    while cells and not cells[-1][1].text.strip():
        cells.pop()
    return cells


Columns = dict[tuple[int, int], tuple[int, ...]]
Check = Callable[[list[Cell | None]], bool]


def align(
    row: Row, count: int, usual: Columns, holds: Check | None = None
) -> list[Cell | None] | None:
    """The row's `count` value cells in column order, blank cells included; None when which column
    each value belongs to is not certain (never a number in the wrong column). Blanks at a row's
    ends may be values left blank or padding: a row with a cell for every column is placed by
    position; one with fewer by the columns complete rows of the table use, when its totals
    (`holds`, blanks as 0) confirm it."""
    trimmed = [c for _, c in value_cells(row)]
    filled = [c for c in trimmed if c.text.strip()]
    if len(filled) == count:
        return list(filled)  # blanks between them were spans or padding
    if len(filled) > count:
        return None  # more values than columns: a split number is joined only by its totals
    slots = value_slots(row)
    if not slots:
        return [None] * count  # a label with nothing after it: each value unreadable (A06)
    if len(slots) == count:
        return [c for _, c in slots]
    if len(trimmed) == count:
        return list(trimmed)
    columns = usual.get((count, label_index(row)))
    if columns is not None and {i for i, c in slots if c.text.strip()} <= set(columns):
        by_index = dict(slots)
        placed: list[Cell | None] = [by_index.get(i, Cell("")) for i in columns]
        return placed if holds is not None and holds(placed) else None
    # Nothing printed in the row: every value blank, read as 0 only where the totals confirm it.
    return None if filled else [Cell("")] * count


def value_slots(row: Row) -> list[tuple[int, Cell]]:
    """Every cell after the label, blank or not (a merged cell counts once)."""
    start = label_index(row)
    return [(i, c) for i, c in enumerate(row.cells) if c.origin and i > start]


def usual_columns(rows: list[tuple[Row, int]]) -> Columns:
    """For rows of `count` values whose label ends at the same cell: the cell indexes that complete
    rows (every value printed) put their values in, the most common layout."""
    seen: dict[tuple[int, int], Counter[tuple[int, ...]]] = {}
    for row, count in rows:
        cells = value_cells(row)
        if len(cells) == count and all(c.text.strip() for _, c in cells):
            key = (count, label_index(row))
            seen.setdefault(key, Counter())[tuple(i for i, _ in cells)] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in seen.items()}


def store(
    form: Form,
    sink: Sink,
    keys: tuple[str, ...],
    cells: list[Cell | None],
    place: str,
    note: str = "",
    units: dict[str, str | None] | None = None,
) -> None:
    """Each cell read as its field's type: a number is stored with how it was read; a blank waits
    for the totals; a bare amount whose unit nothing names is A10; anything else A06."""
    marks = []
    for key, cell in zip(keys, cells, strict=True):
        raw = cell.text if cell else ""
        value = read_field_value(form.fields[key], raw, (units or {}).get(key))
        if cell is not None and value.kind == "blank":
            sink.blanks.append(Reading(key, raw, place, note))
        elif value.kind == "no_unit":
            sink.findings.append(unit_missing(form, key, raw, place))
        elif value.kind in ("number", "zero_mark"):
            sink.values[key] = value.number
            sink.readings.append(
                Reading(key, raw, place, "；".join(x for x in (value.note, note) if x))
            )
            if value.kind == "zero_mark":
                marks.append(raw)
        else:
            sink.findings.append(unreadable(form, key, raw, place))
    if marks:
        sink.findings.append(zero_mark_finding(marks, place))


def place_row(
    form: Form,
    sink: Sink,
    row: Row,
    keys: tuple[str, ...],
    label: str | Text,
    usual: Columns,
    units: dict[str, str | None] | None = None,
    note: str = "",
    totals: list[PrintedTotal] | None = None,
) -> None:
    """Store a row whose columns are certain; a number split across lines only when the row's
    totals confirm the one way of joining it (A41); otherwise nothing of the row and A40.
    `totals`: the form's printed totals, when the caller places many rows."""
    holds = row_check(form, keys, totals)
    cells = align(row, len(keys), usual, holds)
    if cells is not None:
        store(form, sink, keys, cells, row.place, note, units)
        return
    filled = [c for _, c in value_cells(row) if c.text.strip()]
    joined = join_split_numbers(filled, len(keys), holds)
    if joined is None:
        sink.findings.append(unplaced(row.place, label, len(filled), len(keys)))
        return
    shown = "、".join(f"「{a}」「{b}」" for a, b in joined[1])
    store(form, sink, keys, list(joined[0]), row.place, f"{shown}跨行断开，合计相符，已合并", units)
    for a, b in joined[1]:
        sink.findings.append(split_number(row.place, label, a, b))


def row_check(
    form: Form, keys: tuple[str, ...], printed: list[PrintedTotal] | None = None
) -> Check | None:
    """Whether a row's cells (in `keys` order, blanks as 0) satisfy every printed total that lies
    within the row; None when no total does (nothing can confirm a placement)."""
    within = set(keys)
    totals = [t for t in printed or printed_total_rules(form) if within.issuperset(t.keys)]
    if not totals:
        return None

    def holds(cells: list[Cell | None]) -> bool:
        values: dict[str, int | float] = {}
        for key, cell in zip(keys, cells, strict=True):
            value = read_field_value(form.fields[key], cell.text if cell else "")
            if value.kind not in ("number", "zero_mark", "blank"):
                return False
            values[key] = value.number or 0
        return all(values[t.target] == t.computed(values) for t in totals)

    return holds


def unplaced(place: str, row: str | Text, found: int, expected: int) -> Finding:
    """A40: a row whose values cannot be placed in their columns with certainty; none is read."""
    label = row.zh if isinstance(row, Text) else row
    values = {"place": place, "row": label, "found": found, "expected": expected}
    shown = Text(zh_place(place), place)
    return make_finding("A40", values=values, place=shown, row=row, found=found, expected=expected)


def split_number(place: str, row: str | Text, head: str, tail: str) -> Finding:
    """A41: a number split across two lines, joined because the row's totals confirm it."""
    label = row.zh if isinstance(row, Text) else row
    values = {"place": place, "row": label, "head": head, "tail": tail, "joined": head + tail}
    shown = Text(zh_place(place), place)
    return make_finding(
        "A41", values=values, place=shown, row=row, head=head, tail=tail, joined=head + tail
    )


def unit_missing(form: Form, key: str, raw: str, place: str) -> Finding:
    """A10: an amount printed as a bare number under a header that names no unit."""
    shown = Text(zh_place(place), place)
    values = {"place": place, "raw": raw}
    return make_finding("A10", form=form, key=key, raw=raw, place=shown, values=values)


def zero_mark_finding(marks: list[str], place: str) -> Finding:
    shown = "、".join(sorted(set(marks)))
    return layout_finding("zero_mark", place, marks=shown)


def table_name(form: Form, sheet_id: str) -> Text:
    sheet = form.sheet(sheet_id)
    if not sheet.heading:
        return sheet.short
    return Text(f"{sheet.short.zh}「{sheet.heading}」", f"{sheet.short.en} “{sheet.heading}”")


def layout_finding(
    kind: str, place: str, values: dict[str, str] | None = None, **params: str | int | Text
) -> Finding:
    """A08 worded by codes.DETAILS[kind]; the place reads 第 42 行 in Chinese, line 42 in English."""
    text = detail(kind, place=Text(zh_place(place), place), **params)
    data = {"place": place, "defect": kind, **(values or {})}
    return make_finding("A08", detail=text, values=data)


def find_rows(rows: list[Row], keys: list[RowKey]) -> dict[int, tuple[Row, RowKey]]:
    """Row index → (row, RowKey) for rows naming a data row in any of their cells."""
    found: dict[int, tuple[Row, RowKey]] = {}
    taken: set[tuple[str, ...]] = set()
    for index, row in enumerate(rows):
        texts = [norm(c.text) for c in row.cells]  # once per cell, not once per cell and key
        for key in keys:
            if key.keys not in taken and any(names_row_normed(t, key) for t in texts):
                found[index] = (row, key)
                taken.add(key.keys)
                break
    return found


def read_rows(
    form: Form,
    sink: Sink,
    rows: list[Row],
    keys: list[RowKey],
    units: dict[str, str | None] | None = None,
) -> dict[int, tuple[Row, RowKey]]:
    found = find_rows(rows, keys)
    usual = usual_columns([(row, len(key.keys)) for row, key in found.values()])
    totals = list(printed_total_rules(form))
    for row, key in found.values():
        sink.see(key.label)
        place_row(form, sink, row, key.keys, key.label, usual, units, totals=totals)
    missing = [k for k in keys if k.keys not in {key.keys for _, key in found.values()}]
    for key in missing:
        for field_key in key.keys:
            sink.findings.append(unreadable(form, field_key, "", "—"))
    return found


def see_legacy(form: Form, sink: Sink, rows: list[Row]) -> None:
    """2019-format labels: C09 under rule W10, once per label, with the first place seen."""
    rule = next((r for r in form.rules if r.kind == "legacy_labels"), None)
    texts = [(r.place, norm(c.text)) for r in rows for c in r.cells]
    for label in form.legacy_labels:
        key = norm(label)
        place = next((place for place, text in texts if key in text), None)
        if place is None:
            continue
        sink.see(label)
        if rule is not None:
            message = Text(
                render(rule.message.zh, {"label": label}), render(rule.message.en, {"label": label})
            )
            base = make_finding("C09", rule=rule.id, severity=rule.severity)
            sink.findings.append(
                Finding(
                    code="C09",
                    severity=rule.severity,
                    message=message,
                    rule=rule.id,
                    instance=rule.instance,
                    pointer=base.pointer,
                    values={"label": label, "place": place},
                )
            )


def shifted_rows(found: dict[int, tuple[Row, RowKey]]) -> list[Finding]:
    """Rows whose values start closer to their label than in the other rows whose label starts in
    the same column of the official table.

    Measured from the row's own label, not from the row's first cell: a row under a rowspan cell
    (a band label spanning the rows of its items) comes out of a copied web page without the cells the
    rowspan covers, so its label and its values both start further left, and nothing moved."""
    offsets: dict[int, list[tuple[Row, RowKey, int]]] = {}
    for row, key in found.values():
        cells = value_cells(row)
        # A row with blank values does not show where its values start: it is left out.
        if len(cells) >= len(key.keys) and all(c.text.strip() for _, c in cells):
            offset = cells[0][0] - label_index(row)
            offsets.setdefault(key.start_col, []).append((row, key, offset))
    out = []
    for group in offsets.values():
        usual = Counter(offset for _, _, offset in group).most_common(1)[0][0]
        for row, key, offset in group:
            if offset < usual:
                out.append(
                    layout_finding(
                        "shifted_left",
                        row.place,
                        {"row": key.label},
                        row=key.label,
                        columns=usual - offset,
                    )
                )
    return out

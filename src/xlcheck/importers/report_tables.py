"""The tables of a published report as the form declares them (`form.published.tables`): each
read by its row labels or as one row under its header, then its declared layout checks."""

from __future__ import annotations

import re

from xlcheck.cells import parse_cell, parse_range
from xlcheck.codes import make_finding
from xlcheck.form.model import Form, PublishedTable
from xlcheck.form.published import one_row_keys
from xlcheck.importers.labels import RowKey, header_position, names_row_normed, row_keys
from xlcheck.importers.layouts import join_wrapped_labels
from xlcheck.importers.model import Row, unreadable
from xlcheck.importers.norm import norm, unit_named
from xlcheck.importers.tables import (
    Sink,
    classify_blocks,
    label_index,
    layout_finding,
    merge_value_rows,
    place_row,
    read_rows,
    see_legacy,
    shifted_rows,
    table_name,
    value_cells,
)

_HALF_WIDTH = re.compile(r"\([一二三四五六七八九十]\)")
Found = dict[int, tuple[Row, RowKey]]


def read_tables(form: Form, rows: list[Row]) -> Sink:
    sink = Sink()
    see_legacy(form, sink, rows)
    blocks = classify_blocks(form, rows)
    for table in form.published.tables:
        if not blocks[table.sheet]:
            sink.findings.append(
                make_finding(
                    "A07", table=table_name(form, table.sheet), values={"place": "document"}
                )
            )
            continue
        see_labels(form, sink, table, blocks[table.sheet])
        read_table(form, sink, table, blocks[table.sheet])
    return sink


def see_labels(form: Form, sink: Sink, table: PublishedTable, blocks: list[list[Row]]) -> None:
    """The sheet's labels the table shows, as printed or in another declared spelling."""
    texts = {norm(c.text) for block in blocks for r in block for c in r.cells}
    for lab in form.sheet(table.sheet).labels:
        spellings = (lab.text, *table.aliases.get(lab.text, ()))
        if any(norm(text) in texts for text in spellings):
            sink.see(lab.text)


def read_table(form: Form, sink: Sink, table: PublishedTable, blocks: list[list[Row]]) -> None:
    rows = merge_value_rows([r for block in blocks for r in block])
    found: Found = {}
    if table.read == "one_row":
        read_one_row(form, sink, table, rows)
    else:
        keys = readable_keys(form, sink, table, rows)
        rows = join_wrapped_labels(rows, lambda text: any(names_row_normed(text, k) for k in keys))
        found = read_rows(form, sink, rows, keys, amount_units(form, table, rows))
    check_layout(form, sink, table, blocks, rows, found)


def readable_keys(form: Form, sink: Sink, table: PublishedTable, rows: list[Row]) -> list[RowKey]:
    """The table's rows, less those whose columns another layout's headings stand in for: each of
    their fields gets A06 (the numbers under those headings mean something else)."""
    keys = row_keys(form, table)
    texts = {norm(c.text) for r in rows for c in r.cells}
    for foreign in table.foreign_columns:
        if not any(norm(label) in texts for label in foreign.labels):
            continue
        replaced = {
            k
            for k in form.sheet(table.sheet).field_keys
            if column_label(form, k) in foreign.replace
        }
        for key in [k for k in keys if replaced & set(k.keys)]:
            keys.remove(key)
            for field_key in key.keys:
                sink.findings.append(unreadable(form, field_key, foreign.source, rows[0].place))
    return keys


def column_label(form: Form, key: str) -> str | None:
    label = form.fields[key].col_label
    return label.zh if label else None


def check_layout(
    form: Form,
    sink: Sink,
    table: PublishedTable,
    blocks: list[list[Row]],
    rows: list[Row],
    found: Found,
) -> None:
    """The declared layout defects of one table, each an A08."""
    short = form.sheet(table.sheet).short
    if "table_split" in table.checks and len(blocks) > 1:
        place = blocks[1][0].place
        sink.findings.append(layout_finding("table_split", place, table=short, parts=len(blocks)))
    if table.total_beside is not None:
        first = min(found) if found else len(rows)
        total, group = norm(table.total_beside.total), norm(table.total_beside.group)
        for row in rows[:first]:
            texts = [norm(c.text) for c in row.cells if c.origin]
            if group in texts and total in texts:
                sink.findings.append(
                    layout_finding(
                        "total_beside_applicants",
                        row.place,
                        table=short,
                        total=table.total_beside.total,
                        group=table.total_beside.group,
                    )
                )
    if "half_width_brackets" in table.checks:
        half = next((r.place for r in rows for c in r.cells if _HALF_WIDTH.search(c.text)), None)
        if half:
            sink.findings.append(layout_finding("half_width_brackets", half, table=short))
    if "shifted_left" in table.checks:
        sink.findings.extend(shifted_rows(found))


def one_row_order(form: Form, table: PublishedTable, header: str) -> tuple[list[str], str]:
    """Field keys of a one-row table in the order its header shows them, and a note on how."""
    entries = one_row_keys(form.sheet(table.sheet), form.fields)
    blocks = list(dict.fromkeys(block for _, block, _ in entries))
    columns = list(dict.fromkeys(column for _, _, column in entries))
    block_pos = {b: header_position(header, b, table) for b in blocks}
    col_pos = {c: header_position(header, c, table) for c in columns}
    note = "按表头识别的列顺序读取"
    if min(block_pos.values()) < 0 or min(col_pos.values()) < 0:
        note = f"表头无法识别，按规范顺序读取 {len(entries)} 个数字"
    else:
        blocks.sort(key=lambda b: block_pos[b])
        columns.sort(key=lambda c: col_pos[c])
    by_place = {(block, column): key for key, block, column in entries}
    return [by_place[(b, c)] for b in blocks for c in columns if (b, c) in by_place], note


def read_one_row(form: Form, sink: Sink, table: PublishedTable, rows: list[Row]) -> None:
    data = max(range(len(rows)), key=lambda i: len(value_cells(rows[i])))
    cut = label_index(rows[data]) + 1
    header_cells = [c for r in rows[:data] for c in r.cells] + list(rows[data].cells[:cut])
    header = "".join(norm(c.text) for c in header_cells if c.origin)
    keys, note = one_row_order(form, table, header)
    row = rows[data]
    units = amount_units(form, table, rows)
    name = form.sheet(table.sheet).short
    place_row(form, sink, row, tuple(keys), name, {}, units, note)


def amount_units(form: Form, table: PublishedTable, rows: list[Row]) -> dict[str, str | None]:
    """The unit each amount column's header names: as the report prints it (金额（元）), else
    as the form's own header label does (金额（单位：万元）); None when neither names one."""
    sheet = form.sheet(table.sheet)
    texts = [norm(c.text) for r in rows for c in r.cells if c.origin]
    out: dict[str, str | None] = {}
    for key in sheet.field_keys:
        header = (
            column_header(form, table.sheet, key) if form.fields[key].type == "amount" else None
        )
        if header is None:
            continue
        stem = norm(re.split(r"[（(]", header)[0])
        printed = [unit_named(t[len(stem) :]) for t in texts if stem and t.startswith(stem)]
        out[key] = next((u for u in printed if u), None) or unit_named(header)
    return out


def column_header(form: Form, sheet_id: str, key: str) -> str | None:
    """The form's header label nearest above a field's cell, over its column."""
    row, col = parse_cell(form.fields[key].cell)
    best: tuple[int, str] | None = None
    for lab in form.sheet(sheet_id).labels:
        r1, c1, r2, c2 = parse_range(lab.range if ":" in lab.range else f"{lab.range}:{lab.range}")
        if lab.role == "header" and c1 <= col <= c2 and r2 < row and (best is None or r2 > best[0]):
            best = (r2, lab.text)
    return best[1] if best else None

"""Tables 二, 三 and 四 of the official format: what is specific to each, on top of `tables`."""

from __future__ import annotations

import re
from collections.abc import Callable

from xlcheck.codes import make_finding
from xlcheck.form.model import Form
from xlcheck.importers.labels import TABLES, block_label, row_keys
from xlcheck.importers.model import Row, unreadable
from xlcheck.importers.norm import norm
from xlcheck.importers.tables import (
    Sink,
    classify_blocks,
    label_index,
    layout_finding,
    merge_value_rows,
    pick,
    read_rows,
    see_legacy,
    shifted_rows,
    store,
    table_name,
    value_cells,
)

_HALF_WIDTH = re.compile(r"\([一二三四五六七八九十]\)")
# 2019-format column headers of table 二's first band: their numbers mean something else.
_LEGACY_STOCK_COLUMNS = ("本年新制作数量", "本年新公开数量", "对外公开总数量")


def read_tables(form: Form, rows: list[Row]) -> Sink:
    sink = Sink()
    see_legacy(form, sink, rows)
    blocks = classify_blocks(form, rows)
    readers: dict[str, Callable[[Form, Sink, list[list[Row]]], None]] = {
        "t2": read_t2,
        "t3": read_t3,
        "t4": read_t4,
    }
    for table in TABLES:
        if not blocks[table]:
            sink.findings.append(
                make_finding("A07", table=table_name(form, table), values={"place": "document"})
            )
            continue
        see_labels(form, sink, table, blocks[table])
        readers[table](form, sink, blocks[table])
    return sink


def see_labels(form: Form, sink: Sink, table: str, blocks: list[list[Row]]) -> None:
    texts = {norm(c.text) for block in blocks for r in block for c in r.cells}
    for lab in form.sheet(table).labels:
        if norm(lab.text) in texts:
            sink.see(lab.text)


def read_t2(form: Form, sink: Sink, blocks: list[list[Row]]) -> None:
    rows = merge_value_rows([r for block in blocks for r in block])
    texts = {norm(c.text) for r in rows for c in r.cells}
    keys = row_keys(form, "t2")
    if any(norm(label) in texts for label in _LEGACY_STOCK_COLUMNS):
        stock = [k for k in keys if len(k.keys) > 1]
        keys = [k for k in keys if len(k.keys) == 1]
        for key in stock:
            for field_key in key.keys:
                sink.findings.append(unreadable(form, field_key, "2019", rows[0].place))
    read_rows(form, sink, rows, keys)
    if len(blocks) > 1:
        place = blocks[1][0].place
        sink.findings.append(layout_finding("table_split", place, parts=len(blocks)))


def read_t3(form: Form, sink: Sink, blocks: list[list[Row]]) -> None:
    rows = merge_value_rows([r for block in blocks for r in block])
    found = read_rows(form, sink, rows, row_keys(form, "t3"))
    first = min(found) if found else len(rows)
    for row in rows[:first]:
        texts = [norm(c.text) for c in row.cells if c.origin]
        if norm("申请人情况") in texts and norm("总计") in texts:
            sink.findings.append(
                layout_finding(
                    "total_beside_applicants", row.place, total="总计", group="申请人情况"
                )
            )
    half = next((r.place for r in rows for c in r.cells if _HALF_WIDTH.search(c.text)), None)
    if half:
        sink.findings.append(layout_finding("half_width_brackets", half))
    sink.findings.extend(shifted_rows(found))


def t4_order(form: Form, header: str) -> tuple[list[str], str]:
    """Field keys of table 四 in the order the header shows them, and a note on how it was found."""
    blocks = [item.key for item in form.sets["review_blocks"]]
    columns = [item.key for item in form.sets["review_columns"]]
    block_pos = {
        b: header.find(norm(block_label(form, _block_keys(form, b)) or "\x00")) for b in blocks
    }
    col_pos = {c.key: header.find(norm(c.label.zh)) for c in form.sets["review_columns"]}
    note = "按表头识别的列顺序读取"
    if min(block_pos.values()) < 0 or min(col_pos.values()) < 0:
        note = "表头无法识别，按规范顺序读取 15 个数字"
    else:
        blocks.sort(key=lambda b: block_pos[b])
        columns.sort(key=lambda c: col_pos[c])
    return [f"review_litigation.{b}.{c}" for b in blocks for c in columns], note


def _block_keys(form: Form, block: str) -> tuple[str, ...]:
    return tuple(
        k for k in form.sheet("t4").field_keys if k.startswith(f"review_litigation.{block}.")
    )


def read_t4(form: Form, sink: Sink, blocks: list[list[Row]]) -> None:
    rows = merge_value_rows([r for block in blocks for r in block])
    data = max(range(len(rows)), key=lambda i: len(value_cells(rows[i])))
    cut = label_index(rows[data]) + 1
    header_cells = [c for r in rows[:data] for c in r.cells] + list(rows[data].cells[:cut])
    header = "".join(norm(c.text) for c in header_cells if c.origin)
    keys, note = t4_order(form, header)
    row = rows[data]
    store(form, sink, tuple(keys), pick(row, len(keys)), row.place, note)

"""Label knowledge taken from the form: which labels belong to which table, and row/column keys."""

from __future__ import annotations

from dataclasses import dataclass

from xlcheck.cells import parse_cell, parse_range
from xlcheck.form.model import Form
from xlcheck.importers.norm import norm

TABLES = ("t2", "t3", "t4")


@dataclass(frozen=True)
class RowKey:
    """A data row of a table: its field keys (column order), the labels that name it."""

    keys: tuple[str, ...]
    label: str  # official label text
    accepted: tuple[str, ...]  # normalised texts that name the row
    start_col: int  # the first column of the label's range (1 = A)


def table_labels(form: Form, sheet_id: str) -> frozenset[str]:
    texts = {norm(lab.text) for lab in form.sheet(sheet_id).labels if lab.role != "check"}
    if sheet_id == "t2":
        texts |= {norm(text) for text in form.legacy_labels}
    return frozenset(texts)


def row_keys(form: Form, sheet_id: str) -> list[RowKey]:
    """One RowKey per sheet row holding input fields, named by its single-row label cell."""
    sheet = form.sheet(sheet_id)
    by_row: dict[int, list[tuple[int, str]]] = {}
    for key in sheet.field_keys:
        row, col = parse_cell(form.fields[key].cell)
        by_row.setdefault(row, []).append((col, key))
    out = []
    for row, cols in sorted(by_row.items()):
        keys = tuple(key for _, key in sorted(cols))
        label = _leaf_label(form, sheet_id, row)
        if label is None:
            continue
        short = (form.fields[keys[0]].row_label or form.fields[keys[0]].label).zh.split(" ")[-1]
        out.append(RowKey(keys, label[0], (norm(label[0]), norm(short)), label[1]))
    return out


def _leaf_label(form: Form, sheet_id: str, row: int) -> tuple[str, int] | None:
    for lab in form.sheet(sheet_id).labels:
        r1, c1, r2, _ = parse_range(lab.range)
        if lab.role == "row" and r1 == row == r2:
            return lab.text, c1
    return None


def names_row(text: str, row: RowKey) -> bool:
    """A cell names a row when it is the label, its short form, or starts/ends with them."""
    return names_row_normed(norm(text), row)


def names_row_normed(key: str, row: RowKey) -> bool:
    """names_row for a text already passed through norm()."""
    if not key:
        return False
    full, short = row.accepted
    return key in row.accepted or key.startswith(short) or key.endswith(full)


def block_label(form: Form, keys: tuple[str, ...]) -> str | None:
    """The header label spanning exactly the columns of a block of table 四 (行政复议 …)."""
    cols = [parse_cell(form.fields[k].cell)[1] for k in keys]
    for lab in form.sheet("t4").labels:
        _, c1, _, c2 = parse_range(lab.range)
        if lab.role == "header" and (c1, c2) == (min(cols), max(cols)):
            return lab.text
    return None

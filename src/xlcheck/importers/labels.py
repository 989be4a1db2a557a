"""Label knowledge taken from the form: which labels mark which table, and its data rows' keys.

Everything comes from the form's sheets and its `import` declaration (`form.published`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xlcheck.cells import parse_cell, parse_range
from xlcheck.form.model import Form, PublishedTable
from xlcheck.importers.norm import norm


@dataclass(frozen=True)
class RowKey:
    """A data row of a table: its field keys (column order), the labels that name it."""

    keys: tuple[str, ...]
    label: str  # official label text
    accepted: tuple[str, ...]  # normalised texts that name the row: full, short, other spellings
    start_col: int  # the first column of the label's range (1 = A)


def table_labels(form: Form, table: PublishedTable) -> frozenset[str]:
    """Normalised texts that mark a block as part of `table`."""
    texts = {norm(lab.text) for lab in form.sheet(table.sheet).labels if lab.role != "check"}
    texts |= {norm(text) for text in table.labels}
    texts |= {norm(text) for spellings in table.aliases.values() for text in spellings}
    texts |= {norm(text) for foreign in table.foreign_columns for text in foreign.labels}
    return frozenset(texts)


def row_keys(form: Form, table: PublishedTable) -> list[RowKey]:
    """One RowKey per sheet row holding input fields, named by its single-row label cell."""
    sheet = form.sheet(table.sheet)
    by_row: dict[int, list[tuple[int, str]]] = {}
    for key in sheet.field_keys:
        row, col = parse_cell(form.fields[key].cell)
        by_row.setdefault(row, []).append((col, key))
    out = []
    for row, cols in sorted(by_row.items()):
        keys = tuple(key for _, key in sorted(cols))
        label = _leaf_label(form, table.sheet, row)
        if label is None:
            continue
        short = (form.fields[keys[0]].row_label or form.fields[keys[0]].label).zh.split(" ")[-1]
        others = tuple(norm(text) for text in table.aliases.get(label[0], ()))
        out.append(RowKey(keys, label[0], (norm(label[0]), norm(short), *others), label[1]))
    return out


def _leaf_label(form: Form, sheet_id: str, row: int) -> tuple[str, int] | None:
    for lab in form.sheet(sheet_id).labels:
        r1, c1, r2, _ = parse_range(lab.range)
        if lab.role == "row" and r1 == row == r2:
            return lab.text, c1
    return None


def names_row(text: str, row: RowKey) -> bool:
    """A cell names a row when it is the label, its short form or another spelling, or starts
    with the short form or ends with the label."""
    return names_row_normed(norm(text), row)


def names_row_normed(key: str, row: RowKey) -> bool:
    """names_row for a text already passed through norm()."""
    if not key:
        return False
    full, short = row.accepted[:2]
    return key in row.accepted or key.startswith(short) or key.endswith(full)


def header_position(header: str, label: str, table: PublishedTable) -> int:
    """Where a header label (or another spelling of it) first shows in the normalised header text."""
    found = [header.find(norm(t)) for t in (label, *table.aliases.get(label, ()))]
    return min((at for at in found if at >= 0), default=-1)

"""Word tables generated from a sheet's official layout: its label cells, merges and value cells."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docx.oxml.xmlchemy import BaseOxmlElement

from xlcheck.cells import column_letters, parse_range
from xlcheck.form.model import Field, Form, Sheet
from xlcheck.render.docx_style import StyleIds
from xlcheck.render.docx_xml import clean_text, el, sub, text_run

# Roles of the official table; "title", "hint" and "check" cells belong to the workbook only.
OFFICIAL_ROLES = frozenset({"header", "band", "row", "note"})
_KINDS = {"header": "label", "note": "label", "band": "band", "row": "row"}
DEFAULT_WIDTH = 10.0
AMOUNT_DECIMALS = 6  # 1 分 = 0.000001 万元
KEEP_TOGETHER_ROWS = 15  # a table this short (表二, 表四) is kept on one page


@dataclass(frozen=True)
class Box:
    """One table cell or merged range, 0-based and inclusive, with what it shows."""

    top: int
    left: int
    bottom: int
    right: int
    text: str
    kind: str  # label (column header, note) | band | row | value


@dataclass(frozen=True)
class Grid:
    """The table of one sheet: its size, boxes by covered position, column widths, header rows."""

    rows: int
    cols: int
    covered: dict[tuple[int, int], Box]
    widths: tuple[float, ...]
    repeat_rows: int


def format_value(field: Field, value: Any) -> str:
    """Counts as integers, amounts with up to six decimals and no float noise, text as text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return clean_text(str(value))
    if field.type == "count" and value == int(value):
        return str(int(value))
    text = f"{Decimal(str(value)) if isinstance(value, float) else value:.{AMOUNT_DECIMALS}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _official_ranges(
    form: Form, sheet: Sheet, values: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """(range, text, kind) of every official label cell and every value cell of the sheet."""
    ranges = [
        (label.range, label.text, _KINDS[label.role])
        for label in sheet.labels
        if label.role in OFFICIAL_ROLES
    ]
    for key in sheet.field_keys:
        field = form.fields[key]
        ranges.append((field.merge or field.cell, format_value(field, values.get(key)), "value"))
    return ranges


def _repeat_rows(sheet: Sheet, boxes: list[Box]) -> int:
    """Header rows to repeat on each page: only when they hold nothing but column headers."""
    if sheet.header_rows is None:
        return 0
    last = sheet.header_rows[1]
    if any(box.kind != "label" or box.bottom >= last for box in boxes if box.top < last):
        return 0
    return last


def layout_sheet(form: Form, sheet: Sheet, values: Mapping[str, Any]) -> Grid:
    """Place the official cells of `sheet` on a grid whose extent is their bounding box."""
    placed = [
        (parse_range(ref), text, kind) for ref, text, kind in _official_ranges(form, sheet, values)
    ]
    top = min(r1 for (r1, _, _, _), _, _ in placed)
    left = min(c1 for (_, c1, _, _), _, _ in placed)
    boxes = [
        Box(r1 - top, c1 - left, r2 - top, c2 - left, text, kind)
        for (r1, c1, r2, c2), text, kind in placed
    ]
    covered: dict[tuple[int, int], Box] = {}
    for box in boxes:
        for row in range(box.top, box.bottom + 1):
            for col in range(box.left, box.right + 1):
                if (row, col) in covered:
                    raise ValueError(
                        f"{sheet.id}: cells overlap at row {row + top}, column {col + left}"
                    )
                covered[(row, col)] = box
    rows = max(box.bottom for box in boxes) + 1
    cols = max(box.right for box in boxes) + 1
    letters = [column_letters(left + col) for col in range(cols)]
    widths = tuple(sheet.column_widths.get(letter, DEFAULT_WIDTH) for letter in letters)
    return Grid(rows, cols, covered, widths, _repeat_rows(sheet, boxes))


def _column_twips(grid: Grid, total: int) -> list[int]:
    scale = total / sum(grid.widths)
    return [int(width * scale) for width in grid.widths]


def _table_props(ids: StyleIds, total: int) -> BaseOxmlElement:
    tbl_pr = el("w:tblPr")
    sub(tbl_pr, "w:tblStyle", val=ids.table)
    sub(tbl_pr, "w:tblW", w=str(total), type="dxa")
    sub(tbl_pr, "w:jc", val="center")
    sub(tbl_pr, "w:tblLayout", type="fixed")
    sub(
        tbl_pr,
        "w:tblLook",
        val="0000",
        firstRow="0",
        lastRow="0",
        firstColumn="0",
        lastColumn="0",
        noHBand="1",
        noVBand="1",
    )
    return tbl_pr


def _cell(box: Box | None, row: int, width: int, ids: StyleIds, keep: bool) -> BaseOxmlElement:
    """One w:tc: the anchor of a box (with its text), a vertical continuation, or an empty cell."""
    tc = el("w:tc")
    tc_pr = sub(tc, "w:tcPr")
    sub(tc_pr, "w:tcW", w=str(width), type="dxa")
    if box is not None and box.right > box.left:
        sub(tc_pr, "w:gridSpan", val=str(box.right - box.left + 1))
    if box is not None and box.bottom > box.top:
        if row == box.top:
            sub(tc_pr, "w:vMerge", val="restart")
        else:
            sub(tc_pr, "w:vMerge")
    sub(tc_pr, "w:vAlign", val="center")
    paragraph = sub(tc, "w:p")
    p_pr = sub(paragraph, "w:pPr")
    sub(p_pr, "w:pStyle", val=ids.table_number if box and box.kind == "value" else ids.table_text)
    if keep:
        sub(p_pr, "w:keepNext")
    if box is not None and box.kind == "row":
        sub(p_pr, "w:jc", val="left")
    if box is not None and row == box.top and box.text:
        text_run(paragraph, box.text)
    return tc


def _row(grid: Grid, row: int, columns: list[int], ids: StyleIds) -> BaseOxmlElement:
    tr = el("w:tr")
    tr_pr = sub(tr, "w:trPr")
    sub(tr_pr, "w:cantSplit")
    if row < grid.repeat_rows:
        sub(tr_pr, "w:tblHeader")
    keep = grid.rows <= KEEP_TOGETHER_ROWS and row < grid.rows - 1
    col = 0
    while col < grid.cols:
        box = grid.covered.get((row, col))
        span = 1 if box is None else box.right - box.left + 1
        tr.append(_cell(box, row, sum(columns[col : col + span]), ids, keep))
        col += span
    return tr


def table_element(grid: Grid, ids: StyleIds, total_twips: int) -> BaseOxmlElement:
    """The w:tbl of a grid, fixed layout, as wide as the text area."""
    columns = _column_twips(grid, total_twips)
    table = el("w:tbl")
    table.append(_table_props(ids, sum(columns)))
    tbl_grid = sub(table, "w:tblGrid")
    for width in columns:
        sub(tbl_grid, "w:gridCol", w=str(width))
    for row in range(grid.rows):
        table.append(_row(grid, row, columns, ids))
    return table

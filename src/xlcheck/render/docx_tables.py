"""Word tables generated from a sheet's official layout: its label cells, merges and value cells."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from docx.oxml.xmlchemy import BaseOxmlElement

from xlcheck.cells import column_letters, parse_range
from xlcheck.codes import format_value as plain_number
from xlcheck.form.model import WHOLE_TYPES, Field, Form, Sheet
from xlcheck.render.docx_style import StyleIds
from xlcheck.render.docx_xml import XML_SPACE, clean_text, el, sub, text_run

# Roles of the official table; "title", "hint" and "check" cells belong to the workbook only.
OFFICIAL_ROLES = frozenset({"header", "band", "row", "note"})
_KINDS = {"header": "label", "note": "label", "band": "band", "row": "row"}
DEFAULT_WIDTH = 10.0
AMOUNT_DECIMALS = 6  # 1 分 = 0.000001 万元
KEEP_TOGETHER_ROWS = (
    20  # a table this short (表二: 14 rows in 2021, 18 in 2019; 表四) stays on one page
)


@dataclass(frozen=True)
class Box:
    """One table cell or merged range, 0-based and inclusive, with what it shows."""

    top: int
    left: int
    bottom: int
    right: int
    text: str  # the label's text; empty for a value cell
    kind: str  # label (column header, note) | band | row | value
    key: str | None = None  # the field shown in a value cell


@dataclass(frozen=True)
class Grid:
    """The table of one sheet: its size, boxes by covered position, column widths, header rows."""

    rows: int
    cols: int
    covered: dict[tuple[int, int], Box]
    widths: tuple[float, ...]
    repeat_rows: int


_PLAIN = 10**15  # beyond: shown as 1E+308, as the findings show it


def format_value(field: Field, value: Any) -> str:
    """Counts as integers, amounts with up to six decimals and no float noise, text as text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return clean_text(str(value))
    if not isinstance(value, Decimal) and not -_PLAIN < value < _PLAIN:  # 1E+308, ∞ (--force)
        return plain_number(value)
    if field.type in WHOLE_TYPES and value == int(value):
        return str(int(value))
    text = f"{Decimal(str(value)) if isinstance(value, float) else value:.{AMOUNT_DECIMALS}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _official_ranges(form: Form, sheet: Sheet) -> list[tuple[str, str, str, str | None]]:
    """(range, label text, kind, field key) of every official label cell and every value cell."""
    ranges: list[tuple[str, str, str, str | None]] = [
        (label.range, label.text, _KINDS[label.role], None)
        for label in sheet.labels
        if label.role in OFFICIAL_ROLES
    ]
    for key in sheet.field_keys:
        field = form.fields[key]
        ranges.append((field.merge or field.cell, "", "value", key))
    return ranges


def _repeat_rows(sheet: Sheet, boxes: list[Box]) -> int:
    """Header rows to repeat on each page: only when they hold nothing but column headers."""
    if sheet.header_rows is None:
        return 0
    last = sheet.header_rows[1]
    if any(box.kind != "label" or box.bottom >= last for box in boxes if box.top < last):
        return 0
    return last


def _cover(sheet: Sheet, boxes: list[Box]) -> dict[tuple[int, int], Box]:
    covered: dict[tuple[int, int], Box] = {}
    for box in boxes:
        for row in range(box.top, box.bottom + 1):
            for col in range(box.left, box.right + 1):
                if (row, col) in covered:
                    raise ValueError(f"{sheet.id}: cells overlap in table row {row + 1}")
                covered[(row, col)] = box
    return covered


def _layout(form: Form, sheet: Sheet) -> Grid:
    placed = [
        (parse_range(ref), text, kind, key)
        for ref, text, kind, key in _official_ranges(form, sheet)
    ]
    top = min(r1 for (r1, _, _, _), _, _, _ in placed)
    left = min(c1 for (_, c1, _, _), _, _, _ in placed)
    boxes = [
        Box(r1 - top, c1 - left, r2 - top, c2 - left, text, kind, key)
        for (r1, c1, r2, c2), text, kind, key in placed
    ]
    rows = max(box.bottom for box in boxes) + 1
    cols = max(box.right for box in boxes) + 1
    letters = [column_letters(left + col) for col in range(cols)]
    widths = tuple(sheet.column_widths.get(letter, DEFAULT_WIDTH) for letter in letters)
    return Grid(rows, cols, _cover(sheet, boxes), widths, _repeat_rows(sheet, boxes))


# Layouts depend only on the form, so each sheet is laid out once (keyed by identity, kept alive).
_LAYOUTS: dict[int, tuple[Sheet, Grid]] = {}


def layout_sheet(form: Form, sheet: Sheet) -> Grid:
    """The official cells of `sheet` on a grid whose extent is their bounding box."""
    cached = _LAYOUTS.get(id(sheet))
    if cached is None or cached[0] is not sheet:
        cached = _LAYOUTS[id(sheet)] = (sheet, _layout(form, sheet))
    return cached[1]


def value_texts(form: Form, sheet: Sheet, values: Mapping[str, Any]) -> dict[str, str]:
    """What each value cell of the sheet shows."""
    return {key: format_value(form.fields[key], values.get(key)) for key in sheet.field_keys}


def _column_twips(grid: Grid, total: int) -> list[int]:
    scale = total / sum(grid.widths)
    return [int(width * scale) for width in grid.widths]


def _table_props(ids: StyleIds, total: int) -> BaseOxmlElement:
    tbl_pr = el("w:tblPr")
    sub(tbl_pr, "w:tblStyle", val=ids.table)
    sub(tbl_pr, "w:tblW", w=str(total), type="dxa")
    sub(tbl_pr, "w:jc", val="center")
    sub(tbl_pr, "w:tblLayout", type="fixed")
    look = {"val": "0000", "firstRow": "0", "lastRow": "0", "firstColumn": "0"}
    sub(tbl_pr, "w:tblLook", **look, lastColumn="0", noHBand="1", noVBand="1")
    return tbl_pr


@dataclass(frozen=True)
class CellShape:
    """Everything about a w:tc except its text: equal shapes are deep copies of one prototype."""

    width: int
    span: int
    vmerge: str | None  # restart | continue | None
    kind: str | None
    keep: bool
    has_text: bool


def _prototype(shape: CellShape, ids: StyleIds) -> BaseOxmlElement:
    """A w:tc of this shape; with an empty w:t as its last descendant when it will hold text."""
    tc = el("w:tc")
    tc_pr = sub(tc, "w:tcPr")
    sub(tc_pr, "w:tcW", w=str(shape.width), type="dxa")
    if shape.span > 1:
        sub(tc_pr, "w:gridSpan", val=str(shape.span))
    if shape.vmerge == "restart":
        sub(tc_pr, "w:vMerge", val="restart")
    elif shape.vmerge == "continue":
        sub(tc_pr, "w:vMerge")
    sub(tc_pr, "w:vAlign", val="center")
    p_pr = sub(sub(tc, "w:p"), "w:pPr")
    sub(p_pr, "w:pStyle", val=ids.table_number if shape.kind == "value" else ids.table_text)
    if shape.keep:
        sub(p_pr, "w:keepNext")
    if shape.kind == "row":
        sub(p_pr, "w:jc", val="left")
    if shape.has_text:
        sub(sub(tc[-1], "w:r"), "w:t").set(XML_SPACE, "preserve")
    return tc


class _CellMaker:
    """Builds w:tc elements by copying one prototype per cell shape (python-docx's element
    classes make each new element costly; a deep copy is done by lxml in C)."""

    def __init__(self, ids: StyleIds) -> None:
        self.ids = ids
        self.prototypes: dict[CellShape, BaseOxmlElement] = {}

    def make(self, shape: CellShape, text: str) -> BaseOxmlElement:
        if "\t" in text:  # tabs need w:tab elements: build this rare cell by hand
            by_hand = _prototype(replace(shape, has_text=False), self.ids)
            text_run(by_hand[-1], text)
            return by_hand
        prototype = self.prototypes.get(shape)
        if prototype is None:
            prototype = self.prototypes[shape] = _prototype(shape, self.ids)
        tc: BaseOxmlElement = copy.deepcopy(prototype)
        if text:
            tc[-1][-1][-1].text = clean_text(text)
        return tc


def _cell(
    maker: _CellMaker, box: Box | None, row: int, width: int, keep: bool, texts: Mapping[str, str]
) -> BaseOxmlElement:
    """One w:tc: the anchor of a box (with its text), a vertical continuation, or an empty cell."""
    if box is None:
        return maker.make(CellShape(width, 1, None, None, keep, False), "")
    vmerge = None if box.bottom == box.top else "restart" if row == box.top else "continue"
    text = "" if row != box.top else texts.get(box.key, "") if box.key else box.text
    shape = CellShape(width, box.right - box.left + 1, vmerge, box.kind, keep, bool(text))
    return maker.make(shape, text)


def _row(
    grid: Grid, row: int, columns: list[int], maker: _CellMaker, texts: Mapping[str, str]
) -> BaseOxmlElement:
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
        tr.append(_cell(maker, box, row, sum(columns[col : col + span]), keep, texts))
        col += span
    return tr


def table_element(
    grid: Grid, texts: Mapping[str, str], ids: StyleIds, total_twips: int
) -> BaseOxmlElement:
    """The w:tbl of a grid with the value cells' texts, fixed layout, as wide as the text area."""
    columns = _column_twips(grid, total_twips)
    table = el("w:tbl")
    table.append(_table_props(ids, sum(columns)))
    tbl_grid = sub(table, "w:tblGrid")
    for width in columns:
        sub(tbl_grid, "w:gridCol", w=str(width))
    maker = _CellMaker(ids)
    for row in range(grid.rows):
        table.append(_row(grid, row, columns, maker, texts))
    return table

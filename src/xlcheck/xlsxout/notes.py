"""Cell comments of one worksheet as the two parts Excel and LibreOffice read: commentsN.xml and
the legacy VML drawing that places each note's box (written as xlsxwriter writes them).

Box positions follow xlsxwriter's rule (one column right of the cell, a row up, 15 px / 10 px
in), in pixels from the sheet's own column widths and row heights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from xlcheck.cells import parse_cell
from xlcheck.xlsxout.sheetxml import escape_data, escape_text

_COL: Final = re.compile(r'<col min="(\d+)" max="(\d+)" width="([0-9.]+)"([^>]*)/>')
_ROW_HEIGHT: Final = re.compile(r'<row r="(\d+)"[^>]*? ht="([0-9.]+)"([^>]*)>')
DEFAULT_COL_PX = 64
DEFAULT_ROW_PX = 20
NOTE_WIDTH_PX = 128
NOTE_HEIGHT_PX = 74
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RUN_PROPS = '<rPr><sz val="8"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'


@dataclass(frozen=True)
class Note:
    cell: str
    text: str
    author: str
    x_scale: float
    y_scale: float


@dataclass(frozen=True)
class Grid:
    """Column widths and row heights in pixels, read from a worksheet part (0-based keys)."""

    cols: dict[int, int]
    rows: dict[int, int]

    def col(self, index: int) -> int:
        return self.cols.get(index, DEFAULT_COL_PX)

    def row(self, index: int) -> int:
        return self.rows.get(index, DEFAULT_ROW_PX)


def read_grid(sheet_xml: str) -> Grid:
    cols: dict[int, int] = {}
    for match in _COL.finditer(sheet_xml):
        hidden = 'hidden="1"' in match.group(4)
        for col in range(int(match.group(1)), int(match.group(2)) + 1):
            cols[col - 1] = 0 if hidden else round(float(match.group(3)) * 7)
    rows = {
        int(m.group(1)) - 1: 0 if 'hidden="1"' in m.group(3) else int(float(m.group(2)) * 4 / 3)
        for m in _ROW_HEIGHT.finditer(sheet_xml)
    }
    return Grid(cols, rows)


def comments_xml(notes: list[Note]) -> bytes:
    authors = list(dict.fromkeys(n.author for n in notes))
    body = "".join(
        f'<comment ref="{n.cell}" authorId="{authors.index(n.author)}"><text><r>{_RUN_PROPS}'
        f"{_text_t(n.text)}</r></text></comment>"
        for n in notes
    )
    names = "".join(f"<author>{escape_data(a)}</author>" for a in authors)
    return (
        _XML_HEAD + '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<authors>{names}</authors><commentList>{body}</commentList></comments>"
    ).encode()


def _text_t(text: str) -> str:
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<t{preserve}>{escape_text(text)}</t>"


def vml_xml(notes: list[Note], grid: Grid, data_id: int) -> bytes:
    shapes = "".join(
        _shape(1024 * data_id + i, i, note, grid) for i, note in enumerate(notes, start=1)
    )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{data_id}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202"'
        ' path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{shapes}</xml>"
    ).encode()


def _shape(shape_id: int, z_index: int, note: Note, grid: Grid) -> str:
    row, col = parse_cell(note.cell)
    row, col = row - 1, col - 1
    width = int(0.5 + NOTE_WIDTH_PX * note.x_scale)
    height = int(0.5 + NOTE_HEIGHT_PX * note.y_scale)
    start_row, y_offset = (0, 2) if row == 0 else (row - 1, 10)
    anchor, left, top = _anchor(grid, col + 1, start_row, 15, y_offset, width, height)
    style = (
        f"position:absolute;margin-left:{left * 0.75:.15g}pt;margin-top:{top * 0.75:.15g}pt;"
        f"width:{width * 0.75:.15g}pt;height:{height * 0.75:.15g}pt;z-index:{z_index};"
        "visibility:hidden"
    )
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="{style}"'
        ' fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
        '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>"
    )


def _anchor(
    grid: Grid, col: int, row: int, x1: int, y1: int, width: int, height: int
) -> tuple[str, int, int]:
    """xlsxwriter's _position_object_pixels: the box's corners as cell + offset, and its
    absolute top-left in pixels."""
    left = sum(grid.col(c) for c in range(col)) + x1
    top = sum(grid.row(r) for r in range(row)) + y1
    while x1 >= grid.col(col) > 0:
        x1, col = x1 - grid.col(col), col + 1
    while y1 >= grid.row(row) > 0:
        y1, row = y1 - grid.row(row), row + 1
    end_col, end_row, width, height = col, row, width + x1, height + y1
    while width >= grid.col(end_col) > 0:
        width, end_col = width - grid.col(end_col), end_col + 1
    while height >= grid.row(end_row) > 0:
        height, end_row = height - grid.row(end_row), end_row + 1
    return f"{col}, {x1}, {row}, {y1}, {end_col}, {width}, {end_row}, {height}", left, top


def rels_xml(vml: str, comments: str) -> bytes:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return (
        _XML_HEAD
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{base}/vmlDrawing" Target="{vml}"/>'
        f'<Relationship Id="rId2" Type="{base}/comments" Target="{comments}"/></Relationships>'
    ).encode()

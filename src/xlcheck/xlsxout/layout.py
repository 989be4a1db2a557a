"""Page and row layout of a form sheet: print setup and row heights that fit the wrapped text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlcheck.cells import column_letters, parse_cell, parse_range
from xlcheck.form.model import Form, Sheet
from xlcheck.xlsxout.styles import LINE_HEIGHT, lines_needed

DEFAULT_WIDTH = 8.43
MIN_HEIGHT = 20.0
_TITLE_LINE = 24.0


def sheet_width(form: Form, sheet: Sheet) -> int:
    """How many columns the sheet uses (labels and fields)."""
    last = [parse_range(lab.range)[3] for lab in sheet.labels]
    last += [parse_cell(form.fields[k].cell)[1] for k in sheet.field_keys]
    return max(last, default=1)


def set_print(worksheet: Any, sheet: Sheet, *, wide: bool) -> None:
    """A4, landscape when wide, repeated header rows, heading and page numbers; a statistical
    table (one with header rows) prints on one page, like the official table it mirrors."""
    worksheet.set_paper(9)
    if wide:
        worksheet.set_landscape()
    worksheet.fit_to_pages(1, 1 if sheet.header_rows else 0)
    worksheet.center_horizontally()
    worksheet.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
    if sheet.header_rows:
        worksheet.repeat_rows(sheet.header_rows[0] - 1, sheet.header_rows[1] - 1)
    heading = (sheet.heading or sheet.name).replace("&", "&&")
    worksheet.set_header(f'&C&"宋体,Bold"&14{heading}')
    worksheet.set_footer("&C第 &P 页，共 &N 页")


def span_width(sheet: Sheet, first_col: int, last_col: int) -> float:
    """Total width of columns first..last (1-based) in character units."""
    widths = sheet.column_widths
    return sum(widths.get(column_letters(c), DEFAULT_WIDTH) for c in range(first_col, last_col + 1))


def _label_heights(sheet: Sheet) -> dict[int, float]:
    needed: dict[int, float] = {}
    for lab in sheet.labels:
        r1, c1, r2, c2 = parse_range(lab.range)
        line = _TITLE_LINE if lab.role == "title" else LINE_HEIGHT
        total = lines_needed(lab.text, span_width(sheet, c1, c2)) * line + 5
        for row in range(r1, r2 + 1):
            needed[row] = max(needed.get(row, MIN_HEIGHT), total / (r2 - r1 + 1))
    return needed


def set_row_heights(
    worksheet: Any, form: Form, sheet: Sheet, extra: Mapping[int, float] | None = None
) -> None:
    """Rows tall enough for their wrapped labels; text-input rows get the sheet's row height."""
    needed = _label_heights(sheet)
    for row, height in (extra or {}).items():
        needed[row] = max(needed.get(row, MIN_HEIGHT), height)
    for key in sheet.field_keys:
        fld = form.fields[key]
        row = parse_cell(fld.cell)[0]
        wanted = sheet.row_height if fld.type == "text" and sheet.row_height else MIN_HEIGHT
        needed[row] = max(needed.get(row, MIN_HEIGHT), wanted)
    for row, height in sorted(needed.items()):
        worksheet.set_row(row - 1, round(height, 1))


def check_height(text: str, sheet: Sheet, col: int) -> float:
    """Height a check cell's longest text needs in its column."""
    return lines_needed(text, span_width(sheet, col, col)) * LINE_HEIGHT + 5

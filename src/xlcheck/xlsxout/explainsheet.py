"""The template's explanation sheet: a small unlocked table where an office explains a warning.

Its words and shape live in `xlcheck.explain` (the reader reads what this writes); the rule ids in
the drop-down are the form's warning rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlcheck.explain import (
    FIRST_ROW,
    HEADINGS,
    INSTRUCTION,
    MAX_ROWS,
    SHEET_NAME,
    Explanation,
    warning_rule_ids,
)
from xlcheck.form.model import Form
from xlcheck.xlsxout.metadata import SHEET_PROTECTION, TEMPLATE_PASSWORD
from xlcheck.xlsxout.safe_text import needs_guard
from xlcheck.xlsxout.styles import Styles, lines_needed

WIDTHS = (10.0, 24.0, 70.0)


def write_explanation_sheet(
    workbook: Any, form: Form, styles: Styles, rows: Sequence[Explanation] = ()
) -> None:
    """Instruction, headings and MAX_ROWS input rows (prefilled with `rows`), protected."""
    rules = warning_rule_ids(form)
    if not rules:
        return  # a form without warnings has nothing to explain
    worksheet = workbook.add_worksheet(SHEET_NAME)
    for col, width in enumerate(WIDTHS):
        worksheet.set_column(col, col, width)
    worksheet.merge_range(0, 0, 0, 2, INSTRUCTION, styles.get("paragraph"))
    worksheet.set_row(0, 15.0 * lines_needed(INSTRUCTION, int(sum(WIDTHS))) + 6)
    for col, heading in enumerate(HEADINGS):
        worksheet.write_string(1, col, heading, styles.get("header"))
    first, last = FIRST_ROW - 1, FIRST_ROW + MAX_ROWS - 2  # 0-based rows of the table
    for row in range(first, last + 1):
        item = rows[row - first] if row - first < len(rows) else None
        for col, value in enumerate(explanation_cells(item) if item else ("", "", "")):
            if value:  # the office's words as typed; text that starts like a formula is quoted
                worksheet.write_string(
                    row, col, value, styles.get("input_text", quote=needs_guard(value))
                )
            else:
                worksheet.write_blank(row, col, None, styles.get("input_text"))
    _validate_rules(worksheet, rules, first, last)
    worksheet.freeze_panes(FIRST_ROW - 1, 0)
    _set_print(worksheet)
    worksheet.protect(TEMPLATE_PASSWORD, SHEET_PROTECTION)


def explanation_cells(item: Explanation) -> tuple[str, str, str]:
    """The row's three cells as the office wrote them."""
    return item.rule, item.place or "", item.text


def _validate_rules(worksheet: Any, rules: Sequence[str], first: int, last: int) -> None:
    """A drop-down of the form's warning rules; another id is refused (a stop alert)."""
    worksheet.data_validation(
        first,
        0,
        last,
        0,
        {
            "validate": "list",
            "source": rules,
            "input_title": "提示编号",
            "input_message": "选择要说明的提示编号（检查结果中黄色“请核实”的规则）。",
            "error_title": "提示编号",
            "error_message": "请在下拉列表中选提示编号；错误必须改正，不能说明。",
        },
    )


def _set_print(worksheet: Any) -> None:
    """A4 portrait, the three columns and the 50 rows on one page, the headings repeated: without
    it the text column spilled onto a page of its own and the instruction was cut in two."""
    worksheet.set_paper(9)
    worksheet.fit_to_pages(1, 1)
    worksheet.center_horizontally()
    worksheet.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
    worksheet.repeat_rows(FIRST_ROW - 2)
    worksheet.set_header(f'&C&"宋体,Bold"&14{SHEET_NAME}')
    worksheet.set_footer("&C第 &P 页，共 &N 页")

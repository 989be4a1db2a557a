"""The error workbook: the template rebuilt with the office's own values, a first sheet 错误清单,
and every offending cell filled red (error) or amber (warning) with a comment carrying the message.

Rebuilding from the template (instead of re-saving the office's file) carries none of what an
office file may bring along: macros, external links, extra names or sheets. The office's values are
written exactly as typed — text stays text — so nothing they typed can turn into a formula.
Text echoed into the 错误清单 list is also neutralised (OWASP formula-injection guidance): a
leading = + - @, tab, CR, LF or their full-width forms gets a leading apostrophe, so the text
stays inert even when someone copies the list into a CSV file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from xlcheck.findings import Finding, count_by_severity
from xlcheck.form.model import Form, Lang
from xlcheck.template import Annotation, Styles, build_workbook

DANGEROUS_START = tuple("=+-@\t\r\n＝＋－＠")
HEADINGS = {
    "zh": ("序号", "严重程度", "表", "行", "列", "单元格", "说明"),
    "en": ("No.", "Severity", "Table", "Row", "Column", "Cell", "Message"),
}
SEVERITY = {
    "zh": {"error": "错误", "warning": "提示"},
    "en": {"error": "error", "warning": "warning"},
}


def neutralise(text: str) -> str:
    """Text that a spreadsheet or CSV reader could take for a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(DANGEROUS_START) else text


def write_error_workbook(
    form: Form,
    dest: BinaryIO | str,
    *,
    cells: Mapping[str, Any],
    findings: Sequence[Finding],
    source_name: str,
    lang: Lang = "zh",
) -> None:
    annotations = _annotations(findings, lang)

    def findings_sheet(workbook: Any, styles: Styles) -> None:
        _write_list(workbook, styles, findings, source_name, lang)

    values = {k: v for k, v in cells.items() if k in form.fields}
    build_workbook(form, dest, values, annotations=annotations, before=findings_sheet, raw=True)


def _annotations(findings: Sequence[Finding], lang: Lang) -> dict[tuple[str, str], Annotation]:
    marks: dict[tuple[str, str], Annotation] = {}
    for f in findings:
        if not (f.sheet and f.cell):
            continue
        mark = marks.setdefault((f.sheet, f.cell), Annotation(f.severity))
        if f.is_error:
            mark.severity = "error"
        mark.notes.append(f"[{SEVERITY[lang][f.severity]}] {f.text(lang)}")
    return marks


def _write_list(
    workbook: Any, styles: Styles, findings: Sequence[Finding], source: str, lang: Lang
) -> None:
    ws = workbook.add_worksheet("错误清单" if lang == "zh" else "Findings")
    ws.set_column("A:A", 6)
    ws.set_column("B:B", 9)
    ws.set_column("C:C", 10)
    ws.set_column("D:E", 24)
    ws.set_column("F:F", 9)
    ws.set_column("G:G", 90)
    errors, warnings = count_by_severity(list(findings))
    summary = (
        f"「{source}」共 {errors} 个错误、{warnings} 个提示。请逐条修改标红（错误）和标黄（提示）的单元格后重新报送；"
        "点击「单元格」一列的链接可直接定位。"
        if lang == "zh"
        else f"“{source}”: {errors} errors, {warnings} warnings. Fix the red (error) and amber (warning) cells and send the file again."
    )
    ws.merge_range(0, 0, 0, 6, neutralise(summary), styles.title)
    ws.set_row(0, 36)
    for col, heading in enumerate(HEADINGS[lang]):
        ws.write_string(1, col, heading, styles.header)
    red = workbook.add_format(
        {"font_color": "#C00000", "bold": True, "border": 1, "align": "center"}
    )
    amber = workbook.add_format(
        {"font_color": "#BF8F00", "bold": True, "border": 1, "align": "center"}
    )
    for index, f in enumerate(findings, start=1):
        _write_row(ws, index + 1, index, f, lang, styles, red if f.is_error else amber)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(len(findings), 1) + 1, 6)
    ws.activate()
    ws.set_first_sheet()


def _write_row(
    ws: Any, row: int, index: int, f: Finding, lang: Lang, styles: Styles, severity_fmt: Any
) -> None:
    ws.write_number(row, 0, index, styles.row)
    ws.write_string(row, 1, SEVERITY[lang][f.severity], severity_fmt)
    table = f.table.get(lang) if f.table else (f.sheet or "")
    ws.write_string(row, 2, neutralise(table), styles.row)
    ws.write_string(row, 3, neutralise(f.row_label.get(lang) if f.row_label else ""), styles.row)
    ws.write_string(row, 4, neutralise(f.col_label.get(lang) if f.col_label else ""), styles.row)
    if f.sheet and f.cell:
        ws.write_url(row, 5, f"internal:'{f.sheet}'!{f.cell}", string=f.cell)
    else:
        ws.write_string(row, 5, "", styles.row)
    ws.write_string(row, 6, neutralise(f.text(lang)), styles.row)
    # Spreadsheets do not grow rows for wrapped text written by a library: size them here.
    lines = max(
        1, -(-len(f.text(lang)) // 48), -(-len(f.row_label.zh if f.row_label else "") // 14)
    )
    ws.set_row(row, 15 * lines + 3)

"""The error workbook: the template rebuilt around an office's values, with every finding listed
on a first sheet, linked to its cell, and the offending cells painted and commented.

Rebuilding (instead of copying the office's file) drops whatever else the file carried: macros,
external links, foreign names and formulas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from xlcheck.explain import Explanation, shown_with_explanation
from xlcheck.findings import Finding, count_by_severity
from xlcheck.form.model import Form
from xlcheck.xlsxout.formulas import quote_sheet
from xlcheck.xlsxout.metadata import SHEET_PROTECTION, TEMPLATE_PASSWORD, open_workbook
from xlcheck.xlsxout.safe_text import neutralise
from xlcheck.xlsxout.template import Built, build_workbook

_WORDS = {
    "zh": {
        "sheet": "错误清单",
        "columns": ("序号", "严重程度", "表", "行", "列", "单元格", "说明"),
        "error": "错误",
        "warning": "提示",
        "summary": "「{source}」共 {errors} 个错误、{warnings} 个提示，请逐条修改后重新报送。",
    },
    "en": {
        "sheet": "Findings",
        "columns": ("No.", "Severity", "Table", "Row", "Column", "Cell", "Message"),
        "error": "Error",
        "warning": "Warning",
        "summary": "“{source}”: {errors} errors and {warnings} warnings; fix each one and send the file again.",
    },
}
_WIDTHS = (6, 10, 14, 34, 16, 12, 90)


def write_error_workbook(
    form: Form,
    dest: Path | BinaryIO,
    *,
    cells: Mapping[str, Any],
    findings: Sequence[Finding],
    source_name: str,
    lang: str = "zh",
    explanations: Sequence[Explanation] = (),
) -> None:
    """Write the error workbook for one submission; `cells` are the values as the office typed them.

    The form's package is built once per process (errorbook.py); each call writes only the
    parts that change. `rebuild_error_workbook` is the full rebuild it must look the same as.
    """
    from xlcheck.xlsxout.errorbook import write_from_base

    write_from_base(
        form,
        dest,
        cells=cells,
        findings=findings,
        source_name=source_name,
        lang=lang,
        explanations=explanations,
    )


def rebuild_error_workbook(
    form: Form,
    dest: Path | BinaryIO,
    *,
    cells: Mapping[str, Any],
    findings: Sequence[Finding],
    source_name: str,
    lang: str = "zh",
    explanations: Sequence[Explanation] = (),
) -> Built:
    """The error workbook rebuilt with xlsxwriter from the form (the reference, and the base)."""
    words = _WORDS["en" if lang == "en" else "zh"]
    workbook = open_workbook(dest)
    listing = workbook.add_worksheet(str(words["sheet"]))
    built = build_workbook(
        form, workbook, cells, marks=marks_of(findings), explanations=explanations
    )
    _annotate(built, findings, lang)
    _write_listing(listing, built, findings, source_name, words, lang)
    listing.activate()
    built.styles.register_all()  # every role and mark in styles.xml, for the copies to use
    workbook.close()
    return built


def marks_of(findings: Sequence[Finding]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> error when any finding there is an error, else warning."""
    marks: dict[tuple[str, str], str] = {}
    for finding in findings:
        if finding.sheet and finding.cell:
            place = (finding.sheet, finding.cell)
            marks[place] = "error" if finding.is_error else marks.get(place, "warning")
    return marks


def _annotate(built: Built, findings: Sequence[Finding], lang: str) -> None:
    """One comment per offending cell listing all its messages; paint cells nothing wrote."""
    notes: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.sheet in built.worksheets and finding.cell:
            notes.setdefault((finding.sheet, finding.cell), []).append(finding)
    for (sheet, cell), group in notes.items():
        worksheet = built.worksheets[sheet]
        if (sheet, cell) not in built.written:
            worksheet.write_blank(cell, None, built.styles.get("row", group_mark(group)))
        text, y_scale = note_body(group, lang)
        options = {"author": "xlcheck", "x_scale": NOTE_X_SCALE, "y_scale": y_scale}
        worksheet.write_comment(cell, text, options)


NOTE_X_SCALE = 2.5


def group_mark(group: Sequence[Finding]) -> str:
    """The mark of a cell with these findings: an error outranks a warning."""
    return "error" if any(f.is_error for f in group) else "warning"


def note_body(group: Sequence[Finding], lang: str) -> tuple[str, float]:
    """A cell note's text (guarded) and its height, for the rebuild and the copy alike."""
    text = "\n".join(note_line(f, lang) for f in group)
    lines = sum(1 + len(shown_with_explanation(f, lang_of(lang))) // 30 for f in group)
    return neutralise(text), min(1.0 + 0.5 * lines, 8.0)


def finding_texts(finding: Finding, lg: Any) -> tuple[str, str, str, str]:
    """The findings list's table, row, column and message texts of one finding (unguarded)."""
    return (
        finding.table.get(lg) if finding.table else (finding.sheet or ""),
        finding.row_label.get(lg) if finding.row_label else "",
        finding.col_label.get(lg) if finding.col_label else "",
        shown_with_explanation(finding, lg),
    )


def lang_of(lang: str) -> Any:
    return "en" if lang == "en" else "zh"


def note_line(finding: Finding, lang: str) -> str:
    word = _WORDS[lang_of(lang)]["error" if finding.is_error else "warning"]
    return f"【{word}】{shown_with_explanation(finding, lang_of(lang))}"


def _write_listing(
    worksheet: Any,
    built: Built,
    findings: Sequence[Finding],
    source_name: str,
    words: Mapping[str, Any],
    lang: str,
) -> None:
    styles = built.styles
    errors, warnings = count_by_severity(list(findings))
    summary = str(words["summary"]).format(source=source_name, errors=errors, warnings=warnings)
    worksheet.merge_range(0, 0, 0, len(_WIDTHS) - 1, "", styles.get("summary"))
    worksheet.write_string(0, 0, neutralise(summary), styles.get("summary"))
    worksheet.set_row(0, 30)
    for col, (title, width) in enumerate(zip(words["columns"], _WIDTHS, strict=True)):
        worksheet.set_column(col, col, width)
        worksheet.write_string(1, col, title, styles.get("list_header"))
    for index, finding in enumerate(findings, start=1):
        _write_finding(worksheet, built, index + 1, index, finding, lang)
    worksheet.freeze_panes(2, 0)
    worksheet.set_landscape()
    worksheet.set_paper(9)
    worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(1)
    worksheet.protect(TEMPLATE_PASSWORD, SHEET_PROTECTION)


def _write_finding(
    worksheet: Any, built: Built, row: int, index: int, finding: Finding, lang: str
) -> None:
    lg = lang_of(lang)
    styles = built.styles
    mark = "error" if finding.is_error else "warning"
    worksheet.write_number(row, 0, index, styles.get("list_cell"))
    worksheet.write_string(row, 1, str(_WORDS[lg][mark]), styles.get("list_cell", mark))
    *texts, message = finding_texts(finding, lg)
    for col, text in enumerate(texts, start=2):
        worksheet.write_string(row, col, neutralise(text), styles.get("list_cell"))
    if finding.cell and finding.sheet in built.worksheets:
        link = f"internal:{quote_sheet(finding.sheet)}{finding.cell}"
        worksheet.write_url(row, 5, link, styles.get("link"), string=finding.cell)
    else:
        worksheet.write_string(row, 5, neutralise(finding.cell or ""), styles.get("list_cell"))
    worksheet.write_string(row, 6, neutralise(message), styles.get("list_cell"))
    worksheet.set_row(row, row_height((*texts, message)))


def row_height(texts: Sequence[str]) -> float:
    """Spreadsheets do not grow rows for wrapped text written by a library: size them here.

    A CJK character takes about two width units, so a column of width w holds about w / 2 of them.
    """
    widths = (_WIDTHS[2], _WIDTHS[3], _WIDTHS[4], _WIDTHS[6])
    lines = max(
        math.ceil(sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) / max(width - 2, 1))
        for text, width in zip(texts, widths, strict=True)
    )
    return 15.0 * max(lines, 1) + 3

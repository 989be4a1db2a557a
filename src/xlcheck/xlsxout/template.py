"""Write the locked template of a form: instructions, one sheet per form sheet, names, metadata.

Everything comes from the Form; `build_workbook` is shared with the error workbook, which rebuilds
the same layout around an office's values.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from xlcheck.cells import column_index, parse_cell
from xlcheck.codes import format_value
from xlcheck.explain import Explanation
from xlcheck.form.model import Field, Form, LabelCell, Sheet
from xlcheck.xlsxout.explainsheet import write_explanation_sheet
from xlcheck.xlsxout.formulas import Evaluator, absolute, cached, quote_sheet, sum_expression
from xlcheck.xlsxout.layout import check_height, set_print, set_row_heights, sheet_width
from xlcheck.xlsxout.livechecks import compile_cell_rules, compile_checks
from xlcheck.xlsxout.metadata import (
    SHEET_PROTECTION,
    TEMPLATE_PASSWORD,
    open_workbook,
    write_metadata,
)
from xlcheck.xlsxout.safe_text import needs_guard
from xlcheck.xlsxout.styles import AMBER, GREEN, RED, Styles, lines_needed
from xlcheck.xlsxout.validation import validation_for

INPUT_ROLES = {
    "count": "input",
    "change": "input",
    "amount": "input",
    "year": "input",
    "text": "input_text",
    "choice": "input_choice",
    "credit_code": "input_code",
}
Marks = Mapping[tuple[str, str], str]  # (worksheet name, A1) -> error | warning


@dataclass
class Built:
    """What build_workbook made: worksheets by name and the cells it wrote (by sheet name)."""

    styles: Styles
    worksheets: dict[str, Any] = field(default_factory=dict)
    written: set[tuple[str, str]] = field(default_factory=set)
    heights: dict[str, dict[int, float]] = field(default_factory=dict)


def write_template(
    form: Form,
    dest: Path | BinaryIO,
    *,
    agency: str | None = None,
    year: int | None = None,
    values: Mapping[str, Any] | None = None,
    explanations: Sequence[Explanation] = (),
    locked: frozenset[str] = frozenset(),
) -> None:
    """Write the locked template; `values` (canonical, flat) fill it, agency/year prefill the
    fields of the form's name and year roles (a form without the role ignores them), and
    `explanations` the rows of the explanation sheet. The input fields in `locked` are written
    as the office cannot change them (last year's carry-over, from its accepted report)."""
    prefill = dict(values or {})
    if agency is not None and form.roles.name:
        prefill[form.roles.name] = agency
    if year is not None and form.roles.year:
        prefill[form.roles.year] = year
    workbook = open_workbook(dest)
    build_workbook(
        form, workbook, template_cells(form, prefill), explanations=explanations, locked=locked
    )
    workbook.close()


def template_cells(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    """Cell contents of the input fields: numbers default to 0, choices shown by their label."""
    cells: dict[str, Any] = {}
    for key, fld in form.fields.items():
        value = values.get(key)
        if fld.type == "choice" and value is not None:
            value = next((c.label.zh for c in fld.choices if c.value == value), str(value))
        elif value is None and fld.is_numeric:
            value = 0
        elif not _fits_a_cell(value):
            value = format_value(value)  # as text, which a check reports; the formulas skip it
        if fld.is_input:
            cells[key] = value
    return cells


def _fits_a_cell(value: Any) -> bool:
    """A cell holds a finite double: a 400-digit count, inf or nan cannot be written as a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    return -sys.float_info.max <= value <= sys.float_info.max


def build_workbook(
    form: Form,
    workbook: Any,
    cells: Mapping[str, Any],
    marks: Marks | None = None,
    explanations: Sequence[Explanation] = (),
    locked: frozenset[str] = frozenset(),
) -> Built:
    """Add the instructions, the form's sheets, the explanation sheet, the defined names and the
    metadata."""
    built = Built(Styles(workbook))
    write_instructions(workbook, form, built.styles)
    evaluator = Evaluator(form, cells)
    for sheet in form.sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        built.worksheets[sheet.name] = worksheet
        _write_sheet(worksheet, form, sheet, cells, evaluator, built, marks or {}, locked)
    _write_live(form, cells, built)
    write_explanation_sheet(workbook, form, built.styles, explanations)
    for sheet in form.sheets:
        extra = built.heights.get(sheet.id, {})
        set_row_heights(built.worksheets[sheet.name], form, sheet, extra)
    for key, fld in form.fields.items():
        name = form.sheet(fld.sheet).name
        workbook.define_name(key, f"={quote_sheet(name)}{absolute(fld.cell)}")
    write_metadata(workbook, form, built.styles)
    return built


def write_instructions(workbook: Any, form: Form, styles: Styles) -> None:
    """The first sheet: the instruction paragraphs, one wrapped row each."""
    worksheet = workbook.add_worksheet(form.instructions_name)
    worksheet.set_column(0, 0, 100)
    for row, text in enumerate(form.instructions.get("zh", ())):
        role = "title" if row == 0 else "paragraph"
        worksheet.write_string(row, 0, text, styles.get(role))
        height = 24.0 if row == 0 else 15.0 * lines_needed(text, 100) + 6
        worksheet.set_row(row, height)
    worksheet.set_paper(9)
    worksheet.fit_to_pages(1, 0)
    worksheet.set_footer("&C第 &P 页，共 &N 页")
    worksheet.protect(TEMPLATE_PASSWORD, SHEET_PROTECTION)


def _write_sheet(
    worksheet: Any,
    form: Form,
    sheet: Sheet,
    cells: Mapping[str, Any],
    evaluator: Evaluator,
    built: Built,
    marks: Marks,
    locked: frozenset[str] = frozenset(),
) -> None:
    for letters, width in sheet.column_widths.items():
        col = column_index(letters) - 1
        worksheet.set_column(col, col, width)
    for label in sheet.labels:
        _write_label(worksheet, label, built.styles, marks.get((sheet.name, _first(label.range))))
        built.written.add((sheet.name, _first(label.range)))
    for key in sheet.field_keys:
        fld = form.fields[key]
        mark = marks.get((sheet.name, fld.cell))
        if fld.computed_by:
            _write_formula(worksheet, form, fld, evaluator, built.styles, mark)
        elif key in locked:
            _write_locked(worksheet, fld, cells.get(key), built.styles, mark)
        else:
            _write_input(worksheet, fld, cells.get(key), built.styles, mark)
        built.written.add((sheet.name, fld.cell))
    set_print(worksheet, sheet, wide=sheet_width(form, sheet) > 6)
    worksheet.protect(TEMPLATE_PASSWORD, SHEET_PROTECTION)


def _first(cell_range: str) -> str:
    return cell_range.split(":")[0]


def _write_label(worksheet: Any, label: LabelCell, styles: Styles, mark: str | None) -> None:
    fmt = styles.get(label.role if label.role in _LABEL_ROLES else "row", mark)
    if ":" in label.range:
        worksheet.merge_range(label.range, "", fmt)
    worksheet.write_string(_first(label.range), label.text, fmt)


_LABEL_ROLES = frozenset({"title", "header", "band", "row", "note", "hint", "check"})


def _write_formula(
    worksheet: Any, form: Form, fld: Field, evaluator: Evaluator, styles: Styles, mark: str | None
) -> None:
    rule = form.rule_by_instance(str(fld.computed_by))
    fmt = styles.get("formula", mark)
    if fld.merge:
        worksheet.merge_range(fld.merge, "", fmt)
    formula = "=" + sum_expression(form, rule.params["operands"], fld.sheet)
    worksheet.write_formula(fld.cell, formula, fmt, cached(evaluator.value(fld.key)))


def _write_input(worksheet: Any, fld: Field, value: Any, styles: Styles, mark: str | None) -> None:
    guard = isinstance(value, str) and needs_guard(value)
    fmt = styles.get(INPUT_ROLES[fld.type], mark, quote=guard)
    if fld.merge:
        worksheet.merge_range(fld.merge, "", fmt)
    write_value(worksheet, fld.cell, value, fmt)
    rule = validation_for(fld)
    if rule:
        worksheet.data_validation(fld.merge or fld.cell, rule)


def _write_locked(worksheet: Any, fld: Field, value: Any, styles: Styles, mark: str | None) -> None:
    """An input filled in for the office that it may not change (last year's carry-over): shown
    like a computed cell, locked under the sheet's protection, no validation list."""
    fmt = styles.get("formula", mark)
    if fld.merge:
        worksheet.merge_range(fld.merge, "", fmt)
    write_value(worksheet, fld.cell, value, fmt)


def write_value(worksheet: Any, cell: str, value: Any, fmt: Any) -> None:
    """Numbers as numbers, everything else as a string; a string never becomes a formula."""
    if value is None:
        worksheet.write_blank(cell, None, fmt)
    elif isinstance(value, bool):
        worksheet.write_boolean(cell, value, fmt)
    elif isinstance(value, int | float):
        worksheet.write_number(cell, value, fmt)
    else:
        worksheet.write_string(cell, str(value), fmt)


def _write_live(form: Form, cells: Mapping[str, Any], built: Built) -> None:
    """Check cells with their red/amber/green formats, and the red cell rules."""
    styles = built.styles
    by_sheet: dict[str, list[str]] = {}
    for check in compile_checks(form, cells):
        sheet = form.sheet(check.sheet)
        worksheet = built.worksheets[sheet.name]
        worksheet.write_formula(check.cell, check.formula, styles.get("live"), check.value)
        built.written.add((sheet.name, check.cell))
        by_sheet.setdefault(sheet.name, []).append(check.cell)
        row, col = parse_cell(check.cell)
        rows = built.heights.setdefault(check.sheet, {})
        rows[row] = max(rows.get(row, 0.0), check_height(check.longest, sheet, col))
    red, amber, green = (styles.conditional(p) for p in (RED, AMBER, GREEN))
    for name, places in by_sheet.items():
        # One rule per colour over all check cells of a sheet keeps the file (and the writer) small.
        for prefix, fmt in (("不平", red), ("请核实", amber), ("✓", green)):
            options = {"type": "text", "criteria": "begins with", "value": prefix, "format": fmt}
            built.worksheets[name].conditional_format(
                places[0], {**options, "multi_range": " ".join(places)}
            )
    for rule in compile_cell_rules(form):
        worksheet = built.worksheets[form.sheet(rule.sheet).name]
        worksheet.conditional_format(
            rule.cell, {"type": "formula", "criteria": rule.formula, "format": red}
        )

"""Write the locked template from a form (xlsxwriter is imported here and in errorbook.py only).

Everything comes from the Form: labels and merges, input cells (unlocked, validated, named),
formula cells compiled from the sum rules, live check cells compiled from rules with `live`,
metadata (template id, versions, layout fingerprint), protection and print setup.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from xlcheck.cells import column_letters, format_cell, parse_cell, parse_range
from xlcheck.checks.derive import recompute
from xlcheck.form.fingerprint import layout_fingerprint
from xlcheck.form.model import Field, Form, Rule, Sheet, Term
from xlcheck.livechecks import LiveCheck, compile_live_checks

TEMPLATE_PASSWORD = "xlcheck"
META_SHEET = "_xlcheck"
FIXED_CREATED = _dt.datetime(2021, 9, 26, 0, 0, 0)  # the format's date: reruns give equal files
WIDE_SHEET_COLUMNS = 7
FONT = "宋体"

PROMPTS = {
    "count": (
        "请填写件数",
        "填写不小于 0 的整数；没有发生的请填 0。",
        "这里只能填写不小于 0 的整数（件数）。",
    ),
    "amount": (
        "请填写金额（万元）",
        "单位为万元，最多 6 位小数；没有请填 0。",
        "这里只能填写不小于 0 的数（单位：万元）。",
    ),
    "year": ("请填写年度", "4 位年份，如 2025。", "请填写 4 位年份，如 2025。"),
}


@dataclass
class Annotation:
    """A mark on one cell of the error workbook: severity decides the fill, notes become a comment."""

    severity: str
    notes: list[str] = field(default_factory=list)


def metadata(form: Form) -> dict[str, str]:
    return {
        "xlcheck.template_id": form.id,
        "xlcheck.form_version": form.form_version,
        "xlcheck.template_version": form.template_version,
        "xlcheck.layout_fingerprint": layout_fingerprint(form),
    }


def write_template(
    form: Form,
    dest: BinaryIO | str,
    *,
    agency: str | None = None,
    year: int | None = None,
    values: Mapping[str, Any] | None = None,
) -> None:
    """The template, prefilled with agency/year or with a whole document (`fill`)."""
    given = dict(values or {})
    if agency is not None:
        given["agency.name"] = agency
    if year is not None:
        given["year"] = year
    build_workbook(form, dest, given)


def build_workbook(
    form: Form,
    dest: BinaryIO | str,
    values: Mapping[str, Any],
    *,
    annotations: Mapping[tuple[str, str], Annotation] | None = None,
    before: Any = None,
    raw: bool = False,
) -> None:
    """Shared by the template, `fill` and the error workbook (raw=True keeps typed text as is)."""
    import xlsxwriter

    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    styles = Styles(workbook)
    _properties(workbook, form)
    if before is not None:
        before(workbook, styles)
    _instructions(workbook, form, styles)
    numbers = recompute(form, _numbers(form, values))
    for sheet in form.sheets:
        _sheet(workbook, form, sheet, styles, values, numbers, annotations or {}, raw)
    _names(workbook, form)
    _meta_sheet(workbook, form, styles)
    workbook.close()
    data = protect_structure(buffer.getvalue())
    if isinstance(dest, str):
        with open(dest, "wb") as fh:
            fh.write(data)
    else:
        dest.write(data)


def _numbers(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric values as the spreadsheet will compute with them (typed text normalised)."""
    from xlcheck.normalise import normalise_number

    out = {}
    for key, value in values.items():
        f = form.fields.get(key)
        if f is not None and f.is_numeric:
            out[key] = normalise_number(value, amount=f.type == "amount").value
    return out


class Styles:
    """The handful of cell formats, created once per workbook."""

    def __init__(self, workbook: Any) -> None:
        base = {"font_name": FONT, "font_size": 11, "text_wrap": True, "valign": "vcenter"}
        boxed = {**base, "border": 1}
        self.workbook = workbook
        self.title = workbook.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
        self.header = workbook.add_format(
            {**boxed, "bold": True, "align": "center", "bg_color": "#DDEBF7"}
        )
        self.row = workbook.add_format({**boxed, "align": "left"})
        self.note = workbook.add_format({**boxed, "font_size": 9, "align": "center"})
        self.hint = workbook.add_format({**base, "italic": True, "font_color": "#7F7F7F"})
        self.check_label = workbook.add_format(
            {**boxed, "font_size": 9, "align": "right", "bg_color": "#F2F2F2"}
        )
        self.check = workbook.add_format({**boxed, "font_size": 9, "align": "center"})
        self.formula = workbook.add_format(
            {**boxed, "align": "right", "bg_color": "#E7E6E6", "num_format": "0"}
        )
        self.text = workbook.add_format({**base, "align": "left", "valign": "top"})
        self._inputs: dict[tuple[str, str], Any] = {}

    def label(self, role: str) -> Any:
        return {
            "title": self.title,
            "band": self.header,
            "header": self.header,
            "row": self.row,
            "note": self.note,
            "hint": self.hint,
            "check": self.check_label,
        }.get(role, self.header)

    def input(self, f: Field, severity: str | None = None) -> Any:
        key = (f.type, severity or "")
        if key not in self._inputs:
            fill = {"error": "#FF9999", "warning": "#FFD966"}.get(severity or "", "#FFF2CC")
            spec: dict[str, Any] = {
                "font_name": FONT,
                "font_size": 11,
                "border": 1,
                "locked": False,
                "bg_color": fill,
                "valign": "top" if f.type == "text" else "vcenter",
                "text_wrap": True,
            }
            spec["num_format"] = {
                "count": "0",
                "amount": "0.######",
                "year": "0",
                "credit_code": "@",
            }.get(f.type, "General")
            spec["align"] = "right" if f.is_numeric else "left"
            self._inputs[key] = self.workbook.add_format(spec)
        return self._inputs[key]

    def computed(self, severity: str | None) -> Any:
        if not severity:
            return self.formula
        key = ("formula", severity)
        if key not in self._inputs:
            colour = "#FF9999" if severity == "error" else "#FFD966"
            self._inputs[key] = self.workbook.add_format(
                {
                    "font_name": FONT,
                    "border": 1,
                    "align": "right",
                    "bg_color": colour,
                    "num_format": "0",
                }
            )
        return self._inputs[key]


def _properties(workbook: Any, form: Form) -> None:
    workbook.set_properties(
        {
            "title": form.title.zh,
            "subject": f"{form.title.zh}（{form.basis}）",
            "author": "xlcheck",
            "created": FIXED_CREATED,
            "comments": form.basis,
        }
    )
    for name, value in metadata(form).items():
        workbook.set_custom_property(name, value)


def _instructions(workbook: Any, form: Form, styles: Styles) -> None:
    ws = workbook.add_worksheet(form.instructions_name)
    ws.set_column("A:A", 110)
    for row, text in enumerate(form.instructions["zh"]):
        ws.write_string(row, 0, text, styles.title if row == 0 else styles.text)
    ws.protect(TEMPLATE_PASSWORD, {"select_locked_cells": True})
    _print_setup(ws, form.instructions_name, None, landscape=False)


def _sheet(
    workbook: Any,
    form: Form,
    sheet: Sheet,
    styles: Styles,
    values: Mapping[str, Any],
    numbers: Mapping[str, Any],
    annotations: Mapping[tuple[str, str], Annotation],
    raw: bool,
) -> None:
    ws = workbook.add_worksheet(sheet.name)
    for letters, width in sheet.column_widths.items():
        ws.set_column(f"{letters}:{letters}", width)
    for label in sheet.labels:
        _label(ws, label.range, label.text, styles.label(label.role))
    for key in sheet.field_keys:
        f = form.fields[key]
        note = annotations.get((sheet.name, f.cell))
        if f.computed_by:
            _formula_cell(ws, form, f, numbers, styles.computed(note.severity if note else None))
        else:
            _input_cell(
                ws, f, values.get(key), styles.input(f, note.severity if note else None), raw
            )
        if note:
            ws.write_comment(
                f.cell, "\n".join(note.notes), {"x_scale": 3, "y_scale": 2.5, "author": "xlcheck"}
            )
    if sheet.row_height:
        for key in sheet.field_keys:
            ws.set_row(parse_cell(form.fields[key].cell)[0] - 1, sheet.row_height)
    _live_checks(ws, compile_live_checks(form, sheet), styles, numbers)
    ws.protect(
        TEMPLATE_PASSWORD,
        {
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "format_columns": True,
            "format_rows": True,
        },
    )
    wide = sum(1 for _ in sheet.column_widths) > WIDE_SHEET_COLUMNS
    _print_setup(ws, sheet.heading or sheet.name, sheet.header_rows, landscape=wide)


def _label(ws: Any, ref: str, text: str, fmt: Any) -> None:
    r1, c1, r2, c2 = parse_range(ref)
    if (r1, c1) == (r2, c2):
        ws.write_string(r1 - 1, c1 - 1, text, fmt)
    else:
        ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, text, fmt)


def _input_cell(ws: Any, f: Field, value: Any, fmt: Any, raw: bool) -> None:
    row, col = parse_cell(f.cell)
    shown = _shown_value(f, value, raw)
    if f.merge:
        r1, c1, r2, c2 = parse_range(f.merge)
        ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, "", fmt)
    if isinstance(shown, str):
        ws.write_string(row - 1, col - 1, shown, fmt)
    elif isinstance(shown, bool):
        ws.write_boolean(row - 1, col - 1, shown, fmt)
    elif isinstance(shown, int | float):
        ws.write_number(row - 1, col - 1, shown, fmt)
    else:
        ws.write_blank(row - 1, col - 1, None, fmt)
    _validation(ws, f)


def _shown_value(f: Field, value: Any, raw: bool) -> Any:
    """What the cell shows: choices as their Chinese label; numbers default to 0 in a fresh template."""
    if f.type == "choice" and not raw:
        labels = {c.value: c.label.zh for c in f.choices}
        return labels.get(value, value)
    if f.is_numeric and value is None and not raw:
        return 0
    if f.type == "credit_code" and isinstance(value, int | float) and not raw:
        return format(value, ".0f")
    return value


def _validation(ws: Any, f: Field) -> None:
    if f.type == "choice":
        ws.data_validation(
            f.cell,
            {
                "validate": "list",
                "source": [c.label.zh for c in f.choices],
                "input_title": "请从下拉列表选择",
                "input_message": "点击单元格右侧的箭头选择。",
                "error_title": "输入有误",
                "error_message": "请从下拉列表中选择。",
            },
        )
        return
    if f.type not in PROMPTS:
        return
    title, prompt, error = PROMPTS[f.type]
    spec: dict[str, Any] = {
        "input_title": title,
        "input_message": prompt,
        "error_title": "输入有误",
        "error_message": error,
        "error_type": "stop",
    }
    if f.type == "year":
        spec.update(
            validate="integer",
            criteria="between",
            minimum=f.minimum or 2021,
            maximum=f.maximum or 2100,
        )
    else:
        spec.update(validate="integer" if f.type == "count" else "decimal", criteria=">=", value=0)
    ws.data_validation(f.cell, spec)


def term_ref(form: Form, term: Term, here: str) -> str:
    """A cell reference for a term, sheet-qualified when it lives on another sheet."""
    f = form.fields[term.key or ""]
    row, col = parse_cell(f.cell)
    ref = f"{column_letters(col)}{row}"
    if f.sheet != here:
        ref = f"'{form.sheet(f.sheet).name}'!{ref}"
    return ref


def sum_expression(form: Form, terms: tuple[Term, ...], here: str) -> str:
    """SUM(D4:I4) for a contiguous run on one row or column, else D6+D7-…"""
    refs = [term_ref(form, t, here) for t in terms]
    if len(terms) > 2 and all(t.sign == 1 for t in terms) and _contiguous(refs):
        return f"SUM({refs[0]}:{refs[-1]})"
    text = "".join(("+" if t.sign == 1 else "-") + r for t, r in zip(terms, refs, strict=True))
    return text.lstrip("+") or "0"


def _contiguous(refs: list[str]) -> bool:
    if any("!" in r for r in refs):
        return False
    cells = [parse_cell(r) for r in refs]
    rows, cols = {c[0] for c in cells}, {c[1] for c in cells}
    if len(rows) == 1:
        return sorted(c[1] for c in cells) == list(range(min(cols), min(cols) + len(cells)))
    if len(cols) == 1:
        return sorted(c[0] for c in cells) == list(range(min(rows), min(rows) + len(cells)))
    return False


def _formula_cell(ws: Any, form: Form, f: Field, numbers: Mapping[str, Any], fmt: Any) -> None:
    rule: Rule = form.rule_by_instance(f.computed_by or "")
    formula = "=" + sum_expression(form, rule.params["operands"], f.sheet)
    cached = numbers.get(f.key)
    ws.write_formula(f.cell, formula, fmt, cached if isinstance(cached, int | float) else 0)


def _live_checks(
    ws: Any, checks: list[LiveCheck], styles: Styles, numbers: Mapping[str, Any]
) -> None:
    for check in checks:
        if check.cell:
            ws.write_formula(check.cell, check.formula, styles.check, check.cached(numbers))
        for fmt_spec in check.conditional_formats(styles.workbook):
            ws.conditional_format(check.target_range, fmt_spec)


def _names(workbook: Any, form: Form) -> None:
    for f in form.fields.values():
        row, col = parse_cell(f.cell)
        workbook.define_name(f.key, f"='{form.sheet(f.sheet).name}'!${column_letters(col)}${row}")


def _meta_sheet(workbook: Any, form: Form, styles: Styles) -> None:
    ws = workbook.add_worksheet(META_SHEET)
    for row, (name, value) in enumerate(metadata(form).items()):
        ws.write_string(row, 0, name)
        ws.write_string(row, 1, value)
    ws.very_hidden()
    ws.protect(TEMPLATE_PASSWORD)


def _print_setup(
    ws: Any, heading: str, header_rows: tuple[int, int] | None, *, landscape: bool
) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.8)
    if header_rows:
        ws.repeat_rows(header_rows[0] - 1, header_rows[1] - 1)
    ws.set_header("&C&12" + heading.replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")


_BOOK_VIEWS = re.compile(rb"<bookViews>")


def protect_structure(data: bytes) -> bytes:
    """Add workbook structure protection (xlsxwriter has no API for it) by rewriting workbook.xml.

    The element goes before <bookViews>, as the schema's sequence requires. No password: the
    structure lock stops accidental changes; sheet protection carries the password.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = _BOOK_VIEWS.sub(
                    b'<workbookProtection lockStructure="1"/><bookViews>', content, count=1
                )
            target.writestr(info, content)
    return out.getvalue()


def cell_of(form: Form, key: str) -> str:
    f = form.fields[key]
    row, col = parse_cell(f.cell)
    return format_cell(row, col)

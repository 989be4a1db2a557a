"""LibreOffice as a real client: it recalculates the filled template, keeps names and metadata,
and shows the live checks exactly where the form puts them; the template also prints to PDF.
The layout tests run for every bundled form (one LibreOffice resave each); the rest once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from documents import role_field, sum_input, sum_target
from lo import SOFFICE, convert, recalc_and_resave
from xlcheck.form import Field, Form, Rule
from xlcheck.xlsxout import template_properties, write_template

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
]
T3 = "三、依申请公开"
BALANCED = "✓ 平衡"


def instances(form: Form, rule_id: str) -> list[Rule]:
    return [r for r in form.rules if r.id == rule_id]


def live_row(form: Form, rule_id: str) -> int:
    return next(r.live["row"] for r in instances(form, rule_id) if r.live)


def column(field: Field) -> str:
    return field.cell.rstrip("0123456789")


def values_for(form: Form) -> dict[str, Any]:
    """Column 自然人: new 5 = a result 3 + carried forward 1 + ... → off by 1; column 商业企业
    (two results) and a table 四 block balance; a name, a tier, an amount and a formula payload."""
    balance = instances(form, "R1")
    results = [r.params["operands"] for r in instances(form, "R3")]
    review = instances(form, "R4")[0].params["operands"]
    amount = next(f for f in form.fields.values() if f.type == "amount")
    return {
        sum_input(form, "R2").key: 5,
        results[0][0].key: 3,
        balance[0].params["right"][1].key: 1,
        balance[1].params["left"][0].key: 2,
        results[1][2].key: 1,
        results[1][-1].key: 1,
        review[0].key: 2,
        review[3].key: 1,
        role_field(form, "name").key: "某某县人民政府",
        role_field(form, "tier").key: "county",
        amount.key: 4068.208,
        form.roles.prose[0]: '=HYPERLINK("http://example.invalid")',
    }


def test_recalculation_really_happens(tmp_path: Path) -> None:
    """A cached 0 written by xlsxwriter must become the real total after recalc_and_resave."""
    import xlsxwriter

    stale = tmp_path / "stale.xlsx"
    workbook = xlsxwriter.Workbook(str(stale))
    sheet = workbook.add_worksheet("S")
    sheet.write_number("A1", 2)
    sheet.write_number("A2", 3)
    sheet.write_formula("A3", "=A1+A2", None, 0)
    workbook.close()
    fresh = recalc_and_resave(stale, tmp_path / "fresh.xlsx")
    assert openpyxl.load_workbook(fresh, data_only=True)["S"]["A3"].value == 5


@pytest.fixture(scope="module")
def resaved(tmp_path_factory: pytest.TempPathFactory, form: Form) -> tuple[Any, Any]:
    folder = tmp_path_factory.mktemp("lo")
    filled = folder / "filled.xlsx"
    # Our cached values are right already; test_recalculation_really_happens proves LibreOffice
    # recomputes on load, so the values read below are LibreOffice's own results.
    write_template(form, filled, values=values_for(form))
    out = recalc_and_resave(filled, folder / "resaved.xlsx")
    return openpyxl.load_workbook(out, data_only=True), openpyxl.load_workbook(out)


def test_inputs_survive(resaved: tuple[Any, Any], form: Form) -> None:
    values, _ = resaved
    tier = role_field(form, "tier").key
    for key, value in values_for(form).items():
        fld = form.fields[key]
        cell = values[form.sheet(fld.sheet).name][fld.cell]
        expected = "县级（县、县级市、区）" if key == tier else value
        assert cell.value == expected, key
        assert cell.data_type == ("s" if isinstance(expected, str) else "n"), key


def cell_of(book: Any, form: Form, key: str) -> Any:
    fld = form.fields[key]
    return book[form.sheet(fld.sheet).name][fld.cell]


def test_totals_are_recalculated(resaved: tuple[Any, Any], form: Form) -> None:
    handled = [r.params["target"].key for r in instances(form, "R3")]  # （七）总计 per column
    totals = [sum_target(form, "R2").key, handled[0], handled[1], handled[-1]]
    assert [cell_of(resaved[0], form, key).value for key in totals] == [7, 3, 2, 5]
    assert cell_of(resaved[0], form, sum_target(form, "R4").key).value == 3


def test_check_row_flags_exactly_the_unbalanced_columns(
    resaved: tuple[Any, Any], form: Form
) -> None:
    ws = resaved[0][form.sheet(sum_input(form).sheet).name]
    columns = [column(form.fields[r.params["left"][0].key]) for r in instances(form, "R1")]
    row, warn = live_row(form, "R1"), live_row(form, "W1")
    off = {columns[0], columns[-1]}  # 自然人 and 总计
    assert {c: ws[f"{c}{row}"].value for c in columns} == {
        c: ("不平：差 1" if c in off else BALANCED) for c in columns
    }
    assert {ws[f"{c}{warn}"].value for c in columns} == {"✓"}
    blocks = [form.fields[r.params["target"].key] for r in instances(form, "R4")]
    t4 = resaved[0][form.sheet(blocks[0].sheet).name]
    assert {t4[f"{column(b)}{live_row(form, 'R4')}"].value for b in blocks} == {BALANCED}


def test_formulas_stay_formulas(resaved: tuple[Any, Any], form: Form) -> None:
    row_total = instances(form, "R2")[0]
    operands = row_total.params["operands"]
    first, last = form.fields[operands[0].key].cell, form.fields[operands[-1].key].cell
    assert cell_of(resaved[1], form, row_total.params["target"].key).value == (
        f"=SUM({first}:{last})"
    )
    ws = resaved[1][form.sheet(sum_input(form).sheet).name]
    assert str(ws[f"{column(sum_input(form))}{live_row(form, 'R1')}"].value).startswith("=IF(")
    assert cell_of(resaved[1], form, form.roles.prose[0]).data_type == "s"  # the payload: text


def test_names_with_dots_survive(resaved: tuple[Any, Any], form: Form) -> None:
    names = resaved[1].defined_names
    for key, fld in form.fields.items():
        ((sheet, ref),) = list(names[key].destinations)
        assert (sheet, ref.replace("$", "")) == (form.sheet(fld.sheet).name, fld.cell), key


def test_metadata_survives(resaved: tuple[Any, Any], form: Form) -> None:
    wb = resaved[1]
    expected = template_properties(form)
    custom = {p.name: p.value for p in wb.custom_doc_props.props}
    hidden = {r[0]: r[1] for r in wb["_xlcheck"].iter_rows(max_row=4, values_only=True)}
    assert custom == expected and hidden == expected
    # Sheet protection survives; LibreOffice drops the structure lock and makes the very hidden
    # sheet merely hidden when it re-saves, so the reader must not rely on either.
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert wb["_xlcheck"].sheet_state in ("hidden", "veryHidden")


def test_template_prints_to_pdf(tmp_path: Path, form: Form) -> None:
    template = tmp_path / "template.xlsx"
    write_template(form, template)
    pdf = convert(template, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


@pytest.mark.form_2021  # about the error workbook writer, not a form's layout: once
def test_error_workbook_written_from_the_base_package_opens_in_libreoffice(
    tmp_path: Path, form: Form
) -> None:
    """The copy (own zip writer, strings added to the base's table, comments and VML added)
    is a workbook LibreOffice opens and saves again with values, comments and marks intact."""
    from xlcheck.findings import Finding
    from xlcheck.form.model import Text
    from xlcheck.xlsxout import write_error_workbook

    cells = {**values_for(form), "contact.person": "_x0041_ 张三", "agency.name": "=1+1"}
    findings = [
        Finding("R1", "error", Text("不平，相差 1。", "off by 1"), sheet=T3, cell="D4"),
        Finding("W1", "warning", Text("请核实。", "check"), sheet="基本信息", cell="B2"),
    ]
    source = tmp_path / "错误清单.xlsx"
    write_error_workbook(form, source, cells=cells, findings=findings, source_name="报表.xlsx")
    book = openpyxl.load_workbook(recalc_and_resave(source, tmp_path / "resaved.xlsx"))
    listing = book.worksheets[0]
    assert listing["G3"].value == "不平，相差 1。" and listing["G4"].value == "请核实。"
    assert "不平" in book[T3]["D4"].comment.text and "请核实" in book["基本信息"]["B2"].comment.text
    assert book["基本信息"]["B2"].value == "=1+1" and book["基本信息"]["B2"].data_type == "s"
    assert book["基本信息"]["B7"].value == "_x0041_ 张三"
    assert book[T3]["D4"].fill.fgColor.rgb.endswith("FF8B8B")
    assert book[T3]["D4"].value == 5

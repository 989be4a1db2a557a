"""LibreOffice as a real client: it recalculates the filled template, keeps names and metadata,
and shows the live checks exactly where the form puts them; the template also prints to PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from lo import SOFFICE, convert, recalc_and_resave
from xlcheck.form import Form
from xlcheck.xlsxout import template_properties, write_template

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
]
T3 = "三、依申请公开"
BALANCED = "✓ 平衡"
# 自然人: new 5 = granted 3 + carried forward 1 + ... → off by 1; everything else balances.
VALUES = {
    "applications.new.natural_person": 5,
    "applications.handled.granted.natural_person": 3,
    "applications.carried_forward.natural_person": 1,
    "applications.new.commercial_enterprise": 2,
    "applications.handled.withheld.state_secret.commercial_enterprise": 1,
    "applications.handled.other.other.commercial_enterprise": 1,
    "review_litigation.review.upheld": 2,
    "review_litigation.review.pending": 1,
    "agency.name": "某某县人民政府",
    "agency.tier": "county",
    "proactive.fees_wan_yuan": 4068.208,
    "overview.intro": '=HYPERLINK("http://example.invalid")',
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
    write_template(form, filled, values=VALUES)
    out = recalc_and_resave(filled, folder / "resaved.xlsx")
    return openpyxl.load_workbook(out, data_only=True), openpyxl.load_workbook(out)


def test_inputs_survive(resaved: tuple[Any, Any], form: Form) -> None:
    values, _ = resaved
    for key, value in VALUES.items():
        fld = form.fields[key]
        cell = values[form.sheet(fld.sheet).name][fld.cell]
        expected = "县级（县、县级市、区）" if key == "agency.tier" else value
        assert cell.value == expected, key
        assert cell.data_type == ("s" if isinstance(expected, str) else "n"), key


def test_totals_are_recalculated(resaved: tuple[Any, Any]) -> None:
    ws = resaved[0][T3]
    assert (ws["J4"].value, ws["D27"].value, ws["E27"].value, ws["J27"].value) == (7, 3, 2, 5)
    assert resaved[0]["四、复议诉讼"]["E4"].value == 3


def test_check_row_flags_exactly_the_unbalanced_columns(resaved: tuple[Any, Any]) -> None:
    ws = resaved[0][T3]
    assert {c: ws[f"{c}30"].value for c in "DEFGHIJ"} == {
        "D": "不平：差 1",
        "E": BALANCED,
        "F": BALANCED,
        "G": BALANCED,
        "H": BALANCED,
        "I": BALANCED,
        "J": "不平：差 1",
    }
    assert {ws[f"{c}31"].value for c in "DEFGHIJ"} == {"✓"}
    assert {resaved[0]["四、复议诉讼"][f"{c}6"].value for c in "EJO"} == {BALANCED}


def test_formulas_stay_formulas(resaved: tuple[Any, Any]) -> None:
    ws = resaved[1][T3]
    assert ws["J4"].value == "=SUM(D4:I4)"
    assert str(ws["D30"].value).startswith("=IF(")
    assert resaved[1]["一、总体情况"]["B2"].data_type == "s"  # the payload stayed text


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


def test_error_workbook_written_from_the_base_package_opens_in_libreoffice(
    tmp_path: Path, form: Form
) -> None:
    """The copy (own zip writer, strings added to the base's table, comments and VML added)
    is a workbook LibreOffice opens and saves again with values, comments and marks intact."""
    from xlcheck.findings import Finding
    from xlcheck.form.model import Text
    from xlcheck.xlsxout import write_error_workbook

    cells = {**VALUES, "contact.person": "_x0041_ 张三", "agency.name": "=1+1"}
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

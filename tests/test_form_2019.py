"""The 2019 trial format (国办公开办函〔2019〕60号) end to end: template, fill, check, JSON, Word.

Its table 二 has five bands with a signed 本年增/减 and a procurement amount; its table 三 has one
undivided （六）其他处理 row. Everything here comes from `forms/gov-info-disclosure-2019.json`.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli_run import xlcheck
from documents import PROACTIVE_2019 as PROACTIVE
from documents import valid_values_2019 as values_2019
from lo import SOFFICE, recalc_and_resave
from xlcheck.canonical import nest
from xlcheck.check import FileResult, check_bytes, check_path
from xlcheck.checks.schema import build_schema
from xlcheck.form import Form, load_form
from xlcheck.normalise import normalise
from xlcheck.xlsxout import write_template

NAME = "gov-info-disclosure-2019"
ROOT = Path(__file__).resolve().parents[1]
T2, T3, T4 = "二、主动公开", "三、依申请公开", "四、复议诉讼"


@pytest.fixture(scope="module")
def form19() -> Form:
    return load_form(NAME)


def workbook(form: Form, values: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    return buffer.getvalue()


def located(result: FileResult) -> set[tuple[str | None, str | None, str | None]]:
    return {(f.rule, f.sheet, f.cell) for f in result.findings}


# ---- the form itself -------------------------------------------------------------------------------


def test_the_2019_form_has_its_own_version_and_keys(form19: Form) -> None:
    assert (form19.id, form19.form_version) == ("gov-info-disclosure-annual-report", "2019")
    assert form19.basis == "国办公开办函〔2019〕60号"
    keys = set(form19.fields)
    assert set(PROACTIVE) <= keys
    assert not {k for k in keys if k.startswith("proactive.") and k not in PROACTIVE}
    assert "applications.handled.other.total" in keys  # one row of 7 columns, no sub-rows
    assert not [k for k in keys if k.startswith("applications.handled.other.fee_unpaid")]
    assert form19.fields["proactive.licensing.change"].type == "change"
    assert form19.fields["proactive.procurement.amount_wan_yuan"].type == "amount"


def test_table_three_has_26_rows_and_r3_sums_the_19_leaf_rows(form19: Form) -> None:
    t3 = form19.sheet("t3")
    assert form19.fields["applications.handled.other.natural_person"].cell == "D24"
    assert form19.fields["applications.handled.total.natural_person"].cell == "D25"
    assert form19.fields["applications.carried_forward.total"].cell == "J26"
    labels = {lab.range: lab.text for lab in t3.labels}
    assert labels["A6:A25"] == "三、本年度办理结果" and labels["B24:C24"] == "（六）其他处理"
    r3 = next(r for r in form19.rules if r.id == "R3")
    assert len(r3.params["operands"]) == 19


def test_the_form_declares_the_labels_that_tell_the_2019_layout_apart() -> None:
    raw = json.loads((ROOT / "src/xlcheck/forms" / f"{NAME}.json").read_text("utf-8"))
    assert {"本年新制作数量", "本年增/减", "第二十条第（九）项", "政府集中采购"} <= set(
        raw["detect"]["labels"]
    )
    assert raw["detect"]["single_rows"] == ["（六）其他处理"]


def test_committed_schema_and_template_are_current(form19: Form, tmp_path: Path) -> None:
    committed = json.loads((ROOT / "schemas" / f"{NAME}.schema.json").read_text("utf-8"))
    assert committed == build_schema(form19)
    change = committed["properties"]["proactive"]["properties"]["licensing"]["properties"]
    assert change["change"] == {"type": "integer", "minimum": -(10**9), "maximum": 10**9}
    template = ROOT / "templates" / "xlsx" / f"{NAME}.xlsx"
    result = check_path(template, form19)
    assert result.template["form_version"] == "2019"


# ---- template -> fill -> check -> convert --------------------------------------------------------


def test_template_fill_check_convert(form19: Form, tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    run = xlcheck(
        "template", "--form", NAME, "-o", str(template), "--agency", "某某县市场监督管理局"
    )
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(template)
    assert [c.value for c in book[T2][2]][:4] == [
        "信息内容",
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
    ]
    assert book[T2]["A16"].value == "第二十条第（九）项" and book[T2]["A18"].value == "政府集中采购"
    doc = tmp_path / "2020.json"
    doc.write_text(json.dumps(nest(form19, values_2019(form19, 3)), ensure_ascii=False), "utf-8")
    filled = tmp_path / "filled.xlsx"
    run = xlcheck("fill", str(doc), "-o", str(filled), "--form", NAME)
    assert run.returncode == 0, run.stderr
    run = xlcheck("check", str(filled), "--form", NAME)
    assert run.returncode == 0, run.stdout + run.stderr
    run = xlcheck(
        "convert", str(filled), "--to", "json", "--out-dir", str(tmp_path), "--form", NAME
    )
    assert run.returncode == 0, run.stderr
    out = json.loads((tmp_path / "filled.json").read_text("utf-8"))
    assert out["form_version"] == "2019"
    assert out["proactive"]["licensing"] == {"previous_count": 12, "change": -2, "decisions": 410}
    assert out["proactive"]["procurement"] == {"projects": 3, "amount_wan_yuan": 25.1}
    assert set(out["proactive"]["regulations"]) == {"produced", "published", "public_total"}
    assert set(out["applications"]["handled"]["other"]) == set(out["applications"]["new"])
    run = xlcheck(
        "convert", str(filled), "--to", "docx", "--out-dir", str(tmp_path), "--form", NAME
    )
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "filled.docx") as package:
        body = package.read("word/document.xml").decode("utf-8")
    for label in (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
    ):
        assert label in body
    for label in ("第二十条第（九）项", "政府集中采购", "其他对外管理服务事项", "（六）其他处理"):
        assert label in body
    assert "本年制发件数" not in body and "1.申请人无正当理由" not in body
    assert ">-2<" in body  # the signed change as written


def test_a_valid_2019_workbook_is_valid(form19: Form) -> None:
    result = check_bytes(workbook(form19, values_2019(form19, 1)), "a.xlsx", form19)
    assert result.valid, [f.text() for f in result.findings]
    assert not [f for f in result.findings if f.severity == "warning"], [
        f.text() for f in result.findings
    ]


def _broken_workbook(form: Form, change: dict[str, Any]) -> FileResult:
    values = values_2019(form, 2)
    values.update(change)
    return check_bytes(workbook(form, values), "b.xlsx", form)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"applications.new.natural_person": 99}, ("R1", T3, "D4")),
        ({"proactive.licensing.decisions": -1}, ("R5", T2, "D7")),
        ({"proactive.procurement.amount_wan_yuan": 1.0000001}, ("R5", T2, "C18")),
        ({"proactive.regulations.published": 1}, ("R6", T2, "C3")),
        ({"year": 2022}, ("R7", "基本信息", "B6")),
        ({"proactive.normative_documents.public_total": 3}, ("W11", T2, "D4")),
        ({"applications.carried_forward.natural_person": 999}, ("W1", T3, "D26")),
    ],
    ids=["R1", "R5-count", "R5-amount", "R6", "R7", "W11", "W1"],
)
def test_each_rule_broken_in_a_workbook_is_found_at_its_cell(
    form19: Form, change: dict[str, Any], where: tuple[str, str, str]
) -> None:
    assert where in located(_broken_workbook(form19, change))


def _broken_document(form: Form, path: list[str], value: Any) -> FileResult:
    doc = nest(form, values_2019(form, 2))
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "b.json", form)


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        (["applications", "handled", "other", "total"], "R2"),
        (["applications", "handled", "total", "natural_person"], "R3"),
        (["review_litigation", "review", "total"], "R4"),
    ],
)
def test_totals_broken_in_a_document_are_found_at_their_pointer(
    form19: Form, path: list[str], rule: str
) -> None:
    """Totals are formulas in the workbook, so they are broken in a canonical JSON document."""
    result = _broken_document(form19, path, 777)
    assert (rule, "/" + "/".join(path)) in {(f.rule, f.pointer) for f in result.findings}


def test_x1_and_w12_run_between_two_2019_format_reports(form19: Form) -> None:
    last = values_2019(form19, 4)
    this = values_2019(form19, 5)
    this["applications.carried_over.natural_person"] = (
        last["applications.carried_forward.natural_person"] + 1
    )
    this["proactive.licensing.previous_count"] = 12 + (-2)  # last year's count + change: holds
    this["proactive.enforcement.previous_count"] = 7  # last year 2 + (-4) = -2: does not hold
    result = check_bytes(workbook(form19, this), "this.xlsx", form19, previous=last)
    found = located(result)
    assert ("X1", T3, "D5") in found
    assert ("W12", T2, "B12") in found and ("W12", T2, "B7") not in found


# ---- signed change and amounts with units -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("增1", 1),
        ("减4", -4),
        ("-4", -4),
        ("+2", 2),
        ("0", 0),
        ("减 4", -4),
        ("增加3", 3),
        (-4, -4),
    ],
)
def test_a_signed_change_is_read_with_its_sign(form19: Form, raw: Any, value: int) -> None:
    read = normalise(form19.fields["proactive.licensing.change"], raw)
    assert read.value == value and type(read.value) is int
    if isinstance(raw, str) and raw[0] in "增减":
        assert "signed_change" in read.steps


@pytest.mark.parametrize("raw", ["—", "/", "无", "增", "减减1"])
def test_a_change_placeholder_is_a_finding_never_a_silent_zero(form19: Form, raw: str) -> None:
    result = _broken_workbook(form19, {"proactive.licensing.change": raw})
    assert result.values["proactive.licensing.change"] == raw
    assert ("R5", T2, "C7") in located(result)


def test_a_change_typed_as_text_is_read_and_said(form19: Form) -> None:
    result = _broken_workbook(form19, {"proactive.licensing.change": "减2"})
    assert result.values["proactive.licensing.change"] == -2
    assert "signed_change" in result.sources["proactive.licensing.change"].steps
    v12 = [f for f in result.findings if f.code == "V12"]
    assert [f.cell for f in v12] == ["C7"] and "-2" in v12[0].text()


def test_counts_stay_non_negative(form19: Form) -> None:
    read = normalise(form19.fields["proactive.licensing.previous_count"], "减4")
    assert read.value == "减4"  # only a change takes 增/减


@pytest.mark.parametrize(
    ("raw", "value", "step"),
    [
        ("251000元", 25.1, "unit_yuan"),
        ("25.1万元", 25.1, "unit_wan_yuan"),
        ("２５.１万元", 25.1, "unit_wan_yuan"),
        ("1,234.5 元", 0.12345, "unit_yuan"),
        ("0.5亿元", 5000, "unit_yi_yuan"),
    ],
)
def test_an_amount_naming_its_unit_is_converted_to_wan_yuan(
    form19: Form, raw: str, value: float, step: str
) -> None:
    read = normalise(form19.fields["proactive.procurement.amount_wan_yuan"], raw)
    assert read.value == value and step in read.steps


def test_an_amount_in_yuan_typed_in_the_workbook_is_converted_and_said(form19: Form) -> None:
    result = _broken_workbook(form19, {"proactive.procurement.amount_wan_yuan": "251000元"})
    assert result.values["proactive.procurement.amount_wan_yuan"] == 25.1
    assert [f.cell for f in result.findings if f.code == "V12"] == ["C18"]
    assert result.valid


def test_a_unit_on_a_count_is_not_a_number(form19: Form) -> None:
    read = normalise(form19.fields["proactive.procurement.projects"], "3元")
    assert read.value == "3元"


# ---- a real client ---------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_2019_workbook_resaved_by_libreoffice_checks_valid(form19: Form, tmp_path: Path) -> None:
    source = tmp_path / "filled.xlsx"
    source.write_bytes(workbook(form19, values_2019(form19, 6)))
    resaved = recalc_and_resave(source, tmp_path / "resaved.xlsx")
    result = check_path(resaved, form19)
    assert result.valid, [f.text() for f in result.findings]
    assert result.values["proactive.enforcement.change"] == -4
    assert result.values["proactive.procurement.amount_wan_yuan"] == 25.1
    sheet = openpyxl.load_workbook(resaved, data_only=True)[T3]
    assert sheet["D28"].value == "✓ 平衡"  # the live check row under the 26-row table


def test_word_table_two_of_18_rows_is_kept_on_one_page(form19: Form) -> None:
    from xlcheck.render.docx_report import write_report

    buffer = io.BytesIO()
    write_report(form19, nest(form19, values_2019(form19, 7)), buffer)
    with zipfile.ZipFile(buffer) as package:
        body = package.read("word/document.xml").decode("utf-8")
    tables = body.split("<w:tbl>")[1:]
    table_two = next(t for t in tables if "政府集中采购" in t).split("</w:tbl>")[0]
    rows = table_two.split("<w:tr>")[1:]
    assert len(rows) == 18
    assert all("keepNext" in row for row in rows[:-1])  # every row keeps with the next


def test_the_procurement_header_is_the_official_label_and_the_unit_a_workbook_hint(
    form19: Form,
) -> None:
    labels = {lab.range: (lab.text, lab.role) for lab in form19.sheet("t2").labels}
    assert labels["C17:D17"] == ("采购总金额", "header")
    assert labels["E18"][1] == "hint" and "万元" in labels["E18"][0]

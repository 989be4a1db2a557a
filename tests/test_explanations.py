"""An office explains a warning (a 核实说明): in the template's 核实说明 sheet or in a JSON document's
`explanations`. The warning stays, marked explained (已说明), and no longer counts as open; an error
cannot be explained away; the canonical JSON and 汇总 carry the explanations."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli_run import xlcheck
from documents import valid_values_for
from lo import SOFFICE, recalc_and_resave
from xlcheck.batch import BatchOptions, run_batch
from xlcheck.check import FileResult, check_bytes, check_path
from xlcheck.checks.derive import recompute
from xlcheck.explain import SHEET_NAME, Explanation, row_where
from xlcheck.form import Form, load_form
from xlcheck.outputs.documents import canonical_document
from xlcheck.report import format_json, format_text
from xlcheck.xlsxout import write_error_workbook, write_template
from xlcheck.xlsxout.errors import rebuild_error_workbook

COLUMN = "legal_service_agency"
W1_AT = f"/applications/carried_forward/{COLUMN}"
WHY = "结转多于新收：上年积压案件"


def w1_values(form: Form, *, r1: bool = False) -> dict[str, Any]:
    """Valid values but for W1 in one column (carried forward 5 > new 0); R1 too when asked."""
    values = {
        k: (0 if k.endswith("." + COLUMN) and k.startswith("applications.") else v)
        for k, v in valid_values_for(form).items()
    }
    values.update(
        {
            "overview.intro": "无",
            f"applications.new.{COLUMN}": 0,
            f"applications.carried_over.{COLUMN}": 5,
            f"applications.carried_forward.{COLUMN}": 5,
        }
    )
    if r1:
        values["applications.carried_forward.natural_person"] += 1
    return recompute(form, values)


def filled(form: Form, rows: list[tuple[str, str, str]], *, r1: bool = False) -> bytes:
    """The template filled with W1-raising values and the explanation sheet's rows."""
    items = [Explanation(rule, place or None, text, row_where(0)) for rule, place, text in rows]
    buffer = io.BytesIO()
    write_template(form, buffer, values=w1_values(form, r1=r1), explanations=items)
    return buffer.getvalue()


def by_code(result: FileResult, code: str) -> list[Any]:
    return [f for f in result.findings if f.code == code]


def w1(result: FileResult) -> Any:
    (finding,) = [f for f in result.findings if f.rule == "W1"]
    return finding


# ---- the template ------------------------------------------------------------------------------


def test_template_has_an_unlocked_explanation_sheet_with_the_warning_rules(
    form: Form, tmp_path: Path
) -> None:
    path = tmp_path / "template.xlsx"
    write_template(form, path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET_NAME]
    assert [sheet.cell(2, c).value for c in (1, 2, 3)] == ["规则", "位置", "说明"]
    assert "错误" in str(sheet["A1"].value) and "不能以说明代替" in str(sheet["A1"].value)
    assert sheet.protection.sheet
    assert all(sheet.cell(r, c).protection.locked is False for r in (3, 52) for c in (1, 2, 3))
    assert sheet.cell(2, 1).protection.locked is not False
    (validation,) = sheet.data_validations.dataValidation
    warnings = [r.id for r in form.rules if r.severity == "warning"]
    assert validation.type == "list"
    assert validation.formula1 == '"' + ",".join(dict.fromkeys(warnings)) + '"'
    assert str(validation.sqref) == "A3:A52"
    # the sheet comes after the form's sheets: their order and names are unchanged
    names = book.sheetnames
    assert names[1 : 1 + len(form.sheets)] == [s.name for s in form.sheets]
    assert names.index(SHEET_NAME) == 1 + len(form.sheets)


def test_the_empty_template_raises_no_finding_about_the_sheet(form: Form) -> None:
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values_for(form))
    result = check_bytes(buffer.getvalue(), "x.xlsx", form)
    assert result.explanations == []
    assert not [f for f in result.findings if f.code.startswith("S")]


# ---- a warning explained -----------------------------------------------------------------------


def test_an_explained_warning_is_marked_and_not_open(form: Form) -> None:
    before = check_bytes(filled(form, []), "x.xlsx", form)
    assert w1(before).explanation is None and before.valid
    result = check_bytes(filled(form, [("W1", "", WHY)]), "x.xlsx", form)
    assert result.valid and w1(result).explanation == WHY
    assert not [f for f in result.findings if f.code.startswith("S")]
    text = format_text([result])
    assert "0 个错误，1 个提示（1 个已说明）" in text
    assert f"已说明：{WHY}" in text
    english = format_text([result], "en")
    assert "1 explained" in english and f"explained: {WHY}" in english
    report = json.loads(format_json([result]))["files"][0]
    assert report["explained"] == 1 and report["open_warnings"] == 0
    (shown,) = [f for f in report["findings"] if f["rule"] == "W1"]
    assert shown["explained"] is True and shown["explanation"] == WHY


def test_an_explanation_names_the_warnings_cell(form: Form) -> None:
    cell = next(f for f in form.fields.values() if f.pointer == W1_AT)
    sheet = form.sheet(cell.sheet).name
    right = check_bytes(filled(form, [("W1", f"{sheet}!{cell.cell}", WHY)]), "x.xlsx", form)
    assert w1(right).explanation == WHY
    assert right.explained[0].pointer == W1_AT
    # another column's cell: the W1 of this column stays open
    other = W1_AT.replace(COLUMN, "natural_person")
    elsewhere = next(f for f in form.fields.values() if f.pointer == other)
    wrong = check_bytes(filled(form, [("W1", f"{sheet}!{elsewhere.cell}", WHY)]), "x.xlsx", form)
    assert w1(wrong).explanation is None and wrong.explained == []


def test_the_canonical_json_carries_the_explanation(form: Form) -> None:
    result = check_bytes(filled(form, [("W1", "", WHY), ("W7", "", "没有这条提示")]), "x", form)
    doc = canonical_document(form, result)
    assert doc["explanations"] == [{"rule": "W1", "pointer": None, "text": WHY}]
    # the document checks again as it is, explanation and all
    again = check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "x.json", form)
    assert again.valid and not [f for f in again.findings if f.code.startswith("J")]
    assert w1(again).explanation == WHY


def test_a_document_without_explanations_has_no_key(form: Form) -> None:
    doc = canonical_document(form, check_bytes(filled(form, []), "x.xlsx", form))
    assert "explanations" not in doc


# ---- what cannot be explained ------------------------------------------------------------------


def test_an_error_cannot_be_explained_away(form: Form) -> None:
    result = check_bytes(filled(form, [("R1", "", "我们认为是对的")], r1=True), "x.xlsx", form)
    assert not result.valid
    assert all(f.explanation is None for f in result.findings if f.rule == "R1")
    (refused,) = by_code(result, "S18")
    assert refused.severity == "warning"
    assert "第 3 行" in refused.text() and "不能以说明代替" in refused.text()
    assert "cannot be explained away" in refused.text("en")


def test_an_unknown_rule_an_unknown_place_and_an_empty_text_are_warned(form: Form) -> None:
    rows = [("Z9", "", WHY), ("W1", "", ""), ("W1", "不存在!Q999", WHY)]
    result = check_bytes(filled(form, rows), "x.xlsx", form)
    assert [len(by_code(result, c)) for c in ("S19", "S20", "S21")] == [1, 1, 1]
    assert "第 3 行" in by_code(result, "S19")[0].text()
    assert "第 4 行" in by_code(result, "S20")[0].text()
    assert w1(result).explanation is None


def test_explanations_in_json_input_are_checked_by_the_schema(form: Form) -> None:
    doc = canonical_document(form, check_bytes(filled(form, []), "x.xlsx", form))
    doc["explanations"] = [{"rule": "W1", "text": WHY, "by": "someone"}]
    result = check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "x.json", form)
    assert [f.code for f in result.findings if f.code.startswith("J")]


# ---- real clients and the batch ----------------------------------------------------------------


def test_an_office_fills_the_sheet_in_a_spreadsheet_program(form: Form, tmp_path: Path) -> None:
    """openpyxl stands for the office: it types into the unlocked cells of the issued template."""
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled(form, []))
    book = openpyxl.load_workbook(path)
    book[SHEET_NAME]["A5"] = "W1"
    book[SHEET_NAME]["C5"] = WHY
    book.save(path)
    assert w1(check_path(path, form)).explanation == WHY


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_libreoffice_resave_keeps_the_explanations(form: Form, tmp_path: Path) -> None:
    source = tmp_path / "filled.xlsx"
    source.write_bytes(filled(form, [("W1", "", WHY)]))
    resaved = recalc_and_resave(source, tmp_path / "resaved.xlsx")
    result = check_path(resaved, form)
    assert w1(result).explanation == WHY
    assert not by_code(result, "S02")  # the sheet is known, not an extra one


def test_batch_summary_shows_explained_warnings(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "甲.xlsx").write_bytes(filled(form, [("W1", "", WHY)]))
    (inbox / "乙.xlsx").write_bytes(filled(form, []))
    out = tmp_path / "输出"
    run_batch(BatchOptions([inbox], out, jobs=1))
    book = openpyxl.load_workbook(out / "汇总.xlsx")
    rows = list(book["汇总"].iter_rows(values_only=True))
    head = list(rows[0])
    warnings, explained = head.index("警告数"), head.index("已说明")
    assert explained == warnings + 1
    shown = sorted((r[warnings], r[explained]) for r in rows[1:] if r[0] is not None)
    assert shown == [(1, 0), (1, 1)]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(r["explained"] for r in summary["rows"]) == [0, 1]
    problems = [str(r[head.index("主要问题")]) for r in rows[1:] if r[0] is not None]
    assert any(f"已说明：{WHY}" in p for p in problems)


def test_a_sheet_whose_headings_moved_is_not_guessed_at(form: Form, tmp_path: Path) -> None:
    path = tmp_path / "moved.xlsx"
    path.write_bytes(filled(form, [("W1", "", WHY)]))
    book = openpyxl.load_workbook(path)
    book[SHEET_NAME].insert_cols(1)  # as a rewrite with an index column leaves it
    book.save(path)
    result = check_path(path, form)
    (changed,) = by_code(result, "S22")
    assert "规则、位置、说明" in changed.text() and w1(result).explanation is None


def test_a_form_without_warning_rules_gets_no_explanation_sheet(tmp_path: Path) -> None:
    mini = load_form(Path(__file__).parent / "forms" / "mini.json")
    path = tmp_path / "mini.xlsx"
    write_template(mini, path)
    assert SHEET_NAME not in openpyxl.load_workbook(path).sheetnames


def test_check_on_the_command_line_shows_the_explanation(form: Form, tmp_path: Path) -> None:
    path = tmp_path / "甲.xlsx"
    path.write_bytes(filled(form, [("W1", "", WHY)]))
    run = xlcheck("check", str(path))
    assert run.returncode == 0, run.stderr
    assert "（1 个已说明）" in run.stdout and f"已说明：{WHY}" in run.stdout
    refused = tmp_path / "乙.xlsx"
    refused.write_bytes(filled(form, [("R1", "", WHY)], r1=True))
    run = xlcheck("check", str(refused))
    assert run.returncode == 1 and "不能以说明代替" in run.stdout


def error_workbook(form: Form, result: Any, folder: Path, build: str) -> Path:
    """The error workbook of a result, by the base copy or by the full rebuild."""
    path = folder / "errors.xlsx"
    write = write_error_workbook if build == "copy" else rebuild_error_workbook
    write(
        form,
        path,
        cells=result.raw,
        findings=result.findings,
        source_name="x.xlsx",
        explanations=result.explanations,
    )
    return path


@pytest.mark.parametrize("build", ["copy", "rebuild"])
def test_the_error_workbook_lists_the_explanation(form: Form, tmp_path: Path, build: str) -> None:
    result = check_bytes(filled(form, [("W1", "", WHY)], r1=True), "x.xlsx", form)
    path = tmp_path / "errors.xlsx"
    write = write_error_workbook if build == "copy" else rebuild_error_workbook
    write(form, path, cells=result.raw, findings=result.findings, source_name="x.xlsx")
    book = openpyxl.load_workbook(path)
    texts = [str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r]
    assert any(WHY in t and "已说明" in t for t in texts)


@pytest.mark.parametrize("build", ["copy", "rebuild"])
def test_the_error_workbook_keeps_the_offices_explanations(
    form: Form, tmp_path: Path, build: str
) -> None:
    """An office corrects its error workbook and sends it back: its explanations are still there."""
    rows = [("W1", "", WHY), ("R1", "", "错误的说明")]
    result = check_bytes(filled(form, rows, r1=True), "x.xlsx", form)
    path = error_workbook(form, result, tmp_path, build)
    sheet = openpyxl.load_workbook(path)[SHEET_NAME]
    assert [sheet.cell(r, c).value for r in (3, 4) for c in (1, 3)] == [
        "W1",
        WHY,
        "R1",
        "错误的说明",
    ]
    assert sheet.cell(5, 1).value is None and sheet.cell(5, 1).protection.locked is False
    again = check_path(path, form)
    assert w1(again).explanation == WHY and len(by_code(again, "S18")) == 1


@pytest.mark.parametrize("build", ["copy", "rebuild"])
def test_an_explanation_that_starts_like_a_formula_stays_text(
    form: Form, tmp_path: Path, build: str
) -> None:
    """The office's words are kept as typed, and a cell that starts with = is quote-prefixed, so
    re-entering it (F2, Enter) in Excel or WPS never turns it into a formula."""
    payload = '=HYPERLINK("http://x","点此")'
    result = check_bytes(filled(form, [("W1", "", payload)]), "x.xlsx", form)
    path = error_workbook(form, result, tmp_path, build)
    cell = openpyxl.load_workbook(path)[SHEET_NAME].cell(3, 3)
    assert cell.value == payload and cell.data_type == "s" and cell.quotePrefix

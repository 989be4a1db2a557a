"""The command line as a county office uses it: real processes, real files, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from cli_run import xlcheck
from documents import valid_document, valid_values
from xlcheck.form import Form
from xlcheck.xlsxout import write_template

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    run = xlcheck("check", "--bogus")
    assert (
        run.returncode == 2
        and len(run.stderr.strip().splitlines()) == 1
        and "--bogus" in run.stderr
    )
    existing = tmp_path / "模板.xlsx"
    existing.write_bytes(b"keep me")
    run = xlcheck("template", "-o", str(existing))
    assert run.returncode == 2 and "--force" in run.stderr and existing.read_bytes() == b"keep me"
    run = xlcheck("template", "-o", "/proc/no/such/模板.xlsx")
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_template_prefill_and_force(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert (
        xlcheck(
            "template", "-o", str(out), "--agency", "古庄店镇人民政府", "--year", "2025"
        ).returncode
        == 0
    )
    book = openpyxl.load_workbook(out)
    assert (
        book["基本信息"]["B2"].value == "古庄店镇人民政府" and book["基本信息"]["B6"].value == 2025
    )
    assert xlcheck("template", "-o", str(out), "--force").returncode == 0


def test_check_reports_in_chinese_english_and_json(tmp_path: Path) -> None:
    good = EXAMPLES / "某县市场监督管理局-2024.xlsx"
    bad = EXAMPLES / "某县交通运输局-2024-有错误.xlsx"
    run = xlcheck("check", str(good))
    assert run.returncode == 0 and "通过" in run.stdout
    run = xlcheck("check", str(good), str(bad), "--format", "json")
    report = json.loads(run.stdout)
    assert run.returncode == 1 and [f["valid"] for f in report["files"]] == [True, False]
    finding = next(f for f in report["files"][1]["findings"] if f["rule"] == "R1")
    assert finding["cell"] == "D4" and finding["pointer"] == "/applications/new/natural_person"
    assert finding["sheet"] == "三、依申请公开" and "表三「自然人」列" in finding["message"]
    assert (
        finding["severity"] == "error"
        and finding["code"] == "C02"
        and len(finding["operands"]) == 4
    )
    english = xlcheck("check", str(bad), "--lang", "en")
    assert "Table 3, column “natural persons”" in english.stdout


def test_error_workbook_for_an_invalid_file(tmp_path: Path) -> None:
    bad = EXAMPLES / "某县交通运输局-2024-有错误.xlsx"
    run = xlcheck("check", str(bad), "--errors-dir", str(tmp_path))
    assert run.returncode == 1
    book = openpyxl.load_workbook(tmp_path / "某县交通运输局-2024-有错误.errors.xlsx")
    assert book.sheetnames[0] == "错误清单"
    listed = [row[6].value for row in book["错误清单"].iter_rows(min_row=3) if row[6].value]
    assert any("表三「自然人」列" in text for text in listed)
    assert book["三、依申请公开"]["D4"].comment is not None


def test_rules_catalogue() -> None:
    run = xlcheck("rules", "--format", "json")
    rules = {r["id"]: r for r in json.loads(run.stdout)["rules"]}
    assert rules["R1"]["severity"] == "error" and "{col}" in rules["R1"]["formula"]
    assert "R6" in xlcheck("rules").stdout


def test_convert_json_is_byte_identical_and_fill_round_trips(form: Form, tmp_path: Path) -> None:
    source = tmp_path / "报表.xlsx"
    write_template(form, source, values=valid_values(form, 12))
    for folder in ("a", "b"):
        assert (
            xlcheck(
                "convert",
                str(source),
                "--to",
                "json",
                "--out-dir",
                str(tmp_path / folder),
                "--source-map",
            ).returncode
            == 0
        )
    first, second = (
        (tmp_path / "a" / "报表.json").read_bytes(),
        (tmp_path / "b" / "报表.json").read_bytes(),
    )
    assert first == second
    doc = json.loads(first)
    assert doc["provenance"]["validated"] is True and len(doc["provenance"]["source_sha256"]) == 64
    smap = json.loads((tmp_path / "a" / "报表.sourcemap.json").read_text("utf-8"))
    assert smap["fields"]["/applications/new/natural_person"]["cell"] == "D4"
    refilled = tmp_path / "refilled.xlsx"
    assert xlcheck("fill", str(tmp_path / "a" / "报表.json"), "-o", str(refilled)).returncode == 0
    assert (
        xlcheck(
            "convert", str(refilled), "--to", "json", "--out-dir", str(tmp_path / "c")
        ).returncode
        == 0
    )
    again = json.loads((tmp_path / "c" / "refilled.json").read_text("utf-8"))
    assert {k: v for k, v in again.items() if k != "provenance"} == {
        k: v for k, v in doc.items() if k != "provenance"
    }


def test_fill_carries_last_years_forward(form: Form, tmp_path: Path) -> None:
    last = valid_document(form, 30)
    this = valid_document(form, 31)
    (tmp_path / "last.json").write_text(json.dumps(last, ensure_ascii=False), "utf-8")
    (tmp_path / "this.json").write_text(json.dumps(this, ensure_ascii=False), "utf-8")
    out = tmp_path / "this.xlsx"
    assert (
        xlcheck(
            "fill",
            str(tmp_path / "this.json"),
            "-o",
            str(out),
            "--previous",
            str(tmp_path / "last.json"),
        ).returncode
        == 0
    )
    book = openpyxl.load_workbook(out)
    assert (
        book["三、依申请公开"]["D5"].value
        == last["applications"]["carried_forward"]["natural_person"]
    )


def test_invalid_workbooks_are_not_converted_unless_forced(tmp_path: Path) -> None:
    bad = EXAMPLES / "某县交通运输局-2024-有错误.xlsx"
    run = xlcheck("convert", str(bad), "--to", "json", "--out-dir", str(tmp_path))
    assert run.returncode == 1 and not (tmp_path / "某县交通运输局-2024-有错误.json").exists()
    assert (tmp_path / "某县交通运输局-2024-有错误.errors.xlsx").exists()
    run = xlcheck("convert", str(bad), "--to", "json", "--out-dir", str(tmp_path), "--force")
    forced = json.loads((tmp_path / "某县交通运输局-2024-有错误.json").read_text("utf-8"))
    assert run.returncode == 0 and forced["provenance"]["validated"] is False


def test_invalid_json_gives_findings_and_exit_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"form": "gov-info-disclosure-annual-report",', "utf-8")
    run = xlcheck("check", str(broken), "--format", "json")
    finding = json.loads(run.stdout)["files"][0]["findings"][0]
    assert run.returncode == 1 and finding["code"] == "F11" and "第 1 行" in finding["message"]


def test_docx_output_opens(tmp_path: Path) -> None:
    import docx

    good = EXAMPLES / "某县市场监督管理局-2024.xlsx"
    assert xlcheck("convert", str(good), "--to", "docx", "--out-dir", str(tmp_path)).returncode == 0
    document = docx.Document(str(tmp_path / "某县市场监督管理局-2024.docx"))
    assert document.paragraphs[0].text == "某县市场监督管理局2024年政府信息公开工作年度报告"
    assert len(document.tables) == 3


def test_previous_year_checks_x1_from_json_or_workbook(form: Form, tmp_path: Path) -> None:
    last_values = valid_values(form, 40)
    (tmp_path / "last.json").write_text(
        json.dumps(valid_document(form, 40), ensure_ascii=False), "utf-8"
    )
    write_template(form, tmp_path / "last.xlsx", values=last_values)
    this = valid_values(form, 41)
    for col in (
        "natural_person",
        "commercial_enterprise",
        "research_institution",
        "social_welfare_organization",
        "legal_service_agency",
        "other_organization",
    ):
        carried = last_values[f"applications.carried_forward.{col}"] + (
            1 if col == "natural_person" else 0
        )
        shift = carried - this[f"applications.carried_over.{col}"]
        this[f"applications.carried_over.{col}"] = carried
        this[f"applications.handled.granted.{col}"] += (
            shift + 5
        )  # keeps R1 balanced: only X1 may complain
        this[f"applications.new.{col}"] += 5
    write_template(form, tmp_path / "this.xlsx", values=this)
    for previous in ("last.json", "last.xlsx"):
        run = xlcheck(
            "check",
            str(tmp_path / "this.xlsx"),
            "--previous",
            str(tmp_path / previous),
            "--format",
            "json",
        )
        findings = json.loads(run.stdout)["files"][0]["findings"]
        x1 = [f for f in findings if f["rule"] == "X1"]
        assert run.returncode == 1 and [f["cell"] for f in x1] == ["D5", "J5"], findings
        assert any(o["previous"] for o in x1[0]["operands"])
    run = xlcheck(
        "check", str(tmp_path / "this.xlsx"), "--previous", str(tmp_path / "missing.json")
    )
    assert run.returncode == 2

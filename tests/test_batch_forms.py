"""A batch over an inbox that mixes the 2021 format and the 2019 trial format: each submission is
checked against its own form, its outputs are in that form, and 汇总.xlsx / summary.json keep a
合计 and a 规则 per form."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from batch_fixtures import CHANGED_FORMAT, OFFICES, MixedInbox, build_mixed_inbox
from cli_run import xlcheck
from xlcheck.batch import BatchOptions, run_batch
from xlcheck.batch.offices import safe_filename
from xlcheck.cells import parse_cell
from xlcheck.form import Form, load_form


@pytest.fixture(scope="module")
def form19() -> Form:
    return load_form("gov-info-disclosure-2019")


@pytest.fixture(scope="module")
def mixed(form: Form, form19: Form, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mixed")
    inbox = build_mixed_inbox(form, form19, root / "收件箱")
    out = root / "输出"
    report = run_batch(BatchOptions([inbox.root], out, jobs=2, docx=True))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"inbox": inbox, "out": out, "report": report, "summary": summary}


def _rows(summary: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for row in summary["rows"]:
        found.setdefault(row["office"], []).append((row["status"], row["form_version"]))
    return found


def test_each_office_is_checked_against_its_own_form(mixed: dict[str, Any]) -> None:
    inbox: MixedInbox = mixed["inbox"]
    assert _rows(mixed["summary"]) == inbox.expected
    assert mixed["report"].counts == {"通过": 12, "有错误": 2, "已被新版本取代": 1}
    changed = _rows(mixed["summary"])[OFFICES[CHANGED_FORMAT]]
    assert changed == [("已被新版本取代", "2019"), ("通过", "2021")]


def test_outputs_are_in_the_submissions_form(mixed: dict[str, Any]) -> None:
    out: Path = mixed["out"]
    for office, rows in mixed["inbox"].expected.items():
        status, version = rows[-1]
        base = safe_filename(office)
        names = sorted(p.name for p in (out / base).iterdir() if p.is_file())
        if status != "通过":
            assert names == [f"{base}.errors.xlsx"]
            continue
        year = "2020" if version == "2019" else "2024"  # valid_values_2019 reports on 2020
        assert names == [f"{base}-{year}.docx", f"{base}-{year}.json"]
        doc = json.loads((out / base / f"{base}-{year}.json").read_text(encoding="utf-8"))
        assert doc["form_version"] == version and doc["agency"]["name"] == office
        with zipfile.ZipFile(out / base / f"{base}-{year}.docx") as word:
            text = word.read("word/document.xml").decode("utf-8")
        assert ("本年新制作数量" in text) == (version == "2019")  # table 二 in its own layout
    superseded = list((out / safe_filename(OFFICES[CHANGED_FORMAT]) / "superseded").iterdir())
    assert [p.suffix for p in sorted(superseded)] == [".docx", ".json"]
    doc = json.loads(next(p for p in superseded if p.suffix == ".json").read_text("utf-8"))
    assert doc["form_version"] == "2019"


def _sum(form: Form, reports: list[dict[str, Any]], key: str) -> Any:
    assert form.fields[key].is_numeric
    return sum(r[key] for r in reports)


def test_summary_json_has_totals_per_form(form: Form, form19: Form, mixed: dict[str, Any]) -> None:
    summary, valid = mixed["summary"], mixed["inbox"].valid
    totals = {t["form_version"]: t for t in summary["totals"]}
    assert sorted(totals) == ["2019", "2021"]
    assert summary["forms"] == [
        {"form": form.id, "form_version": "2021"},
        {"form": form19.id, "form_version": "2019"},
    ]
    for version, f in (("2021", form), ("2019", form19)):
        assert totals[version]["reports"] == len(valid[version])
        assert totals[version]["rules_hold"] is True
        for key, field in f.fields.items():
            if field.is_numeric:
                expected = _sum(f, valid[version], key)
                assert totals[version]["values"][key] == pytest.approx(expected), key
    assert totals["2019"]["rule_counts"] == {"R1": 1}
    assert totals["2021"]["rule_counts"] == {"R1": 1}
    assert "proactive.procurement.amount_wan_yuan" in totals["2019"]["values"]
    assert "proactive.fees_wan_yuan" not in totals["2019"]["values"]


def _total_cell(sheet: Worksheet, form: Form, key: str) -> Any:
    """The 合计 cell of a field: its template place, shifted below its table's heading."""
    f = form.fields[key]
    table = form.sheet(f.sheet)
    heading = next(r[0].row for r in sheet.iter_rows() if r[0].value == table.heading)
    row, col = parse_cell(f.cell)
    return sheet.cell(row + heading, col).value


def test_summary_workbook_has_a_totals_and_rules_sheet_per_form(
    form: Form, form19: Form, mixed: dict[str, Any]
) -> None:
    valid = mixed["inbox"].valid
    book = load_workbook(mixed["out"] / "汇总.xlsx")
    assert book.sheetnames == ["汇总", "合计-2021", "合计-2019", "规则-2021", "规则-2019"]
    header = [c.value for c in book["汇总"][1]]
    column = header.index("格式")
    shown = {(r[1], r[column]) for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert (OFFICES[12], "2019") in shown and (OFFICES[0], "2021") in shown
    assert {(OFFICES[CHANGED_FORMAT], "2019"), (OFFICES[CHANGED_FORMAT], "2021")} <= shown
    for version, f, keys in (
        ("2021", form, ("applications.new.total", "proactive.fees_wan_yuan")),
        ("2019", form19, ("applications.new.total", "proactive.procurement.amount_wan_yuan")),
    ):
        sheet = book[f"合计-{version}"]
        assert str(sheet["A1"].value).startswith(
            f"全县合计（{version} 年格式，{len(valid[version])}"
        )
        for key in keys:
            assert _total_cell(sheet, f, key) == pytest.approx(_sum(f, valid[version], key))
        texts = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
        assert "勾稽关系（合计数）：全部成立" in texts
        rules = {r[0]: r[2] for r in book[f"规则-{version}"].iter_rows(min_row=2, values_only=True)}
        assert rules["R1"] == 1 and set(rules) >= {d.id for d in f.declarations}
    assert "R7" in {r[0] for r in book["规则-2019"].iter_rows(values_only=True)}
    assert "R7" not in {r[0] for r in book["规则-2021"].iter_rows(values_only=True)}
    book.close()


def test_a_rerun_reuses_every_result(mixed: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(mixed["out"], out)
    report = run_batch(BatchOptions([mixed["inbox"].root], out, jobs=2, docx=True))
    assert report.reused == 15 and report.counts == mixed["report"].counts
    assert (out / "summary.json").read_bytes() == (mixed["out"] / "summary.json").read_bytes()
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert _rows(again) == mixed["inbox"].expected


def test_with_form_every_file_uses_that_form(mixed: dict[str, Any], tmp_path: Path) -> None:
    """--form gov-info-disclosure-2021: the 2019-format workbooks are the wrong template."""
    options = BatchOptions(
        [mixed["inbox"].root], tmp_path / "out", jobs=2, form_name="gov-info-disclosure-2021"
    )
    run_batch(options)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [t["form_version"] for t in summary["totals"]] == ["2021"]
    assert summary["form_version"] == "2021"
    assert {r["form_version"] for r in summary["rows"]} == {"2021"}
    # the seven 2019-format workbooks are not the 2021 template
    assert summary["counts"]["通过"] == 7 and summary["counts"]["无法读取"] == 7
    book = load_workbook(tmp_path / "out" / "汇总.xlsx", read_only=True)
    assert book.sheetnames == ["汇总", "合计", "规则"]
    book.close()


def test_a_state_of_the_old_shape_is_started_afresh(mixed: dict[str, Any], tmp_path: Path) -> None:
    """State version 3 records each outcome's form; an older state (or an outcome row this version
    cannot read) is checked again, never misread."""
    import sqlite3

    out = tmp_path / "out"
    shutil.copytree(mixed["out"], out)
    with sqlite3.connect(out / ".xlcheck-state.sqlite") as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    report = run_batch(BatchOptions([mixed["inbox"].root], out, jobs=2, docx=True))
    assert report.reused == 0 and report.counts == mixed["report"].counts
    with sqlite3.connect(out / ".xlcheck-state.sqlite") as db:
        db.execute("UPDATE entry SET outcome = '{\"readable\": true}'")
    report = run_batch(BatchOptions([mixed["inbox"].root], out, jobs=2, docx=True))
    assert report.reused == 0 and report.counts == mixed["report"].counts


@pytest.mark.parametrize("choice", [[], ["--form", "auto"]], ids=["default", "auto"])
def test_the_command_picks_each_files_form(
    mixed: dict[str, Any], tmp_path: Path, choice: list[str]
) -> None:
    """Without --form, or with --form auto as every other command takes it."""
    out = tmp_path / "out"
    done = xlcheck("batch", str(mixed["inbox"].root), "-o", str(out), "--no-docx", *choice)
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == "通过 12 份，有错误 2 份，无法读取 0 份，已被新版本取代 1 份"
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    assert book.sheetnames == ["汇总", "合计-2021", "合计-2019", "规则-2021", "规则-2019"]
    book.close()

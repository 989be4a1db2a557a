"""xlcheck templates: one template per office on the roster, prefilled with who it is and, from
last year's accepted report, its 上年结转 — locked, so the office cannot contradict last year."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from cli_run import xlcheck
from serve_helpers import valid_workbook
from xlcheck.check import check_bytes
from xlcheck.form import load_form
from xlcheck.xlsxout import write_template

FORM = load_form("gov-info-disclosure-2021")
TOWN = "东风镇人民政府"
BUREAU = "某县交通运输局"


def roster(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["机关名称", "统一社会信用代码", "类型", "层级", "联系人", "邮箱"])
        writer.writerows(rows)
    return path


def last_year(tmp_path: Path) -> Path:
    """Last year's batch output: the town's accepted 2024 report (its 结转下年度 known)."""
    inbox = tmp_path / "inbox-2024"
    inbox.mkdir()
    values = dict(check_bytes(valid_workbook(TOWN), "a.xlsx", FORM).values)
    values["year"] = 2024
    buffer = io.BytesIO()
    write_template(FORM, buffer, values=values)
    (inbox / "东风镇.xlsx").write_bytes(buffer.getvalue())
    out = tmp_path / "out-2024"
    run = xlcheck("batch", str(inbox), "-o", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def cell_of(key: str) -> tuple[str, str]:
    fld = FORM.fields[key]
    return FORM.sheet(fld.sheet).name, fld.cell


def test_each_office_gets_its_template_with_last_years_carry_over_locked(tmp_path: Path) -> None:
    previous = last_year(tmp_path)
    names = roster(
        tmp_path / "名单.csv",
        [
            [TOWN, "", "人民政府", "乡级", "党政办", "dfz@example.gov.cn"],
            [BUREAU, "", "政府部门", "县级（县、县级市、区）", "", ""],
        ],
    )
    out = tmp_path / "模板"
    run = xlcheck(
        "templates",
        "--roster",
        str(names),
        "--year",
        "2025",
        "--previous-dir",
        str(previous),
        "-o",
        str(out),
    )
    assert run.returncode == 0, run.stderr
    assert "其中 1 个单位" in run.stdout
    town = openpyxl.load_workbook(out / f"{TOWN}-2025.xlsx")
    for key, wanted in (("agency.name", TOWN), ("year", 2025)):
        sheet, cell = cell_of(key)
        assert town[sheet][cell].value == wanted
    last_values = check_bytes(valid_workbook(TOWN), "a.xlsx", FORM).values
    for mine, theirs in FORM.roles.carry_over.pairs:  # type: ignore[union-attr]
        if not FORM.fields[mine].is_input:
            continue
        sheet, cell = cell_of(mine)
        assert town[sheet][cell].value == last_values[theirs]
        assert town[sheet][cell].protection.locked and town[sheet].protection.sheet
    sheet, cell = cell_of("applications.new.natural_person")
    assert not town[sheet][cell].protection.locked  # this year's figures stay the office's to fill
    bureau = openpyxl.load_workbook(out / f"{BUREAU}-2025.xlsx")
    for key, wanted in (("agency.kind", "政府部门"), ("agency.tier", "县级（县、县级市、区）")):
        sheet, cell = cell_of(key)
        assert bureau[sheet][cell].value == wanted  # the roster's 县级（…） and 县级 both name it
    town_tier = cell_of("agency.tier")
    assert town[town_tier[0]][town_tier[1]].value == "乡级（乡、镇、街道）"
    # the bureau had no accepted report last year: its 上年结转 is left for it to fill
    sheet, cell = cell_of(
        next(m for m, _ in FORM.roles.carry_over.pairs if FORM.fields[m].is_input)
    )  # type: ignore[union-attr]
    assert not bureau[sheet][cell].protection.locked


def test_a_roster_with_an_office_twice_is_one_line_and_exit_2(tmp_path: Path) -> None:
    names = roster(
        tmp_path / "名单.csv",
        [
            [TOWN, "", "", "", "", ""],
            [BUREAU, "", "", "", "", ""],
            [f" {TOWN} ", "", "", "", "", ""],
        ],
    )
    run = xlcheck("templates", "--roster", str(names), "--year", "2025", "-o", str(tmp_path / "o"))
    assert run.returncode == 2 and "第 2 行和第 4 行" in run.stderr
    assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1
    assert not (tmp_path / "o").exists()


def test_last_years_report_of_another_year_is_not_used(tmp_path: Path) -> None:
    previous = last_year(tmp_path)
    names = roster(tmp_path / "名单.csv", [[TOWN, "", "", "", "", ""]])
    run = xlcheck(
        "templates",
        "--roster",
        str(names),
        "--year",
        "2027",
        "--previous-dir",
        str(previous),
        "-o",
        str(tmp_path / "o"),
    )
    assert run.returncode == 0 and "2024 年度的，不是 2026 年度" in run.stderr
    assert "其中 0 个单位" in run.stdout

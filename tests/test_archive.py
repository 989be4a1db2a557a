"""Last year remembered: `batch --archive` keeps each office's accepted report across years and
checks every submission against its office's last year (X1: 上年结转 = last year's 结转下年度),
`check --archive` does the same for one file, `archive link` joins a renamed office to its old
name, `archive show` prints an office's history."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from cli_run import xlcheck
from serve_helpers import VALID_EXAMPLE
from xlcheck.batch.offices import check_character
from xlcheck.check import check_path
from xlcheck.form import load_form
from xlcheck.xlsxout import write_template

FORM = load_form("gov-info-disclosure-2021")
EXAMPLE = dict(check_path(VALID_EXAMPLE, FORM).values)
TOWN = "东风镇人民政府"
BUREAU = "某县交通运输局"
BUREAU_CODE = "11330100MB0000001" + check_character("11330100MB0000001")
OLD_NAME = "某县文化广电旅游局"
NEW_NAME = "某县文化和旅游局"
CARRY = [  # (this year's 上年结转, last year's 结转下年度) per input column
    (mine, theirs)
    for mine, theirs in FORM.roles.carry_over.pairs  # type: ignore[union-attr]
    if FORM.fields[mine].is_input
]


def report(
    name: str, year: int, *, code: str | None = None, carried_over: dict[str, Any] | None = None
) -> bytes:
    """The valid example under `name` for `year`; with `carried_over`, its 上年结转 set to those
    values and 本年新收 moved by as much, so that only X1 can tell."""
    values = dict(EXAMPLE)
    values.update({"agency.name": name, "agency.credit_code": code, "year": year})
    for key, wanted in (carried_over or {}).items():
        new = key.replace(".carried_over.", ".new.")
        values[new] -= wanted - values[key]  # new + carried over stays the same
        values[key] = wanted
    buffer = io.BytesIO()
    write_template(FORM, buffer, values=values)
    return buffer.getvalue()


def carried_forward_2024() -> dict[str, Any]:
    """What 2025 must carry over to agree with the 2024 reports (the example's 结转下年度)."""
    return {mine: EXAMPLE[theirs] for mine, theirs in CARRY}


def contradicting() -> dict[str, Any]:
    values = carried_forward_2024()
    first = CARRY[0][0]
    values[first] += 1
    return values


def inbox(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def batch(folder: Path, out: Path, archive: Path, *more: str) -> Any:
    run = xlcheck("batch", str(folder), "-o", str(out), "--archive", str(archive), *more)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    return run, {row["office"]: row for row in summary["rows"]}


def season_2024(tmp_path: Path) -> tuple[Path, Path]:
    """The 2024 inbox, batched with an archive; (inbox, archive)."""
    folder = inbox(
        tmp_path / "inbox-2024",
        {
            "东风镇.xlsx": report(TOWN, 2024),
            "交通.xlsx": report(BUREAU, 2024, code=BUREAU_CODE),
            "文广旅.xlsx": report(OLD_NAME, 2024),
        },
    )
    archive = tmp_path / "档案"
    run, rows = batch(folder, tmp_path / "out-2024", archive)
    assert run.returncode == 0 and {r["status"] for r in rows.values()} == {"通过"}
    assert "档案：新存入 3 份，已有 0 份" in run.stdout
    return folder, archive


def inbox_2025(tmp_path: Path) -> Path:
    """The town agrees with 2024; the bureau and the renamed office contradict it."""
    return inbox(
        tmp_path / "inbox-2025",
        {
            "东风镇.xlsx": report(TOWN, 2025, carried_over=carried_forward_2024()),
            "交通.xlsx": report(BUREAU, 2025, code=BUREAU_CODE, carried_over=contradicting()),
            "文旅.xlsx": report(NEW_NAME, 2025, carried_over=contradicting()),
        },
    )


def test_each_office_is_checked_against_its_own_last_year(tmp_path: Path) -> None:
    _, archive = season_2024(tmp_path)
    folder = inbox_2025(tmp_path)
    run, rows = batch(folder, tmp_path / "out-2025", archive)
    assert run.returncode == 1
    assert rows[TOWN]["status"] == "通过"
    bureau = rows[BUREAU]
    assert bureau["status"] == "有错误" and bureau["rules"] == ["X1"]
    assert "上年报告" in bureau["messages"][0]  # X1 names last year's report
    # renamed since 2024 and not linked yet: the archive knows no last year for it
    assert rows[NEW_NAME]["status"] == "通过"
    assert "档案：新存入 2 份" in run.stdout  # the current valid ones of 2025

    linked = xlcheck("archive", "link", OLD_NAME, NEW_NAME, "--archive", str(archive))
    assert linked.returncode == 0, linked.stderr
    run, rows = batch(folder, tmp_path / "out-2025", archive)
    assert rows[NEW_NAME]["status"] == "有错误" and rows[NEW_NAME]["rules"] == ["X1"]
    assert rows[TOWN]["status"] == "通过" and rows[BUREAU]["rules"] == ["X1"]


def test_a_rerun_adds_nothing_twice(tmp_path: Path) -> None:
    folder, archive = season_2024(tmp_path)
    run, _ = batch(folder, tmp_path / "out-2024", archive)
    assert "档案：新存入 0 份，已有 3 份" in run.stdout
    run, _ = batch(folder, tmp_path / "another-out", archive, "--rerun")
    assert "档案：新存入 0 份，已有 3 份" in run.stdout
    with sqlite3.connect(archive / "archive.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM report").fetchone()[0] == 3
    assert len(list(archive.glob("*/2024/*.json"))) == 3
    kept = next(archive.glob(f"{TOWN}/2024/*.json"))
    out_json = next((tmp_path / "out-2024" / TOWN).glob("*.json"))
    assert kept.read_bytes() == out_json.read_bytes()  # exactly as the batch wrote it


def test_show_lists_years_submissions_resubmissions_and_links(tmp_path: Path) -> None:
    _, archive = season_2024(tmp_path)
    first = report(TOWN, 2024)
    values = dict(EXAMPLE, **{"agency.name": TOWN, "year": 2024, "agency.credit_code": None})
    values["overview.intro"] = "更正后重新报送。"
    buffer = io.BytesIO()
    write_template(FORM, buffer, values=values)
    assert buffer.getvalue() != first
    again = inbox(tmp_path / "resubmitted", {"东风镇-更正.xlsx": buffer.getvalue()})
    batch(again, tmp_path / "out-again", archive)
    batch(inbox_2025(tmp_path), tmp_path / "out-2025", archive)
    xlcheck("archive", "link", OLD_NAME, NEW_NAME, "--archive", str(archive))

    shown = xlcheck("archive", "show", TOWN, "--archive", str(archive))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == TOWN and "2024 年度" in lines and "2025 年度" in lines
    year_2024 = lines[lines.index("2024 年度") + 1 : lines.index("2025 年度")]
    assert [line.split()[0] for line in year_2024] == ["已重报", "采用"]
    assert "东风镇-更正.xlsx" in year_2024[1] and "东风镇.xlsx" in year_2024[0]

    as_json = xlcheck("archive", "show", NEW_NAME, "--archive", str(archive), "--format", "json")
    history = json.loads(as_json.stdout)
    assert [y["year"] for y in history["years"]] == [2024, 2025]
    assert history["links"][0]["old_written"] == OLD_NAME
    assert history["years"][0]["submissions"][0]["office"] == OLD_NAME
    # the warnings an accepted 2025 report still had (W9: same text as last year's report)
    town = xlcheck("archive", "show", TOWN, "--archive", str(archive), "--format", "json")
    findings = json.loads(town.stdout)["years"][1]["submissions"][0]["findings"]
    assert any("上年报告" in text for text in findings)
    assert any("上年报告" in line for line in lines[lines.index("2025 年度") :])
    by_code = xlcheck("archive", "show", BUREAU_CODE.lower(), "--archive", str(archive))
    assert by_code.stdout.startswith(f"{BUREAU}（{BUREAU_CODE}）")


def test_check_finds_last_year_in_the_archive_and_an_explicit_previous_wins(
    tmp_path: Path,
) -> None:
    _, archive = season_2024(tmp_path)
    folder = inbox_2025(tmp_path)
    town = xlcheck("check", str(folder / "东风镇.xlsx"), "--archive", str(archive))
    assert town.returncode == 0 and "上年报告取自档案" in town.stderr
    bureau = xlcheck("check", str(folder / "交通.xlsx"), "--archive", str(archive))
    assert bureau.returncode == 1 and "X1" in bureau.stdout and "上年报告" in bureau.stdout
    own = folder / "交通.xlsx"
    # its own figures as last year: an explicit --previous is used instead of the archive
    explicit = xlcheck("check", str(own), "--archive", str(archive), "--previous", str(own))
    assert "上年报告取自档案" not in explicit.stderr


def test_unknown_office_and_bad_archives_are_one_line_and_exit_2(tmp_path: Path) -> None:
    _, archive = season_2024(tmp_path)
    unknown = xlcheck("archive", "show", "某县不存在局", "--archive", str(archive))
    assert unknown.returncode == 2 and "档案" in unknown.stderr and "某县不存在局" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    english = xlcheck("archive", "show", "某县不存在局", "--archive", str(archive), "--lang", "en")
    assert english.returncode == 2 and "no office" in english.stderr

    not_archive = tmp_path / "not-archive"
    not_archive.mkdir()
    (not_archive / "archive.sqlite").write_bytes(b"this is no database" * 100)
    for args in (
        ("archive", "show", TOWN, "--archive", str(not_archive)),
        (
            "batch",
            str(tmp_path / "inbox-2024"),
            "-o",
            str(tmp_path / "o"),
            "--archive",
            str(not_archive),
        ),
        ("check", str(tmp_path / "inbox-2024" / "东风镇.xlsx"), "--archive", str(not_archive)),
    ):
        run = xlcheck(*args)
        assert run.returncode == 2 and "不是 xlcheck 的档案" in run.stderr, args
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_an_archive_folder_that_cannot_be_written_stops_the_batch(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # also refused to root, unlike a read-only folder
    folder = inbox(tmp_path / "in", {"东风镇.xlsx": report(TOWN, 2024)})
    run = xlcheck(
        "batch", str(folder), "-o", str(tmp_path / "o"), "--archive", str(blocker / "档案")
    )
    assert run.returncode == 2 and "无法写入档案文件夹" in run.stderr
    assert (
        len(run.stderr.strip().splitlines()) == 1 and not (tmp_path / "o" / "summary.json").exists()
    )


def test_an_archive_inside_the_inbox_or_the_output_is_refused(tmp_path: Path) -> None:
    """Its canonical JSON would be gathered as submissions next time (or mixed with outputs)."""
    folder = inbox(tmp_path / "in", {"东风镇.xlsx": report(TOWN, 2024)})
    out = tmp_path / "out"
    for archive in (folder / "档案", out / "档案"):
        run = xlcheck("batch", str(folder), "-o", str(out), "--archive", str(archive))
        assert run.returncode == 2 and "档案文件夹" in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert not archive.exists()


def test_a_last_year_archived_after_a_run_checks_that_office_again(tmp_path: Path) -> None:
    """A re-run reuses what it checked before, unless the archive now gives an office another
    last year (here: 2024 archived only after the first 2025 run)."""
    folder = inbox_2025(tmp_path)
    archive = tmp_path / "档案"
    run, rows = batch(folder, tmp_path / "out-2025", archive)
    assert rows[BUREAU]["status"] == "通过"  # nothing to compare with yet
    season_2024(tmp_path)
    run, rows = batch(folder, tmp_path / "out-2025", archive)
    assert rows[BUREAU]["status"] == "有错误" and rows[BUREAU]["rules"] == ["X1"]

"""Identical content in a batch: each input is named as itself, even when the re-run cache (or an
earlier copy in the same run) answers; the same submission arriving twice is one submission, and
its later copies are listed once as duplicates, never as superseded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from batch_fixtures import OFFICES, mail, office_values, workbook
from inbox_fixtures import gbk_zip, write_tree
from xlcheck.batch import BatchOptions, BatchReport, run_batch
from xlcheck.form import Form

FORM_NAME = "gov-info-disclosure-2021"


def run(inputs: list[Path], out: Path, **kwargs: Any) -> tuple[BatchReport, dict[str, Any]]:
    base: dict[str, Any] = dict(jobs=2, drafts=False, docx=False, form_name=FORM_NAME)
    report = run_batch(BatchOptions(inputs, out, **(base | kwargs)))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return report, summary


def sheet_rows(out: Path, name: str) -> list[tuple[Any, ...]]:
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    try:
        if name not in book.sheetnames:
            return []
        return [tuple(r) for r in book[name].iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()


def list_rows(out: Path) -> list[dict[str, Any]]:
    """汇总's list as header -> value for each row."""
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    try:
        rows = list(book["汇总"].iter_rows(values_only=True))
    finally:
        book.close()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def set_time(path: Path, when: float) -> None:
    os.utime(path, (when, when))


# ---- 10: each input under its own name ------------------------------------------------------------


def test_identical_empty_files_each_name_themselves_in_a_run_and_a_rerun(tmp_path: Path) -> None:
    """丙镇 and 丁镇 both sent an empty file: two offices, two rows, each naming its own file."""
    inbox, out = tmp_path / "收件箱", tmp_path / "out"
    write_tree(inbox, {"丙镇.xlsx": b"", "丁镇.xlsx": b"", "戊镇.xlsx": b""})
    for attempt in ("first run", "re-run"):
        report, summary = run([inbox], out)
        by_origin = {r["origin"]: r["messages"] for r in summary["rows"]}
        assert by_origin == {
            f"收件箱/{name}": [f"「{name}」是空文件（0 字节）。请重新发送。"]
            for name in ("丙镇.xlsx", "丁镇.xlsx", "戊镇.xlsx")
        }, attempt
        listed = {r["来源"]: r["主要问题"] for r in list_rows(out)}
        assert listed == {o: m[0] for o, m in by_origin.items()}, attempt
        assert report.counts == {"无法读取": 3} and summary["skipped"] == [], attempt
    assert report.reused == 3  # the re-run took all three from the cache


def test_a_renamed_file_is_named_anew_in_messages_and_error_workbook(
    form: Form, tmp_path: Path
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    wrong = office_values(form, 3) | {"proactive.licensing": "无"}
    (inbox / "初稿.xlsx").write_bytes(workbook(form, wrong))
    run([inbox], out)
    (inbox / "初稿.xlsx").rename(inbox / "定稿.xlsx")
    report, summary = run([inbox], out)
    [row] = summary["rows"]
    assert row["origin"] == "in/定稿.xlsx" and row["status"] == "有错误"
    errors = load_workbook(out / row["outputs"]["errors"], read_only=True)
    texts = [str(c) for s in errors.worksheets for r in s.iter_rows(values_only=True) for c in r]
    errors.close()
    assert any("定稿.xlsx" in t for t in texts) and not any("初稿.xlsx" in t for t in texts)


# ---- 11: the same submission twice is one submission ----------------------------------------------


def test_the_same_file_given_twice_is_one_submission(form: Form, tmp_path: Path) -> None:
    path = tmp_path / "报表.xlsx"
    path.write_bytes(workbook(form, office_values(form, 3)))
    out = tmp_path / "out"
    for attempt in ("first run", "re-run"):
        report, summary = run([path, path], out)
        assert report.counts == {"通过": 1}, attempt
        assert [(r["origin"], r["status"]) for r in summary["rows"]] == [("报表.xlsx", "通过")]
        [dup] = summary["skipped"]
        assert dup["reason"] == "duplicate" and dup["origin"] == "报表.xlsx", attempt
        assert dup["duplicate_of"] == "报表.xlsx" and dup["office"] == OFFICES[3], attempt
        assert [r["状态"] for r in list_rows(out)] == ["通过"], attempt
        [ignored] = sheet_rows(out, "已忽略的文件")
        assert ignored[:3] == (
            "报表.xlsx",
            "报表.xlsx",
            f"「{OFFICES[3]}」：同一文件重复给出，只计一次",
        )
        assert not (out / OFFICES[3] / "superseded").exists(), attempt
        assert summary["aggregate"]["reports"] == 1, attempt
        assert report.duplicates == 1 and report.ignored == 0, attempt
        assert "另有 1 个重复的文件（内容相同，只计一次）" in report.summary_text(), attempt


def test_an_inbox_given_twice_still_supersedes_a_genuinely_newer_file(
    form: Form, tmp_path: Path
) -> None:
    inbox, out = tmp_path / "收件箱", tmp_path / "out"
    first = office_values(form, 3) | {"proactive.licensing": "无"}
    files = {
        "a-初报.xlsx": workbook(form, first),
        "b-更正.xlsx": workbook(form, office_values(form, 3)),
        "c.xlsx": workbook(form, office_values(form, 5)),
        "空.xlsx": b"",
    }
    write_tree(inbox, files)
    for when, name in enumerate(files, start=1):
        set_time(inbox / name, 1e9 + when)
    for attempt in ("first run", "re-run"):
        report, summary = run([inbox, inbox], out)
        assert report.counts == {"通过": 2, "已被新版本取代": 1, "无法读取": 1}, attempt
        statuses = [(r["origin"], r["status"]) for r in summary["rows"]]
        assert sorted(statuses) == [
            ("收件箱/a-初报.xlsx", "已被新版本取代"),
            ("收件箱/b-更正.xlsx", "通过"),
            ("收件箱/c.xlsx", "通过"),
            ("收件箱/空.xlsx", "无法读取"),
        ], attempt
        assert [(d["origin"], d["reason"]) for d in summary["skipped"]] == [
            (f"收件箱/{name}", "duplicate") for name in files
        ], attempt
        assert len(list_rows(out)) == 4 and len(sheet_rows(out, "已忽略的文件")) == 4, attempt
        # the one superseded copy is the genuinely older file, once
        [old] = (out / OFFICES[3] / "superseded").iterdir()
        assert old.name.endswith(".errors.xlsx"), attempt
        assert summary["aggregate"]["reports"] == 2, attempt
    assert report.reused == 8  # every input, the second pass too, from the cache


def test_a_zip_with_a_copy_of_a_loose_file_and_one_attachment_in_two_mails(
    form: Form, tmp_path: Path
) -> None:
    inbox, out = tmp_path / "收件箱", tmp_path / "out"
    book = workbook(form, office_values(form, 17))
    loose = workbook(form, office_values(form, 5))
    write_tree(
        inbox,
        {
            "报表.xlsx": loose,
            "打包.zip": gbk_zip({"报表副本.xlsx": loose}),
            # sent on the 15th, forwarded again on the 16th; the later mail comes first by name
            "a-再次发送.eml": mail(17, book, "Tue, 16 Jan 2024 09:00:00 +0800", 2),
            "b-初次发送.eml": mail(17, book, "Mon, 15 Jan 2024 09:00:00 +0800", 1),
        },
    )
    set_time(inbox / "报表.xlsx", 1e9)
    set_time(inbox / "打包.zip", 2e9)
    for attempt in ("first run", "re-run"):
        report, summary = run([inbox], out)
        assert report.counts == {"通过": 2}, attempt
        current = {r["office"]: (r["origin"], r["date"]) for r in summary["rows"]}
        assert current == {
            OFFICES[5]: ("收件箱/报表.xlsx", "2001-09-09T01:46:40+00:00"),
            OFFICES[17]: ("收件箱/b-初次发送.eml!附件:年度报告.xlsx", "2024-01-15T09:00:00+08:00"),
        }, attempt
        dups = {d["origin"]: d["duplicate_of"] for d in summary["skipped"]}
        assert dups == {
            "收件箱/打包.zip!报表副本.xlsx": "收件箱/报表.xlsx",
            "收件箱/a-再次发送.eml!附件:年度报告.xlsx": "收件箱/b-初次发送.eml!附件:年度报告.xlsx",
        }, attempt
        reasons = {r[0]: r[2] for r in sheet_rows(out, "已忽略的文件")}
        assert reasons["收件箱/打包.zip!报表副本.xlsx"] == (
            f"「{OFFICES[5]}」重复报送：与「收件箱/报表.xlsx」内容相同，只计一次"
        )
        assert not any((out / OFFICES[i] / "superseded").exists() for i in (5, 17)), attempt


def test_duplicates_in_english(form: Form, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    book = workbook(form, office_values(form, 5))
    write_tree(inbox, {"a.xlsx": book, "b.xlsx": book})
    report, summary = run([inbox], out, lang="en", outputs=False)
    [row] = summary["rows"]
    assert row["origin"] == "in/a.xlsx"
    [ignored] = sheet_rows(out, "已忽略的文件")
    assert ignored[2] == f"duplicate from “{OFFICES[5]}”: same content as “in/a.xlsx”; counted once"
    assert "1 duplicate files (same content, counted once)" in report.summary_text("en")


def test_rerun_after_a_copy_is_removed_keeps_the_submission(form: Form, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    book = workbook(form, office_values(form, 5))
    write_tree(inbox, {"a.xlsx": book, "b.xlsx": book})
    run([inbox], out)
    (inbox / "a.xlsx").unlink()
    report, summary = run([inbox], out)
    assert [(r["origin"], r["status"]) for r in summary["rows"]] == [("in/b.xlsx", "通过")]
    assert summary["skipped"] == [] and report.duplicates == 0


def test_an_old_version_sent_again_after_a_correction_does_not_undo_it(
    form: Form, tmp_path: Path
) -> None:
    """A, then the corrected B, then A again by mistake: B stays current; A's copy is a duplicate
    of the first A (a copy counts from when it first arrived), and A is superseded once."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    wrong = workbook(form, office_values(form, 3) | {"proactive.licensing": "无"})
    write_tree(
        inbox, {"1.xlsx": wrong, "2.xlsx": workbook(form, office_values(form, 3)), "3.xlsx": wrong}
    )
    for when, name in enumerate(("1.xlsx", "2.xlsx", "3.xlsx"), start=1):
        set_time(inbox / name, 1e9 + when)
    report, summary = run([inbox], out)
    assert [(r["origin"], r["status"]) for r in summary["rows"]] == [
        ("in/1.xlsx", "已被新版本取代"),
        ("in/2.xlsx", "通过"),
    ]
    assert [(d["origin"], d["duplicate_of"]) for d in summary["skipped"]] == [
        ("in/3.xlsx", "in/1.xlsx")
    ]
    assert report.exit_code == 0 and len(list((out / OFFICES[3] / "superseded").iterdir())) == 1

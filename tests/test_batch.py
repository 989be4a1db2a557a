"""The batch over a realistic county inbox: statuses, outputs, resubmissions, totals, re-runs."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from batch_fixtures import OFFICES, RESUBMITTED, Inbox, build_inbox, credit_code
from inbox_fixtures import gbk_zip, snapshot
from xlcheck.batch import BatchError, BatchOptions, BatchReport, run_batch
from xlcheck.batch.offices import identify_office, safe_filename, valid_credit_code
from xlcheck.batch.summary import neutralise
from xlcheck.form import Form

FORM_NAME = "gov-info-disclosure-2021"


def options(inbox: Path, out: Path, **kwargs: Any) -> BatchOptions:
    base: dict[str, Any] = dict(jobs=2, drafts=True, roster=None, lang="zh", form_name=FORM_NAME)
    return BatchOptions([inbox], out, **(base | kwargs))


@pytest.fixture(scope="module")
def batch(form: Form, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("batch")
    inbox = build_inbox(form, root / "收件箱")
    roster = root / "名单.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "机关名称", "统一社会信用代码"])
        writer.writerow([1, "某某县财政局（本级）", credit_code(0)])  # matched by code
        writer.writerows([[i + 2, name, ""] for i, name in enumerate(OFFICES[1:])])
        writer.writerow([99, "某某县气象局", ""])
    before = snapshot(inbox.root)
    out = root / "输出"
    progress: list[tuple[int, int]] = []
    report = run_batch(
        options(inbox.root, out, roster=roster), progress=lambda d, t: progress.append((d, t))
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "inbox": inbox,
        "out": out,
        "report": report,
        "summary": summary,
        "before": before,
        "roster": roster,
        "progress": progress,
    }


def rows_by_office(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in summary["rows"]:
        found.setdefault(row["office"], []).append(row)
    return found


def test_every_office_gets_its_status(batch: dict[str, Any]) -> None:
    inbox: Inbox = batch["inbox"]
    rows = rows_by_office(batch["summary"])
    current = {
        office: [r["status"] for r in rs if r["status"] != "已被新版本取代"]
        for office, rs in rows.items()
        if office
    }
    assert current == {office: [status] for office, status in inbox.expected.items()}
    assert [r["status"] for r in rows[OFFICES[RESUBMITTED]]] == ["已被新版本取代", "通过"]
    unreadable = sorted(r["origin"].split("/", 1)[1] for r in rows[None])
    assert unreadable == sorted(inbox.unreadable_origins)
    assert {r["status"] for r in rows[None]} == {"无法读取"}
    assert batch["summary"]["counts"] == {
        "通过": 26,
        "有错误": 4,
        "无法读取": 2,
        "已被新版本取代": 1,
    }
    assert [(s["filename"], s["reason"]) for s in batch["summary"]["skipped"]] == [
        ("签名.png", "not_a_workbook"),
        ("气象局.eml", "no_attachment"),
    ]


def test_report_and_exit_code(batch: dict[str, Any]) -> None:
    report: BatchReport = batch["report"]
    assert report.exit_code == 1
    assert report.counts["通过"] == 26 and len(report.rows) == 33
    assert batch["progress"][-1] == (33, 33)
    assert "通过 26 份" in report.summary_text()
    assert report.ignored == 2 and "另有 2 个文件不是报送文件" in report.summary_text()


def test_outputs_per_office(batch: dict[str, Any]) -> None:
    out: Path = batch["out"]
    inbox: Inbox = batch["inbox"]
    for office, status in inbox.expected.items():
        folder = out / safe_filename(office)
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
        base = safe_filename(office)
        if status == "通过":
            assert names == [f"{base}-2024.docx", f"{base}-2024.json"]
            doc = json.loads((folder / f"{base}-2024.json").read_text(encoding="utf-8"))
            assert doc["agency"]["name"] == office
        else:
            reply = [f"{base}.reply.eml"] if office in inbox.emailed else []
            assert names == sorted([f"{base}.errors.xlsx", *reply])
            load_workbook(folder / f"{base}.errors.xlsx").close()
    superseded = list((out / safe_filename(OFFICES[RESUBMITTED]) / "superseded").iterdir())
    assert len(superseded) == 1 and superseded[0].name.endswith(".errors.xlsx")


def test_summary_links_point_to_outputs(batch: dict[str, Any]) -> None:
    for row in batch["summary"]["rows"]:
        for rel in row["outputs"].values():
            assert (batch["out"] / rel).is_file()


def test_summary_workbook_links_open_the_outputs(batch: dict[str, Any]) -> None:
    """What a clerk clicks in 汇总.xlsx: every JSON / Word / 错误表 / 回复草稿 link of a row opens
    that office's file, relative to the workbook, so the folder can be moved or shared."""
    book = load_workbook(batch["out"] / "汇总.xlsx")
    sheet = book["汇总"]
    header = [c.value for c in sheet[1]]
    link_columns = {
        header.index(label) + 1: label for label in ("JSON", "Word", "错误表", "回复草稿")
    }
    seen: dict[str, int] = {}
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in link_columns and cell.value is not None:
                assert cell.value == link_columns[cell.column]
                target = cell.hyperlink.target.replace("\\", "/")
                assert not Path(target).is_absolute() and (batch["out"] / target).is_file(), target
                seen[cell.value] = seen.get(cell.value, 0) + 1
    book.close()
    links = [rel for row in batch["summary"]["rows"] for rel in row["outputs"].values()]
    assert sum(seen.values()) == len(links) and set(seen) == {"JSON", "Word", "错误表", "回复草稿"}


def test_reply_draft(batch: dict[str, Any]) -> None:
    office = OFFICES[23]
    path = batch["out"] / office / f"{office}.reply.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "office23@example.gov.cn"
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "个错误" in body and "请修改后重新报送" in body
    [part] = list(message.iter_attachments())
    assert part.get_filename() == f"{office}.errors.xlsx"


def test_resubmission_lists_changed_cells(batch: dict[str, Any]) -> None:
    first, second = rows_by_office(batch["summary"])[OFFICES[RESUBMITTED]]
    assert "changed" not in first
    keys = {c["key"] for c in second["changed"]}
    assert keys == {
        "applications.carried_forward.natural_person",
        "applications.carried_forward.total",
    }


def test_aggregate_is_the_sum_of_current_valid_reports(form: Form, batch: dict[str, Any]) -> None:
    inbox: Inbox = batch["inbox"]
    aggregate = batch["summary"]["aggregate"]
    assert aggregate["reports"] == len(inbox.values) == 26
    for key, f in form.fields.items():
        if f.is_numeric:
            expected = sum(v[key] for v in inbox.values.values())
            assert aggregate["values"][key] == pytest.approx(expected), key
    assert aggregate["rules_hold"] is True and aggregate["failures"] == []


def test_roster_and_rule_counts(batch: dict[str, Any]) -> None:
    assert batch["summary"]["not_reported"] == [{"name": "某某县气象局", "credit_code": None}]
    assert batch["summary"]["rule_counts"] == {"R1": 3, "R5": 1}


def test_summary_workbook(batch: dict[str, Any]) -> None:
    book = load_workbook(batch["out"] / "汇总.xlsx")
    assert book.sheetnames == ["汇总", "未报送", "已忽略的文件", "合计", "规则"]
    # the office that forgot its attachment is there for the clerk to follow up
    ignored = list(book["已忽略的文件"].iter_rows(values_only=True))
    assert ignored[0][:3] == ("来源", "文件名", "原因") and len(ignored) == 3
    forgot = next(r for r in ignored if r[1] == "气象局.eml")
    assert forgot[2:] == (
        "邮件没有附件",
        "qxj@example.gov.cn",
        "年报（附件）",
        "2024-01-17T09:00:00+08:00",
    )
    rows = list(book["汇总"].iter_rows(values_only=True))
    assert len(rows) == 34
    injected = [r for r in rows if r[1] and str(r[1]).endswith("档案馆")]
    assert injected[0][1] == "'" + OFFICES[29]  # stays text in Excel
    assert all(
        not isinstance(c.value, str) or not c.value.startswith("=") for r in book["汇总"] for c in r
    )
    totals = book["合计"]
    texts = [c.value for r in totals.iter_rows() for c in r if isinstance(c.value, str)]
    assert "勾稽关系（合计数）：全部成立" in texts and "申请人情况" in texts
    assert any(str(m).startswith("A") for m in totals.merged_cells.ranges)
    # table 三 keeps the official merges, shifted down to where the table starts on the sheet
    top = next(r for r in totals.iter_rows() if r[0].value == "三、收到和处理政府信息公开申请情况")[
        0
    ].row
    merges = {str(m) for m in totals.merged_cells.ranges}
    for official in ("A1:C3", "D1:J1", "A6:A27", "B8:B15", "B27:C27", "A28:C28"):
        (first, last) = official.split(":")
        shifted = f"{first[0]}{int(first[1:]) + top}:{last[0]}{int(last[1:]) + top}"
        assert shifted in merges, shifted
    assert totals.cell(top + 1, 1).value.startswith("（本列数据的勾稽关系为")
    book.close()


def test_rerun_skips_unchanged_inputs(batch: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    report = run_batch(options(batch["inbox"].root, out, roster=batch["roster"]))
    assert report.reused == 32  # 31 readable inputs and 损坏.xlsx; not the truncated zip
    assert (out / "summary.json").read_bytes() == (batch["out"] / "summary.json").read_bytes()
    for rel in [r for row in batch["summary"]["rows"] for r in row["outputs"].values()]:
        assert (out / rel).read_bytes() == (batch["out"] / rel).read_bytes()
    forced = run_batch(options(batch["inbox"].root, out, roster=batch["roster"], force_rerun=True))
    assert forced.reused == 0 and forced.counts == report.counts


def test_inputs_are_untouched(batch: dict[str, Any]) -> None:
    assert snapshot(batch["inbox"].root) == batch["before"]


def test_a_newer_current_submission_moves_the_old_outputs(form: Form, tmp_path: Path) -> None:
    from batch_fixtures import office_values, workbook

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(workbook(form, office_values(form, 3)))
    run_batch(options(inbox, out, drafts=False, docx=False))
    assert (out / OFFICES[3] / f"{OFFICES[3]}-2024.json").is_file()
    newer = office_values(form, 3) | {"proactive.licensing": "无"}
    (inbox / "b.xlsx").write_bytes(workbook(form, newer))
    report = run_batch(options(inbox, out, drafts=False, docx=False))
    assert report.exit_code == 1
    assert sorted(p.name for p in (out / OFFICES[3]).iterdir()) == sorted(
        [f"{OFFICES[3]}.errors.xlsx", "superseded"]
    )


def test_timeouts_and_check_only(form: Form, tmp_path: Path) -> None:
    from batch_fixtures import office_values, workbook

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(workbook(form, office_values(form, 1)))
    report = run_batch(options(inbox, tmp_path / "o1", timeout=1e-6))
    assert report.counts == {"无法读取": 1} and report.rows[0]["rules"] == ["F12"]
    report = run_batch(options(inbox, tmp_path / "o2", outputs=False))
    assert report.counts == {"通过": 1}
    assert sorted(p.name for p in (tmp_path / "o2").iterdir()) == ["summary.json", "汇总.xlsx"]


def test_unwritable_output_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BatchError):
        run_batch(options(tmp_path, blocker / "out"))


def test_identity_and_names(form: Form) -> None:
    code = credit_code(5)
    assert valid_credit_code(code) and not valid_credit_code(
        code[:-1] + "0" if code[-1] != "0" else code[:-1] + "1"
    )
    assert (
        identify_office(
            {"agency.name": "某某县 财政局", "agency.credit_code": code}, "x", form.roles
        ).key
        == f"code:{code}"
    )
    assert (
        identify_office(
            {"agency.name": "某某县　财政局", "agency.credit_code": "123"}, "x", form.roles
        ).key
        == "name:某某县财政局"
    )
    assert safe_filename('a/b:c*?"<>|#') == "a_b_c_______"
    assert safe_filename("CON") == "_CON"
    assert [neutralise(t) for t in ("=1+1", "＝SUM()", "@x", "\tA", "正常")] == [
        "'=1+1",
        "'＝SUM()",
        "'@x",
        "'\tA",
        "正常",
    ]


@pytest.mark.libreoffice
def test_libreoffice_resaves_the_summary(batch: dict[str, Any], tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "summary.xlsx"
    shutil.copyfile(batch["out"] / "汇总.xlsx", source)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "resaved"),
            str(source),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    resaved = load_workbook(tmp_path / "resaved" / "summary.xlsx")
    assert "合计" in resaved.sheetnames
    resaved.close()


def test_two_offices_with_one_name_get_two_folders_and_a_rerun_keeps_them(
    form: Form, tmp_path: Path
) -> None:
    """Two bodies called the same (different credit codes) never share outputs; the re-run state
    (SQLite) keeps each one's files and removes what is no longer wanted."""
    from batch_fixtures import credit_code, office_values, workbook

    inbox = tmp_path / "in"
    inbox.mkdir()
    for index in (1, 2):
        values = office_values(form, index) | {"agency.name": "某某镇人民政府"}
        values["agency.credit_code"] = credit_code(index)
        (inbox / f"{index}.xlsx").write_bytes(workbook(form, values))
    out = tmp_path / "out"
    run_batch(options(inbox, out))
    folders = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders == ["某某镇人民政府", "某某镇人民政府-2"]
    (inbox / "2.xlsx").unlink()
    again = run_batch(options(inbox, out))
    assert again.reused == 1
    left = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert left == ["某某镇人民政府"]  # the withdrawn office's outputs were removed


def test_a_damaged_rerun_state_is_started_afresh(form: Form, tmp_path: Path) -> None:
    from batch_fixtures import office_values, workbook

    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    (inbox / "a.xlsx").write_bytes(workbook(form, office_values(form, 1)))
    (out / ".xlcheck-state.sqlite").write_bytes(b"not a database at all" * 100)
    report = run_batch(options(inbox, out))
    assert report.counts == {"通过": 1} and report.reused == 0
    assert run_batch(options(inbox, out)).reused == 1


def test_english_messages_for_files_that_cannot_be_opened(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    whole = gbk_zip({"某某县档案局.xlsx": b"PK" + bytes(4000)})
    (inbox / "截断.zip").write_bytes(whole[: len(whole) // 2])  # cut off, as a failed download
    report = run_batch(options(inbox, tmp_path / "out", lang="en", outputs=False))
    [row] = report.rows
    assert row["status"] == "无法读取" and report.exit_code == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    [message] = summary["rows"][0]["messages"]
    assert message == "“截断.zip” is a damaged archive or e-mail and cannot be read"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in message.replace("截断", ""))

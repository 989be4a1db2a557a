"""`xlcheck mail send`: the batch's reply drafts sent to a real SMTP server (aiosmtpd), each once."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from batch_fixtures import mail, office_values, workbook
from cli_run import HANG_GUARD
from smtp_server import (
    PASSWORD,
    REFUSED_ANSWER,
    USER,
    SmtpServer,
    closed_port,
    make_certificate,
    start_server,
)
from xlcheck.form import Form
from xlcheck.mail.send import RateLimiter
from xlcheck.mail.sentlog import SENT_LOG

BAD = [0, 1, 2, 3, 4]  # offices whose report has an error: each gets a reply draft
GOOD = [5, 6]  # valid reports: an acceptance mail with --acceptance
SENDER = "county@example.gov.cn"


def address(index: int) -> str:
    return f"office{index:02d}@example.gov.cn"


@pytest.fixture(scope="module")
def batch_out(form_2021: Form, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch output folder with 5 reply drafts, made by the real `xlcheck batch --drafts`."""
    root = tmp_path_factory.mktemp("season")
    inbox = root / "收件箱"
    inbox.mkdir()
    for i in BAD + GOOD:
        values = office_values(form_2021, i)
        if i in BAD:
            values["applications.carried_forward.natural_person"] += 1
        data = mail(i, workbook(form_2021, values), "Mon, 15 Jan 2024 09:00:00 +0800")
        (inbox / f"{i:02d}.eml").write_bytes(data)
    out = root / "输出"
    run = run_cli("batch", str(inbox), "-o", str(out), "--drafts", "--jobs", "1", "--no-docx")
    assert run.returncode == 1, run.stderr
    assert len(list(out.rglob("*.reply.eml"))) == len(BAD)
    return out


@pytest.fixture
def out(batch_out: Path, tmp_path: Path) -> Path:
    """A fresh copy of the batch output for each test (the sent log lives in it)."""
    return Path(shutil.copytree(batch_out, tmp_path / "输出"))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = start_server(*certificate, implicit_tls=False)
    yield server
    server.stop()


@pytest.fixture
def implicit(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = start_server(*certificate, implicit_tls=True)
    yield server
    server.stop()


def environment(password: str | None = PASSWORD) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "XLCHECK_SMTP_PASSWORD"}
    if password is not None:
        env["XLCHECK_SMTP_PASSWORD"] = password
    return env


def run_cli(
    *args: str, password: str | None = PASSWORD, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=environment(password),
        input=stdin if stdin is not None else "",
    )


def send_args(out: Path, server: SmtpServer, *more: str) -> list[str]:
    tls = "--ssl" if server.implicit_tls else "--starttls"
    return [
        "mail",
        "send",
        str(out),
        "--smtp",
        "127.0.0.1",
        "--port",
        str(server.port),
        tls,
        "--user",
        USER,
        "--from",
        SENDER,
        "--cafile",
        str(server.cafile),
        "--rate",
        "6000",
        *more,
    ]


def send(out: Path, server: SmtpServer, *more: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return run_cli(*send_args(out, server, *more), **kw)


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def recipients(server: SmtpServer) -> list[str]:
    return sorted(r for m in server.recorder.received for r in m.rcpt_tos)


def test_dry_run_lists_recipients_and_subjects_and_sends_nothing(
    out: Path, starttls: SmtpServer
) -> None:
    run = send(out, starttls, "--dry-run")
    assert run.returncode == 0, run.stderr
    for i in BAD:
        assert address(i) in run.stdout
    assert run.stdout.count("回复：2024年政府信息公开工作年度报告") == len(BAD)
    assert starttls.recorder.received == []
    assert not (out / SENT_LOG).exists()


def test_sending_asks_first_and_a_no_sends_nothing(out: Path, starttls: SmtpServer) -> None:
    run = send(out, starttls, stdin="n\n")
    assert run.returncode == 2
    assert "未发送" in run.stderr
    assert starttls.recorder.received == []
    run = send(out, starttls, stdin="y\n")
    assert run.returncode == 0, run.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD)


def test_each_draft_goes_once_and_a_rerun_sends_nothing(out: Path, starttls: SmtpServer) -> None:
    run = send(out, starttls, "--yes")
    assert run.returncode == 0, run.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD)
    assert all(m.mail_from == SENDER for m in starttls.recorder.received)
    again = send(out, starttls, "--yes")
    assert again.returncode == 0, again.stderr
    assert len(starttls.recorder.received) == len(BAD)
    assert "没有待发送" in again.stdout
    # the password is never printed nor logged
    assert PASSWORD not in run.stdout + run.stderr + again.stdout + again.stderr
    assert PASSWORD.encode() not in (out / SENT_LOG).read_bytes()


def test_the_received_reply_threads_and_names_its_attachment(
    out: Path, starttls: SmtpServer
) -> None:
    run = send(out, starttls, "--yes")
    assert run.returncode == 0, run.stderr
    by_rcpt = {m.rcpt_tos[0]: m.data for m in starttls.recorder.received}
    raw = by_rcpt[address(3)]
    message = parsed(raw)
    assert message["In-Reply-To"] == "<m3.0@example.gov.cn>"
    assert "<m3.0@example.gov.cn>" in message["References"]
    assert message["Subject"] == "回复：2024年政府信息公开工作年度报告（请修改后重新报送）"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # UTF-8 subject as RFC 2047 words, nothing raw
    assert b"=?utf-8?" in [h for h in head.split(b"\r\n") if h.startswith(b"Subject:")][0]
    assert message["From"].addresses[0].addr_spec == SENDER
    attached = next(message.iter_attachments())
    name = attached.get_filename()
    assert name is not None and name.endswith(".errors.xlsx") and "某某县" in name
    part_head = raw.split(b"Content-Disposition: attachment", 1)
    assert b'name="=?utf-8?b?' in part_head[0].rsplit(b"Content-Type:", 1)[1]  # Foxmail, Outlook
    assert part_head[1].lstrip(b"; \r\n").startswith(b"filename*0*=utf-8''")  # RFC 2231
    placed = next(out.rglob(name))
    assert attached.get_content() == placed.read_bytes()


def test_implicit_tls(out: Path, implicit: SmtpServer) -> None:
    run = send(out, implicit, "--yes")
    assert run.returncode == 0, run.stderr
    assert recipients(implicit) == sorted(address(i) for i in BAD)


def test_a_refused_recipient_is_reported_and_the_rest_go_on(
    out: Path, starttls: SmtpServer
) -> None:
    starttls.recorder.refused = {address(2)}
    run = send(out, starttls, "--yes")
    assert run.returncode == 1, run.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD if i != 2)
    failed = [line for line in (run.stdout + run.stderr).splitlines() if address(2) in line]
    assert any("某某县公安局" in line and REFUSED_ANSWER[4:] in line for line in failed), failed
    starttls.recorder.refused = set()  # the clerk fixed the address at the office's end
    again = send(out, starttls, "--yes")
    assert again.returncode == 0, again.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD)


def test_a_kill_between_messages_resends_nothing_accepted(out: Path, starttls: SmtpServer) -> None:
    starttls.recorder.hold_at = 3  # the server holds the third message until the client is dead
    process = subprocess.Popen(
        [sys.executable, "-m", "xlcheck", *send_args(out, starttls, "--yes")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(),
    )
    try:
        assert starttls.recorder.holding.wait(HANG_GUARD)
        process.send_signal(signal.SIGKILL)
        process.wait(HANG_GUARD)
    finally:
        starttls.recorder.release.set()
    assert len(starttls.recorder.received) == 2
    starttls.recorder.hold_at = None
    again = send(out, starttls, "--yes")
    assert again.returncode == 0, again.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD)  # each exactly once


def test_acceptance_mail_for_valid_submissions(out: Path, starttls: SmtpServer) -> None:
    run = send(out, starttls, "--yes", "--acceptance")
    assert run.returncode == 0, run.stderr
    assert recipients(starttls) == sorted(address(i) for i in BAD + GOOD)
    rows = json.loads((out / "summary.json").read_text("utf-8"))["rows"]
    by_rcpt = {m.rcpt_tos[0]: parsed(m.data) for m in starttls.recorder.received}
    for i in GOOD:
        row = next(r for r in rows if r["sender"] == address(i))
        message = by_rcpt[address(i)]
        assert message["Subject"].startswith("回执：已收到并通过校验")
        assert message["In-Reply-To"] == f"<m{i}.0@example.gov.cn>"
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert row["office"] in text and str(row["year"]) in text and row["sha256"] in text
    again = send(out, starttls, "--yes", "--acceptance")
    assert again.returncode == 0 and len(starttls.recorder.received) == len(BAD + GOOD)


def test_without_the_variable_the_password_is_asked_for(out: Path, starttls: SmtpServer) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "xlcheck", *send_args(out, starttls, "--yes")],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=environment(None),
        input=PASSWORD + "\n",
        start_new_session=True,  # no terminal: getpass reads the answer from stdin
    )
    assert run.returncode == 0, run.stderr
    assert "SMTP 密码" in run.stderr and PASSWORD not in run.stdout + run.stderr
    assert len(starttls.recorder.received) == len(BAD)


def test_a_wrong_password_is_one_line_and_sends_nothing(out: Path, starttls: SmtpServer) -> None:
    run = send(out, starttls, "--yes", password="wrong-口令")
    assert run.returncode == 2
    assert starttls.recorder.received == []
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert "登录" in run.stderr and "wrong-口令" not in run.stderr + run.stdout


def test_an_unreachable_host_is_one_line(out: Path, starttls: SmtpServer) -> None:
    args = send_args(out, starttls, "--yes")
    args[args.index("--port") + 1] = str(closed_port())
    run = run_cli(*args)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "无法连接" in run.stderr


def test_a_certificate_that_does_not_verify_is_refused_unless_insecure(
    out: Path, starttls: SmtpServer
) -> None:
    args = send_args(out, starttls, "--yes")
    cafile = args.index("--cafile")
    del args[cafile : cafile + 2]
    run = run_cli(*args)
    assert run.returncode == 2
    assert "证书" in run.stderr and "--insecure" in run.stderr
    assert starttls.recorder.received == []
    run = run_cli(*args, "--insecure")
    assert run.returncode == 0, run.stderr
    assert len(starttls.recorder.received) == len(BAD)


def test_not_a_batch_output_and_no_drafts(out: Path, starttls: SmtpServer, tmp_path: Path) -> None:
    empty = tmp_path / "空"
    empty.mkdir()
    run = send(empty, starttls, "--yes")
    assert run.returncode == 2 and "不是 xlcheck batch 的输出" in run.stderr
    for draft in out.rglob("*.reply.eml"):
        draft.unlink()
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    for row in summary["rows"]:
        row["outputs"].pop("reply", None)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    run = send(out, starttls, "--yes")
    assert run.returncode == 2 and "没有回复草稿" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert starttls.recorder.received == []


def test_english_messages(out: Path, starttls: SmtpServer) -> None:
    run = send(out, starttls, "--yes", "--lang", "en", password="wrong")
    assert run.returncode == 2 and "login" in run.stderr.lower()


def test_rate_limiter_spaces_messages_without_waiting() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(30, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert slept == [2.0, 2.0, 2.0]
    now[0] += 10  # a slow server: no sleep owed
    limiter.wait()
    assert slept == [2.0, 2.0, 2.0]


def test_templates_go_out_by_mail_one_per_office_with_its_template(
    tmp_path: Path, starttls: SmtpServer
) -> None:
    """Season start: templates --mail writes each office's message, mail send sends them."""
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "机关名称,统一社会信用代码,类型,层级,联系人,邮箱\n"
        f"东风镇人民政府,,人民政府,乡级,党政办,{address(1)}\n"
        f"某县交通运输局,,政府部门,县级,办公室,{address(2)}\n"
        "没有邮箱的局,,政府部门,县级,,\n",
        encoding="utf-8",
    )
    folder = tmp_path / "模板"
    made = run_cli(
        "templates",
        "--roster",
        str(roster),
        "--year",
        "2025",
        "-o",
        str(folder),
        "--mail",
        "--deadline",
        "2026年1月15日",
        "--from",
        SENDER,
    )
    assert made.returncode == 0, made.stderr
    assert "已写出 2 封邮件" in made.stdout and "没有邮箱" in made.stderr
    run = send(folder, starttls, "--yes")
    assert run.returncode == 0, run.stderr
    by_rcpt = {m.rcpt_tos[0]: parsed(m.data) for m in starttls.recorder.received}
    assert sorted(by_rcpt) == sorted([address(1), address(2)])
    message = by_rcpt[address(2)]
    assert message["Subject"] == "请填报2025年度政府信息公开工作年度报告（某县交通运输局）"
    assert "2026年1月15日" in message.get_body().get_content()
    attached = next(message.iter_attachments())
    assert attached.get_filename() == "某县交通运输局-2025.xlsx"
    assert attached.get_content() == (folder / "某县交通运输局-2025.xlsx").read_bytes()
    again = send(folder, starttls, "--yes")
    assert again.returncode == 0 and len(starttls.recorder.received) == 2  # each goes once

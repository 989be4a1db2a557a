"""The whole season by mail, end to end, with a real SMTP server (aiosmtpd) and a real IMAP
server (Dovecot): templates mailed → offices reply with filled workbooks → fetch → batch →
replies sent → the office with errors replies corrected → fetch → batch → every office 通过."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from cli_run import HANG_GUARD
from dovecot_server import Dovecot, running_dovecot
from serve_helpers import invalid_workbook, valid_workbook
from smtp_server import PASSWORD as SMTP_PASSWORD
from smtp_server import USER as SMTP_USER
from smtp_server import SmtpServer, make_certificate, start_server
from xlcheck.check import check_bytes
from xlcheck.form import load_form
from xlcheck.mailout import build_reply
from xlcheck.xlsxout import write_template

pytestmark = pytest.mark.skipif(
    not Path("/usr/sbin/dovecot").exists(), reason="Dovecot is not installed (.ci/run installs it)"
)

COUNTY = "gkb@county.example"
OFFICES = {"东风镇人民政府": "dfz@town.example", "某县交通运输局": "jtj@town.example"}
KIND_TIER = {"东风镇人民政府": "人民政府,乡级", "某县交通运输局": "政府部门,县级"}
FORM = load_form("gov-info-disclosure-2021")


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    (tmp_path / "smtp-cert").mkdir()
    cert, key = make_certificate(tmp_path / "smtp-cert")
    server = start_server(cert, key, implicit_tls=False)
    yield server
    server.stop()


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[Dovecot]:
    with running_dovecot(tmp_path) as server:
        yield server


def xlcheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def send(folder: Path, smtp: SmtpServer) -> subprocess.CompletedProcess[str]:
    return xlcheck(
        "mail",
        "send",
        str(folder),
        "--smtp",
        "127.0.0.1",
        "--port",
        str(smtp.port),
        "--starttls",
        "--user",
        SMTP_USER,
        "--from",
        COUNTY,
        "--cafile",
        str(smtp.cafile),
        "--rate",
        "6000",
        "--yes",
        env={"XLCHECK_SMTP_PASSWORD": SMTP_PASSWORD},
    )


def fetch(imap: Dovecot, inbox: Path) -> subprocess.CompletedProcess[str]:
    return xlcheck(
        "mail",
        "fetch",
        "--imap",
        imap.host,
        "--port",
        str(imap.imaps_port),
        "--user",
        imap.user,
        "--cafile",
        str(imap.cafile),
        "-o",
        str(inbox),
        env={"XLCHECK_IMAP_PASSWORD": imap.password},
    )


def received(smtp: SmtpServer, since: int = 0) -> dict[str, EmailMessage]:
    found = {}
    for item in smtp.recorder.received[since:]:
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found[item.rcpt_tos[0]] = message
    return found


def filled(template: bytes, good: bytes) -> bytes:
    """The office fills its template: the figures of `good`, entered into the template it got."""
    values = dict(check_bytes(template, "t.xlsx", FORM).values)
    figures = check_bytes(good, "g.xlsx", FORM).values
    values.update({k: v for k, v in figures.items() if not k.startswith("agency.") and k != "year"})
    buffer = io.BytesIO()
    write_template(FORM, buffer, values=values)
    return buffer.getvalue()


def reply_with(to_us: EmailMessage, office: str, workbook: bytes, name: str) -> bytes:
    """The office answers the county's mail with its workbook attached, as a mail client does."""
    return build_reply(
        COUNTY,
        "县政务公开办",
        "回复：" + str(to_us["Subject"]),
        "附件为我单位年报，请查收。",
        name,
        workbook,
        OFFICES[office],
        str(to_us["Message-ID"]),
        from_name=office,
    )


def statuses(out: Path) -> dict[str, str]:
    rows = json.loads((out / "summary.json").read_text("utf-8"))["rows"]
    return {
        r["office"]: r["status"]
        for r in rows
        if r.get("office") and r["status"] != "已被新版本取代"
    }


def test_the_season_by_mail_from_templates_to_every_office_passed(
    tmp_path: Path, smtp: SmtpServer, imap: Dovecot
) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "机关名称,统一社会信用代码,类型,层级,联系人,邮箱\n"
        + "".join(f"{name},,{KIND_TIER[name]},办公室,{mail}\n" for name, mail in OFFICES.items()),
        encoding="utf-8",
    )
    templates = tmp_path / "模板"
    made = xlcheck(
        "templates",
        "--roster",
        str(roster),
        "--year",
        "2024",
        "-o",
        str(templates),
        "--mail",
        "--deadline",
        "2025年1月15日",
        "--from",
        COUNTY,
    )
    assert made.returncode == 0, made.stderr
    assert send(templates, smtp).returncode == 0
    out_mail = received(smtp)
    assert sorted(out_mail) == sorted(OFFICES.values())

    # each office replies with its filled template; the bureau's has errors
    for office, address in OFFICES.items():
        template = next(out_mail[address].iter_attachments()).get_content()
        good = valid_workbook(office) if office == "东风镇人民政府" else invalid_workbook(office)
        imap.append(reply_with(out_mail[address], office, filled(template, good), f"{office}.xlsx"))

    inbox, out = tmp_path / "收件箱", tmp_path / "输出"
    assert "已收取 2 封新邮件" in fetch(imap, inbox).stdout
    first = xlcheck("batch", str(inbox), "-o", str(out), "--drafts")
    assert first.returncode == 1
    assert statuses(out) == {"东风镇人民政府": "通过", "某县交通运输局": "有错误"}

    before = len(smtp.recorder.received)
    sent = send(out, smtp)
    assert sent.returncode == 0, sent.stderr
    replies = received(smtp, before)
    assert list(replies) == [OFFICES["某县交通运输局"]]  # only the office with errors hears back
    reply = replies[OFFICES["某县交通运输局"]]
    assert next(reply.iter_attachments()).get_filename().endswith(".errors.xlsx")
    assert reply["In-Reply-To"]  # threaded under the office's own mail

    # the bureau corrects its figures and answers the reply
    template = next(out_mail[OFFICES["某县交通运输局"]].iter_attachments()).get_content()
    corrected = filled(template, valid_workbook("某县交通运输局"))
    imap.append(reply_with(reply, "某县交通运输局", corrected, "某县交通运输局-改.xlsx"))
    assert "已收取 1 封新邮件" in fetch(imap, inbox).stdout  # only the new one
    second = xlcheck("batch", str(inbox), "-o", str(out), "--drafts")
    assert second.returncode == 0, second.stdout + second.stderr
    assert statuses(out) == {"东风镇人民政府": "通过", "某县交通运输局": "通过"}
    last = send(out, smtp)  # every office passed: no draft left, nothing sent again
    assert last.returncode == 2 and "没有回复草稿" in last.stderr
    assert len(smtp.recorder.received) == before + 1

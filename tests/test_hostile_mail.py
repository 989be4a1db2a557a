"""Hostile e-mail from anyone who can mail the county: header injection, odd attachment names."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

from batch_fixtures import INVALID_R1, office_values, workbook
from inbox_fixtures import CRLF, attachment, message
from xlcheck.form import Form
from xlcheck.inbox import Submission, gather
from xlcheck.mailout import build_reply

BAD_OFFICE = min(INVALID_R1)


def utf8_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def xlcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xlcheck", *args], capture_output=True, text=True, timeout=300
    )


def injecting_mail(data: bytes) -> bytes:
    """Subject and From name decode to CR/LF + a Bcc line; Message-ID and file name carry more."""
    sender = utf8_word("某某县财政局\nBcc: evil2@example.com")
    subject = utf8_word("x\r\nBcc: evil@example.com")
    head = [
        f"From: {sender} <cz@example.gov.cn>".encode("ascii"),
        b"To: county@example.gov.cn",
        f"Subject: {subject}".encode("ascii"),
        b"Date: Mon, 15 Jan 2024 09:00:00 +0800",
        b"Message-ID: <m1@example.gov.cn>\x1b[31m\x07 (x)",
    ]
    word = utf8_word("年报\r\nBcc: evil3@example.com\u202e.xlsx")
    name = f'filename="{word}"'
    return message(head, [attachment(name.encode("ascii"), data)])


def run_drafts(inbox: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return xlcheck("batch", str(inbox), "-o", str(out), "--drafts", "--jobs", "1", "--no-docx")


@pytest.fixture(scope="module")
def injected(form: Form, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("hostile")
    inbox = root / "收件箱"
    inbox.mkdir()
    bad = workbook(form, office_values(form, BAD_OFFICE))
    (inbox / "注入.eml").write_bytes(injecting_mail(bad))
    out = root / "输出"
    run = run_drafts(inbox, out)
    return {"run": run, "out": out}


def test_header_injection_does_not_stop_the_batch(injected: dict[str, object]) -> None:
    run = injected["run"]
    out = injected["out"]
    assert isinstance(run, subprocess.CompletedProcess) and isinstance(out, Path)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert (out / "汇总.xlsx").is_file()


def drafts(out: Path) -> list[Path]:
    return sorted(out.rglob("*.reply.eml"))


def test_the_draft_carries_no_injected_header(injected: dict[str, object]) -> None:
    out = injected["out"]
    assert isinstance(out, Path)
    found = drafts(out)
    assert len(found) == 1
    raw = found[0].read_bytes()
    assert b"evil" not in raw.lower().replace(b"=?", b"")  # not even inside an encoded word line
    draft = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(draft, EmailMessage)
    assert draft["Bcc"] is None and draft["Cc"] is None
    assert [k.lower() for k in draft].count("to") == 1
    for key, value in draft.items():
        assert not any(ord(c) < 32 or c in "\u202e\u200b" for c in str(value)), key
    assert draft["To"].addresses[0].addr_spec == "cz@example.gov.cn"
    assert "某某县财政局" in draft["To"].addresses[0].display_name
    assert draft["Subject"].startswith("回复：x")
    assert draft["In-Reply-To"] == "<m1@example.gov.cn>"
    attached = next(draft.iter_attachments())
    assert attached.get_filename() is not None
    assert not any(ord(c) < 32 for c in attached.get_filename())
    assert all(line.endswith(b"\r") or not line for line in raw.split(b"\n")[:-1])


def test_no_header_line_starts_with_bcc(injected: dict[str, object]) -> None:
    out = injected["out"]
    assert isinstance(out, Path)
    for path in drafts(out):
        head = path.read_bytes().split(CRLF + CRLF, 1)[0]
        assert not any(line.lower().startswith(b"bcc") for line in head.split(CRLF))


def test_summary_cells_hold_no_control_characters(injected: dict[str, object]) -> None:
    out = injected["out"]
    assert isinstance(out, Path)
    sheet = load_workbook(out / "汇总.xlsx", read_only=True).worksheets[0]
    texts = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any("cz@example.gov.cn" in t for t in texts)
    for text in texts:
        assert not any(ord(c) < 32 and c != "\n" for c in text), text
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for row in summary["rows"]:
        for key in ("sender_name", "subject", "message_id", "filename"):
            value = row.get(key) or ""
            assert not any(ord(c) < 32 for c in value), (key, value)


def test_build_reply_cleans_every_header_it_is_given() -> None:
    raw = build_reply(
        "a@x.cn",
        "财政局\r\nBcc: e1@x.cn",
        "主题\nBcc: e2@x.cn\u2028Cc: e3@x.cn",
        "正文",
        "结果\r\nBcc: e4@x.cn.xlsx",
        b"PK",
        in_reply_to="<m@x.cn>\r\nBcc: e5@x.cn",
        from_name="\u202e县政务公开办\u200b",
    )
    draft = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(draft, EmailMessage)
    assert draft["Bcc"] is None and draft["Cc"] is None
    assert draft["To"].addresses[0].display_name == "财政局 Bcc: e1@x.cn"
    assert draft["Subject"] == "主题 Bcc: e2@x.cn Cc: e3@x.cn"
    assert draft["In-Reply-To"] == "<m@x.cn>"
    assert draft["From"].addresses[0].display_name == "县政务公开办"
    assert next(draft.iter_attachments()).get_filename() == "结果 Bcc: e4@x.cn.xlsx"


def gathered_envelope(tmp_path: Path, from_line: bytes) -> Submission:
    head = [from_line, b"Subject: =?utf-8?b?5bm05oqlIA==?=", b"Message-ID: junk"]
    path = tmp_path / "m.eml"
    path.write_bytes(message(head, [attachment(b'filename="a.xlsx"', b"PK\x03\x04")]))
    (item,) = gather([path])
    assert isinstance(item, Submission)
    return item


@pytest.mark.parametrize(
    ("from_line", "sender", "name"),
    [
        (b"=?utf-8?b?6LSi5pS/5bGA?= <cz@example.gov.cn>", "cz@example.gov.cn", "财政局"),
        (b"<a b@example.cn>", None, "a b@example.cn"),  # no reply possible: shown as the name
        ("x <a@b\u202e.cn>".encode(), None, "x"),  # a hidden character would disguise it
        ("局 <a@例子.中国>".encode(), "a@xn--fsqu00a.xn--fiqs8s", "局"),
        (b'"" <"@"@x>', '"@"@x', None),  # odd but valid: a quoted local part
        (b"x <@b>", None, "x"),
    ],
)
def test_a_sender_is_kept_only_when_a_reply_can_be_written_to_it(
    tmp_path: Path, from_line: bytes, sender: str | None, name: str | None
) -> None:
    item = gathered_envelope(tmp_path, b"From: " + from_line)
    assert (item.sender, item.sender_name) == (sender, name)
    assert item.subject == "年报"
    assert item.message_id is None  # "junk" is not an <id@host>
    if item.sender:
        build_reply(item.sender, item.sender_name, "s", "b", "a.xlsx", b"PK")

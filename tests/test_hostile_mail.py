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

from batch_fixtures import INVALID_R1, OFFICES, office_values, workbook
from cli_run import xlcheck
from inbox_fixtures import CRLF, attachment, message, part, text_part, utf8_zip
from xlcheck.form import Form
from xlcheck.inbox import Submission, gather
from xlcheck.mailout import build_reply
from xlsx_fixtures import build_ods, build_ole

BAD_OFFICE = min(INVALID_R1)
GOOD_OFFICE = 0


def utf8_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


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
    good = workbook(form, office_values(form, GOOD_OFFICE))
    head = [b"From: nm@example.gov.cn", b"Subject: =?utf-8?b?5bm05oqlIA==?="]
    (inbox / "无名.eml").write_bytes(message(head, [attachment(b'filename=".xlsx"', good)]))
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
    found = drafts(out)
    assert found
    for path in found:
        head = path.read_bytes().split(CRLF + CRLF, 1)[0]
        assert not any(line.lower().startswith(b"bcc") for line in head.split(CRLF))


def test_summary_cells_hold_no_control_characters(injected: dict[str, object]) -> None:
    out = injected["out"]
    assert isinstance(out, Path)
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()  # read-only keeps the file open until closed
    texts = [str(c) for row in rows for c in row if c is not None]
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


PLAIN_AND_ODD = [
    "cz@example.gov.cn",
    "o.1_a+b-c@mail.example-1.cn",
    "a@b",
    "a..b@x.cn",
    ".a@x.cn",
    "a@x..cn",
    "a@-x.cn",
    "a b@x.cn",
    '"@"@x',
    "a@[127.0.0.1]",
    "a@b\u202e.cn",
    "@b",
    "a@",
    "x" * 250 + "@b.cn",
]


@pytest.mark.parametrize("address", PLAIN_AND_ODD)
def test_plain_addresses_skip_the_header_round_trip_with_the_same_answer(address: str) -> None:
    """The round trip through a reply header costs ~0.5 ms a message; a plain ASCII address
    cannot fail it, so it is taken as it is, and every other one still makes the trip."""

    from xlcheck.inbox import mail

    trips = 0

    def hook(frame: object, event: str, _: object) -> None:
        nonlocal trips
        if event == "call" and getattr(frame, "f_code", None) is mail._round_trips.__code__:
            trips += 1

    sys.setprofile(hook)
    try:
        answer = mail._reply_address(address)
    finally:
        sys.setprofile(None)
    assert answer == mail._round_trips(address)
    if address in PLAIN_AND_ODD[:3]:
        assert trips == 0


# ---- attachments and members whose names say nothing: decided by content ------------------


def ooxml(kind: str) -> bytes:
    """An Office package directory as Excel, Word or PowerPoint write it (contents not needed)."""
    part = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml", "pptx": "ppt/presentation.xml"}
    return utf8_zip({"[Content_Types].xml": b"<Types/>", part[kind]: b"<x/>"})


def ole(tmp_path: Path, stream: str) -> bytes:
    return build_ole(tmp_path / f"{stream}.ole", [stream]).read_bytes()


def named(name: bytes, data: bytes, content_type: bytes = b"application/octet-stream") -> bytes:
    return attachment(b'filename="' + name + b'"', data, content_type)


def unnamed(data: bytes) -> bytes:
    """An attachment without any name or disposition, as some webmail forwarders send them."""
    return part([b"Content-Type: application/octet-stream"], data)


def test_mail_attachments_without_a_usable_name_are_decided_by_content(tmp_path: Path) -> None:
    xlsx, pdf = ooxml("xlsx"), b"%PDF-1.4 notes"
    archive = utf8_zip({"乡镇/王店乡.xlsx": xlsx, "说明.pdf": b"%PDF-1.4"})
    parts = [
        text_part("附件是年报。"),
        named(b".xlsx", xlsx),
        named(utf8_word("附件").encode(), xlsx),
        named(b"report.XLSX ", xlsx),
        unnamed(xlsx),
        named(utf8_word("旧表").encode(), ole(tmp_path, "Workbook")),
        named(b"data.bin", archive),
        named(utf8_word("\u200b").encode(), xlsx),  # a name of nothing but a hidden character
        # not workbooks, whatever their names: skipped (or ignored) as before; PDFs are read
        named(utf8_word("说明").encode(), pdf),
        named(b"slides.pptx", ooxml("pptx")),
        named(b"memo", ole(tmp_path, "WordDocument")),
        unnamed(pdf),
    ]
    head = [b"From: a@example.cn", b"Subject: x", b"Message-ID: <x@example.cn>"]
    path = tmp_path / "m.eml"
    path.write_bytes(message(head, parts))
    found = [
        ("ok" if isinstance(i, Submission) else i.reason, i.origin.split("!", 1)[1], i.filename)
        for i in gather([path])
    ]
    assert found == [
        ("ok", "附件:.xlsx", ".xlsx"),
        ("ok", "附件:附件", "附件"),
        ("ok", "附件:report.XLSX", "report.XLSX"),
        ("ok", "附件:未命名附件", "未命名附件"),
        ("ok", "附件:旧表", "旧表"),  # the reader explains a legacy .xls
        ("ok", "附件:data.bin!乡镇/王店乡.xlsx", "王店乡.xlsx"),
        ("ok", "附件:data.bin!说明.pdf", "说明.pdf"),  # a PDF is a submission since issue 14
        ("ok", "附件:未命名附件", "未命名附件"),
        ("ok", "附件:说明", "说明"),  # PDF by its content (issue 14)
        ("not_a_workbook", "附件:slides.pptx", "slides.pptx"),
        ("not_a_workbook", "附件:memo", "memo"),
        ("ok", "附件:未命名附件", "未命名附件"),  # an unnamed PDF, by its content (issue 14)
    ]


def test_zip_members_without_a_usable_name_are_decided_by_content(tmp_path: Path) -> None:
    xlsx = ooxml("xlsx")
    ods = build_ods(tmp_path / "a.ods").read_bytes()
    odt = utf8_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""})
    encrypted = ole(tmp_path, "EncryptedPackage")
    members = {".xlsx": xlsx, "附件": xlsx, "report.XLSX ": xlsx, "说明": b"plain text"}
    members |= {"表格": ods, "文档": odt, "加密": encrypted, "坏": b"PK\x03\x04 cut"}
    path = tmp_path / "报表.zip"
    path.write_bytes(utf8_zip(members))
    found = [("ok" if isinstance(i, Submission) else i.reason, i.filename) for i in gather([path])]
    assert found == [
        ("ok", ".xlsx"),
        ("ok", "附件"),
        ("ok", "report.XLSX "),
        ("not_a_workbook", "说明"),
        ("ok", "表格"),  # the reader asks for .xlsx
        ("not_a_workbook", "文档"),
        ("ok", "加密"),  # the reader says it has an open password
        ("unreadable_container", "坏"),  # a zip by its first bytes, damaged
    ]


def test_a_workbook_attached_as_just_xlsx_is_checked(injected: dict[str, object]) -> None:
    out = injected["out"]
    assert isinstance(out, Path)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    (row,) = [r for r in summary["rows"] if r.get("sender") == "nm@example.gov.cn"]
    assert (row["filename"], row["status"], row["office"]) == (
        ".xlsx",
        "通过",
        OFFICES[GOOD_OFFICE],
    )


def test_loose_files_without_a_usable_name_are_decided_by_content(tmp_path: Path) -> None:
    """On disk as in a zip or a mail: a workbook saved as 附件 or report.bin is read; a picture
    or a text is still skipped without being read whole."""
    folder = tmp_path / "收件箱"
    folder.mkdir()
    xlsx = ooxml("xlsx")
    (folder / "附件").write_bytes(xlsx)
    (folder / "report.bin").write_bytes(xlsx)
    (folder / "打包.dat").write_bytes(utf8_zip({"乙镇.xlsx": xlsx}))
    (folder / "签名.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    (folder / "说明").write_bytes(b"plain text")
    found = sorted(
        ("ok" if isinstance(i, Submission) else i.reason, i.filename) for i in gather([folder])
    )
    assert found == [
        ("not_a_workbook", "签名.png"),
        ("not_a_workbook", "说明"),
        ("ok", "report.bin"),
        ("ok", "乙镇.xlsx"),
        ("ok", "附件"),
    ]

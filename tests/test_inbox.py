"""Gathering submissions from a county inbox, and writing reply e-mails."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path

import pytest

import inbox_fixtures as fx
from xlcheck.inbox import InboxLimits, Item, Skipped, Submission, gather
from xlcheck.inbox.names import header_param
from xlcheck.mailout import build_reply

CST = timezone(timedelta(hours=8))


def outline(items: list[Item]) -> list[tuple[str, str, str]]:
    """(kind or skip reason, origin, filename) for each item, in order."""
    return [
        ("ok" if isinstance(item, Submission) else item.reason, item.origin, item.filename)
        for item in items
    ]


def gather_dir(root: Path, limits: InboxLimits | None = None) -> list[Item]:
    return list(gather([root], limits or InboxLimits()))


def by_origin(items: list[Item]) -> dict[str, Item]:
    return {item.origin: item for item in items}


# ---- folders ----------------------------------------------------------------------------------


def test_loose_files_are_walked_sorted_and_lock_files_ignored(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fx.write_tree(
        inbox,
        {
            "古庄店镇政府.xlsx": fx.workbook_bytes("古庄店镇"),
            "报表（旧版）.xls": b"\xd0\xcf\x11\xe0 old excel",
            "说明.pdf": b"%PDF-1.4",
            "~$古庄店镇政府.xlsx": b"owner lock",
            ".~lock.古庄店镇政府.xlsx#": b"lock",
            ".DS_Store": b"junk",
            "乡镇/王店乡.XLSX": fx.workbook_bytes("王店乡"),
            "乡镇/王店乡.json": b"{}",
        },
    )
    items = gather_dir(inbox)
    assert outline(items) == [
        ("ok", "inbox/乡镇/王店乡.XLSX", "王店乡.XLSX"),
        ("ok", "inbox/乡镇/王店乡.json", "王店乡.json"),
        ("ok", "inbox/古庄店镇政府.xlsx", "古庄店镇政府.xlsx"),
        ("ok", "inbox/报表（旧版）.xls", "报表（旧版）.xls"),
        ("ok", "inbox/说明.pdf", "说明.pdf"),  # a PDF is a submission now (issue 14)
    ]
    first = items[2]
    assert isinstance(first, Submission)
    assert first.data == fx.workbook_bytes("古庄店镇")
    assert first.sender is None and first.date is None and first.message_id is None
    assert first.file_mtime is not None and first.file_mtime.tzinfo is UTC
    assert first.path == inbox / "古庄店镇政府.xlsx"


def test_a_single_file_input_is_named_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "镇政府.xlsx"
    path.write_bytes(b"x")
    assert outline(list(gather([path]))) == [("ok", "镇政府.xlsx", "镇政府.xlsx")]


# ---- zip archives -----------------------------------------------------------------------------


def test_gbk_zip_from_chinese_windows_is_decoded(tmp_path: Path) -> None:
    members = {name: fx.workbook_bytes(name) for name in fx.GBK_ZIP_NAMES}
    members["__MACOSX/乡镇/._古庄店镇.xlsx"] = b"resource fork"
    raw = fx.gbk_zip(members, directories=("乡镇/",))
    infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    assert all(info.flag_bits & 0x800 == 0 for info in infos)  # really written the GBK way
    assert infos[1].orig_filename != fx.GBK_ZIP_NAMES[0]  # zipfile alone gets it wrong
    fx.write_tree(tmp_path / "inbox", {"all.zip": raw})

    items = gather_dir(tmp_path / "inbox")
    assert outline(items) == [
        ("ok", "inbox/all.zip!乡镇/古庄店镇.xlsx", "古庄店镇.xlsx"),
        ("ok", "inbox/all.zip!乡镇/王店乡.xlsx", "王店乡.xlsx"),
    ]
    first = items[0]
    assert isinstance(first, Submission)
    assert first.data == fx.workbook_bytes("乡镇/古庄店镇.xlsx")
    assert first.file_mtime == datetime(2024, 1, 10, 8, 30)
    assert first.path == tmp_path / "inbox" / "all.zip"


def test_utf8_flagged_zip_and_unicode_path_field(tmp_path: Path) -> None:
    fx.write_tree(
        tmp_path / "in",
        {
            "a.zip": fx.utf8_zip({"街道/城关街道.xlsx": b"1"}),
            "b.zip": fx.unicode_path_zip("????.xlsx", "汇总表.xlsx", b"2"),
        },
    )
    assert outline(gather_dir(tmp_path / "in")) == [
        ("ok", "in/a.zip!街道/城关街道.xlsx", "城关街道.xlsx"),
        ("ok", "in/b.zip!汇总表.xlsx", "汇总表.xlsx"),
    ]


def test_nested_zip_is_opened_to_depth_two(tmp_path: Path) -> None:
    inner = fx.gbk_zip({"内层/李集镇.xlsx": b"inner"})
    deepest = fx.utf8_zip({"b.zip": fx.utf8_zip({"x.xlsx": b"x"})})
    fx.write_tree(
        tmp_path / "in",
        {
            "nested.zip": fx.utf8_zip({"里面.zip": inner, "外层.xlsx": b"outer"}),
            "deep.zip": fx.utf8_zip({"a.zip": deepest}),
        },
    )
    assert outline(gather_dir(tmp_path / "in")) == [
        ("nested_too_deep", "in/deep.zip!a.zip!b.zip", "b.zip"),
        # members come in archive order
        ("ok", "in/nested.zip!里面.zip!内层/李集镇.xlsx", "李集镇.xlsx"),
        ("ok", "in/nested.zip!外层.xlsx", "外层.xlsx"),
    ]


def test_zip_bombs_and_encrypted_members_are_refused_before_inflating(tmp_path: Path) -> None:
    two = fx.utf8_zip({"大.xlsx": b"a", "小.xlsx": b"b"})
    fx.write_tree(
        tmp_path / "in",
        {
            "declared.zip": fx.patch_central(two, 0, size=60 * 1024 * 1024),
            "ratio.zip": fx.utf8_zip({"零.xlsx": bytes(2 * 1024 * 1024)}),
            "locked.zip": fx.patch_central(two, 1, flags=0x1),
        },
    )
    items = gather_dir(tmp_path / "in")
    assert outline(items) == [
        ("zip_bomb", "in/declared.zip!大.xlsx", "大.xlsx"),
        ("ok", "in/declared.zip!小.xlsx", "小.xlsx"),
        ("ok", "in/locked.zip!大.xlsx", "大.xlsx"),
        ("encrypted_zip", "in/locked.zip!小.xlsx", "小.xlsx"),
        ("zip_bomb", "in/ratio.zip!零.xlsx", "零.xlsx"),
    ]
    bomb = items[0]
    assert isinstance(bomb, Skipped) and "62914560" in bomb.detail


def test_archive_total_is_checked_before_any_member(tmp_path: Path) -> None:
    fx.write_tree(
        tmp_path / "in", {"big.zip": fx.utf8_zip({"a.xlsx": b"a" * 60, "b.xlsx": b"b" * 60})}
    )
    items = gather_dir(tmp_path / "in", InboxLimits(max_archive_bytes=100))
    assert outline(items) == [("zip_bomb", "in/big.zip", "big.zip")]


# ---- e-mail -----------------------------------------------------------------------------------


def test_outlook_mail_with_gbk_names_and_a_pdf(tmp_path: Path) -> None:
    fx.write_tree(tmp_path / "inbox", {"mail.eml": fx.outlook_mail()})
    items = gather_dir(tmp_path / "inbox")
    assert outline(items) == [
        ("ok", "inbox/mail.eml!附件:古庄店镇年报.xlsx", "古庄店镇年报.xlsx"),
        ("ok", "inbox/mail.eml!附件:附表（修订）.xlsx", "附表（修订）.xlsx"),
        ("ok", "inbox/mail.eml!附件:说明.pdf", "说明.pdf"),  # PDF read since issue 14
    ]
    first, second, pdf = items
    assert isinstance(first, Submission) and isinstance(second, Submission)
    assert first.data == fx.workbook_bytes("古庄店镇年报")
    assert second.data == fx.workbook_bytes("附表")
    assert first.sender == "gzd@example.gov.cn"
    assert first.sender_name == "古庄店镇人民政府"
    assert first.subject == "古庄店镇2023年政府信息公开年度报告"
    assert first.date == datetime(2024, 1, 15, 9, 30, tzinfo=CST)
    assert first.message_id == "<202401150930.1@gzd.example.gov.cn>"
    assert first.file_mtime is None
    assert isinstance(pdf, Submission) and pdf.sender == "gzd@example.gov.cn"  # issue 14


def test_raw_8bit_gbk_filename_and_gb2312_label_with_gbk_only_character(tmp_path: Path) -> None:
    fx.write_tree(tmp_path / "in", {"raw.eml": fx.raw_8bit_mail()})
    items = gather_dir(tmp_path / "in")
    assert outline(items) == [
        ("ok", "in/raw.eml!附件:王店乡年报.xlsx", "王店乡年报.xlsx"),
        ("ok", "in/raw.eml!附件:王喆填报.xlsx", "王喆填报.xlsx"),
    ]
    assert [item.sha256 for item in items if isinstance(item, Submission)][1] == sha256(
        fx.workbook_bytes("王喆")
    ).hexdigest()


def test_forwarded_message_keeps_the_forwarding_sender(tmp_path: Path) -> None:
    fx.write_tree(tmp_path / "in", {"fwd.eml": fx.forwarded_mail()})
    items = gather_dir(tmp_path / "in")
    assert outline(items) == [("ok", "in/fwd.eml!转发1!附件:李集村.xlsx", "李集村.xlsx")]
    only = items[0]
    assert isinstance(only, Submission)
    assert (only.sender, only.sender_name) == ("ljz@example.gov.cn", "李集镇政府")
    assert only.message_id == "<outer@example.gov.cn>"


def test_mbox_messages_are_numbered_and_the_file_is_left_alone(tmp_path: Path) -> None:
    mails = [
        fx.simple_mail(
            "古庄店镇", "a@x.cn", "报表一", "Mon, 15 Jan 2024 08:00:00 +0800", "甲.xlsx"
        ),
        fx.message(
            fx.envelope("王店乡", "b@x.cn", "收到", "garbage date", "<m2@x>"),
            [fx.text_part("收到，谢谢。")],
        ),
        fx.simple_mail("李集镇", "c@x.cn", "报表三", "Tue, 16 Jan 2024 08:00:00 +0000", "x.xlsx"),
    ]
    fx.write_tree(tmp_path / "in", {"box.mbox": fx.mbox_file(mails)})
    before = fx.snapshot(tmp_path)
    items = gather_dir(tmp_path / "in")
    assert fx.snapshot(tmp_path) == before  # no lock files, no rewrite
    assert outline(items) == [
        ("ok", "in/box.mbox#1!附件:甲.xlsx", "甲.xlsx"),
        ("no_attachment", "in/box.mbox#2", "box.mbox"),
        ("ok", "in/box.mbox#3!附件:x.xlsx", "x.xlsx"),
    ]
    assert isinstance(items[1], Skipped) and items[1].sender_name == "王店乡"
    last = items[2]
    assert isinstance(last, Submission)
    assert last.sender == "c@x.cn" and last.date == datetime(2024, 1, 16, 8, tzinfo=UTC)


def test_unparsable_date_gives_none(tmp_path: Path) -> None:
    raw = fx.simple_mail("某镇", "d@x.cn", "报表", "yesterday afternoon", "乙.xlsx")
    fx.write_tree(tmp_path / "in", {"d.eml": raw})
    (item,) = gather_dir(tmp_path / "in")
    assert isinstance(item, Submission) and item.date is None and item.subject == "报表"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("attachment; filename*=" + fx.rfc2231("上报表.xlsx"), "上报表.xlsx"),
        ("attachment; filename*=" + fx.rfc2231("王喆.xlsx", "gb2312"), "王喆.xlsx"),
        ("attachment;\r\n filename*0*=GBK''%C9%CF%B1%A8;\r\n filename*1*=.xlsx", "上报.xlsx"),
        ('attachment; filename="' + fx.b_words("报表.xlsx") + '"', "报表.xlsx"),
        # Outlook splits long names into several words, even inside one character's bytes
        (
            'attachment; filename="=?GBK?B?yc8=?=\r\n =?GBK?B?sQ==?= =?GBK?B?qC54bHN4?="',
            "上报.xlsx",
        ),
        ('attachment; filename="=?utf-8?B?5LiK5oqlLnhsc3g=?="', "上报.xlsx"),
        ("attachment; filename=plain.xlsx", "plain.xlsx"),
    ],
)
def test_attachment_name_encodings(header: str, expected: str) -> None:
    assert header_param(header, "filename") == expected


# ---- broken inputs ------------------------------------------------------------------------------


def test_one_bad_input_never_stops_the_gathering(tmp_path: Path) -> None:
    whole = fx.outlook_mail()
    # cut ten bytes into the base64 body of the second attachment
    cut = whole.index(b"\r\n\r\n", whole.index(fx.b_words("附表（修订）.xlsx").encode())) + 14
    fx.write_tree(
        tmp_path / "in",
        {
            "a_broken.zip": b"PK\x03\x04 this is not really a zip",
            "b_truncated.eml": whole[: cut + 10],
            "c_empty.eml": b"",
            "d_not.mbox": b"just some text\n",
            "z_good.xlsx": b"good",
        },
    )
    items = list(gather([tmp_path / "in", tmp_path / "missing"]))
    assert outline(items) == [
        ("unreadable_container", "in/a_broken.zip", "a_broken.zip"),
        ("ok", "in/b_truncated.eml!附件:古庄店镇年报.xlsx", "古庄店镇年报.xlsx"),
        ("unreadable_container", "in/b_truncated.eml!附件:附表（修订）.xlsx", "附表（修订）.xlsx"),
        ("unreadable_container", "in/c_empty.eml", "c_empty.eml"),
        ("unreadable_container", "in/d_not.mbox", "d_not.mbox"),
        ("ok", "in/z_good.xlsx", "z_good.xlsx"),
        ("unreadable_file", "missing", "missing"),
    ]


# ---- the whole inbox ---------------------------------------------------------------------------


def build_inbox(root: Path) -> None:
    fx.write_tree(
        root,
        {
            "镇政府.xlsx": b"loose",
            "all.zip": fx.gbk_zip({name: name.encode() for name in fx.GBK_ZIP_NAMES}),
            "mail.eml": fx.outlook_mail(),
            "raw.eml": fx.raw_8bit_mail(),
            "fwd.eml": fx.forwarded_mail(),
            "box.mbox": fx.mbox_file([fx.outlook_mail(), fx.raw_8bit_mail(), fx.forwarded_mail()]),
            "broken.zip": b"PK\x05\x06 damaged",
            "~$镇政府.xlsx": b"lock",
        },
    )


def test_whole_inbox_is_deterministic_and_untouched(tmp_path: Path) -> None:
    build_inbox(tmp_path / "inbox")
    before = fx.snapshot(tmp_path)
    first = gather_dir(tmp_path / "inbox")
    assert gather_dir(tmp_path / "inbox") == first
    assert fx.snapshot(tmp_path) == before
    ok = [item for item in first if isinstance(item, Submission)]
    assert len(ok) == 1 + 2 + 2 + 2 + 1 + (2 + 2 + 1) + 2  # + its two PDFs (read since issue 14)
    assert by_origin(first)["inbox/box.mbox#3!转发1!附件:李集村.xlsx"].filename == "李集村.xlsx"
    assert all(len(item.sha256) == 64 for item in ok)


# ---- reply e-mails -----------------------------------------------------------------------------


def test_reply_round_trips_chinese_subject_body_and_attachment_name() -> None:
    name = "古庄店镇政府信息公开年度报告（校验结果，共3处错误）.xlsx"
    data = bytes(range(256)) * 10
    raw = build_reply(
        "gzd@example.gov.cn",
        "古庄店镇人民政府",
        "回复：古庄店镇2023年政府信息公开年度报告（需修改）",
        "您好：\n\n贵单位报送的年度报告有 3 处错误，详见附件，请修改后重新报送。\n",
        name,
        data,
        in_reply_to="<202401150930.1@gzd.example.gov.cn>",
        message_id="<reply-1@xlcheck>",
        date=datetime(2024, 1, 16, 9, 0, tzinfo=CST),
    )
    raw.decode("ascii")  # 7-bit clean on the wire
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "回复：古庄店镇2023年政府信息公开年度报告（需修改）"
    assert message["To"].addresses[0].display_name == "古庄店镇人民政府"
    assert message["Message-ID"] == "<reply-1@xlcheck>"
    assert message["In-Reply-To"] == "<202401150930.1@gzd.example.gov.cn>"
    assert message["Date"].datetime == datetime(2024, 1, 16, 9, 0, tzinfo=CST)
    body = message.get_body(("plain",))
    assert body is not None and "3 处错误" in body.get_content()
    (part,) = message.iter_attachments()
    assert part.get_filename() == name
    assert part.get_param("name") == name  # what older Outlook and Foxmail read
    assert part.get_content_type().endswith("spreadsheetml.sheet")
    assert part.get_content() == data


@pytest.mark.parametrize("name", ["report (1).xlsx", "a\r\nBcc: x@y.cn.xlsx", "结果.json"])
def test_reply_attachment_names_cannot_break_headers(name: str) -> None:
    raw = build_reply("a@x.cn", None, "结果", "正文", name, b"{}", message_id="<r@x>")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Bcc" not in message
    (part,) = message.iter_attachments()
    # a line break in a name is shown as a space: no reader can take it for a new header line
    assert part.get_filename() == name.replace("\r\n", " ") and part.get_content() == b"{}"


def test_reply_is_gathered_back_by_our_own_inbox(tmp_path: Path) -> None:
    raw = build_reply("a@x.cn", None, "结果", "正文", "结果.xlsx", b"xlsx", message_id="<r@x>")
    (tmp_path / "r.eml").write_bytes(raw)
    (item,) = gather([tmp_path / "r.eml"])
    assert isinstance(item, Submission)
    assert (item.filename, item.data, item.subject, item.sender) == (
        "结果.xlsx",
        b"xlsx",
        "结果",
        "xlcheck@localhost",
    )

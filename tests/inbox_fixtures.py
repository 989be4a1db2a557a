"""Builders for a realistic county inbox, made at test time: GBK zips, Outlook mail, mbox."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zipfile
from pathlib import Path
from urllib.parse import quote_from_bytes

CRLF = b"\r\n"
GBK_ZIP_NAMES = ["乡镇/古庄店镇.xlsx", "乡镇/王店乡.xlsx"]


def workbook_bytes(label: str) -> bytes:
    """Stand-in workbook content; the gatherer never looks inside."""
    return b"PK\x03\x04 fake workbook: " + label.encode("utf-8")


# ---- zip archives -------------------------------------------------------------------------


def utf8_zip(members: dict[str, bytes]) -> bytes:
    """A zip as Python, 7-Zip (UTF-8 mode) or Linux tools write it: UTF-8 names, flag bit 11."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def gbk_zip(members: dict[str, bytes], directories: tuple[str, ...] = ()) -> bytes:
    """A zip as Chinese Windows "send to compressed folder" writes it: GBK names, no UTF-8 flag.

    zipfile would write non-ASCII names as UTF-8 with the flag set, so each name is written as
    an ASCII placeholder of the same byte length and the raw GBK bytes patched in afterwards.
    """
    names = [*directories, *members]
    placeholders = {
        name: _placeholder(index, len(name.encode("gbk"))) for index, name in enumerate(names)
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in directories:
            archive.writestr(zipfile.ZipInfo(placeholders[name], (2024, 1, 10, 8, 0, 0)), b"")
        for name, data in members.items():
            info = zipfile.ZipInfo(placeholders[name], (2024, 1, 10, 8, 30, 0))
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    raw = buffer.getvalue()
    for name, placeholder in placeholders.items():
        marker = placeholder.encode("ascii")
        assert raw.count(marker) == 2  # local header and central directory
        raw = raw.replace(marker, name.encode("gbk"))
    return raw


def _placeholder(index: int, length: int) -> str:
    return (f"@{index:02d}" + "#" * length)[:length]


def unicode_path_zip(stored_name: str, real_name: str, data: bytes) -> bytes:
    """A zip whose header name is a lossy legacy name and whose 0x7075 field holds the real one."""
    body = b"\x01" + struct.pack("<I", binascii.crc32(stored_name.encode("ascii")))
    body += real_name.encode("utf-8")
    info = zipfile.ZipInfo(stored_name, (2024, 1, 10, 9, 0, 0))
    info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, data)
    return buffer.getvalue()


def patch_central(
    raw: bytes, member_index: int, *, size: int | None = None, flags: int | None = None
) -> bytes:
    """Rewrite one central-directory entry's declared size or general-purpose flags."""
    data = bytearray(raw)
    pos = -1
    for _ in range(member_index + 1):
        pos = data.index(b"PK\x01\x02", pos + 1)
    if size is not None:
        struct.pack_into("<I", data, pos + 24, size)
    if flags is not None:
        struct.pack_into("<H", data, pos + 8, flags)
    return bytes(data)


# ---- e-mail -----------------------------------------------------------------------------------


def b_words(text: str, label: str = "GBK") -> str:
    """An RFC 2047 encoded word with GBK bytes (also when labelled gb2312, as Foxmail does)."""
    return f"=?{label}?B?{base64.b64encode(text.encode('gbk')).decode('ascii')}?="


def rfc2231(text: str, label: str = "GBK") -> str:
    """An RFC 2231 extended value with GBK bytes, e.g. GBK''%C9%CF..."""
    return f"{label}''{quote_from_bytes(text.encode('gbk'), safe='')}"


def part(headers: list[bytes], payload: bytes) -> bytes:
    """A base64 MIME part with the given header lines (raw bytes, may be 8-bit)."""
    body = base64.encodebytes(payload).replace(b"\n", CRLF)
    return CRLF.join([*headers, b"Content-Transfer-Encoding: base64", b"", body])


def attachment(
    filename_header: bytes, payload: bytes, content_type: bytes = b"application/octet-stream"
) -> bytes:
    """An attachment part whose Content-Disposition (or Content-Type) carries the name."""
    if filename_header.startswith(b"name"):
        return part([b"Content-Type: " + content_type + b"; " + filename_header], payload)
    return part(
        [b"Content-Type: " + content_type, b"Content-Disposition: attachment; " + filename_header],
        payload,
    )


def text_part(text: str) -> bytes:
    return part([b'Content-Type: text/plain; charset="gb2312"'], text.encode("gbk"))


def message(
    envelope: list[bytes], parts: list[bytes], boundary: str = "----=_NextPart_000_0017"
) -> bytes:
    """A multipart/mixed message as Outlook or Foxmail sends it."""
    b = boundary.encode("ascii")
    lines = [
        *envelope,
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="' + b + b'"',
        b"",
    ]
    head = CRLF.join(lines) + CRLF + b"This is a multi-part message in MIME format." + CRLF
    body = b"".join(b"--" + b + CRLF + p + CRLF for p in parts)
    return head + body + b"--" + b + b"--" + CRLF


def envelope(name: str, address: str, subject: str, date: str, message_id: str) -> list[bytes]:
    """From/To/Subject/Date/Message-ID with GBK RFC 2047 words, as Chinese clients write them."""
    return [
        f"From: {b_words(name)} <{address}>".encode("ascii"),
        b"To: county@example.gov.cn",
        f"Subject: {b_words(subject)}".encode("ascii"),
        f"Date: {date}".encode("ascii"),
        f"Message-ID: {message_id}".encode("ascii"),
    ]


def outlook_mail() -> bytes:
    """Two workbooks (RFC 2231 GBK name; RFC 2047 GBK name in quotes) and a PDF."""
    env = envelope(
        "古庄店镇人民政府",
        "gzd@example.gov.cn",
        "古庄店镇2023年政府信息公开年度报告",
        "Mon, 15 Jan 2024 09:30:00 +0800",
        "<202401150930.1@gzd.example.gov.cn>",
    )
    return message(
        env,
        [
            text_part("您好，附件是我镇的年度报告，请查收。"),
            attachment(
                b"filename*=" + rfc2231("古庄店镇年报.xlsx").encode("ascii"),
                workbook_bytes("古庄店镇年报"),
            ),
            attachment(
                b'filename="' + b_words("附表（修订）.xlsx").encode("ascii") + b'"',
                workbook_bytes("附表"),
            ),
            attachment(
                b'filename="' + b_words("说明.pdf").encode("ascii") + b'"',
                b"%PDF-1.4 fake",
                b"application/pdf",
            ),
        ],
    )


def raw_8bit_mail() -> bytes:
    """A webmail that puts raw GBK bytes in the header, plus a gb2312-labelled GBK-only name."""
    env = envelope(
        "王店乡",
        "wdx@example.gov.cn",
        "王店乡年报",
        "Tue, 16 Jan 2024 14:05:09 +0800",
        "<raw8bit@example.gov.cn>",
    )
    return message(
        env,
        [
            attachment(
                b'filename="' + "王店乡年报.xlsx".encode("gbk") + b'"', workbook_bytes("王店乡")
            ),
            attachment(
                b'name="' + b_words("王喆填报.xlsx", "gb2312").encode("ascii") + b'"',
                workbook_bytes("王喆"),
            ),
        ],
    )


def forwarded_mail() -> bytes:
    """The town office forwards a village's e-mail as an attachment (message/rfc822)."""
    inner = message(
        envelope(
            "李集村",
            "lj@example.cn",
            "李集村报表",
            "Wed, 10 Jan 2024 08:00:00 +0800",
            "<inner@example.cn>",
        ),
        [
            attachment(
                b"filename*=" + rfc2231("李集村.xlsx", "gb2312").encode("ascii"),
                workbook_bytes("李集村"),
            )
        ],
        boundary="inner-boundary",
    )
    forward = CRLF.join(
        [
            b"Content-Type: message/rfc822",
            b'Content-Disposition: attachment; filename="fwd.eml"',
            b"",
            inner,
        ]
    )
    env = envelope(
        "李集镇政府",
        "ljz@example.gov.cn",
        "转发：李集村报表",
        "Thu, 11 Jan 2024 10:00:00 +0800",
        "<outer@example.gov.cn>",
    )
    return message(env, [text_part("转发村里的报表。"), forward])


def mbox_file(messages: list[bytes]) -> bytes:
    """An mbox (mboxo) file as Thunderbird keeps it."""
    out = b""
    for index, raw in enumerate(messages):
        out += f"From - Mon Jan 15 0{index}:00:00 2024\n".encode("ascii")
        out += raw.replace(CRLF, b"\n") + b"\n"
    return out


def simple_mail(name: str, address: str, subject: str, date: str, filename: str) -> bytes:
    """One GBK-named workbook attachment (RFC 2047 in quotes)."""
    env = envelope(name, address, subject, date, f"<{address}.{len(subject)}@m>")
    return message(
        env,
        [
            attachment(
                b'filename="' + b_words(filename).encode("ascii") + b'"', workbook_bytes(filename)
            )
        ],
    )


def write_tree(root: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """Write files (relative path → bytes) under root; return them for later comparison."""
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (hidden ones too) by relative path, to prove nothing changed."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }

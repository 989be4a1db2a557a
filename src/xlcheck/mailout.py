"""Write reply e-mails (.eml bytes) to offices: Chinese subject and body, one attached report."""

from __future__ import annotations

import base64
import email
import email.policy
import re
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from xlcheck.sendertext import MAX_HEADER_CHARS, clean_file_name, clean_message_id, clean_text

# CRLF line ends; headers we write as text are kept as written (see _attachment_part)
_POLICY = email.policy.SMTP.clone(refold_source="none")
_CRLF = "\r\n"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 ._()-]{1,60}")
_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".txt": "text/plain",
    ".html": "text/html",
}


def build_reply(
    to_addr: str,
    to_name: str | None,
    subject: str,
    body_text: str,
    attachment_name: str,
    attachment: bytes,
    from_addr: str = "xlcheck@localhost",
    in_reply_to: str | None = None,
    *,
    from_name: str | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """Return a complete RFC 5322 message in UTF-8 with the attachment named for every client.

    Names, subject, ids and the file name may come from a stranger's e-mail: each is cleaned to
    one bounded line here, so no value can end a header and start another (Bcc: ...).
    """
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=clean_text(from_name or ""), addr_spec=from_addr)
    message["To"] = Address(display_name=clean_text(to_name or ""), addr_spec=to_addr)
    message["Subject"] = clean_text(subject, 2 * MAX_HEADER_CHARS)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = clean_message_id(message_id or "") or make_msgid(
        domain=from_addr.rpartition("@")[2] or None
    )
    reply_to = clean_message_id(in_reply_to or "")
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(body_text, cte="base64")  # 7-bit safe, and compact for Chinese text
    message.make_mixed()
    message.attach(_attachment_part(clean_file_name(attachment_name), attachment))
    return message.as_bytes()


def _attachment_part(name: str, data: bytes) -> EmailMessage:
    """An attachment part with headers written out by hand, the way Thunderbird writes them.

    The file name goes in RFC 2231 form in Content-Disposition (standard; Thunderbird, new
    Outlook) and as RFC 2047 words in Content-Type's name (older Outlook and Foxmail read only
    that). Written as text and parsed back because the policy refolds assigned Content-Type
    headers into broken encoded words when they are long.
    """
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = _TYPES.get(suffix, "application/octet-stream")
    if _PLAIN_NAME.fullmatch(name):
        type_name, disposition_name = f'name="{name}"', f'filename="{name}"'
    else:  # both forms are fully encoded, so no file name can inject a header line
        words = Header(name, "utf-8").encode(maxlinelen=64, linesep=_CRLF)
        type_name = f'name="{words}"'
        disposition_name = _rfc2231_param("filename", name)
    body = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    text = (
        f"Content-Type: {content_type};\r\n {type_name}\r\n"
        f"Content-Disposition: attachment;\r\n {disposition_name}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + body
    )
    return email.message_from_string(text, _class=EmailMessage, policy=_POLICY)


def _rfc2231_param(param: str, value: str, width: int = 54) -> str:
    """Write `param*0*=utf-8''...; param*1*=...` with each line short and whole characters."""
    pieces: list[str] = [""]
    for char in value:
        encoded = quote(char, safe="")
        if len(pieces[-1]) + len(encoded) > width:
            pieces.append("")
        pieces[-1] += encoded
    if len(pieces) == 1:
        return f"{param}*=utf-8''{pieces[0]}"
    pieces[0] = "utf-8''" + pieces[0]
    lines = [f"{param}*{index}*={piece}" for index, piece in enumerate(pieces)]
    return ";\r\n ".join(lines)

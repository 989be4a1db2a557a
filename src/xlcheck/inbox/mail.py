"""E-mail containers: .eml messages, forwarded messages and mbox files, down to attachments."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import errors
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from typing import BinaryIO

from .models import Envelope, Expand, Item, Trail
from .names import (
    UNNAMED_ATTACHMENT,
    clean_file_name,
    clean_message_id,
    clean_text,
    content_suffix,
    decode_raw_header,
    decode_words,
    header_param,
)

# Extensions for attachments that arrive without any file name.
_TYPE_SUFFIXES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/pdf": ".pdf",
}
_DAMAGE = (errors.InvalidBase64LengthDefect, errors.InvalidBase64PaddingDefect)


def expand_message(data: bytes, filename: str, trail: Trail, expand: Expand) -> Iterator[Item]:
    """Yield the attachments of one message given as bytes (an .eml file or mbox entry)."""
    try:
        # compat32: 3x faster than policy.default; names and headers are decoded from the raw
        # header text here anyway (policy.default garbles raw 8-bit GBK names)
        message = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # the parser should never raise, but the input is hostile
        yield trail.skipped(filename, "unreadable_container", f"cannot parse e-mail: {exc}")
        return
    if not message.keys():
        yield trail.skipped(filename, "unreadable_container", "no e-mail headers found")
        return
    yield from _expand_parsed(message, filename, trail, expand)


def _expand_parsed(message: Message, filename: str, trail: Trail, expand: Expand) -> Iterator[Item]:
    if trail.message_depth >= trail.limits.max_message_depth:
        yield trail.skipped(filename, "nested_too_deep", "forwarded messages nested too deep")
        return
    # the outermost e-mail is the one that reached us and the one we reply to
    inner = replace(
        trail,
        envelope=trail.envelope or read_envelope(message),
        message_depth=trail.message_depth + 1,
    )
    count = 0
    forwarded = 0
    for part, truncated in _leaves(message, truncated=False):
        enclosed = _enclosed_message(part)
        if enclosed is not None:
            forwarded += 1
            here = inner.at(f"{inner.origin}!转发{forwarded}")
            items = _expand_parsed(enclosed, f"转发{forwarded}", here, expand)
        else:
            items = _expand_leaf(part, inner, expand, truncated)
        for item in items:
            count += 1
            yield item
    if count == 0:
        yield inner.skipped(filename, "no_attachment", "the message has no attachments")


def _enclosed_message(part: Message) -> Message | None:
    """The message inside a message/rfc822 part (a forwarded e-mail), if that is what it is."""
    if part.get_content_type() != "message/rfc822" or not part.is_multipart():
        return None
    payload = part.get_payload(0)
    return payload if isinstance(payload, Message) else None


def _leaves(part: Message, truncated: bool) -> Iterator[tuple[Message, bool]]:
    """Yield leaf parts and forwarded messages; flag the last part of a cut-off multipart."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part, truncated
        return
    children = part.get_payload()
    cut = truncated or any(isinstance(d, errors.CloseBoundaryNotFoundDefect) for d in part.defects)
    for index, child in enumerate(children):
        yield from _leaves(child, cut and index == len(children) - 1)


def _expand_leaf(part: Message, trail: Trail, expand: Expand, truncated: bool) -> Iterator[Item]:
    filename = attachment_name(part) or _unnamed_file(part)
    if filename is None:
        return  # a body text or an unnamed inline part
    here = trail.at(f"{trail.origin}!附件:{filename}")
    if truncated:
        yield here.skipped(filename, "unreadable_container", "the message ends inside this part")
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or any(isinstance(d, _DAMAGE) for d in part.defects):
        yield here.skipped(filename, "unreadable_container", "attachment encoding is damaged")
        return
    if len(data) > trail.limits.max_file_bytes:
        yield here.skipped(filename, "too_large", f"{len(data)} bytes")
        return
    yield from expand(filename, data, None, here)


def attachment_name(part: Message) -> str | None:
    """The decoded file name of an attachment, or None for body text and inline parts."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = raw_header(part, header)
        name = header_param(raw, param) if raw else None
        if name:
            return clean_file_name(name.replace("\\", "/").rsplit("/", 1)[-1]) or UNNAMED_ATTACHMENT
    suffix = _TYPE_SUFFIXES.get(part.get_content_type())
    if suffix or part.get_content_disposition() == "attachment":
        return UNNAMED_ATTACHMENT + (suffix or "")
    return None


def _unnamed_file(part: Message) -> str | None:
    """A part with no name, no disposition and a vague type that holds a workbook or an archive
    (some webmail forwarders send them so); text and pictures stay body parts."""
    if part.get_content_maintype() in ("text", "multipart", "message", "image"):
        return None
    data = part.get_payload(decode=True)
    return UNNAMED_ATTACHMENT if isinstance(data, bytes) and content_suffix(data) else None


def raw_header(message: Message, name: str) -> str | None:
    """The first header of that name as received (8-bit bytes still as surrogates)."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def read_envelope(message: Message) -> Envelope:
    """Sender, subject, date and Message-ID, decoded as Chinese mail clients write them.

    Anyone can mail the county, so every text is cleaned here (it goes into reply headers and
    the summary): an encoded word may decode to CR/LF plus a forged header line.
    """
    display, address = parseaddr(_text(message, "from") or "")
    sender = _reply_address(address)
    # an address we cannot reply to is still worth showing, as the name
    name = clean_text(decode_words(display)) or (None if sender else clean_text(address))
    return Envelope(
        sender=sender,
        sender_name=name or None,
        subject=clean_text(decode_words(_text(message, "subject") or "")) or None,
        date=_read_date(_text(message, "date")),
        message_id=clean_message_id(_text(message, "message-id") or ""),
    )


# A plain ASCII address (dot-atoms of letters, digits, _ + -) is written into a reply header and
# read back unchanged; only the others pay for the round trip (~0.5 ms, half a message's parse).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


def _reply_address(address: str) -> str | None:
    """The address if a reply header can be written to it and read back the same, else None."""
    if len(address) <= 254 and _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _round_trips(address)


def _round_trips(address: str) -> str | None:
    """The address if it survives being written to a reply header and read back, else None."""
    if not address or len(address) > 254 or clean_text(address) != address:
        return None  # hidden characters in an address would disguise where a reply goes
    local, _at, domain = address.rpartition("@")
    try:
        if not domain.isascii():  # 例子.中国: a reply header needs the ASCII (punycode) form
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
        probe = EmailMessage(policy=email.policy.SMTP)
        probe["To"] = Address(addr_spec=address)
        back = email.message_from_bytes(probe.as_bytes(), policy=email.policy.default)["To"]
        found = [a.addr_spec for a in back.addresses]
    except Exception:  # noqa: BLE001 - on hostile text the parser raises many kinds, even AttributeError
        return None
    return address if found == [address] and local and domain else None


def _text(message: Message, name: str) -> str | None:
    raw = raw_header(message, name)
    return decode_raw_header(raw) if raw is not None else None


def _read_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return date if date.tzinfo else date.replace(tzinfo=UTC)  # "-0000": zone unknown


def iter_mbox(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield (1-based number, bytes or None when too large) for each message of an mbox file.

    Parsed by hand from a stream opened read-only (mailbox.mbox opens the file for writing when
    it can); no message holds more than max_bytes in memory, counted while reading.
    """
    number, size, chunks, at_line_start = 0, 0, list[bytes](), True
    for line in iter(lambda: stream.readline(1 << 20), b""):
        if not number and size > max_bytes:  # that much text before the first "From ": no mbox
            break
        if at_line_start and line.startswith(b"From "):
            if number:
                yield number, None if size > max_bytes else b"".join(chunks)
            number, size, chunks = number + 1, 0, []
        else:
            size += len(line)
            if number and size <= max_bytes:
                chunks.append(line)
        at_line_start = line.endswith(b"\n")
    if number:
        yield number, None if size > max_bytes else b"".join(chunks)
    else:
        raise ValueError("no 'From ' separator line: not an mbox file")

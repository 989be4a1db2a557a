"""E-mail containers: .eml messages, forwarded messages and mbox files, down to attachments."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from email import errors
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from typing import BinaryIO

from .models import Envelope, Expand, Item, Trail
from .names import decode_raw_header, decode_words, header_param

# Extensions for attachments that arrive without any file name.
_TYPE_SUFFIXES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
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
    inner = Trail(
        trail.path,
        trail.origin,
        trail.limits,
        trail.envelope or read_envelope(message),
        trail.zip_depth,
        trail.message_depth + 1,
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
    filename = attachment_name(part)
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
            return name.replace("\\", "/").rsplit("/", 1)[-1]
    suffix = _TYPE_SUFFIXES.get(part.get_content_type())
    if suffix or part.get_content_disposition() == "attachment":
        return "未命名附件" + (suffix or "")
    return None


def raw_header(message: Message, name: str) -> str | None:
    """The first header of that name as received (8-bit bytes still as surrogates)."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def read_envelope(message: Message) -> Envelope:
    """Sender, subject, date and Message-ID, decoded as Chinese mail clients write them."""
    display, address = parseaddr(_text(message, "from") or "")
    return Envelope(
        sender=address or None,
        sender_name=decode_words(display).strip() or None,
        subject=decode_words(_text(message, "subject") or "") or None,
        date=_read_date(_text(message, "date")),
        message_id=_text(message, "message-id") or None,
    )


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

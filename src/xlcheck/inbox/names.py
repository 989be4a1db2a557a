"""Decoding of file names and header text as Chinese mail clients and zip tools write them, and
the type a file's content implies when its name says nothing useful."""

from __future__ import annotations

import binascii
import codecs
import io
import re
import struct
import zipfile
from email.header import decode_header
from email.message import Message

# suffix_of and the sender-text cleaners live in stdlib-only modules (a reply writer needs them
# without the inbox readers); re-exported here for the inbox's own callers
from xlcheck.filenames import suffix_of as suffix_of
from xlcheck.sendertext import MAX_HEADER_CHARS as MAX_HEADER_CHARS
from xlcheck.sendertext import clean_file_name as clean_file_name
from xlcheck.sendertext import clean_message_id as clean_message_id
from xlcheck.sendertext import clean_text as clean_text
from xlcheck.xlsx.ole import OLE_MAGIC, read_ole_names

CANDIDATE_SUFFIXES = frozenset(
    {".xlsx", ".xlsm", ".xls", ".et", ".ods", ".json", ".txt", ".html", ".htm", ".docx", ".pdf"}
)
# A file saved from an attachment named only ".xlsx" is not hidden, whatever Unix says
_BARE_SUFFIXES = CANDIDATE_SUFFIXES | {".zip", ".eml"}
UNNAMED_ATTACHMENT = "未命名附件"  # the origins' words (附件:, 转发N) are Chinese too
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_PDF_MAGIC = b"%PDF-"  # a published report as PDF: the importer reads it
_OLE_WORKBOOKS = frozenset({"workbook", "book", "encryptedpackage"})  # .xls/.et, encrypted .xlsx
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Mail clients label GBK text as gb2312 (a strict subset); GB18030 decodes all of them.
_GBK_ALIASES = frozenset({"gb2312", "gbk", "cp936", "x-gbk", "gb_2312-80", "euc-cn", "x-euc-cn"})
_UNICODE_PATH_EXTRA = 0x7075
_UTF8_FLAG = 0x800
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Controls, line/paragraph separators and surrogates break a header line or a cell: a space.
# Format characters (bidi overrides, zero-width, BOM) only disguise text: dropped.


def is_candidate(name: str) -> bool:
    """Tell whether a file name has an extension the checker wants to see."""
    return suffix_of(name) in CANDIDATE_SUFFIXES


def is_junk(name: str) -> bool:
    """Tell hidden files, Office/WPS "~$" and LibreOffice ".~lock.*#" lock files."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    if base.lower().strip() in _BARE_SUFFIXES:
        return False
    return base.startswith((".", "~$")) or base == "Thumbs.db"


def may_be_package(head: bytes) -> bool:
    """Whether a file's first 8 bytes may start a workbook, a Word file or an archive (a zip or an
    OLE file): only such files are worth reading whole when their name says nothing."""
    return head.startswith((*_ZIP_MAGICS, OLE_MAGIC, _PDF_MAGIC))


def content_suffix(data: bytes) -> str:
    """The extension a file's content implies: .xlsx, .ods, .docx, .xls, .pdf or .zip, else "".

    Only positive evidence counts, so slides, Word 97 files and pictures stay what they were.
    """
    if data.startswith(OLE_MAGIC):
        try:
            names = {name.casefold() for name in read_ole_names(data)}
        except (ValueError, struct.error, IndexError):
            return ""
        return ".xls" if names & _OLE_WORKBOOKS else ""
    if data.startswith(_ZIP_MAGICS):
        return _zip_content_suffix(data)
    return ".pdf" if data.startswith(_PDF_MAGIC) else ""


def _zip_content_suffix(data: bytes) -> str:
    """An Office or OpenDocument package by its directory, else an archive of files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.lower() for name in archive.namelist()}
            mimetype = _small_member(archive, "mimetype")  # OpenDocument's first member
    except Exception:  # noqa: BLE001 - a damaged archive: expanding it says why it cannot be read
        return ".zip"
    if "[content_types].xml" in names:
        if "word/document.xml" in names:
            return ".docx"
        return ".xlsx" if any(name.startswith("xl/") for name in names) else ""
    if mimetype is not None:
        return ".ods" if mimetype.strip() == _ODS_MIMETYPE else ""
    return ".zip"


def _small_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A member declared at most 100 bytes (zipfile stops at the declared size), else None."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    return archive.read(info) if info.file_size <= 100 else None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode bytes by a declared charset, widening GBK labels; guess UTF-8 then GB18030."""
    if charset:
        name = charset.strip().lower()
        name = "gb18030" if name in _GBK_ALIASES else name
        try:
            return data.decode(codecs.lookup(name).name, errors="replace")
        except LookupError:
            pass
    return guess_decode(data)


def guess_decode(data: bytes) -> str:
    """Decode undeclared bytes: UTF-8 when valid, else GB18030, else Latin-1."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def decode_raw_header(value: str) -> str:
    """Turn a raw header value (8-bit bytes kept as surrogates) into unfolded text."""
    raw = value.encode("ascii", errors="surrogateescape")
    return _FOLD.sub("", guess_decode(raw)).strip()


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words (also inside quotes, as Outlook/Foxmail write them)."""
    if "=?" not in text:
        return text
    parts: list[str] = []
    for chunk, charset in decode_header(text):
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            # decode_header returns plain runs as raw-unicode-escape bytes
            parts.append(chunk.decode("raw-unicode-escape"))
        else:
            parts.append(decode_bytes(chunk, charset))
    return "".join(parts)


def header_param(raw_value: str, param: str) -> str | None:
    """Read one parameter (RFC 2231, RFC 2047 or raw 8-bit) from a raw header value."""
    holder = Message()  # compat32: keeps RFC 2231 values as (charset, language, text)
    holder["X-Param"] = decode_raw_header(raw_value)
    value = holder.get_param(param, header="x-param")
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        return decode_bytes(text.encode("latin-1", errors="replace"), charset).strip()
    return decode_words(value).strip()


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """Return a member's real name: Unicode Path extra, UTF-8 flag, else UTF-8 or GB18030."""
    if info.flag_bits & _UTF8_FLAG:
        name = info.orig_filename
    else:
        raw = info.orig_filename.encode("cp437")  # zipfile decoded the bytes as CP437
        name = _unicode_path(info.extra, raw) or _decode_legacy_name(raw)
    # Windows tools may write "\" separators; only safe to fix after decoding (GBK trail bytes)
    return name.replace("\\", "/")


def _decode_legacy_name(raw: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp437")


def _unicode_path(extra: bytes, raw_name: bytes) -> str | None:
    """Read the Info-ZIP Unicode Path field (0x7075) when its CRC matches the stored name."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if tag != _UNICODE_PATH_EXTRA or len(body) < 5 or body[0] != 1:
            continue
        (crc,) = struct.unpack_from("<I", body, 1)
        if crc != binascii.crc32(raw_name):
            return None  # the name was changed after the field was written
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None

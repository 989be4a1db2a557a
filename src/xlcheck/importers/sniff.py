"""Choose the reader by content (zip, PDF, markup, text), with the file extension as a hint."""

from __future__ import annotations

from pathlib import PurePath

from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.importers.model import MAX_ITEMS, Page, TooManyItems, Unreadable
from xlcheck.importers.text import decode_text, read_text

# A published report's text is tens of kilobytes; past this its text is not read at all.
MAX_TEXT_BYTES = 5 * 2**20

_MARKUP = (b"<!doctype html", b"<html", b"<table", b"<body", b"<p", b"<div", b"<meta", b"<head")


def read_page(data: bytes, filename: str) -> Page:
    try:
        return read_any(data, filename)
    except TooManyItems:
        count = detail("too_many_items", limit=f"{MAX_ITEMS:,}")
        raise Unreadable(make_finding("F07", file=filename, detail=count)) from None


def read_any(data: bytes, filename: str) -> Page:
    ext = PurePath(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        from xlcheck.importers.docx import read_docx

        return read_docx(data, filename)
    if ext == ".docx":
        raise Unreadable(make_finding("F06", file=filename))
    if is_pdf(data):
        from xlcheck.importers.pdf import read_pdf

        return read_pdf(data, filename)
    if len(data) > MAX_TEXT_BYTES:
        size = detail("text_size", size=size_mb(len(data)), limit=size_mb(MAX_TEXT_BYTES))
        raise Unreadable(make_finding("F07", file=filename, detail=size))
    if ext in (".html", ".htm") or looks_like_html(data):
        from xlcheck.importers.html import read_html

        return read_html(data)
    text = decode_text(data)
    if text is None:
        raise Unreadable(make_finding("F06", file=filename))
    return read_text(text)


def is_pdf(data: bytes) -> bool:
    """A PDF by its header; readers accept junk before it, so the first kilobyte is searched."""
    return b"%PDF-" in data[:1024]


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and any(tag in head for tag in _MARKUP)

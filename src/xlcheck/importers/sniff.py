"""Choose the reader by content (zip, markup, text), with the file extension as a hint."""

from __future__ import annotations

from pathlib import PurePath

from xlcheck.codes import make_finding
from xlcheck.importers.model import Page, Unreadable
from xlcheck.importers.text import decode_text, read_text

_MARKUP = (b"<!doctype html", b"<html", b"<table", b"<body", b"<p", b"<div", b"<meta", b"<head")


def read_page(data: bytes, filename: str) -> Page:
    ext = PurePath(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        from xlcheck.importers.docx import read_docx

        return read_docx(data, filename)
    if ext == ".docx":
        raise Unreadable(make_finding("F06", file=filename))
    if ext in (".html", ".htm") or looks_like_html(data):
        from xlcheck.importers.html import read_html

        return read_html(data)
    text = decode_text(data)
    if text is None:
        raise Unreadable(make_finding("F06", file=filename))
    return read_text(text)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and any(tag in head for tag in _MARKUP)

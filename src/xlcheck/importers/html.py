"""Web pages: decode by BOM or declared charset, then paragraphs and tables (spans expanded) in order."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from xlcheck.importers.model import (
    MAX_ITEMS,
    MAX_SPAN,
    Cell,
    Item,
    Page,
    Para,
    Row,
    TooManyItems,
    add_item,
)
from xlcheck.importers.norm import read_count

_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_GB = frozenset({"gb2312", "gbk", "gb18030", "x-gbk", "cp936"})
_BREAKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "section",
        "article",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "table",
        "center",
    }
)
_SKIP = frozenset({"script", "style", "head", "title", "noscript"})
_WS = re.compile(r"[ \t\r\n\f]+")


def decode_html(data: bytes) -> str:
    """BOM, then <meta charset> / http-equiv content-type, then UTF-8, then GB18030."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    match = _CHARSET.search(data[:8192])
    declared = match.group(1).decode("ascii").lower() if match else ""
    candidates = ["gb18030"] if declared in _GB else [declared] if declared else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def read_html(data: bytes) -> Page:
    parser = PageParser()
    parser.feed(decode_html(data))
    parser.close()
    parser.flush()
    return Page(tuple(parser.items), "html")


class PageParser(HTMLParser):
    """Collects paragraphs outside tables and the raw rows of top-level tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.text: list[str] = []
        self.skip = 0
        self.depth = 0  # table nesting; inner tables are read as text of the outer cell
        self.rows: list[list[tuple[str, int, int]]] = []
        self.cell: list[str] | None = None
        self.span = (1, 1)
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.flush()
                self.rows = []
        elif self.depth == 1 and tag == "tr":
            self.end_cell()
            if len(self.items) + len(self.rows) >= MAX_ITEMS:
                raise TooManyItems
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self.end_cell()
            self.cell, self.span = [], (_span(attrs, "rowspan"), _span(attrs, "colspan"))
        elif self.depth and tag in ("br", "p", "div", "li") and self.cell is not None:
            self.cell.append("\n")
        elif not self.depth and tag in _BREAKS:
            self.flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIP:
            self.skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.end_cell()
                self.end_table()
        elif self.depth == 1 and tag in ("td", "th"):
            self.end_cell()
        elif not self.depth and tag in _BREAKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif not self.depth:
            self.text.append(data)

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.text)).strip()
        self.text = []
        if text.strip("\u00a0\u3000 "):
            n = len(self.items) + 1
            add_item(self.items, Para(text, f"paragraph {n}", -n))

    def end_cell(self) -> None:
        if self.cell is not None and self.rows and len(self.rows[-1]) < MAX_SPAN:
            lines = (_WS.sub(" ", part).strip() for part in "".join(self.cell).split("\n"))
            self.rows[-1].append(("\n".join(x for x in lines if x), *self.span))
        self.cell = None

    def end_table(self) -> None:
        self.tables += 1
        for number, cells in enumerate(expand(self.rows), start=1):
            add_item(self.items, Row(cells, f"table {self.tables} row {number}", self.tables))
        self.rows = []


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    return read_count(dict(attrs).get(name), MAX_SPAN)


def expand(rows: list[list[tuple[str, int, int]]]) -> list[tuple[Cell, ...]]:
    """Rows of (text, rowspan, colspan) → a grid; spanned positions hold copies (origin=False).
    Each row is at most MAX_SPAN wide, so the work is linear in the number of rows."""
    taken: dict[tuple[int, int], Cell] = {}
    widths: dict[int, int] = {}  # row -> one past its last taken column
    grid: list[tuple[Cell, ...]] = []
    for r, cells in enumerate(rows):
        col = 0
        for text, rowspan, colspan in cells:
            while (r, col) in taken:
                col += 1
            if col >= MAX_SPAN:
                break
            span = min(colspan, MAX_SPAN - col)
            for dr in range(rowspan):
                for dc in range(span):
                    taken[(r + dr, col + dc)] = Cell(text, origin=(dr, dc) == (0, 0))
                widths[r + dr] = max(widths.get(r + dr, 0), col + span)
            col += span
        row = (taken.pop((r, c), Cell("", origin=False)) for c in range(widths.pop(r, 0)))
        grid.append(tuple(row))
    return grid

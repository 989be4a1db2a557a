"""Web pages: decode by BOM or declared charset, build the DOM with lxml.html, then paragraphs and
tables (spans expanded) in document order.

Sites serve reports inside layout tables: the whole article in one cell of a page-frame table,
each data table in a one-cell wrapper table. A table with a table in one of its cells is read as
layout: the cells holding tables are read as page content (paragraphs, then their own tables), the
other cells (banner, sidebar, footer) as rows of their own block, which the table reader keeps
only if they show a table's labels. A table with no table inside is a data table. Which data table
is which is decided later by its labels (tables.classify_blocks), never by nesting depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

import lxml.html
from lxml import etree

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
# Elements that end a paragraph (outside tables) or a line (inside a table cell).
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
        "dd",
        "dt",
        "hr",
    }
)
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "select"})
_WS = re.compile(r"[ \t\r\n\f]+")
# A section heading starts `一、`; the <title> goes just before the first one (see `place_title`).
_NUMBERED = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
# Layout tables nest a few levels on real pages; past this, inner tables are not read at all
# (libxml2 already stops at a tree depth of 256, this keeps the Python side shallow too).
MAX_NESTING = 32
TITLE_PLACE = "<title>"


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
    # GB2312 and GBK pages carry GB18030 characters (rare names); GB18030 is their superset.
    candidates = ["gb18030"] if declared in _GB else [declared] if declared else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def read_html(data: bytes) -> Page:
    root = parse(decode_html(data))
    reader = PageReader()
    if root is not None:
        reader.flow(root)
        reader.flush()
        reader.place_title(page_title(root))
    return Page(tuple(reader.items), "html")


def parse(text: str) -> Any:
    """The DOM, or None for a page with no elements at all."""
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def page_title(root: Any) -> str:
    title = root.find(".//title")
    return _WS.sub(" ", title.text_content()).strip() if title is not None else ""


def tag_of(element: Any) -> str:
    """The lower-case tag; comments and processing instructions have none ('')."""
    return element.tag.lower() if isinstance(element.tag, str) else ""


def own(element: Any, tags: frozenset[str]) -> Iterator[Any]:
    """Descendants with one of `tags` that belong to `element` itself: the walk does not enter
    them or any nested table (a nested table's rows are its own)."""
    stack = list(reversed(element))
    while stack:
        child = stack.pop()
        tag = tag_of(child)
        if tag in tags:
            yield child
        elif tag != "table":
            stack.extend(reversed(child))


def holds_table(element: Any) -> bool:
    return next(element.iterdescendants("table"), None) is not None


class PageReader:
    """Paragraphs of the page content and the rows of its tables, in document order."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.text: list[str] = []
        self.tables = 0  # data tables so far: "table 2" is the second one a reader sees
        self.frames = 0  # layout tables so far

    def flow(self, root: Any, nesting: int = 0) -> None:
        """Text and tables under `root` as paragraphs; block elements and <br> end a paragraph."""
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            element, closing = stack.pop()
            tag = tag_of(element)
            if closing:
                if tag in _BREAKS:
                    self.flush()
            elif tag == "table":
                self.flush()
                if nesting < MAX_NESTING:
                    self.table(element, nesting + 1)
            elif tag and tag not in _SKIP:
                if tag in _BREAKS:
                    self.flush()
                self.text.append(element.text or "")
                stack.append((element, True))
                stack.extend((child, False) for child in reversed(element))
                continue
            if element is not root:
                self.text.append(element.tail or "")

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.text)).strip()
        self.text = []
        if text.strip("\u00a0\u3000 "):
            n = len(self.items) + 1
            add_item(self.items, Para(text, f"paragraph {n}", -n))

    def table(self, table: Any, nesting: int) -> None:
        rows = list(self.rows_of(table))
        cells = [list(islice(own(tr, frozenset({"td", "th"})), MAX_SPAN)) for tr in rows]
        if any(holds_table(cell) for row in cells for cell in row):
            self.frame(cells, nesting)
        else:
            self.data(cells)

    def rows_of(self, table: Any) -> Iterator[Any]:
        for count, tr in enumerate(own(table, frozenset({"tr"}))):
            if len(self.items) + count >= MAX_ITEMS:
                raise TooManyItems
            yield tr

    def data(self, cells: list[list[Any]]) -> None:
        """A data table: its grid, spans expanded, one Row per <tr>."""
        self.tables += 1
        grid = [
            [(cell_text(c), _span(c, "rowspan"), _span(c, "colspan")) for c in r] for r in cells
        ]
        for number, row in enumerate(expand(grid), start=1):
            place = f"table {self.tables} row {number}"
            add_item(self.items, Row(row, place, self.tables))

    def frame(self, cells: list[list[Any]], nesting: int) -> None:
        """A layout table: cells holding tables are page content, read in place; the others
        (banner, sidebar, footer) are rows of their own block, never paragraphs of a section."""
        self.frames += 1
        block = -len(self.items) - 1_000_000  # apart from data tables and paragraphs
        for number, row in enumerate(cells, start=1):
            chrome = []
            for cell in row:
                if holds_table(cell):
                    self.flow(cell, nesting)
                    self.flush()
                elif cell_text(cell):
                    chrome.append(Cell(cell_text(cell)))
            if chrome:
                place = f"layout table {self.frames} row {number}"
                add_item(self.items, Row(tuple(chrome), place, block))

    def place_title(self, title: str) -> None:
        """The <title> as a paragraph of the front matter, after the page's own heading (which
        names the report when it can) and before the first numbered section heading or table:
        the title is read from it only when no heading before it names agency and year."""
        if not title:
            return
        at = next(
            (
                i
                for i, item in enumerate(self.items)
                if isinstance(item, Row)
                and item.block > 0
                or isinstance(item, Para)
                and _NUMBERED.match(item.text)
            ),
            0,
        )
        if len(self.items) >= MAX_ITEMS:
            raise TooManyItems
        self.items.insert(at, Para(title, TITLE_PLACE, 0))


def cell_text(cell: Any) -> str:
    """The cell's lines (<br>, <p> and other blocks end a line), spaces collapsed, &nbsp; blank."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(cell, False)]
    while stack:
        element, closing = stack.pop()
        tag = tag_of(element)
        if closing:
            if tag in _BREAKS:
                parts.append("\n")
        elif tag and tag not in _SKIP:
            if tag in _BREAKS:
                parts.append("\n")
            parts.append(element.text or "")
            stack.append((element, True))
            stack.extend((child, False) for child in reversed(element))
            continue
        if element is not cell:
            parts.append(element.tail or "")
    lines = (_WS.sub(" ", line).strip(" \u00a0\u3000") for line in "".join(parts).split("\n"))
    return "\n".join(x for x in lines if x)


def _span(cell: Any, name: str) -> int:
    return read_count(cell.get(name), MAX_SPAN)


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

"""The page model every reader produces (paragraphs and table rows in document order) and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Text

# A table of the official format has at most 16 columns; hostile pages ask for rowspan=65535.
# A row keeps at most MAX_SPAN cells (the rest of a line of a million tabs is not read).
MAX_SPAN = 64
# A published report has a few hundred paragraphs and rows; past this many it is not one, and
# every later step stays bounded (rows x MAX_SPAN cells).
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class Cell:
    """One grid cell; `origin` is False for the copies that rowspan/colspan expansion adds;
    `wrap` marks a value that begins a line of text, which may end a number the line before began."""

    text: str
    origin: bool = True
    wrap: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    place: str  # "line 40", "table 2 row 5"
    block: int  # rows of one block belong together (one <table>, one run of lines)


@dataclass(frozen=True)
class Para:
    text: str
    place: str
    block: int


Item = Para | Row


@dataclass(frozen=True)
class Page:
    items: tuple[Item, ...]
    kind: str  # text | html | docx | pdf


@dataclass(frozen=True)
class Reading:
    """How one value was read: the raw text, where it came from and anything done to it."""

    key: str
    raw: str
    place: str
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    doc: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    labels_seen: list[str] = field(default_factory=list)
    readable: bool = True  # False when no page could be made of the file (F-code findings)


class TooManyItems(Exception):
    """A reader met more than MAX_ITEMS paragraphs and rows; the file is refused with F07."""


def add_item(items: list[Item], item: Item) -> None:
    if len(items) >= MAX_ITEMS:
        raise TooManyItems
    items.append(item)


class Unreadable(Exception):
    """A reader could not make a page of the input; carries the finding to report."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message.en)
        self.finding = finding


def zh_place(place: str) -> str:
    """'line 40' -> 第 40 行, 'table 2 row 5' -> 第 2 个表格第 5 行, 'paragraph 4' -> 第 4 段,
    'page 2 table 1 row 5' -> 第 2 页第 1 个表格第 5 行."""
    parts = place.split()
    if len(parts) > 2 and parts[0] == "page":  # a PDF's: 'page 2 line 14' -> 第 2 页第 14 行
        return f"第 {parts[1]} 页" + zh_place(" ".join(parts[2:]))
    if len(parts) == 2 and parts[0] == "line":
        return f"第 {parts[1]} 行"
    if len(parts) == 2 and parts[0] == "paragraph":
        return f"第 {parts[1]} 段"
    if len(parts) == 4 and parts[0] == "table" and parts[2] == "row":
        return f"第 {parts[1]} 个表格第 {parts[3]} 行"
    return place


def unreadable(form: Form, key: str, raw: str, place: str) -> Finding:
    """A06: a value that could not be read, with its place in the source (第 N 行 in Chinese)."""
    shown = Text(zh_place(place), place)
    return make_finding(
        "A06", form=form, key=key, raw=raw, place=shown, values={"place": place, "raw": raw}
    )

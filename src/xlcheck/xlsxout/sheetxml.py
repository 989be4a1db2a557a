"""A worksheet part as xlsxwriter wrote it, split into rows and cells so that a copy can change a
few cells and be written again; and the cell elements themselves, escaped as xlsxwriter does
(`escape_xstring` for text, so `_xHHHH_` and control characters survive a round trip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from xlcheck.cells import column_letters, parse_cell
from xlcheck.xlsxout.xstring import escape_xstring

_ROW: Final = re.compile(r'(<row r="(\d+)"[^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL: Final = re.compile(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)
_FORMULA: Final = re.compile(r"<f>(.*?)</f>", re.S)
_DIMENSION: Final = re.compile(r'<dimension ref="([^"]*)"/>')
_ERROR_CODES: Final = frozenset(
    ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
)


@dataclass
class Row:
    head: str  # '<row r="5" spans="1:3" ht="30" customHeight="1"' (no closing '>')
    cells: dict[int, str]  # column -> the <c> element


@dataclass
class SheetXml:
    """One worksheet part: text before and after <sheetData>'s rows, and the rows by number."""

    before: str
    rows: dict[int, Row]
    after: str

    def copy(self) -> SheetXml:
        return SheetXml(self.before, dict(self.rows), self.after)

    def cell(self, ref: str) -> str | None:
        row, col = parse_cell(ref)
        found = self.rows.get(row)
        return None if found is None else found.cells.get(col)

    def formula(self, ref: str) -> str:
        """The escaped formula text of a cell (xlsxwriter's own rendering of it)."""
        match = _FORMULA.search(self.cell(ref) or "")
        return "" if match is None else match.group(1)

    def put(self, ref: str, element: str) -> None:
        """Set a cell's element; the row is copied first (the base sheet is shared)."""
        row, col = parse_cell(ref)
        old = self.rows.get(row)
        cells = dict(old.cells) if old else {}
        cells[col] = element
        self.rows[row] = Row(old.head if old else f'<row r="{row}"', cells)

    def render(self) -> str:
        parts = [self.before]
        for number in sorted(self.rows):
            row = self.rows[number]
            if not row.cells:
                parts.append(row.head + "/>")
                continue
            parts.append(row.head + ">")
            parts.extend(row.cells[col] for col in sorted(row.cells))
            parts.append("</row>")
        parts.append(self.after)
        return _with_dimension("".join(parts), self.rows)


def parse_sheet(xml: str) -> SheetXml:
    start = xml.index("<sheetData")
    open_end = xml.index(">", start) + 1
    if xml[open_end - 2] == "/":  # <sheetData/>: no rows yet
        return SheetXml(xml[:start] + "<sheetData>", {}, "</sheetData>" + xml[open_end:])
    end = xml.index("</sheetData>", open_end)
    rows: dict[int, Row] = {}
    for match in _ROW.finditer(xml, open_end, end):
        cells = {
            parse_cell(c.group(1))[1]: c.group(0) for c in _CELL.finditer(match.group(3) or "")
        }
        rows[int(match.group(2))] = Row(match.group(1), cells)
    return SheetXml(xml[:open_end], rows, xml[end:])


def _with_dimension(xml: str, rows: dict[int, Row]) -> str:
    """The <dimension> grown to every cell written (xlsxwriter's covers what it wrote)."""
    match = _DIMENSION.search(xml)
    used = [(r, c) for r, row in rows.items() for c in row.cells]
    if match is None or not used:
        return xml
    first, _, last = match.group(1).partition(":")
    corners = [parse_cell(first), parse_cell(last or first)] if first else []
    cells = used + corners
    top, left = min(r for r, _ in cells), min(c for _, c in cells)
    bottom, right = max(r for r, _ in cells), max(c for _, c in cells)
    ref = f"{column_letters(left)}{top}"
    if (bottom, right) != (top, left):
        ref += f":{column_letters(right)}{bottom}"
    return xml[: match.start(1)] + ref + xml[match.end(1) :]


def escape_text(text: str) -> str:
    """Cell or comment text as xlsxwriter writes it: ST_Xstring escapes, then &, <, >."""
    return escape_data(escape_xstring(text))


def escape_data(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blank_cell(ref: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}"/>'


_SST_HEAD: Final = re.compile(r'<sst [^>]*?count="(\d+)" uniqueCount="(\d+)">')


@dataclass
class SharedStrings:
    """The base's shared-strings part plus the strings one copy adds (xlsxwriter writes every
    string cell through this table; readers decode _xHHHH_ escapes there most reliably)."""

    head: str
    body: str
    count: int
    unique: int
    added: dict[str, int]

    @classmethod
    def parse(cls, xml: str) -> SharedStrings:
        match = _SST_HEAD.search(xml)
        if match is None:
            raise ValueError("sharedStrings part without counts")
        end = xml.rindex("</sst>")
        return cls(
            xml[: match.start(1)],
            xml[match.end() : end],
            int(match.group(1)),
            int(match.group(2)),
            {},
        )

    def copy(self) -> SharedStrings:
        return SharedStrings(self.head, self.body, self.count, self.unique, {})

    def index(self, text: str) -> int:
        self.count += 1
        if text not in self.added:
            self.added[text] = self.unique + len(self.added)
        return self.added[text]

    def render(self) -> bytes:
        items = "".join(
            f"<si><t{_preserve(text)}>{escape_text(text)}</t></si>" for text in self.added
        )
        unique = self.unique + len(self.added)
        return f'{self.head}{self.count}" uniqueCount="{unique}">{self.body}{items}</sst>'.encode()


def _preserve(text: str) -> str:
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


def value_cell(ref: str, value: Any, style: int, strings: SharedStrings) -> str:
    """What write_value writes: blank, boolean, number, or else the text (a shared string)."""
    if value is None:
        return blank_cell(ref, style)
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and _finite(value):
        return f'<c r="{ref}" s="{style}"><v>{value:.16G}</v></c>'
    return text_cell(ref, str(value), style, strings)


def text_cell(ref: str, text: str, style: int, strings: SharedStrings) -> str:
    """A string cell, its text added to the shared strings."""
    return f'<c r="{ref}" s="{style}" t="s"><v>{strings.index(text)}</v></c>'


def formula_cell(ref: str, formula: str, value: Any, style: int) -> str:
    """A formula (already escaped) with its cached value, typed as xlsxwriter types it."""
    kind = ""
    if isinstance(value, bool):
        kind, value = ' t="b"', int(value)
    elif isinstance(value, str) and value:
        kind = ' t="e"' if value in _ERROR_CODES else ' t="str"'
    shown = escape_text(value) if isinstance(value, str) else value
    return f'<c r="{ref}" s="{style}"{kind}><f>{formula}</f><v>{shown}</v></c>'


def _finite(value: int | float) -> bool:
    try:
        return abs(float(value)) != float("inf") and value == value
    except OverflowError:  # an int too large for a double is written as text
        return False

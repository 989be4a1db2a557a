"""Streaming read of one worksheet part: wanted cells up to max_row, then a cheap skip over any
rows below it to reach sheet protection and merged ranges."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, TypeAlias, cast

from xlcheck.xlsx.cells import CellTags, RawCell, SharedFormulas, make_cell, note_unwanted
from xlcheck.xlsx.errors import PackageError
from xlcheck.xlsx.limits import Deadline
from xlcheck.xlsx.refs import MAX_COLUMN, next_ref
from xlcheck.xlsx.xmlsafe import PrologGuard, guard_prolog, parse_xml

_CARRY: Final = 256
_Parser: TypeAlias = "ET.XMLPullParser[ET.Element]"
_CLOSE_SHEET_DATA: Final = re.compile(rb"</(?:[A-Za-z_][\w.\-]{0,100}:)?sheetData\s*>")


@dataclass(frozen=True)
class SheetData:
    """What read_sheet found. `cells` has every wanted ref (absent ones as kind 'empty').

    `rows_beyond` means a <row> element exists below max_row (it may hold only formatting);
    `extra_cells` counts non-empty cells outside `wanted` up to max_row; `parsed_bytes` is how much
    of the part the XML parser was given (rows below max_row are skipped by byte search), the
    measure of work that tests bound instead of timing it.
    """

    name: str
    cells: dict[str, RawCell]
    protected: bool
    merged: list[str]
    max_row_seen: int
    rows_beyond: bool
    extra_cells: int
    parsed_bytes: int = field(default=0, compare=False)  # a measure of work, not of content


def read_sheet_stream(
    chunks: Iterator[bytes],
    name: str,
    wanted: frozenset[str] | None,
    max_row: int,
    strings: Callable[[], list[str]],
    deadline: Deadline,
) -> SheetData:
    """Parse a worksheet part given as a stream of byte chunks (call under corrupt_on_error)."""
    guard = PrologGuard()
    stream = itertools.chain(guard_prolog(guard, chunks), chunks)
    scan = _SheetScan(guard.root_namespace(), wanted, max_row, strings, deadline)
    parser: _Parser = ET.XMLPullParser(events=("start", "end"))
    last_chunk = scan.scan_rows(parser, stream)
    if last_chunk is None:
        parser.close()
        scan.drain_tail(parser)
    else:
        scan.skip_rows(parser, stream, guard, last_chunk)
    return scan.result(name)


def read_sheet_tree(
    data: bytes,
    name: str,
    wanted: frozenset[str] | None,
    max_row: int,
    strings: Callable[[], list[str]],
    deadline: Deadline,
) -> SheetData:
    """The same as read_sheet_stream for a small part parsed whole (no per-event overhead)."""
    part = without_tail(data)
    root = parse_xml(part, f"sheet {name!r}")
    scan = _SheetScan(root.tag[: root.tag.find("}") + 1], wanted, max_row, strings, deadline)
    scan.parsed = len(part)
    for child in root:
        if child.tag == scan.data_tag:
            scan.scan_tree_rows(child)
        elif child.tag == scan.merge_tag + "s":
            scan.merged.extend(cell.get("ref", "") for cell in child if cell.tag == scan.merge_tag)
        else:
            scan.on_other(child.tag, child)
    return scan.result(name)


# Elements that the schema orders after sheetData, sheetProtection and mergeCells, and that we never
# read. A template carries hundreds of data validations and conditional formats there: parsing
# them costs more than the cells. Cutting from the first one to the root's end tag keeps the XML
# well-formed (their names cannot occur as markup inside the escaped cell text before them).
_TAIL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:conditionalFormatting|dataValidations|hyperlinks|printOptions"
    rb"|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|drawing|legacyDrawing|tableParts|extLst)\b"
)
_SHEET_DATA_END = re.compile(
    rb"</(?:[A-Za-z_][\w.-]*:)?sheetData>|<(?:[A-Za-z_][\w.-]*:)?sheetData\s*/>"
)


def without_tail(data: bytes) -> bytes:
    """The worksheet XML without the elements after the ones we read; unchanged if in doubt."""
    end = data.find(b"</sheetData>")  # the usual spelling, found 20x faster than by the regex
    if end >= 0:
        end += len(b"</sheetData>")
    else:
        match = _SHEET_DATA_END.search(data)
        end = match.end() if match else -1
    tail = _TAIL.search(data, end) if end >= 0 else None
    close = data.rfind(b"</")
    if tail is None or close < tail.start():
        return data
    return data[: tail.start()] + data[close:]


def _events(parser: _Parser) -> Iterator[tuple[str, ET.Element]]:
    """The queued events; with only start/end events requested every item is an Element."""
    return cast(Iterator[tuple[str, ET.Element]], parser.read_events())


def _row_number(text: str | None, previous: int) -> int:
    if text is None:
        return previous + 1
    if not (text.isascii() and text.isdigit() and len(text) <= 7):
        raise PackageError("corrupt", f"bad row number {text[:20]!r}")
    return int(text)


class _SheetScan:
    """Mutable state of one worksheet scan."""

    def __init__(
        self,
        ns: str,
        wanted: frozenset[str] | None,
        max_row: int,
        strings: Callable[[], list[str]],
        deadline: Deadline,
    ) -> None:
        self.tags = CellTags.for_namespace(ns)
        self.row_tag, self.c_tag, self.data_tag = ns + "row", ns + "c", ns + "sheetData"
        self.protection_tag, self.merge_tag = ns + "sheetProtection", ns + "mergeCell"
        self.wanted, self.max_row, self.strings, self.deadline = wanted, max_row, strings, deadline
        self.cells: dict[str, RawCell] = {}
        self.shared: SharedFormulas = {}
        self.merged: list[str] = []
        self.protected = self.rows_beyond = False
        self.max_row_seen = self.extra = self.row_cells = self.parsed = 0
        self.sheet_data: ET.Element | None = None

    def result(self, name: str) -> SheetData:
        for ref in self.wanted or ():
            if ref not in self.cells:
                self.cells[ref] = RawCell(ref, None, "empty")
        return SheetData(
            name,
            self.cells,
            self.protected,
            self.merged,
            self.max_row_seen,
            self.rows_beyond,
            self.extra,
            self.parsed,
        )

    def scan_tree_rows(self, sheet_data: ET.Element) -> None:
        row, row_tag, c_tag, wanted = 0, self.row_tag, self.c_tag, self.wanted
        for row_element in sheet_data:
            if row_element.tag != row_tag:
                continue
            row = _row_number(row_element.get("r"), row)
            if row > self.max_row:
                self.rows_beyond = True
                return
            if len(row_element) > MAX_COLUMN:
                raise PackageError("too_large", f"row {row} has more than {MAX_COLUMN} cells")
            self.deadline.check()
            last_ref = None
            for cell in row_element:
                if cell.tag != c_tag:
                    continue
                ref = last_ref = cell.get("r") or next_ref(last_ref, row)
                if wanted is None or ref in wanted:
                    self.cells[ref] = make_cell(cell, ref, self.tags, self.strings, self.shared)
                elif len(cell):
                    self.extra += note_unwanted(cell, ref, self.tags.f, self.shared)
            self.max_row_seen = row

    def scan_rows(self, parser: _Parser, stream: Iterator[bytes]) -> bytes | None:
        """Process the part up to max_row; returns the current chunk if it stopped early."""
        row_tag, c_tag, data_tag, max_row = self.row_tag, self.c_tag, self.data_tag, self.max_row
        row, last_ref = 0, None
        for chunk in stream:
            self.deadline.check()
            self.parsed += len(chunk)
            parser.feed(chunk)
            for event, element in _events(parser):
                tag = element.tag
                if event == "start":
                    if tag == row_tag:
                        row, last_ref = _row_number(element.get("r"), row), None
                        if row > max_row:
                            self.rows_beyond = True
                            return chunk
                    elif tag == data_tag:
                        self.sheet_data = element
                elif tag == c_tag:
                    last_ref = self.on_cell(element, row, last_ref)
                elif tag == row_tag:
                    self.end_row(row)
                else:
                    self.on_other(tag, element)
        return None

    def on_cell(self, cell: ET.Element, row: int, last_ref: str | None) -> str:
        ref = cell.get("r") or next_ref(last_ref, row)
        self.row_cells += 1
        if self.row_cells > MAX_COLUMN:
            raise PackageError("too_large", f"row {row} has more than {MAX_COLUMN} cells")
        if self.wanted is None or ref in self.wanted:
            self.cells[ref] = make_cell(cell, ref, self.tags, self.strings, self.shared)
        else:
            self.extra += note_unwanted(cell, ref, self.tags.f, self.shared)
        return ref

    def end_row(self, row: int) -> None:
        self.max_row_seen = row
        self.row_cells = 0
        if self.sheet_data is not None:
            del self.sheet_data[:]  # processed rows; keeps memory bounded

    def on_other(self, tag: str, element: ET.Element) -> None:
        if tag == self.protection_tag:
            self.protected = element.get("sheet") in ("1", "true")
        elif tag == self.merge_tag:
            self.merged.append(element.get("ref", ""))

    def drain_tail(self, parser: _Parser) -> None:
        """Handle queued events after sheetData: protection and merges; rows are dropped."""
        for event, element in _events(parser):
            if event != "end":
                continue
            if element.tag == self.row_tag and self.sheet_data is not None:
                del self.sheet_data[:]
            else:
                self.on_other(element.tag, element)

    def skip_rows(
        self, parser: _Parser, stream: Iterator[bytes], guard: PrologGuard, last: bytes
    ) -> None:
        """Get past the rows below max_row without parsing them when the part is UTF-8."""
        for event, element in _events(parser):
            if event == "end" and element.tag == self.data_tag:
                self.scan_tail(parser, stream)
                return
        if guard.is_utf8:
            parser = ET.XMLPullParser(events=("end",))
            start_tag = guard.root_start_tag()
            self.parsed += len(start_tag)
            parser.feed(start_tag)
            stream = _raw_tail(stream, last[-_CARRY:], self.deadline)
        self.scan_tail(parser, stream)

    def scan_tail(self, parser: _Parser, stream: Iterator[bytes]) -> None:
        self.drain_tail(parser)
        for chunk in stream:
            self.deadline.check()
            self.parsed += len(chunk)
            parser.feed(chunk)
            self.drain_tail(parser)
        parser.close()
        self.drain_tail(parser)


def _raw_tail(stream: Iterator[bytes], carry: bytes, deadline: Deadline) -> Iterator[bytes]:
    """The bytes after the closing sheetData tag, found by byte search, never parsed before."""
    buffer = carry
    for chunk in stream:
        deadline.check()
        buffer = buffer[-_CARRY:] + chunk
        end = _find_sheet_data_close(buffer)
        if end >= 0:
            yield buffer[end:]
            yield from stream
            return
    raise PackageError("corrupt", "worksheet sheetData is never closed")


def _find_sheet_data_close(buffer: bytes) -> int:
    """Offset just past the first complete closing sheetData tag in buffer, or -1."""
    start = 0
    while (found := buffer.find(b"sheetData", start)) >= 0:
        lt = buffer.rfind(b"<", max(0, found - 110), found)
        match = _CLOSE_SHEET_DATA.match(buffer, lt) if lt >= 0 else None
        if match is not None:
            return match.end()
        start = found + 9
    return -1

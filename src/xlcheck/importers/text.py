"""Plain-text reports: decode (UTF-8, UTF-8 BOM, GB18030) and turn lines into paragraphs and rows
(tab rows, pipe rows and Markdown tables)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from xlcheck.importers.layouts import double_spaced, is_rule, pipe_cells
from xlcheck.importers.model import MAX_SPAN, Cell, Item, Page, Para, Row, add_item

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # below 32, except tab, LF, CR, FF
# The line boundaries of str.splitlines, found one at a time so a huge text is never split whole.
_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def decode_text(data: bytes) -> str | None:
    """UTF-8 first (BOM or not), then GB18030 (a superset of GBK); None for anything not text."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text if looks_like_text(text) else None
    return None


def looks_like_text(text: str) -> bool:
    limit = len(text) // 100
    for count, _ in enumerate(_CONTROLS.finditer(text), start=1):
        if count > limit:  # stop counting at the first control over the limit
            return False
    return "\x00" not in text


def iter_lines(text: str) -> Iterator[str]:
    """The lines of str.splitlines, lazily."""
    start = 0
    for match in _BREAK.finditer(text):
        yield text[start : match.start()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def read_text(text: str) -> Page:
    """Lines with a tab or a pipe are table rows (a Markdown rule is skipped); other lines
    paragraphs. A blank line ends a block, unless every line is followed by one (then two do)."""
    items: list[Item] = []
    block = 0
    breaks = 2 if double_spaced(iter_lines(text)) else 1
    blanks = 0
    for number, line in enumerate(iter_lines(text), start=1):
        if not line.strip():
            blanks += 1
            block += blanks == breaks
            continue
        blanks = 0
        if not is_rule(line):
            add_item(items, line_item(line, f"line {number}", block))
    return Page(tuple(items), "text")


def line_item(line: str, place: str, block: int) -> Item:
    if "\t" in line:
        cells = tuple(Cell(part.strip()) for part in line.split("\t", MAX_SPAN)[:MAX_SPAN])
        return Row(cells, place, block)
    piped = pipe_cells(line)
    if piped is not None and len(piped) > 1:
        return Row(piped, place, block)
    return Para(line.strip(), place, block)

"""Plain-text reports: decode (UTF-8, UTF-8 BOM, GB18030) and turn lines into paragraphs and tab rows."""

from __future__ import annotations

from xlcheck.importers.model import Cell, Item, Page, Para, Row

_CONTROL_OK = frozenset("\t\n\r\f")


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
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in _CONTROL_OK)
    return "\x00" not in text and controls <= len(text) // 100


def read_text(text: str) -> Page:
    """Lines with a tab are table rows; other lines paragraphs; a blank line ends a block."""
    items: list[Item] = []
    block = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            block += 1
            continue
        place = f"line {number}"
        if "\t" in line:
            cells = tuple(Cell(part.strip()) for part in line.split("\t"))
            items.append(Row(cells, place, block))
        else:
            items.append(Para(line.strip(), place, block))
    return Page(tuple(items), "text")

"""Traditional-script copies of a report (mirror sites, Hong Kong and Taiwan reposts): detected by
how many characters change under OpenCC's traditional-to-simplified table, then converted so that
the form's labels and headings match. The only module that imports opencc."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.importers.model import Item, Page, Para, Row

# A simplified report keeps almost every character under t2s (a handful of rare forms change);
# a traditional one changes about a quarter of its Han characters. Both bounds must hold.
MIN_SHARE = 0.05
MIN_CHANGED = 10


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(page: Page) -> tuple[Page, list[Finding]]:
    """The page in simplified script, with an A55 finding, when it is written in traditional."""
    changed, han = _changed_han(page)
    if changed < MIN_CHANGED or changed < MIN_SHARE * han:
        return page, []
    convert = _converter().convert
    items = tuple(_convert_item(item, convert) for item in page.items)
    values = {"place": "document", "changed": changed, "han": han}
    finding = make_finding("A55", changed=changed, han=han, values=values)
    return Page(items, page.kind), [finding]


def _changed_han(page: Page) -> tuple[int, int]:
    """(Han characters that t2s changes, Han characters) over the page, counted per distinct
    character so that the conversion runs once on a short text."""
    counts: dict[str, int] = {}
    for text in _texts(page):
        for char in text:
            if "\u4e00" <= char <= "\u9fff":
                counts[char] = counts.get(char, 0) + 1
    if not counts:
        return 0, 0
    chars = list(counts)
    # One character a line: t2s converts phrases too, a line break keeps each character alone.
    converted = _converter().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # not expected from a character table; count nothing
        return 0, sum(counts.values())
    changed = sum(counts[c] for c, s in zip(chars, converted, strict=True) if c != s)
    return changed, sum(counts.values())


def _texts(page: Page) -> list[str]:
    out: list[str] = []
    for item in page.items:
        if isinstance(item, Para):
            out.append(item.text)
        else:
            out += [cell.text for cell in item.cells]
    return out


def _convert_item(item: Item, convert: Any) -> Item:
    if isinstance(item, Para):
        return replace(item, text=convert(item.text))
    cells = tuple(
        replace(cell, text=convert(cell.text)) if cell.text else cell for cell in item.cells
    )
    return Row(cells, item.place, item.block)

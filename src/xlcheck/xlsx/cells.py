"""Typed values of worksheet cells: RawCell, and the conversion of one <c> element into it."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from xlcheck.xlsx.errors import PackageError
from xlcheck.xlsx.xmlsafe import rich_text
from xlcheck.xlsx.xstring import decode_xstring

CellValue = int | float | str | bool | None


class RawCell(NamedTuple):
    """One cell as stored. `kind`: number | text | bool | error | empty.

    For formula cells `formula` is the text without '=' and `value`/`cached` hold the cached
    result. Shared-formula followers get the master's text verbatim (NOT shifted to this cell)
    and `shared_from` names the master cell, so callers never mistake it for this cell's own.
    A NamedTuple rather than a frozen dataclass: built once per cell, it is 3x cheaper.
    """

    ref: str
    value: CellValue
    kind: str
    formula: str | None = None
    cached: CellValue = None
    shared_from: str | None = None


@dataclass(frozen=True, slots=True)
class CellTags:
    """Fully qualified tag names for one SpreadsheetML namespace."""

    v: str
    f: str
    inline: str
    t: str
    r: str

    @classmethod
    def for_namespace(cls, ns: str) -> CellTags:
        return cls(ns + "v", ns + "f", ns + "is", ns + "t", ns + "r")


SharedFormulas = dict[str, tuple[str, str]]  # si -> (master ref, formula text)


def parse_number(text: str) -> int | float:
    """int for integral XML text like '12', float otherwise; PackageError on non-numbers."""
    if not text.isascii():
        raise PackageError("corrupt", f"bad number {text[:40]!r}")
    if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise PackageError("corrupt", f"bad number {text[:40]!r}") from None
    if not math.isfinite(number):
        raise PackageError("corrupt", f"non-finite number {text[:40]!r}")
    return number


def shared_string(table: list[str], text: str) -> str:
    index = int(text) if text.isascii() and text.isdigit() and len(text) < 12 else -1
    if not 0 <= index < len(table):
        raise PackageError("corrupt", f"shared string index {text[:20]!r} out of range")
    return table[index]


def typed_value(
    cell_type: str, text: str | None, strings: Callable[[], list[str]]
) -> tuple[str, CellValue]:
    """(kind, value) of a <v> text under the cell's t= attribute."""
    if text is None:
        return "empty", None
    if cell_type == "n":
        return "number", parse_number(text)
    if cell_type == "s":
        return "text", shared_string(strings(), text)
    if cell_type == "b":
        return "bool", text.strip() in ("1", "true")
    if cell_type == "e":
        return "error", text
    if cell_type == "str":  # a formula's text result: an ST_Xstring like any cell text
        return "text", decode_xstring(text)
    return "text", text  # "d" (ISO 8601 date text), unknown types


def make_cell(
    cell: ET.Element,
    ref: str,
    tags: CellTags,
    strings: Callable[[], list[str]],
    shared: SharedFormulas,
) -> RawCell:
    """The RawCell for one <c> element."""
    if len(cell) == 1 and cell[0].tag == tags.v:  # fast path: a constant number or string
        text, cell_type = cell[0].text, cell.get("t")
        if text is not None and cell_type is None:
            return RawCell(ref, parse_number(text), "number")
        if text is not None and cell_type == "s":
            return RawCell(ref, shared_string(strings(), text), "text")
    cell_type = cell.get("t", "n")
    formula_el = value_el = inline_el = None
    for child in cell:
        if child.tag == tags.v:
            value_el = child
        elif child.tag == tags.f:
            formula_el = child
        elif child.tag == tags.inline:
            inline_el = child
    kind: str
    value: CellValue
    if inline_el is not None and cell_type == "inlineStr":
        kind, value = "text", rich_text(inline_el, tags.t, tags.r)
    else:
        text = None if value_el is None else value_el.text
        if text is None and value_el is not None and cell_type == "str":
            text = ""  # a formula whose cached result is the empty string
        kind, value = typed_value(cell_type, text, strings)
    if formula_el is None:
        return RawCell(ref, value, kind)
    formula, master = read_formula(formula_el, ref, shared)
    return RawCell(ref, value, kind, formula, value, master)


def read_formula(element: ET.Element, ref: str, shared: SharedFormulas) -> tuple[str, str | None]:
    """(formula text, master ref for a shared-formula follower); records shared masters."""
    text = element.text or ""
    if element.get("t") != "shared":
        return text, None
    index = element.get("si", "")
    if text:
        shared[index] = (ref, text)
        return text, None
    master_ref, master_text = shared.get(index, ("", ""))
    return master_text, master_ref or None


def note_unwanted(cell: ET.Element, ref: str, f_tag: str, shared: SharedFormulas) -> int:
    """1 when an unwanted cell has content (value, inline text or formula), else 0."""
    if not len(cell):
        return 0
    for child in cell:
        if child.tag == f_tag:
            read_formula(child, ref, shared)
    return 1

"""A1 cell references: parse, format, and offset them (no spreadsheet library needed)."""

from __future__ import annotations

import functools
import re

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index


def column_letters(index: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=8192)
def parse_cell(ref: str) -> tuple[int, int]:
    """'D4' -> (row 4, column 4); accepts absolute refs like $D$4."""
    match = _A1.match(ref.upper())
    if not match:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_index(match.group(1))


def format_cell(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


def offset_cell(ref: str, rows: int, cols: int) -> str:
    row, col = parse_cell(ref)
    return format_cell(row + rows, col + cols)


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'A1:C3' -> (first_row, first_col, last_row, last_col); a single cell is a 1x1 range."""
    first, _, last = ref.partition(":")
    r1, c1 = parse_cell(first)
    r2, c2 = parse_cell(last) if last else (r1, c1)
    return r1, c1, r2, c2

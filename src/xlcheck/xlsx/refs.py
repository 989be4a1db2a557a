"""A1 cell references and defined-name targets such as `'封面'!$B$2`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from xlcheck.cells import column_index, column_letters  # noqa: F401  (re-exported)

MAX_COLUMN: Final = 16_384
MAX_ROW: Final = 1_048_576
_CELL: Final = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_LETTERS: Final = re.compile(r"[A-Z]{1,3}")
# The common defined-name shape: one sheet (quoted or plain) and one absolute/relative cell.
_SHEET_CELL: Final = re.compile(
    r"(?:'((?:[^']|'')+)'|([^'!\[\]()+\-*/&,;\" ]+))!\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
)


@lru_cache(maxsize=65_536)
def normalize_ref(ref: str) -> str:
    """'$d$4' -> 'D4'; ValueError for anything that is not a single in-range A1 cell."""
    match = _CELL.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    letters, digits = match.group(1).upper(), match.group(2)
    if column_index(letters) > MAX_COLUMN or not 1 <= int(digits) <= MAX_ROW:
        raise ValueError(f"cell reference out of range: {ref!r}")
    return letters + digits


def next_ref(previous: str | None, row: int) -> str:
    """The reference of a <c> without r=: one column right of the previous cell in the row."""
    column = 1
    if previous is not None:
        match = _LETTERS.match(previous)
        column = column_index(match.group(0)) + 1 if match else 1
    return f"{column_letters(column)}{row}"


def split_sheet_ref(text: str) -> tuple[str | None, str]:
    """("封面", "$B$2") for "'封面'!$B$2"; (None, text) when no sheet prefix parses."""
    text = text.strip()
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                if text[i + 1 : i + 2] == "!":
                    return "".join(name), text[i + 2 :]
                return None, text
            name.append(text[i])
            i += 1
        return None, text
    sheet, bang, rest = text.partition("!")
    if not bang or not sheet or any(c in sheet for c in "'[]()+-*/&,; \""):
        return None, text
    return sheet, rest


@lru_cache(maxsize=65_536)
def parse_name_target(text: str) -> tuple[str | None, str | None]:
    """(sheet, cell) of a defined name; cell None unless one cell; (None, None) for #REF!.

    Cached: every submission of a template carries the same few hundred name targets.
    """
    if "#REF!" in text.upper():
        return None, None
    match = _SHEET_CELL.fullmatch(text.strip())
    if match is not None:
        quoted, plain, letters, digits = match.groups()
        sheet = plain if quoted is None else quoted.replace("''", "'")
        try:
            return sheet, normalize_ref(letters + digits)
        except ValueError:
            return sheet, None
    return split_sheet_ref(text)[0], None

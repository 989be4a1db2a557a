"""Text normalisation for matching labels, and reading one cell's value (numbers and zero marks)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Marks that published reports print instead of 0; the official format wants 0.
ZERO_MARKS = frozenset({"/", "—", "——", "-", "--", "–", "无", "−"})
# ASCII digits only (NFKC has already turned full-width digits into ASCII): str.isdigit and \d
# accept '²' and other Unicode digits that int() then rejects. 18 digits is far beyond any count
# in a report and still exact as an int; longer runs are text, never an overflow.
_NUMBER = re.compile(r"^[+]?([0-9]{1,18}(?:\.[0-9]{1,18})?)$")
_COUNT = re.compile(r"\s*([0-9]+)")
_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    """Compare labels: NFKC (full-width → half-width brackets, digits), no whitespace at all."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def clean(text: str) -> str:
    """Prose as stored: NBSP and ideographic spaces trimmed at both ends, inner text unchanged."""
    return text.replace("\u00a0", " ").strip(" \t\r\n\u3000")


@dataclass(frozen=True)
class Value:
    """A cell's content read as a value: kind is number | zero_mark | blank | text."""

    kind: str
    number: int | float | None = None


def read_value(text: str) -> Value:
    key = norm(text).replace(",", "")
    if not key:
        return Value("blank")
    if key in ZERO_MARKS:
        return Value("zero_mark", 0)
    match = _NUMBER.match(key)
    if not match:
        return Value("text")
    raw = match.group(1)
    return Value("number", float(raw) if "." in raw else int(raw))


def read_count(text: str | None, maximum: int) -> int:
    """A span attribute (colspan, rowspan, w:gridSpan) from a hostile file: its leading ASCII
    digits as browsers read them, clamped to 1..maximum; anything else counts as 1."""
    match = _COUNT.match(text or "")
    if not match:
        return 1
    digits = match.group(1).lstrip("0")
    if len(digits) > len(str(maximum)):  # never int() a 5,000-digit string
        return maximum
    return max(1, min(maximum, int(digits or "0")))


def is_value(text: str) -> bool:
    return read_value(text).kind != "text"

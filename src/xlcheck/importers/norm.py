"""Text normalisation for matching labels, and reading one cell's value (numbers and zero marks)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Marks that published reports print instead of 0; the official format wants 0.
ZERO_MARKS = frozenset({"/", "—", "——", "-", "--", "–", "无", "−"})
_NUMBER = re.compile(r"^[+]?(\d+(?:\.\d+)?)$")
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
    number = float(raw)
    return Value("number", int(number) if "." not in raw else number)


def is_value(text: str) -> bool:
    return read_value(text).kind != "text"

"""Text normalisation for matching labels, and reading one cell's value (numbers and zero marks).

A cell is first classified without its field (is it a value at all: `read_value`), then read as
its field's type (`read_field_value`): a signed change (`-4`, `减4`, `增1`), an amount naming its
unit (`251000元`), each by the one policy of `xlcheck.normalise`, the step recorded in a note.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from xlcheck.codes import format_value
from xlcheck.form.model import Field
from xlcheck.normalise import Normalised, normalise_number

# Marks that published reports print instead of 0; the official format wants 0.
ZERO_MARKS = frozenset({"/", "—", "——", "-", "--", "–", "无", "−"})
# ASCII digits only (NFKC has already turned full-width digits into ASCII): str.isdigit and \d
# accept '²' and other Unicode digits that int() then rejects. 18 digits is far beyond any count
# in a report and still exact as an int; longer runs are text, never an overflow.
_NUMBER = re.compile(r"^[+]?([0-9]{1,18}(?:\.[0-9]{1,18})?)$")
# Values written with a sign or a unit, read by the field's type: -4, 减4, 增加1, 251000元, 25.1万元.
# A leading minus is a value, never a label (a lone - stays a zero mark).
_SIGNED = re.compile(r"^(?:-|增加?|减少?)[0-9]{1,18}(?:\.[0-9]{1,18})?$")
_UNIT_NAMES = ("亿元", "万元", "元")  # longest first: 万元 also ends in 元
_WITH_UNIT = re.compile(r"^[0-9]{1,18}(?:\.[0-9]{1,18})?(?:亿元|万元|元)$")
_UNIT_STEPS = {"unit_yuan": "元", "unit_wan_yuan": "万元", "unit_yi_yuan": "亿元"}
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
    """A cell's content read as a value: kind is number | written | zero_mark | blank | text
    (written: a value with a sign word or a unit, whose number depends on the field's type)."""

    kind: str
    number: int | float | None = None


def read_value(text: str) -> Value:
    key = norm(text).replace(",", "").replace("\u2212", "-")  # U+2212 survives NFKC
    if not key:
        return Value("blank")
    if key in ZERO_MARKS:
        return Value("zero_mark", 0)
    if _SIGNED.match(key) or _WITH_UNIT.match(key):
        return Value("written")
    match = _NUMBER.match(key)
    if not match:
        return Value("text")
    raw = match.group(1)
    return Value("number", float(raw) if "." in raw else int(raw))


@dataclass(frozen=True)
class FieldValue:
    """A cell read as its field's type: kind is number | zero_mark | blank | text | no_unit
    (no_unit: an amount with no unit in its cell or its column's header); note says what was done."""

    kind: str
    number: int | float | None = None
    note: str = ""


def read_field_value(f: Field, text: str, unit: str | None = None) -> FieldValue:
    """`text` as a value of `f`; `unit` is the unit the column's header names (amounts only)."""
    value = read_value(text)
    if value.kind == "zero_mark":
        return FieldValue("zero_mark", 0, f"「{text}」读作 0")
    if value.kind in ("blank", "text"):
        return FieldValue(value.kind)
    amount = f.type == "amount"
    given = text.replace("\u2212", "-")
    from_header = amount and not names_unit(text)  # the unit comes from the table's header
    if from_header:
        if unit is None:
            return FieldValue("no_unit")
        given = text + unit
    read = normalise_number(given, amount=amount, signed=f.type == "change")
    number = read.value
    if isinstance(number, bool) or not isinstance(number, int | float):
        return FieldValue("text")
    if number < 0 and f.type != "change":
        return FieldValue("text")  # a count or an amount is never negative
    return FieldValue("number", number, _note(text, read, from_header=from_header))


def names_unit(text: str) -> bool:
    return norm(text).endswith(_UNIT_NAMES)


def unit_named(text: str) -> str | None:
    """The unit a header text names (单位：万元, （元）), or None."""
    key = norm(text)
    return next((unit for unit in _UNIT_NAMES if unit in key), None)


def _note(raw: str, read: Normalised, *, from_header: bool) -> str:
    unit = next((_UNIT_STEPS[s] for s in read.steps if s in _UNIT_STEPS), None)
    if "signed_change" in read.steps:
        return f"「{raw}」读作 {format_value(read.value)}"
    if unit is None or (from_header and unit == "万元"):
        return ""
    where = f"按表头单位{unit}" if from_header else f"按{unit}"
    return f"「{raw}」{where}换算为 {format_value(read.value)} 万元"


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

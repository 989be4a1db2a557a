"""One explicit policy for values as offices type them; every change is recorded with the original.

Domain facts: WPS and Excel keep what was typed into a text-formatted cell as text, so '１２'
(full-width), ' 3 ', '12,345' and '3.0' arrive as strings; a formula-computed float carries noise
(274.65999999999997). Placeholders such as 无, —, / are never read as 0: they stay text and the
domain rule R5 reports them. Published reports write a signed change as 增1 / 减4 and an amount
with its unit (251000元, 25.1万元): both are read, and the step is recorded.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any, NamedTuple

from xlcheck.form.model import Field

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_YEAR = re.compile(r"^(\d{4})\s*年?$")
# 增1 / 增加1 = +1, 减4 / 减少4 = -4 (a change only; a count is never negative).
_SIGNED_WORD = re.compile(r"^(增加?|减少?)(\d[\d,]*(?:\.\d*)?)$")
# An amount naming its unit, converted to the form's 万元: (suffix, factor, recorded step); 元
# last, as 亿元 and 万元 end with it.
_UNITS = (
    ("亿元", Decimal(10000), "unit_yi_yuan"),
    ("万元", Decimal(1), "unit_wan_yuan"),
    ("元", Decimal("0.0001"), "unit_yuan"),
)
# Far beyond any plausible count or amount (the forms cap them at 10^9): such a text is read as an
# approximate float (inf beyond 1.8e308) for the range check to report. int() of it could cost
# quadratic time and refuses more than 4,300 digits; the float never reaches int() again.
_MAX_DIGITS = 18
# Floats at or above 2^53 no longer hold every integer: they stay floats rather than become ints.
_EXACT = 2.0**53


class Normalised(NamedTuple):
    """A value as read, and the normalisation steps applied (a NamedTuple: one per cell, cheap)."""

    value: Any
    steps: tuple[str, ...] = ()  # what was done, e.g. ("fullwidth", "thousands_separator")


def normalise(f: Field, raw: Any) -> Normalised:
    if type(raw) is int and f.is_numeric:  # the common case, decided before any other test
        return Normalised(raw)
    if f.is_numeric:
        return normalise_number(raw, amount=f.type == "amount", signed=f.type == "change")
    if f.type == "year":
        return normalise_year(raw)
    if f.type == "choice":
        return normalise_choice(f, raw)
    if f.type == "credit_code":
        return normalise_code(raw)
    return normalise_text(raw)


def normalise_number(raw: Any, *, amount: bool, signed: bool = False) -> Normalised:
    if raw is None or isinstance(raw, bool):
        return Normalised(raw)
    if isinstance(raw, int):
        return Normalised(raw)
    if isinstance(raw, float):
        return _tidy_float(raw, amount, ())
    if isinstance(raw, str):
        return _number_from_text(raw, amount, signed)
    return Normalised(raw)


def _tidy_float(value: float, amount: bool, steps: tuple[str, ...]) -> Normalised:
    rounded = round(value, 6)
    if rounded != value and abs(rounded - value) < 1e-9:
        steps, value = (*steps, "float_noise"), rounded
    if value.is_integer() and not amount and abs(value) < _EXACT:
        # 3.0 typed as text is recorded; a numeric cell holding 3.0 is simply the count 3.
        return Normalised(int(value), (*steps, "integral_float") if steps else steps)
    return Normalised(value, steps)


def _number_from_text(raw: str, amount: bool, signed: bool = False) -> Normalised:
    steps: list[str] = ["text_number"]
    text = unicodedata.normalize("NFKC", raw)
    if text != raw:
        steps.append("fullwidth")
    squeezed = _SPACES.sub("", text)
    if squeezed == "":
        return Normalised(None, ("blank_text",))
    if squeezed != text:
        steps.append("spaces")
    if signed:
        squeezed = _signed_word(squeezed, steps)
    unit = _unit_of(squeezed) if amount else None
    factor = None
    if unit is not None:
        suffix, factor, step = unit
        steps.append(step)
        squeezed = squeezed.removesuffix(suffix)
    if _GROUPED.match(squeezed):
        squeezed = squeezed.replace(",", "")
        steps.append("thousands_separator")
    if not _NUMBER.match(squeezed):
        return Normalised(raw)  # not a number: kept as typed, R5 reports it
    if len(squeezed.split(".")[0].lstrip("+-0")) > _MAX_DIGITS:
        # Not "text_number": the range error says what matters, without echoing 5,000 digits.
        steps[0] = "overlong_number"
        return Normalised(float(squeezed), tuple(steps))
    if factor is not None and factor != 1:
        return _tidy_float(float(Decimal(squeezed) * factor), amount, tuple(steps))
    if "." in squeezed:
        return _tidy_float(float(squeezed), amount, tuple(steps))
    return Normalised(int(squeezed), tuple(steps))


def _signed_word(text: str, steps: list[str]) -> str:
    """增N -> N, 减N -> -N (the sign written as a word), recorded; other text unchanged."""
    match = _SIGNED_WORD.match(text)
    if match is None:
        return text
    steps.append("signed_change")
    return ("-" if match.group(1).startswith("减") else "") + match.group(2)


def _unit_of(text: str) -> tuple[str, Decimal, str] | None:
    """The unit a number names at its end (a unit alone is no number: None)."""
    for unit in _UNITS:
        if text.endswith(unit[0]):
            return unit if text != unit[0] else None
    return None


def normalise_year(raw: Any) -> Normalised:
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < _EXACT:
        return Normalised(int(raw), ("integral_float",))
    if isinstance(raw, str):
        text = _SPACES.sub("", unicodedata.normalize("NFKC", raw))
        match = _YEAR.match(text)
        if match:
            return Normalised(int(match.group(1)), ("text_number",))
    return Normalised(raw)


def normalise_choice(f: Field, raw: Any) -> Normalised:
    if not isinstance(raw, str):
        return Normalised(raw)
    text = _SPACES.sub("", unicodedata.normalize("NFKC", raw))
    for choice in f.choices:
        labels = {
            _SPACES.sub("", unicodedata.normalize("NFKC", choice.label.zh)),
            choice.value,
            choice.label.en.lower(),
        }
        if text in labels or text.lower() in labels:
            return Normalised(choice.value, ("choice_label",))
        short = unicodedata.normalize("NFKC", choice.label.zh).split("(")[0]
        if text and text == short:
            return Normalised(choice.value, ("choice_label",))
    return Normalised(raw)


def normalise_code(raw: Any) -> Normalised:
    if raw is None:
        return Normalised(None)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # Typed as a number: Excel keeps 15 significant digits, so an 18-character code is damaged.
        return Normalised(format(raw, ".0f"), ("number_as_code",))
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(raw))).upper()
    if text == "":
        return Normalised(None, ("blank_text",) if raw != "" else ())
    return Normalised(text, ("fullwidth",) if text != raw else ())


def normalise_text(raw: Any) -> Normalised:
    if raw is None:
        return Normalised("")
    if not isinstance(raw, str):
        return Normalised(_plain(raw), ("number_as_text",))
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    return Normalised(text, ("trimmed",) if text != raw else ())


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

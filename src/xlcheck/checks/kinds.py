"""The check of each rule kind: a small pure function that yields rule violations.

`xlcheck.rulekinds` names each function in its kind's spec, with the kind's parameters.

A kind receives one expanded rule instance and the values; it never reads files and never
formats messages itself beyond naming the numbers (rules.py turns a Violation into a Finding).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from xlcheck.form.model import Rule, Term, Terms, plain_keys_of

# Counts stay Python ints (exact and fast); amounts become Decimals rounded to the 分 so that
# 0.1 + 0.2 == 0.3. Mixed sums are Decimals. Neither ever goes through binary float arithmetic.
Number = int | Decimal
_MICRO = Decimal("0.000001")
_WHOLE = 1e15  # floats from here on are whole numbers


_OPS: dict[str, Callable[[Number, Number], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class RuleInput:
    """What a rule kind may look at: this year's values, last year's, labels seen in the source."""

    values: Mapping[str, Any]
    previous: Mapping[str, Any] | None = None
    labels_seen: tuple[str, ...] = ()
    numeric_keys: frozenset[str] = frozenset()
    amount_keys: frozenset[str] = frozenset()
    ranges: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> plausible range


@dataclass(frozen=True)
class Violation:
    """One failure of a rule instance; `key` is the field the finding is pinned to."""

    key: str | None
    params: dict[str, Any]
    terms: tuple[Term, ...] = ()
    residual: Number | None = None  # for linear rules: left - right (0 when it holds)
    extra: dict[str, Any] = field(default_factory=dict)


def number(value: Any) -> Number | None:
    """A usable number, or None (missing, text, bool): rules skip what R5 reports."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        if not -_WHOLE < value < _WHOLE:  # 1E+300 has no decimals to round (quantize would fail)
            return Decimal(repr(value)) if math.isfinite(value) else None
        try:
            return Decimal(repr(value)).quantize(_MICRO).normalize()
        except InvalidOperation:
            return None
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return None


def term_value(term: Term, data: RuleInput) -> Number | None:
    if term.constant is not None:
        constant = term.constant
        return int(constant) if float(constant).is_integer() else Decimal(repr(constant))
    source = data.previous if term.previous else data.values
    if source is None or term.key is None:
        return None
    value = number(source.get(term.key))
    if value is None:
        return None
    return value if term.sign == 1 else -value


def total(terms: tuple[Term, ...], data: RuleInput) -> Number | None:
    keys = terms.plain_keys if isinstance(terms, Terms) else plain_keys_of(terms)
    if keys is not None:
        fast = _int_sum(data.values, *keys)
        if fast is not None:
            return fast
    acc: Number = 0
    for term in terms:
        value = term_value(term, data)
        if value is None:
            return None
        acc += value
    return acc


def _int_sum(
    values: Mapping[str, Any], added: tuple[str, ...], taken: tuple[str, ...]
) -> int | None:
    """The sum when every operand is an int (not a bool); None sends the caller to the exact path."""
    plus: list[Any] = list(map(values.get, added))
    less: list[Any] = list(map(values.get, taken))
    try:
        result = sum(plus) - sum(less)
    except TypeError:  # a missing value or text among the operands
        return None
    if type(result) is not int or bool in map(type, plus) or bool in map(type, less):
        return None  # a float made it a float; a bool is not a count
    return result


def minus(a: Number, b: Number) -> Number:
    """a - b: int - int stays int, anything with a Decimal is a Decimal."""
    return a - b


def size(value: Number) -> Number:
    """|value|, keeping its type."""
    return -value if value < 0 else value


def plain(value: Number) -> int | float:
    """A sum -> the int or float shown to people and written to JSON."""
    if isinstance(value, int):
        return value
    if not -_WHOLE < value < _WHOLE:  # a sum over 1E+300: a float, as the spreadsheet has it
        return float(value)
    return int(value) if value == value.to_integral_value() else float(value)


# ---- numeric kinds ------------------------------------------------------------------------------


def check_sum(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    target: Term = rule.params["target"]
    operands: tuple[Term, ...] = rule.params["operands"]
    want, got = term_value(target, data), total(operands, data)
    if want is None or got is None or want == got:
        return
    gap = minus(want, got)
    yield Violation(
        key=target.key,
        params={"target": plain(want), "sum": plain(got), "diff": plain(size(gap))},
        terms=(target, *operands),
        residual=gap,
    )


def check_equal_sums(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    left, right = rule.params["left"], rule.params["right"]
    a, b = total(left, data), total(right, data)
    if a is None or b is None or a == b:
        return
    gap = minus(a, b)
    yield Violation(
        key=left[0].key,
        params={"left": plain(a), "right": plain(b), "diff": plain(size(gap))},
        terms=(*left, *right),
        residual=gap,
    )


def check_compare(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    left, right = rule.params["left"], rule.params["right"]
    a, b = total(left, data), total(right, data)
    if a is None or b is None or _OPS[rule.params["op"]](a, b):
        return
    yield Violation(
        key=left[0].key, params={"left": plain(a), "right": plain(b)}, terms=(*left, *right)
    )


def check_zero_when(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    when = rule.params["when"]
    if data.values.get(when["field"]) not in when["in"]:
        return
    for key in rule.params["fields"]:
        value = number(data.values.get(key))
        if value is not None and value != 0:
            yield Violation(key=key, params={"value": plain(value)}, terms=(Term(key),))


def check_domain(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    """R5: every numeric field present, a number, >= 0, in its plausible range; counts whole;
    amounts <= 6 decimals."""
    get, ranges = data.values.get, data.ranges
    for key in rule.params["fields"]:
        value = get(key, _MISSING)
        low, high = ranges.get(key, _UNBOUNDED)
        if type(value) is int and low <= value <= high:  # a plausible count: nothing more to check
            continue
        problem = _domain_problem(value, key in data.amount_keys, (low, high))
        if problem:
            code, value = problem
            yield Violation(key=key, params={"value": value}, extra={"code": code})


_MISSING = object()
_UNBOUNDED = (0, math.inf)


def _domain_problem(value: Any, is_amount: bool, bounds: tuple[Any, Any]) -> tuple[str, Any] | None:
    if value is _MISSING or value is None or value == "":
        return "V01", None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "V02", value
    if isinstance(value, float) and math.isnan(value):  # never from JSON (refused), kept safe
        return "V02", value
    if value < 0 <= bounds[0]:  # a signed field (a change) has a range below 0 instead
        return "V03", value
    if not bounds[0] <= value <= bounds[1]:  # before the decimals: float(10**400) overflows
        return "V13", value
    if not is_amount and not float(value).is_integer():
        return "V04", value
    if is_amount and Decimal(repr(float(value))).as_tuple().exponent < -6:  # type: ignore[operator]
        return "V05", value
    return None


# ---- text kinds --------------------------------------------------------------------------------


def _text(data: RuleInput, key: str) -> str:
    value = data.values.get(key)
    return value.strip() if isinstance(value, str) else ""


def check_required_text(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    for key in rule.params["fields"]:
        if not _text(data, key):
            yield Violation(key=key, params={})


def check_text_mentions(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    when = rule.params["when"]
    amount = total(when["sum"], data)
    if amount is None or amount <= Decimal(str(when["gt"])):
        return
    text = _text(data, rule.params["field"])
    if not any(word in text for word in rule.params["any_of"]):
        yield Violation(key=rule.params["field"], params={"value": plain(amount)})


def check_text_differs(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    if data.previous is None:
        return
    mine = _text(data, rule.params["field"])
    other = data.previous.get(rule.params["other"].removeprefix("previous:"))
    if mine and isinstance(other, str) and _squash(mine) == _squash(other):
        yield Violation(key=rule.params["field"], params={})


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_prose_number(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    for key in rule.params["fields"]:
        text = _text(data, key)
        for pattern in rule.params["patterns"]:
            yield from _prose_matches(key, text, pattern, data)


def _prose_matches(
    key: str, text: str, pattern: Mapping[str, Any], data: RuleInput
) -> Iterator[Violation]:
    matches = list(re.finditer(pattern["regex"], text)) if text else []
    if not matches:  # most texts quote no number: the expected sum is only worked out when needed
        return
    expected = total(tuple(Term(k) for k in pattern["expected"]), data)
    if expected is None:
        return
    for match in matches:
        quoted = Decimal(match.group(1))
        if quoted != expected:
            yield Violation(
                key=key,
                params={
                    "phrase": match.group(0),
                    "quoted": plain(quoted),
                    "expected": plain(expected),
                },
                extra={"what": pattern["what"]},
            )


def check_legacy_labels(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    for label in rule.params["labels"]:
        if any(label in seen for seen in data.labels_seen):
            yield Violation(key=None, params={"label": label})

"""The typed parameters a rule kind declares, and their check when a form definition loads.

Each kind's spec (`xlcheck.rulekinds`) lists its parameters with one of the types below; a rule
that misses one, adds an unknown one or gives one of the wrong shape is refused with a FormError
naming the rule ("rules[3] (R4): compare needs 'op'"), never a KeyError while a workbook is checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from xlcheck.form.parts import FormError

ParamType = Literal[
    "term",  # one field key, maybe signed or of last year: "-previous:a.b"
    "terms",  # a list of terms, numbers and {"each": set, "as": var, "key": pattern}
    "fields",  # a list of field keys ("@numeric" = every numeric field)
    "field",  # one field key
    "previous_field",  # "previous:<key>", a field of last year's document
    "op",  # a comparison from COMPARE_OPS
    "condition",  # {"field": key, "in": [values]} or {"sum": terms, "gt": number}
    "texts",  # a list of non-empty strings
    "patterns",  # [{"regex": with one group, "expected": [keys], "what": text}]
]
COMPARE_OPS = frozenset({"<", "<=", ">", ">=", "==", "!="})
# Keys every rule may have, whatever its kind; `for_each` and `live` are optional.
COMMON_KEYS = ("id", "kind", "severity", "title", "description", "message")
OPTIONAL_KEYS = ("for_each", "live", "$comment")


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind: its name in the rule, its type, whether a rule must give it."""

    name: str
    type: ParamType
    required: bool = True


def check_rule_keys(
    where: str, kind: str, raw: Mapping[str, Any], params: tuple[Param, ...]
) -> None:
    """Every required parameter present, no parameter the kind does not take, each well typed."""
    taken = {p.name for p in params}
    for name in raw:
        if name not in taken and name not in COMMON_KEYS and name not in OPTIONAL_KEYS:
            raise FormError(f"{where}: {kind} does not take {name!r}")
    for param in params:
        if param.name not in raw:
            if param.required:
                raise FormError(f"{where}: {kind} needs {param.name!r}")
            continue
        problem = _CHECKS[param.type](raw[param.name])
        if problem:
            raise FormError(f"{where}: {param.name!r} {problem}")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _term(value: Any) -> str | None:
    return None if _is_text(value) else "must be a field key (text)"


def _terms(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of field keys, numbers or {each, as, key}"
    for item in value:
        if isinstance(item, Mapping):
            if not all(_is_text(item.get(k)) for k in ("each", "as", "key")):
                return "items {…} need 'each', 'as' and 'key'"
        elif not (_is_text(item) or _is_number(item)):
            return f"must be a list of field keys, numbers or {{each, as, key}}, not {item!r}"
    return None


def _texts(value: Any) -> str | None:
    if not isinstance(value, list) or not value or not all(_is_text(v) for v in value):
        return "must be a list of texts"
    return None


def _fields(value: Any) -> str | None:
    return "must be a list of field keys" if _texts(value) else None


def _previous_field(value: Any) -> str | None:
    if _is_text(value) and value.startswith("previous:"):
        return None
    return "must name a field of last year's report: 'previous:<key>'"


def _op(value: Any) -> str | None:
    if value in COMPARE_OPS:
        return None
    return f"must be one of {', '.join(sorted(COMPARE_OPS))}, not {value!r}"


def _condition(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        pass
    elif set(value) == {"field", "in"}:
        if _is_text(value["field"]) and isinstance(value["in"], list):
            return None
    elif set(value) == {"sum", "gt"} and _terms(value["sum"]) is None and _is_number(value["gt"]):
        return None
    return "must be {'field': key, 'in': [values]} or {'sum': [terms], 'gt': number}"


def _patterns(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a list of {regex, expected, what}"
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"regex", "expected", "what"}:
            return "items need exactly 'regex', 'expected' and 'what'"
        if _fields(item["expected"]):
            return "'expected' must be a list of field keys"
        try:
            groups = re.compile(item["regex"]).groups
        except (re.error, TypeError) as exc:
            return f"regex {item['regex']!r} does not compile: {exc}"
        if groups < 1:
            return f"regex {item['regex']!r} needs a group around the number"
    return None


def _field(value: Any) -> str | None:
    return None if _is_text(value) else "must be a field key (text)"


_CHECKS = {
    "term": _term,
    "terms": _terms,
    "fields": _fields,
    "field": _field,
    "previous_field": _previous_field,
    "op": _op,
    "condition": _condition,
    "texts": _texts,
    "patterns": _patterns,
}

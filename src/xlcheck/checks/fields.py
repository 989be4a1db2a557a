"""Checks of single non-numeric fields (required text, choices, year, credit code), for any source.

Numeric fields are checked by the domain rule R5; these cover what the schema would say less kindly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from xlcheck.checks.rules import range_finding
from xlcheck.checks.schema import CREDIT_CODE_PATTERN
from xlcheck.codes import format_value, make_finding
from xlcheck.findings import Finding
from xlcheck.form.compiled import plausible_range
from xlcheck.form.model import Field, Form

_CODE = re.compile(CREDIT_CODE_PATTERN)


def check_fields(form: Form, values: Mapping[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    for f in form.fields.values():
        if not f.is_numeric and f.key in values:
            findings.extend(_field_findings(form, f, values[f.key]))
    return findings


def _field_findings(form: Form, f: Field, value: Any) -> Iterator[Finding]:
    if value is None or value == "":
        if f.required:
            yield make_finding("V06", form=form, key=f.key)
        return
    if f.type == "choice" and value not in [c.value for c in f.choices]:  # value may be a list
        options = "、".join(c.label.zh for c in f.choices)
        yield make_finding("V07", form=form, key=f.key, raw=format_value(value), choices=options)
    elif f.type == "year":
        yield from _year_findings(form, f, value)
    elif f.type == "credit_code" and not (isinstance(value, str) and _CODE.match(value)):
        yield make_finding("V09", form=form, key=f.key, raw=format_value(value))
    elif f.type == "text" and f.max_length and isinstance(value, str) and len(value) > f.max_length:
        yield make_finding("V10", form=form, key=f.key, limit=f.max_length)


def _year_findings(form: Form, f: Field, value: Any) -> Iterator[Finding]:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # nan
        yield make_finding("V08", form=form, key=f.key, raw=format_value(value))
        return
    low, high = plausible_range(f)
    if not low <= value <= high:  # 1E+300 is a number, just not a plausible year
        yield range_finding(form, f, value)
    elif not float(value).is_integer():
        yield make_finding("V08", form=form, key=f.key, raw=format_value(value))

"""Recompute formula cells (totals) from the inputs, as the template's formulas would.

Cached formula values in a returned workbook are never trusted: a file written by a library and
never opened in a spreadsheet caches 0. The pipeline recomputes them after reading a workbook.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from xlcheck.checks.kinds import RuleInput, plain, total
from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form


def recompute_totals(
    form: Form,
    values: dict[str, Any],
    skip: Collection[str],
    cached: Mapping[str, Any],
) -> list[Finding]:
    """Totals of a read workbook from its inputs, in place (caches may be stale); a cache that
    disagrees is reported (S12). Totals typed over or on a missing sheet (`skip`) stay as read."""
    findings = []
    for key in form.compiled.computed_order:
        if key in skip:
            continue
        values[key] = _total_of(form, key, values)
        shown = cached.get(key)
        if values[key] is not None and isinstance(shown, int | float) and shown != values[key]:
            findings.append(
                make_finding("S12", form=form, key=key, cached=shown, computed=values[key])
            )
    return findings


def recompute(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of values with every formula cell recomputed; a total over a bad input is None."""
    result = dict(values)
    for key in form.compiled.computed_order:
        result[key] = _total_of(form, key, result)
    return result


def _total_of(form: Form, key: str, values: Mapping[str, Any]) -> Any:
    """The formula cell's value from the cells it adds up (formula cells come in order)."""
    rule = form.rule_by_instance(form.fields[key].computed_by or "")
    value = total(rule.params["operands"], RuleInput(values))
    return None if value is None else plain(value)

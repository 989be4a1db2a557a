"""Recompute formula cells (totals) from the inputs, as the template's formulas would.

Cached formula values in a returned workbook are never trusted: a file written by a library and
never opened in a spreadsheet caches 0. The reader and the culprit search use this instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlcheck.checks.kinds import RuleInput, plain, total
from xlcheck.form.model import Form


def computed_keys(form: Form) -> list[str]:
    """Formula cells in an order where each one's operands come first (computed once per form)."""
    if "computed_order" not in form.memo:
        form.memo["computed_order"] = _ordered(form)
    order: list[str] = form.memo["computed_order"]
    return order


def _ordered(form: Form) -> list[str]:
    pending = [f for f in form.fields.values() if f.computed_by]
    ordered: list[str] = []
    while pending:
        ready = [f for f in pending if not _depends_on(form, f.computed_by or "", pending)]
        if not ready:
            raise ValueError("formula cells depend on each other in a cycle")
        ordered.extend(f.key for f in ready)
        pending = [f for f in pending if f not in ready]
    return ordered


def _depends_on(form: Form, instance: str, pending: list[Any]) -> bool:
    keys = {t.key for t in form.rule_by_instance(instance).params["operands"]}
    return any(p.key in keys for p in pending)


def recompute(
    form: Form, values: Mapping[str, Any], order: list[str] | None = None
) -> dict[str, Any]:
    """A copy of values with every formula cell recomputed; a total over a bad input is None."""
    result = dict(values)
    for key in order if order is not None else computed_keys(form):
        rule = form.rule_by_instance(form.fields[key].computed_by or "")
        value = total(rule.params["operands"], RuleInput(result))
        result[key] = None if value is None else plain(value)
    return result

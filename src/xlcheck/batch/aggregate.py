"""County totals: the cell-by-cell sum of the current valid reports, and the rules re-run on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xlcheck.checks.culprit import LINEAR_KINDS
from xlcheck.checks.rules import check_rules
from xlcheck.findings import Finding
from xlcheck.form.model import Form

AMOUNT_PLACES = 6  # 万元 to the 分


@dataclass
class Aggregate:
    """A running sum over the numeric fields of the reports added so far."""

    form: Form
    totals: dict[str, int | float] = field(default_factory=dict)
    count: int = 0

    def add(self, values: Mapping[str, Any]) -> None:
        totals = self.totals
        for key in self._numeric_keys:
            value = values.get(key)
            if type(value) is int or type(value) is float:  # not bool, not text
                totals[key] = totals.get(key, 0) + value
        self.count += 1

    @property
    def _numeric_keys(self) -> list[str]:
        memo = self.form.memo
        if "numeric_field_keys" not in memo:
            memo["numeric_field_keys"] = [f.key for f in self.form.fields.values() if f.is_numeric]
        keys: list[str] = memo["numeric_field_keys"]
        return keys

    def values(self) -> dict[str, int | float]:
        """Totals of every numeric field (0 when nothing was added), amounts rounded to the 分."""
        out: dict[str, int | float] = {}
        for f in self.form.fields.values():
            if f.is_numeric:
                value = self.totals.get(f.key, 0)
                out[f.key] = round(value, AMOUNT_PLACES) if isinstance(value, float) else value
        return out


def check_aggregate(form: Form, totals: Mapping[str, Any]) -> list[Finding]:
    """The cross-total rules (linear, so they hold on any sum of valid reports) on the totals."""
    linear = {r.id for r in form.rules if r.kind in LINEAR_KINDS}
    return [f for f in check_rules(form, totals) if f.rule in linear and f.is_error]

"""County totals: the cell-by-cell sum of the current valid reports, and the rules re-run on it."""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from xlcheck.checks.rules import check_rules
from xlcheck.findings import Finding
from xlcheck.form.model import Form
from xlcheck.rulekinds import BALANCED_KINDS

AMOUNT_PLACES = 6  # 万元 to the 分


class Aggregate:
    """A running sum over the numeric fields of the reports added (less those taken back).

    Reports are added as they arrive from the workers, in no set order, and a report found to be
    superseded is taken back later. So the sums must not depend on order: integers are exact, and
    floats are summed exactly too, as fractions (every finite float is one), and rounded once in
    `values`. A sum is a float when it holds a float, as plain addition would make it.

    Added reports are summed a batch at a time, column by column: sum() over a column of whole
    numbers runs in C, and adding a report costs 60% of a cell-by-cell loop in Python.
    """

    BATCH = 256

    def __init__(self, form: Form) -> None:
        self.form = form
        self.count = 0  # reports added less reports taken back
        self._keys = [f.key for f in form.fields.values() if f.is_numeric]
        self._pick = _picker(self._keys)
        self._batch: list[tuple[Any, ...]] = []  # the numbers of reports added, not yet summed
        self._ints = [0] * len(self._keys)
        self._fractions: dict[int, Fraction | float] = {}  # index -> exact sum of its floats
        self._floats: Counter[int] = Counter()  # index -> how many floats that sum holds

    def add(self, values: Mapping[str, Any]) -> None:
        self._batch.append(self._numbers(values))
        self.count += 1
        if len(self._batch) >= self.BATCH:
            self._flush()

    def remove(self, values: Mapping[str, Any]) -> None:
        """Take back a report added before (exact sums: the batch need not be summed first)."""
        self._sum([self._numbers(values)], -1)
        self.count -= 1

    def _numbers(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The report's numbers in field order (None where one is missing)."""
        try:
            return self._pick(values)  # in C; a valid report has every numeric field
        except KeyError:
            return tuple(map(values.get, self._keys))

    def _flush(self) -> None:
        self._sum(self._batch, 1)
        self._batch = []

    def _sum(self, rows: list[tuple[Any, ...]], sign: int) -> None:
        for index, column in enumerate(zip(*rows, strict=True)):
            if set(map(type, column)) == {int}:  # the usual column: whole numbers only
                self._ints[index] += sign * sum(column)
                continue
            for value in column:
                if type(value) is int:  # not bool, not text
                    self._ints[index] += sign * value
                elif type(value) is float:
                    self._fractions[index] = _add(self._fractions.get(index, 0), sign * value)
                    self._floats[index] += sign

    def values(self) -> dict[str, int | float]:
        """Totals of every numeric field (0 when nothing was added), amounts rounded to the 分."""
        self._flush()
        totals: dict[str, int | float] = {}
        for index, key in enumerate(self._keys):
            if self._floats[index]:
                exact = self._ints[index] + self._fractions[index]
                totals[key] = round(_to_float(exact), AMOUNT_PLACES)
            else:
                totals[key] = self._ints[index]
        return totals


def _add(total: Fraction | float | int, value: float) -> Fraction | float:
    """Exact while both are finite; inf and nan (never in a valid report, R5) make it a float."""
    if math.isfinite(value) and not isinstance(total, float):
        return total + Fraction(value)
    return _to_float(total) + value


def _to_float(exact: Fraction | float) -> float:
    """The nearest float; a sum beyond the float range (two fees of 1e308) is ±inf, not a crash."""
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _picker(keys: list[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(keys) > 1:
        return operator.itemgetter(*keys)
    return lambda values: tuple(values[k] for k in keys)  # itemgetter(k) gives a bare item


def check_aggregate(form: Form, totals: Mapping[str, Any]) -> list[Finding]:
    """The cross-total rules (linear, so they hold on any sum of valid reports) on the totals."""
    linear = {r.id for r in form.rules if r.kind in BALANCED_KINDS}
    return [f for f in check_rules(form, totals) if f.rule in linear and f.is_error]

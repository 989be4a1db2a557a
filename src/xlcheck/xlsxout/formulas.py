"""Compile rule terms into spreadsheet expressions and compute the values they cache.

Only the rule objects of the form are read; no formula is written by hand for a particular rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xlcheck.cells import column_letters, parse_cell
from xlcheck.form.model import Form, Term


def quote_sheet(name: str) -> str:
    """A sheet name as a formula prefix: '表 1'! (quotes doubled)."""
    return "'" + name.replace("'", "''") + "'!"


def absolute(cell: str) -> str:
    row, col = parse_cell(cell)
    return f"${column_letters(col)}${row}"


def cell_ref(form: Form, key: str, from_sheet: str, fixed: bool = False) -> str:
    """The reference to a field's cell as written on the sheet `from_sheet` (a sheet id)."""
    field = form.fields[key]
    ref = absolute(field.cell) if fixed else field.cell
    if field.sheet == from_sheet:
        return ref
    return quote_sheet(form.sheet(field.sheet).name) + ref


def number_text(value: float) -> str:
    """A number as a spreadsheet shows it in text: 1 not 1.0, up to 15 significant digits."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.15g}"


def _contiguous(form: Form, terms: Sequence[Term], from_sheet: str) -> str | None:
    """'D4:I4' when the terms are plain, same-sheet cells in one unbroken row or column run."""
    if len(terms) < 2 or any(t.key is None or t.sign != 1 for t in terms):
        return None
    fields = [form.fields[t.key] for t in terms if t.key]
    if any(f.sheet != from_sheet for f in fields):
        return None
    places = [parse_cell(f.cell) for f in fields]
    rows = {r for r, _ in places}
    cols = {c for _, c in places}
    along = sorted(c for _, c in places) if len(rows) == 1 else sorted(r for r, _ in places)
    if (len(rows) == 1 or len(cols) == 1) and along == list(range(along[0], along[0] + len(along))):
        return f"{fields[0].cell}:{fields[-1].cell}" if places == sorted(places) else None
    return None


def sum_expression(form: Form, terms: Sequence[Term], from_sheet: str) -> str:
    """`SUM(D4:I4)` for a contiguous run, otherwise `D6+D7-D8+5`; `0` for no terms."""
    run = _contiguous(form, terms, from_sheet)
    if run:
        return f"SUM({run})"
    parts: list[str] = []
    for term in terms:
        text = cell_ref(form, term.key, from_sheet) if term.key else number_text(term.constant or 0)
        parts.append(("-" if term.sign < 0 else "+") + text)
    joined = "".join(parts).lstrip("+")
    return joined or "0"


class Evaluator:
    """Values of fields as a spreadsheet would compute them from the given input cells."""

    def __init__(self, form: Form, cells: Mapping[str, Any]) -> None:
        self._form = form
        self._cells = cells
        self._memo: dict[str, float] = {}

    def value(self, key: str) -> float:
        if key not in self._memo:
            field = self._form.fields[key]
            if field.computed_by:
                rule = self._form.rule_by_instance(field.computed_by)
                self._memo[key] = self.total(rule.params["operands"])
            else:
                raw = self._cells.get(key)
                number = isinstance(raw, int | float) and not isinstance(raw, bool)
                self._memo[key] = float(raw) if number and raw is not None else 0.0
        return self._memo[key]

    def total(self, terms: Sequence[Term]) -> float:
        found = 0.0
        for term in terms:
            found += term.sign * (self.value(term.key) if term.key else (term.constant or 0.0))
        return found


def cached(value: float) -> int | float:
    """An integral total as int so the file shows 3, not 3.0."""
    return int(value) if float(value).is_integer() else value

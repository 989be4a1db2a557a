"""Live checks: each rule instance with `live` becomes a check cell or a conditional format.

Which formula a kind gets is in its spec (`xlcheck.rulekinds`); this module places them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xlcheck.cells import column_index, format_cell, parse_cell
from xlcheck.form.model import Form, Rule
from xlcheck.form.rules import Sides
from xlcheck.rulekinds import RULE_KINDS
from xlcheck.xlsxout.formulas import Evaluator


class LiveCheckError(ValueError):
    """A rule asks for a live check that its kind or placement cannot have."""


@dataclass(frozen=True)
class CheckCell:
    sheet: str  # sheet id
    cell: str
    formula: str
    value: str  # the cached result for the given values
    rule: str  # rule instance
    longest: str  # the longest text it can show, for the row height


@dataclass(frozen=True)
class CellRule:
    """A conditional format that paints the cells of a rule red when it fails."""

    sheet: str
    cell: str
    formula: str
    rule: str


def _place(form: Form, rule: Rule, sides: Sides) -> tuple[str, str]:
    """(sheet id, cell) of the check: under or beside the first left/target term's cell."""
    anchor = form.fields[str(sides[0][0].key)]
    row, col = parse_cell(anchor.cell)
    assert rule.live is not None
    if "row" in rule.live:
        return anchor.sheet, format_cell(int(rule.live["row"]), col)
    if "column" in rule.live:
        return anchor.sheet, format_cell(row, column_index(str(rule.live["column"])))
    raise LiveCheckError(f"rule {rule.instance}: live needs row, column or cells")


def compile_checks(form: Form, cells: Mapping[str, Any]) -> list[CheckCell]:
    """Check cells of every rule with a row/column `live` placement, with cached results."""
    ev = Evaluator(form, cells)
    found = []
    for rule in form.rules:
        if not rule.live or rule.live.get("cells") or rule.needs_previous:
            continue
        spec = RULE_KINDS[rule.kind]
        if spec.live_cell is None or spec.sides is None:
            raise LiveCheckError(f"rule {rule.instance}: no live check for kind {rule.kind}")
        sides = spec.sides(rule)
        sheet, cell = _place(form, rule, sides)
        live = spec.live_cell(form, rule, sides, sheet, ev)
        found.append(CheckCell(sheet, cell, live.formula, live.value, rule.instance, live.longest))
    return found


def compile_cell_rules(form: Form) -> list[CellRule]:
    """Conditional formats for rules with `live: {cells: true}` (zero_when so far)."""
    found = []
    for rule in form.rules:
        if not rule.live or not rule.live.get("cells") or rule.needs_previous:
            continue
        spec = RULE_KINDS[rule.kind]
        if spec.live_formats is None:
            raise LiveCheckError(f"rule {rule.instance}: no cell check for kind {rule.kind}")
        for live in spec.live_formats(form, rule):
            found.append(CellRule(live.sheet, live.cell, live.formula, rule.instance))
    return found

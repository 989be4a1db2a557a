"""Live checks: each rule instance with `live` becomes a check cell or a conditional format.

A check cell shows "✓ 平衡", "不平：差 N" or "请核实：…" while the office types; rule kinds are
compiled by small functions named in a dict, from the Rule objects only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xlcheck.cells import column_index, format_cell, parse_cell
from xlcheck.form.model import Form, Rule, Term
from xlcheck.xlsxout.formulas import Evaluator, absolute, cell_ref, number_text, sum_expression

BALANCED = "✓ 平衡"
UNBALANCED = "不平：差 "
VERIFY = "请核实："
OK = "✓"
_OPS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "<": ("<", operator.lt),
    "<=": ("<=", operator.le),
    ">": (">", operator.gt),
    ">=": (">=", operator.ge),
    "==": ("=", operator.eq),
    "!=": ("<>", operator.ne),
}


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


def _sides(rule: Rule) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    if rule.kind == "sum":
        return (rule.params["target"],), tuple(rule.params["operands"])
    return tuple(rule.params["left"]), tuple(rule.params["right"])


def _place(form: Form, rule: Rule) -> tuple[str, str]:
    """(sheet id, cell) of the check: under or beside the first left/target term's cell."""
    anchor = form.fields[str(_sides(rule)[0][0].key)]
    row, col = parse_cell(anchor.cell)
    assert rule.live is not None
    if "row" in rule.live:
        return anchor.sheet, format_cell(int(rule.live["row"]), col)
    if "column" in rule.live:
        return anchor.sheet, format_cell(row, column_index(str(rule.live["column"])))
    raise LiveCheckError(f"rule {rule.instance}: live needs row, column or cells")


def _difference(form: Form, rule: Rule, sheet: str, ev: Evaluator) -> tuple[str, float]:
    left, right = _sides(rule)
    text = f"ROUND({sum_expression(form, left, sheet)}-({sum_expression(form, right, sheet)}),6)"
    return text, round(ev.total(left) - ev.total(right), 6)


def _balance(form: Form, rule: Rule, sheet: str, ev: Evaluator) -> tuple[str, str]:
    diff, value = _difference(form, rule, sheet, ev)
    formula = f'=IF({diff}=0,"{BALANCED}","{UNBALANCED}"&ABS({diff}))'
    return formula, BALANCED if value == 0 else UNBALANCED + number_text(abs(value))


def _compare(form: Form, rule: Rule, sheet: str, ev: Evaluator) -> tuple[str, str]:
    diff, value = _difference(form, rule, sheet, ev)
    symbol, test = _OPS[rule.params["op"]]
    warning = VERIFY + rule.title.zh.replace('"', '""')
    formula = f'=IF({diff}{symbol}0,"{OK}","{warning}")'
    return formula, OK if test(value, 0.0) else VERIFY + rule.title.zh


CELL_CHECKS: dict[str, Callable[[Form, Rule, str, Evaluator], tuple[str, str]]] = {
    "equal_sums": _balance,
    "sum": _balance,
    "compare": _compare,
}


def compile_checks(form: Form, cells: Mapping[str, Any]) -> list[CheckCell]:
    """Check cells of every rule with a row/column `live` placement, with cached results."""
    ev = Evaluator(form, cells)
    found = []
    for rule in form.rules:
        if not rule.live or rule.live.get("cells") or rule.needs_previous:
            continue
        if rule.kind not in CELL_CHECKS:
            raise LiveCheckError(f"rule {rule.instance}: no live check for kind {rule.kind}")
        sheet, cell = _place(form, rule)
        formula, value = CELL_CHECKS[rule.kind](form, rule, sheet, ev)
        longest = VERIFY + rule.title.zh if rule.kind == "compare" else UNBALANCED + "000000"
        found.append(CheckCell(sheet, cell, formula, value, rule.instance, longest))
    return found


def _condition(form: Form, rule: Rule, sheet: str) -> str:
    when = rule.params["when"]
    if "field" in when:
        field = form.fields[when["field"]]
        labels = [c.label.zh for c in field.choices if c.value in when["in"]] or list(when["in"])
        ref = cell_ref(form, field.key, sheet, fixed=True)
        tests = ",".join(f'{ref}="{label.replace(chr(34), chr(34) * 2)}"' for label in labels)
        return f"OR({tests})"
    # Each format covers one cell, so relative references behave as written.
    return f"({sum_expression(form, when['sum'], sheet)})>{number_text(float(when['gt']))}"


def compile_cell_rules(form: Form) -> list[CellRule]:
    """Conditional formats for rules with `live: {cells: true}` (zero_when so far)."""
    found = []
    for rule in form.rules:
        if not rule.live or not rule.live.get("cells") or rule.needs_previous:
            continue
        if rule.kind != "zero_when":
            raise LiveCheckError(f"rule {rule.instance}: no cell check for kind {rule.kind}")
        for key in rule.params["fields"]:
            field = form.fields[key]
            test = _condition(form, rule, field.sheet)
            formula = f"=AND({test},{absolute(field.cell)}<>0)"
            found.append(CellRule(field.sheet, field.cell, formula, rule.instance))
    return found

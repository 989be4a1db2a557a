"""The formula text of each rule kind's live check, named in the kind's spec (`xlcheck.rulekinds`).

A check cell shows "✓ 平衡", "不平：差 N" or "请核实：…" while the office types; a cell format
paints a cell red. Only the rule objects are read; no formula is written by hand for one rule.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import NamedTuple

from xlcheck.form.model import Form, Rule
from xlcheck.form.rules import Sides
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


class LiveCell(NamedTuple):
    formula: str
    value: str  # the cached result for the given values
    longest: str  # the longest text it can show, for the row height


class LiveFormat(NamedTuple):
    """A conditional format on one cell: red when the formula is true."""

    sheet: str  # sheet id
    cell: str
    formula: str


def _difference(form: Form, sides: Sides, sheet: str, ev: Evaluator) -> tuple[str, float]:
    left, right = sides
    text = f"ROUND({sum_expression(form, left, sheet)}-({sum_expression(form, right, sheet)}),6)"
    return text, round(ev.total(left) - ev.total(right), 6)


def balance_cell(form: Form, rule: Rule, sides: Sides, sheet: str, ev: Evaluator) -> LiveCell:
    """An equation: balanced, or the difference."""
    diff, value = _difference(form, sides, sheet, ev)
    formula = f'=IF({diff}=0,"{BALANCED}","{UNBALANCED}"&ABS({diff}))'
    shown = BALANCED if value == 0 else UNBALANCED + number_text(abs(value))
    return LiveCell(formula, shown, UNBALANCED + "000000")


def compare_cell(form: Form, rule: Rule, sides: Sides, sheet: str, ev: Evaluator) -> LiveCell:
    """A comparison: ✓, or the rule's title to verify."""
    diff, value = _difference(form, sides, sheet, ev)
    symbol, test = _OPS[rule.params["op"]]
    warning = VERIFY + rule.title.zh.replace('"', '""')
    formula = f'=IF({diff}{symbol}0,"{OK}","{warning}")'
    shown = OK if test(value, 0.0) else VERIFY + rule.title.zh
    return LiveCell(formula, shown, VERIFY + rule.title.zh)


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


def nonzero_formats(form: Form, rule: Rule) -> Iterator[LiveFormat]:
    """zero_when: each listed cell red when the condition holds and the cell is not 0."""
    for key in rule.params["fields"]:
        field = form.fields[key]
        test = _condition(form, rule, field.sheet)
        yield LiveFormat(field.sheet, field.cell, f"=AND({test},{absolute(field.cell)}<>0)")

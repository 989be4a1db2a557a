"""Compile rules that declare `live` into check cells and conditional formats of the template.

The formulas come from the same Rule objects the validator runs, so the sheet and the checker can
never disagree: a rule is written once, in the form definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xlcheck.cells import column_letters, parse_cell
from xlcheck.checks.kinds import RuleInput, plain, total
from xlcheck.form.model import Form, Rule, Sheet, Term

EXCEL_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}
OK_TEXT = "✓ 平衡"
BAD_PREFIX = "不平：差 "
VERIFY_TEXT = "请核实"


@dataclass(frozen=True)
class LiveCheck:
    rule: Rule
    cell: str | None  # the check cell, or None for a conditional format on the fields themselves
    formula: str
    target_range: str
    rule_kind: str
    terms: tuple[Term, ...] = field(default=())

    def cached(self, numbers: Mapping[str, Any]) -> str:
        """The text the formula shows for these values (xlsxwriter stores it as the cached result)."""
        data = RuleInput(numbers)
        if self.rule_kind in ("sum", "equal_sums"):
            left, right = _sides(self.rule)
            a, b = total(left, data), total(right, data)
            if a is None or b is None or a == b:
                return OK_TEXT
            return f"{BAD_PREFIX}{plain(abs(a - b))}"
        return "✓"

    def conditional_formats(self, workbook: Any) -> list[dict[str, Any]]:
        red = workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        amber = workbook.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        green = workbook.add_format({"font_color": "#006100"})
        if self.cell is None:
            return [{"type": "formula", "criteria": self.formula, "format": red}]
        return [
            {"type": "text", "criteria": "begins with", "value": "不平", "format": red},
            {"type": "text", "criteria": "begins with", "value": VERIFY_TEXT, "format": amber},
            {"type": "text", "criteria": "begins with", "value": "✓", "format": green},
        ]


def _sides(rule: Rule) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    if rule.kind == "sum":
        return (rule.params["target"],), rule.params["operands"]
    return rule.params["left"], rule.params["right"]


def compile_live_checks(form: Form, sheet: Sheet) -> list[LiveCheck]:
    checks = []
    for rule in form.rules:
        if not rule.live or rule.needs_previous:
            continue
        if rule.live.get("cells"):
            checks.extend(_cell_formats(form, sheet, rule))
        else:
            check = _check_cell(form, sheet, rule)
            if check:
                checks.append(check)
    return checks


def _check_cell(form: Form, sheet: Sheet, rule: Rule) -> LiveCheck | None:
    left, right = _sides(rule)
    anchor = left[0].key or ""
    if form.fields[anchor].sheet != sheet.id:
        return None
    row, col = parse_cell(form.fields[anchor].cell)
    if "row" in rule.live:  # type: ignore[operator]
        cell = f"{column_letters(col)}{rule.live['row']}"  # type: ignore[index]
    else:
        cell = f"{rule.live['column']}{row}"  # type: ignore[index]
    a, b = expression(form, left, sheet.id), expression(form, right, sheet.id)
    if rule.kind in ("sum", "equal_sums"):
        diff = f"({a})-({b})"
        formula = f'=IF(ROUND({diff},6)=0,"{OK_TEXT}","{BAD_PREFIX}"&ABS({diff}))'
    else:
        formula = f'=IF(({a}){EXCEL_OPS[rule.params["op"]]}({b}),"✓","{VERIFY_TEXT}")'
    return LiveCheck(rule, cell, formula, cell, rule.kind, (*left, *right))


def _cell_formats(form: Form, sheet: Sheet, rule: Rule) -> list[LiveCheck]:
    """zero_when: paint a field red when it is non-zero while the condition cell says so."""
    when = rule.params["when"]
    condition_field = form.fields[when["field"]]
    labels = [c.label.zh for c in condition_field.choices if c.value in when["in"]]
    condition_ref = _absolute(form, condition_field.key, sheet.id)
    condition = ",".join(f'{condition_ref}="{label}"' for label in labels)
    checks = []
    for key in rule.params["fields"]:
        f = form.fields[key]
        if f.sheet != sheet.id:
            continue
        formula = f"=AND({f.cell}<>0,OR({condition}))"
        checks.append(LiveCheck(rule, None, formula, f.cell, rule.kind))
    return checks


def _absolute(form: Form, key: str, here: str) -> str:
    f = form.fields[key]
    row, col = parse_cell(f.cell)
    ref = f"${column_letters(col)}${row}"
    return ref if f.sheet == here else f"'{form.sheet(f.sheet).name}'!{ref}"


def expression(form: Form, terms: tuple[Term, ...], here: str) -> str:
    """An Excel expression for a signed sum of terms: SUM(D6:D26) for a contiguous run."""
    from xlcheck.template import sum_expression

    if all(t.key for t in terms):
        return sum_expression(form, terms, here)
    parts = []
    for t in terms:
        text = (
            str(plain_constant(t.constant)) if t.key is None else sum_expression(form, (t,), here)
        )
        parts.append(("-" if t.sign < 0 else "+") + text.lstrip("-"))
    return "".join(parts).lstrip("+")


def plain_constant(value: float | None) -> int | float:
    value = value or 0.0
    return int(value) if float(value).is_integer() else value

"""Name the single cell whose change would satisfy every failed cross-total (a typo, swapped digits).

Every linear rule is a linear form over the input cells (a formula total stands for its parts
when the source is a workbook), so one cell x moved by d changes each rule's residual by c·d,
where c is x's coefficient in that rule. A candidate must appear in every failed rule; the d that
fixes the first one must fix all of them and break none. One survivor, or one survivor that
looks like a typo of what was typed, is named; otherwise nothing is claimed.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from xlcheck.checks.kinds import Number, RuleInput, plain
from xlcheck.codes import format_value, where
from xlcheck.findings import Culprit, Finding
from xlcheck.form.compiled import plausible_range
from xlcheck.form.model import WHOLE_TYPES, Form, Rule, Term, Text
from xlcheck.rulekinds import BALANCED_KINDS, RULE_KINDS

# The kinds whose rules are equations (left = right): their sides are solved for one cell.
LinearForm = dict[str, int]  # input key -> coefficient in left - right


def linear_rules(form: Form) -> list[Rule]:
    return [
        r
        for r in form.rules
        if r.kind in BALANCED_KINDS and r.severity == "error" and not r.needs_previous
    ]


def residual(rule: Rule, values: Mapping[str, Any]) -> Number | None:
    """left - right of a linear rule (0 when it holds), None when an operand is unusable."""
    violations = list(RULE_KINDS[rule.kind].check(rule, RuleInput(values)))
    if violations:
        return violations[0].residual
    return 0 if _all_numeric(rule, values) else None


def _all_numeric(rule: Rule, values: Mapping[str, Any]) -> bool:
    return all(isinstance(values.get(t.key), int | float) for t in rule.terms() if t.key)


def find_culprit(
    form: Form, values: Mapping[str, Any], *, totals_are_formulas: bool
) -> Culprit | None:
    rules = linear_rules(form)
    base = {r.instance: residual(r, values) for r in rules}
    failed = [r for r in rules if base[r.instance]]
    if not failed or any(v is None for v in base.values()):
        return None  # an unusable operand: R5 says so, and no equation can be trusted
    forms = linear_forms(form, totals_are_formulas)
    survivors = []
    for key, coefficient in forms[failed[0].instance].items():
        suggested = _solve(form, values, key, coefficient, base, forms, failed[0].instance)
        if suggested is not None:
            survivors.append((key, suggested))
    if len(survivors) > 1:
        survivors = [s for s in survivors if looks_like_typo(values.get(s[0]), s[1])]
    if len(survivors) != 1:
        return None
    key, suggested = survivors[0]
    f = form.fields[key]
    return Culprit(
        pointer=f.pointer,
        current=values.get(key),
        suggested=suggested,
        sheet=form.sheet(f.sheet).name,
        cell=f.cell,
    )


def _solve(
    form: Form,
    values: Mapping[str, Any],
    key: str,
    coefficient: int,
    base: Mapping[str, Number | None],
    forms: Mapping[str, LinearForm],
    first: str,
) -> int | float | None:
    """The value of `key` that zeroes every residual at once, or None."""
    current = values.get(key)
    if coefficient == 0 or isinstance(current, bool) or not isinstance(current, int | float):
        return None
    move = -Decimal(base[first] or 0) / coefficient
    for instance, linear in forms.items():
        if Decimal(base[instance] or 0) + move * linear.get(key, 0) != 0:
            return None
    suggested = Decimal(repr(current)) + move
    field = form.fields[key]
    low = plausible_range(field)[0]  # a change may go below 0
    if suggested < low or (field.type in WHOLE_TYPES and suggested != int(suggested)):
        return None
    return plain(suggested)


@functools.lru_cache(maxsize=16)
def linear_forms(form: Form, totals_are_formulas: bool) -> dict[str, LinearForm]:
    """Every linear rule instance -> its linear form; worked out once per form and mode."""
    return {r.instance: linear_form(form, r, totals_are_formulas) for r in linear_rules(form)}


def linear_form(form: Form, rule: Rule, totals_are_formulas: bool) -> LinearForm:
    """The rule's left - right as {input key: coefficient}, from its kind's sides."""
    sides = RULE_KINDS[rule.kind].sides
    assert sides is not None, f"{rule.kind} is not linear"
    left, right = sides(rule)
    coefficients: dict[str, int] = {}
    for terms, side in ((left, 1), (right, -1)):
        for term in terms:
            _expand(form, term, side * term.sign, coefficients, totals_are_formulas)
    return {k: c for k, c in coefficients.items() if c}


def _expand(form: Form, term: Term, sign: int, into: dict[str, int], formulas: bool) -> None:
    if term.key is None:
        return
    f = form.fields[term.key]
    if formulas and f.computed_by:
        for operand in form.rule_by_instance(f.computed_by).params["operands"]:
            _expand(form, operand, sign * operand.sign, into, formulas)
    else:
        into[term.key] = into.get(term.key, 0) + sign


def looks_like_typo(current: Any, suggested: Any) -> bool:
    """Two adjacent digits swapped, one digit changed, added or dropped (a blank 0 is no typo)."""
    a, b = format_value(current), format_value(suggested)
    if a == "0":
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
        return len(diffs) == 1 or swapped
    shorter, longer = sorted((a, b), key=len)
    return len(longer) - len(shorter) == 1 and any(
        longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer))
    )


def annotate(
    form: Form, findings: list[Finding], culprit: Culprit | None, *, located: bool = True
) -> list[Finding]:
    """Attach the culprit to every failed linear-rule finding, with a sentence saying what to type."""
    if culprit is None:
        return findings
    f = form.fields[culprit.pointer.strip("/").replace("/", ".")]
    cur, sug = format_value(culprit.current), format_value(culprit.suggested)
    zh_cell, en_cell = (f"（{culprit.cell}）", f" ({culprit.cell})") if located else ("", "")
    hint = Text(
        f"最可能是{where(form, f, 'zh')}{zh_cell}填错了：现为 {cur}，改为 {sug} 后各项勾稽关系都成立。",
        f"Most likely {where(form, f, 'en')}{en_cell} is wrong: it is {cur}; "
        f"with {sug} every cross-total holds.",
    )
    linear_ids = {r.id for r in linear_rules(form)}
    out = []
    for finding in findings:
        if finding.rule in linear_ids and finding.code in ("C01", "C02"):
            message = Text(f"{finding.message.zh}{hint.zh}", f"{finding.message.en} {hint.en}")
            finding = dataclasses.replace(finding, culprit=culprit, message=message)
        out.append(finding)
    return out

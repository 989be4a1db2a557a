"""Name the single cell whose change would satisfy every failed cross-total (a typo, swapped digits).

Each candidate input is moved by the amount that fixes the first failed equation (slope found by
recomputing, so formula totals follow), then every linear error rule is re-run. One survivor, or one
survivor that looks like a typo of what was typed, is named; otherwise nothing is claimed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from xlcheck.checks.derive import computed_keys, recompute
from xlcheck.checks.kinds import KINDS, Number, RuleInput, plain
from xlcheck.codes import format_value, where
from xlcheck.findings import Culprit, Finding
from xlcheck.form.model import Form, Rule, Text

LINEAR_KINDS = frozenset({"sum", "equal_sums"})


def linear_rules(form: Form) -> list[Rule]:
    return [
        r
        for r in form.rules
        if r.kind in LINEAR_KINDS and r.severity == "error" and not r.needs_previous
    ]


def residual(rule: Rule, values: Mapping[str, Any]) -> Number | None:
    """left - right of a linear rule (0 when it holds), None when an operand is unusable."""
    violations = list(KINDS[rule.kind](rule, RuleInput(values)))
    if violations:
        return violations[0].residual
    return 0 if _all_numeric(rule, values) else None


def _all_numeric(rule: Rule, values: Mapping[str, Any]) -> bool:
    return all(isinstance(values.get(t.key), int | float) for t in rule.terms() if t.key)


def find_culprit(
    form: Form, values: Mapping[str, Any], *, totals_are_formulas: bool
) -> Culprit | None:
    rules = linear_rules(form)
    failed = [r for r in rules if (residual(r, values) or 0) != 0]
    if not failed:
        return None
    order = computed_keys(form) if totals_are_formulas else []
    survivors = []
    for key in _candidates(form, failed[0], totals_are_formulas):
        suggested = _solve(form, failed[0], values, key, order)
        if suggested is not None and _fixes_all(rules, _with(form, values, key, suggested, order)):
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


def _candidates(form: Form, rule: Rule, totals_are_formulas: bool) -> list[str]:
    keys: list[str] = []
    pending = [t.key for t in rule.terms() if t.key]
    while pending:
        key = pending.pop(0)
        f = form.fields[key]
        if totals_are_formulas and f.computed_by:
            pending.extend(
                t.key
                for t in form.rule_by_instance(f.computed_by).terms()
                if t.key and t.key != key
            )
        elif key not in keys:
            keys.append(key)
    return keys


def _with(
    form: Form, values: Mapping[str, Any], key: str, value: Any, order: list[str]
) -> dict[str, Any]:
    changed = {**values, key: value}
    return recompute(form, changed, order) if order else changed


def _solve(form: Form, rule: Rule, values: Mapping[str, Any], key: str, order: list[str]) -> Any:
    current = values.get(key)
    if not isinstance(current, int | float) or isinstance(current, bool):
        return None
    r0 = residual(rule, values)
    r1 = residual(rule, _with(form, values, key, current + 1, order))
    if r0 is None or r1 is None or r1 == r0:
        return None
    suggested = Decimal(repr(current)) - Decimal(r0) / Decimal(r1 - r0)
    if suggested < 0 or (form.fields[key].type == "count" and suggested != int(suggested)):
        return None
    return plain(suggested)


def _fixes_all(rules: list[Rule], values: Mapping[str, Any]) -> bool:
    return all(residual(r, values) == 0 for r in rules)


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

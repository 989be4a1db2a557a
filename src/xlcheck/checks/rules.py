"""Run every rule instance of a form over a document and turn violations into located findings."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from xlcheck.checks.kinds import RuleInput, Violation
from xlcheck.codes import RULE_KIND_CODES, format_value, make_finding, render, where
from xlcheck.findings import Finding, Operand
from xlcheck.form.compiled import plausible_range
from xlcheck.form.model import Field, Form, Rule, Text
from xlcheck.rulekinds import RULE_KINDS


def rule_input(
    form: Form,
    values: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    labels_seen: tuple[str, ...] = (),
) -> RuleInput:
    plan = form.compiled
    return RuleInput(
        values, previous, labels_seen, plan.numeric_keys, plan.amount_keys, plan.ranges
    )


def check_rules(
    form: Form,
    values: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    labels_seen: tuple[str, ...] = (),
) -> list[Finding]:
    """All findings of all rule instances; rules about last year run only when it is given."""
    data = rule_input(form, values, previous, labels_seen)
    domain = {r.instance: list(_check(r, data)) for r in form.rules if r.kind == "domain"}
    others = _without_implausible(data, domain.values())
    findings: list[Finding] = []
    for rule in form.rules:
        if rule.needs_previous and previous is None:
            continue
        found = domain[rule.instance] if rule.kind == "domain" else _check(rule, others)
        for violation in found:
            findings.append(to_finding(form, rule, violation, data))
    return findings


def _check(rule: Rule, data: RuleInput) -> Iterator[Violation]:
    return RULE_KINDS[rule.kind].check(rule, data)


def _without_implausible(data: RuleInput, domain: Iterable[list[Violation]]) -> RuleInput:
    """Out-of-range values left out of the other rules, as text is: one typo, one finding (V13)."""
    implausible = [
        v.key for found in domain for v in found if v.key and v.extra.get("code") == "V13"
    ]
    if not implausible:
        return data
    return dataclasses.replace(data, values={**data.values, **dict.fromkeys(implausible)})


def to_finding(form: Form, rule: Rule, violation: Violation, data: RuleInput) -> Finding:
    if rule.kind == "domain":
        return _domain_finding(form, rule, violation)
    params = _message_params(form, rule, violation)
    message = Text(render(rule.message.zh, params["zh"]), render(rule.message.en, params["en"]))
    base = make_finding(
        RULE_KIND_CODES[rule.kind],
        form=form,
        key=violation.key,
        severity=rule.severity,
        rule=rule.id,
    )
    values = dict(violation.params)
    return Finding(
        code=base.code,
        severity=rule.severity,
        message=message,
        rule=rule.id,
        instance=rule.instance,
        pointer=base.pointer,
        sheet=base.sheet,
        cell=base.cell,
        table=base.table,
        row_label=base.row_label,
        col_label=base.col_label,
        values=values,
        operands=tuple(_operands(form, violation, data)),
    )


def _domain_finding(form: Form, rule: Rule, violation: Violation) -> Finding:
    value, code, key = violation.params["value"], violation.extra["code"], violation.key
    if code == "V13" and key in form.fields:
        return range_finding(form, form.fields[key], value, rule=rule.id)
    shown = repr(value) if isinstance(value, float) else value  # V05 must show every decimal
    return make_finding(
        code, form=form, key=key, rule=rule.id, raw=shown, value=shown, values={"value": value}
    )


_UNITS = {"amount": Text(" 万元", " (10,000 yuan)")}


def range_finding(form: Form, f: Field, value: Any, rule: str | None = None) -> Finding:
    """V13: the value, and the plausible range it is outside of (with the unit, for amounts)."""
    low, high = plausible_range(f)
    return make_finding(
        "V13",
        form=form,
        key=f.key,
        rule=rule,
        value=value,
        minimum=low,
        maximum=high,
        unit=_UNITS.get(f.type, Text("", "")),
        values={"value": _json_safe(value)},
    )


def _json_safe(value: Any) -> Any:
    """inf is not JSON (json.dumps would write Infinity): the report then names it as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return format_value(value)
    return value


def _message_params(form: Form, rule: Rule, violation: Violation) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    key = violation.key
    for lang in ("zh", "en"):
        params: dict[str, Any] = dict(violation.params)
        params.update({name: item.label.get(lang) for name, item in rule.bindings})
        if key and key in form.fields:
            params["table"] = form.sheet_of(key).short.get(lang)
            params["field"] = where(form, form.fields[key], lang)
        what = violation.extra.get("what")
        if isinstance(what, Mapping):
            params["what"] = what.get(lang, what.get("zh"))
        out[lang] = params
    return out


def _operands(form: Form, violation: Violation, data: RuleInput) -> list[Operand]:
    operands = []
    for term in violation.terms:
        if term.key is None:
            continue
        source = data.previous if term.previous else data.values
        f = form.fields.get(term.key)
        place = (form.sheet(f.sheet).name, f.cell) if f and not term.previous else (None, None)
        operands.append(
            Operand(
                pointer=f.pointer if f else "/" + term.key.replace(".", "/"),
                value=(source or {}).get(term.key),
                sheet=place[0],
                cell=place[1],
                previous=term.previous,
            )
        )
    return operands

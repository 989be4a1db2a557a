"""Run every rule instance of a form over a document and turn violations into located findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlcheck.checks.kinds import KINDS, RuleInput, Violation
from xlcheck.codes import RULE_KIND_CODES, make_finding, render, where
from xlcheck.findings import Finding, Operand
from xlcheck.form.model import Form, Rule, Text


def rule_input(
    form: Form,
    values: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    labels_seen: tuple[str, ...] = (),
) -> RuleInput:
    numeric, amounts = _numeric_keys(form)
    return RuleInput(values, previous, labels_seen, numeric, amounts)


def _numeric_keys(form: Form) -> tuple[frozenset[str], frozenset[str]]:
    if "numeric_keys" not in form.memo:
        numeric = frozenset(f.key for f in form.fields.values() if f.is_numeric)
        amounts = frozenset(f.key for f in form.fields.values() if f.type == "amount")
        form.memo["numeric_keys"] = (numeric, amounts)
    keys: tuple[frozenset[str], frozenset[str]] = form.memo["numeric_keys"]
    return keys


def check_rules(
    form: Form,
    values: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    labels_seen: tuple[str, ...] = (),
) -> list[Finding]:
    """All findings of all rule instances; rules about last year run only when it is given."""
    data = rule_input(form, values, previous, labels_seen)
    findings: list[Finding] = []
    for rule in form.rules:
        if rule.needs_previous and previous is None:
            continue
        for violation in KINDS[rule.kind](rule, data):
            findings.append(to_finding(form, rule, violation, data))
    return findings


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
    value = violation.params["value"]
    shown = repr(value) if isinstance(value, float) else value  # V05 must show every decimal
    return make_finding(
        violation.extra["code"],
        form=form,
        key=violation.key,
        rule=rule.id,
        raw=shown,
        value=shown,
        values={"value": value},
    )


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

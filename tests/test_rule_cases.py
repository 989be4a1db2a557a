"""Rule cases as data: each file in cases/rules changes a valid document and names the findings.

A case: `add`/`set` change this year's values (on a document valid by construction), `recompute`
recomputes the formula totals as the template would, `previous_*` builds last year's values,
`expect` lists exactly the (rule, pointer) pairs that must be reported.

A case runs for every bundled form that has every field it names and every rule it expects: the
table 三 and 四 cases run for both formats, a case about one format's table 二 only for that one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from documents import BUNDLED_FORMS, valid_values_for
from xlcheck.checks.derive import recompute
from xlcheck.checks.rules import check_rules
from xlcheck.form import Form, load_form

CASES = sorted((Path(__file__).parent / "cases" / "rules").glob("*.json"))
# The 2021 rules no case here covers (as before): the table 二 stock rules W2-W4 and W10.
UNCOVERED = {"W2", "W3", "W4", "W10"}


def named_keys(case: dict[str, Any]) -> set[str]:
    """Every field key a case sets, adds, copies or expects a finding at."""
    keys = {p.strip("/").replace("/", ".") for _, p in case.get("expect", [])}
    for part in ("add", "set", "previous_add", "previous_set"):
        keys |= set(case.get(part, {}))
    for theirs, mine in case.get("previous_from_current", {}).items():
        keys |= {theirs, mine}
    return keys


def applies(form: Form, case: dict[str, Any]) -> bool:
    """A case is about a form that has every field it names and every rule it expects."""
    rules = {e[0] for e in case.get("expect", [])} | set(case.get("expect_rules_only", []))
    declared = {d.id for d in form.declarations}
    return named_keys(case) <= set(form.fields) and rules <= declared


def cases_for_every_form() -> list[Any]:
    params = []
    for version, name in sorted(BUNDLED_FORMS.items(), reverse=True):
        for path in CASES:
            if applies(load_form(name), json.loads(path.read_text("utf-8"))):
                params.append(pytest.param(name, path, id=f"{version}-{path.stem}"))
    return params


def build(form: Form, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    values = valid_values_for(form, 3, tier=case.get("tier", "county"))
    if "zero_column" in case:
        values = {
            k: (0 if k.endswith("." + case["zero_column"]) and k.startswith("applications.") else v)
            for k, v in values.items()
        }
    for key, delta in case.get("add", {}).items():
        values[key] += delta
    values.update(case.get("set", {}))
    if case.get("recompute"):
        values = recompute(form, values)
    previous = None
    if any(k.startswith("previous") for k in case):
        previous = {}
        for theirs, mine in case.get("previous_from_current", {}).items():
            previous[theirs] = values[mine]
        for key, delta in case.get("previous_add", {}).items():
            previous[key] += delta
        previous.update(case.get("previous_set", {}))
    return values, previous


@pytest.mark.parametrize(("name", "path"), cases_for_every_form())
def test_rule_case(name: str, path: Path) -> None:
    form = load_form(name)
    case = json.loads(path.read_text("utf-8"))
    values, previous = build(form, case)
    findings = check_rules(form, values, previous)
    if "expect_rules_only" in case:
        assert {f.rule for f in findings} == set(case["expect_rules_only"]), [
            f.message.zh for f in findings
        ]
        return
    got = sorted((f.rule, f.pointer) for f in findings)
    assert got == sorted(tuple(e) for e in case["expect"]), [f.message.zh for f in findings]


def test_cases_exist_for_every_declared_rule(form: Form) -> None:
    covered = set()
    for path in CASES:
        case = json.loads(path.read_text("utf-8"))
        if applies(form, case):
            covered |= {e[0] for e in case.get("expect", [])}
            covered |= set(case.get("expect_rules_only", []))
    missing = {d.id for d in form.declarations} - covered - UNCOVERED
    assert not missing

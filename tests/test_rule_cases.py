"""Rule cases as data: each file in cases/rules changes a valid document and names the findings.

A case: `add`/`set` change this year's values (on a document valid by construction), `recompute`
recomputes the formula totals as the template would, `previous_*` builds last year's values,
`expect` lists exactly the (rule, pointer) pairs that must be reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from documents import valid_values
from xlcheck.checks.derive import recompute
from xlcheck.checks.rules import check_rules
from xlcheck.form import Form

CASES = sorted((Path(__file__).parent / "cases" / "rules").glob("*.json"))


def build(form: Form, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    values = valid_values(form, 3, tier=case.get("tier", "county"))
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


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rule_case(form: Form, path: Path) -> None:
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
        covered |= {e[0] for e in case.get("expect", [])} | set(case.get("expect_rules_only", []))
    missing = {d.id for d in form.declarations} - covered - {"W2", "W3", "W4", "W10"}
    assert not missing

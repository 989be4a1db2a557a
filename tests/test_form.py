"""The form definition against the official format (spec §5, §6), and the loader's own checks."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from xlcheck.form import Form, FormError
from xlcheck.form.load import build_form

LEAVES = {
    "granted": None,
    "partially_granted": None,
    "withheld": [
        "state_secret",
        "prohibited_by_law",
        "security_stability",
        "third_party_rights",
        "internal_affairs",
        "process_information",
        "enforcement_records",
        "inquiry_matters",
    ],
    "unavailable": ["not_held", "needs_creation", "unclear_after_correction"],
    "not_processed": ["complaints", "repeated", "publications", "excessive", "confirmation"],
    "other": ["no_correction", "fee_unpaid", "other"],
    "total": None,
}
COLUMNS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_organization",
    "legal_service_agency",
    "other_organization",
    "total",
]


def spec_keys() -> set[str]:
    """Every canonical key of spec §5, written out here independently of the JSON definition."""
    keys = {
        "agency.name",
        "agency.credit_code",
        "agency.kind",
        "agency.tier",
        "year",
        "problems_and_improvements",
        "other_matters",
        "proactive.licensing",
        "proactive.punishment",
        "proactive.enforcement",
        "proactive.fees_wan_yuan",
    }
    keys |= {
        f"overview.{t}"
        for t in (
            "intro",
            "proactive",
            "on_request",
            "information_management",
            "platforms",
            "supervision",
        )
    }
    keys |= {
        f"proactive.{d}.{c}"
        for d in ("regulations", "normative_documents")
        for c in ("made", "repealed", "in_force")
    }
    rows = ["new", "carried_over", "carried_forward"]
    for group, subs in LEAVES.items():
        rows += [f"handled.{group}"] if subs is None else [f"handled.{group}.{s}" for s in subs]
    keys |= {f"applications.{r}.{c}" for r in rows for c in COLUMNS}
    keys |= {
        f"review_litigation.{b}.{r}"
        for b in ("review", "litigation_direct", "litigation_after_review")
        for r in ("upheld", "corrected", "other", "pending", "total")
    }
    return keys


def test_document_keys_are_exactly_the_spec(form: Form) -> None:
    assert {f.key for f in form.document_fields()} == spec_keys()


def test_table_three_cells_follow_the_official_layout(form: Form) -> None:
    assert form.fields["applications.new.natural_person"].cell == "D4"
    assert (
        form.fields["applications.handled.withheld.state_secret.commercial_enterprise"].cell == "E8"
    )
    assert form.fields["applications.handled.total.total"].cell == "J27"
    assert form.fields["applications.carried_forward.other_organization"].cell == "I28"
    assert form.fields["review_litigation.litigation_after_review.total"].cell == "O4"
    assert form.fields["proactive.fees_wan_yuan"].cell == "B14"


def test_totals_are_formula_cells_and_nothing_else(form: Form) -> None:
    computed = {k for k, f in form.fields.items() if f.computed_by}
    expected = {f"applications.{r}.total" for r in ["new", "carried_over", "carried_forward"]}
    expected |= {k for k in spec_keys() if k.startswith("applications.") and k.endswith(".total")}
    expected |= {f"applications.handled.total.{c}" for c in COLUMNS}
    expected |= {
        f"review_litigation.{b}.total"
        for b in ("review", "litigation_direct", "litigation_after_review")
    }
    assert computed == expected


def test_every_rule_of_the_spec_is_declared(form: Form) -> None:
    declared = {d.id: d.severity for d in form.declarations}
    for rule in ("R1", "R2", "R3", "R4", "R5", "R6", "X1"):
        assert declared[rule] == "error"
    assert {k for k, v in declared.items() if v == "warning"} >= {
        "W1",
        "W2",
        "W3",
        "W4",
        "W5",
        "W6",
        "W7",
        "W8",
        "W9",
        "W10",
    }
    counts = {rid: sum(1 for r in form.rules if r.id == rid) for rid in declared}
    assert counts["R1"] == 7 and counts["R2"] == 25 and counts["R3"] == 7 and counts["R4"] == 3


def test_messages_exist_in_both_languages(form: Form) -> None:
    for rule in form.rules:
        assert rule.message.zh and rule.message.en and rule.message.zh != rule.message.en


def _raw() -> dict:
    text = (resources.files("xlcheck") / "forms" / "gov-info-disclosure-2021.json").read_text(
        "utf-8"
    )
    return json.loads(text)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["rules"][0].update(kind="eval"), "unknown kind"),
        (lambda d: d["rules"][0]["left"].append("applications.nope.{col}"), "unknown field"),
        (lambda d: d["sheets"][0]["fields"][1].update(cell="B2"), "share the cell"),
        (lambda d: d["rules"][1].update(id="R1"), "used twice"),
        (lambda d: d["rules"][0].update(severity="fatal"), "severity"),
        (lambda d: d["rules"][1].update(target="x.{nope}"), "not bound"),
    ],
)
def test_broken_definitions_are_refused_with_a_location(change, words: str) -> None:
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(FormError, match=words):
        build_form(data)


def test_every_kind_is_one_spec_with_a_check_and_a_code() -> None:
    from xlcheck.codes import RULE_KIND_CODES
    from xlcheck.rulekinds import RULE_KINDS

    for name, spec in RULE_KINDS.items():
        assert spec.name == name and callable(spec.check) and spec.params
        assert name == "domain" or name in RULE_KIND_CODES  # domain findings carry V codes
        assert not spec.balanced or spec.sides is not None

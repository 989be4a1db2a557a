"""Build canonical documents for tests: valid by construction (every cross-total holds)."""

from __future__ import annotations

import random
from typing import Any

from xlcheck.canonical import nest
from xlcheck.checks.derive import recompute
from xlcheck.form import Field, Form, Rule, available_forms, load_form

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_organization",
    "legal_service_agency",
    "other_organization",
]

TEXTS = {
    "overview.intro": "2024 年，本机关认真贯彻《中华人民共和国政府信息公开条例》。\n全年收到政府信息公开申请 {new} 件。",
    "overview.proactive": "严格落实主动公开责任，及时公开各类政府信息。",
    "overview.on_request": "畅通申请渠道，规范办理程序。",
    "overview.information_management": "完善信息发布审核机制。",
    "overview.platforms": "加强政府网站和政务新媒体建设。",
    "overview.supervision": "开展工作考核、社会评议和责任追究。",
    "problems_and_improvements": "公开时效性有待加强。下一步将加大公开力度。",
    "other_matters": "本年度未收取信息处理费。",
}


def valid_values(
    form: Form, seed: int = 0, *, tier: str = "county", scale: int = 5
) -> dict[str, Any]:
    """Flat values satisfying R1-R6 and W-rules that need no previous year (text mentions, W1)."""
    rng = random.Random(seed)
    values: dict[str, Any] = {k: 0 for k, f in form.fields.items() if f.is_numeric}
    for key, f in form.fields.items():
        if f.is_numeric and f.is_input and key.startswith("applications.handled."):
            values[key] = rng.randint(0, scale) if rng.random() < 0.6 else 0
    values["applications.handled.other.fee_unpaid.natural_person"] = 0
    for col in APPLICANTS:
        handled = sum(
            v
            for k, v in values.items()
            if k.startswith("applications.handled.") and k.endswith("." + col)
        )
        forward = rng.randint(0, 2)
        over = rng.randint(0, min(handled + forward, 2))
        values[f"applications.carried_over.{col}"] = over
        values[f"applications.carried_forward.{col}"] = forward
        values[f"applications.new.{col}"] = handled + forward - over
        if values[f"applications.new.{col}"] < forward:  # keep W1 quiet: carried forward <= new
            values[f"applications.new.{col}"] += forward
            values[f"applications.handled.granted.{col}"] += forward
    for block in ("review", "litigation_direct", "litigation_after_review"):
        for res in ("upheld", "corrected", "other", "pending"):
            values[f"review_litigation.{block}.{res}"] = rng.randint(0, 3)
    for doc in ("normative_documents",) + (
        () if tier in ("county", "township") else ("regulations",)
    ):
        made, repealed = rng.randint(0, 9), rng.randint(0, 3)
        values[f"proactive.{doc}.made"] = made
        values[f"proactive.{doc}.repealed"] = repealed
        values[f"proactive.{doc}.in_force"] = made - repealed + rng.randint(repealed, 40)
    values.update(
        {
            "proactive.licensing": rng.randint(0, 500),
            "proactive.punishment": rng.randint(0, 80),
            "proactive.enforcement": rng.randint(0, 10),
            "proactive.fees_wan_yuan": round(rng.uniform(0, 50), 6),
        }
    )
    values = recompute(form, values)
    values.update(
        {
            "agency.name": "某某县市场监督管理局" if tier != "township" else "古庄店镇人民政府",
            "agency.credit_code": "11411700MB1234567X" if rng.random() < 0.5 else None,
            "agency.kind": "department" if tier != "township" else "government",
            "agency.tier": tier,
            "year": 2024,
        }
    )
    for key, text in TEXTS.items():
        values[key] = text.replace("{new}", str(values["applications.new.total"]))
    return values


def valid_document(form: Form, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    return nest(form, valid_values(form, seed, **kwargs))


# A 2019-format report's table 二 (its own keys): signed changes, a procurement amount in 万元.
PROACTIVE_2019: dict[str, Any] = {
    "proactive.regulations.produced": 0,
    "proactive.regulations.published": 0,
    "proactive.regulations.public_total": 0,
    "proactive.normative_documents.produced": 5,
    "proactive.normative_documents.published": 4,
    "proactive.normative_documents.public_total": 31,
    "proactive.licensing.previous_count": 12,
    "proactive.licensing.change": -2,
    "proactive.licensing.decisions": 410,
    "proactive.other_services.previous_count": 3,
    "proactive.other_services.change": 1,
    "proactive.other_services.decisions": 7,
    "proactive.punishment.previous_count": 9,
    "proactive.punishment.change": 0,
    "proactive.punishment.decisions": 55,
    "proactive.enforcement.previous_count": 2,
    "proactive.enforcement.change": -4,
    "proactive.enforcement.decisions": 1,
    "proactive.fees.previous_count": 1,
    "proactive.fees.change": 0,
    "proactive.procurement.projects": 3,
    "proactive.procurement.amount_wan_yuan": 25.1,
}


def valid_values_2019(form: Form, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    """A valid 2020 report in the 2019 format: table 三/四 and prose as for 2021, its own table 二."""
    values = {k: v for k, v in valid_values(form, seed, **kwargs).items() if k in form.fields}
    values.update(PROACTIVE_2019, year=2020)
    return recompute(form, values)


# Every bundled form, by its id in test names: "gov-info-disclosure-2019" -> "2019".
BUNDLED_FORMS = {name.rsplit("-", 1)[-1]: name for name in available_forms()}

# One builder per bundled form version. Explicit dispatch, not a generic solver over the form's
# rules: R1 (an equality per column) and W1 (carried forward <= new) couple the same cells, and
# the prose must mention the new-applications total (W7); a hand-written builder per version,
# checked valid for every form by test_check_workbook.py (a valid filled template), is shorter than such a solver.
BUILDERS = {"2021": valid_values, "2019": valid_values_2019}


def valid_values_for(form: Form, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    """Flat values of `form` (any bundled form) that satisfy its rules without a previous year."""
    return BUILDERS[form.form_version](form, seed, **kwargs)


def valid_document_for(form: Form, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    return nest(form, valid_values_for(form, seed, **kwargs))


# ---- keys taken from the form, so that a test about "a form" names no form's key ----------------


def first_sum(form: Form, rule_id: str | None = None) -> Rule:
    """The first `sum` rule instance (of `rule_id` if given) whose operands are all input cells."""
    for rule in form.rules:
        if rule.kind != "sum" or (rule_id is not None and rule.id != rule_id):
            continue
        keys = [t.key for t in rule.params["operands"]]
        if all(k is not None and form.fields[k].is_input for k in keys):
            return rule
    raise LookupError(f"{form.id}: no sum rule over input cells")


def sum_input(form: Form, rule_id: str | None = None) -> Field:
    """An input count that a sum rule adds up: changing it alone breaks that rule."""
    key = first_sum(form, rule_id).params["operands"][0].key
    return form.fields[key]


def sum_target(form: Form, rule_id: str | None = None) -> Field:
    """The computed total of that sum rule."""
    return form.fields[first_sum(form, rule_id).params["target"].key]


def role_field(form: Form, role: str) -> Field:
    """The field that plays `role` (name, credit_code, kind, tier, year) in this form."""
    return form.fields[getattr(form.roles, role)]


def input_counts(form: Form) -> list[Field]:
    """The form's input counts in form order (integers >= 0 an office types in)."""
    return [f for f in form.fields.values() if f.type == "count" and f.is_input]


def set_at(doc: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key's value in a nested canonical document."""
    *parents, last = key.split(".")
    for part in parents:
        doc = doc[part]
    doc[last] = value


def bundled_name(form: Form) -> str:
    """The name a bundled form is loaded by (its file name), e.g. gov-info-disclosure-2019."""
    return next(name for name in available_forms() if load_form(name) is form)

"""The committed JSON Schema is the one generated from the form; it accepts valid documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from documents import valid_document
from xlcheck.checks.schema import build_schema
from xlcheck.form import Form

SCHEMA = Path(__file__).parents[1] / "schemas" / "gov-info-disclosure-2021.schema.json"


def test_committed_schema_matches_the_form(form: Form) -> None:
    committed = json.loads(SCHEMA.read_text("utf-8"))
    assert committed == build_schema(form), (
        "schemas/ is out of date: run python tools/make_schema.py"
    )


def test_schema_is_valid_2020_12_and_accepts_valid_documents(form: Form) -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for seed in range(5):
        jsonschema.validate(valid_document(form, seed), schema, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_negative_counts_and_unknown_keys(form: Form) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text("utf-8")))
    doc = valid_document(form)
    doc["applications"]["new"]["natural_person"] = -1
    doc["extra"] = 1
    kinds = {e.validator for e in validator.iter_errors(doc)}
    assert kinds == {"minimum", "additionalProperties"}


def test_both_validators_give_the_same_findings(form: Form) -> None:
    """jsonschema-rs (fast) and jsonschema (reference) must say exactly the same things."""
    from xlcheck.checks.schema import check_schema, schema_errors

    doc = valid_document(form, 4)
    doc["applications"]["new"]["natural_person"] = -1
    doc["applications"]["new"]["total"] = "多"
    doc["agency"]["tier"] = "村级"
    doc["agency"]["credit_code"] = "123"
    doc["form_version"] = "2019"
    doc["extra"] = 1
    doc["proactive"]["bogus"] = 2
    del doc["year"]
    del doc["review_litigation"]["review"]["pending"]
    fast = [(f.code, f.pointer, f.message.zh) for f in check_schema(form, doc)]
    reference = [(f.code, f.pointer, f.message.zh) for f in check_schema(form, doc, backend="py")]
    assert sorted(fast) == sorted(reference)
    assert {e.keyword for e in schema_errors(form, doc, "py")} == {
        "minimum",
        "type",
        "enum",
        "pattern",
        "const",
        "additionalProperties",
        "required",
    }


def test_schema_messages_name_types_in_plain_chinese(form: Form) -> None:
    from xlcheck.checks.schema import check_schema

    doc = valid_document(form, 4)
    doc["applications"]["new"]["total"] = "多"
    [finding] = [f for f in check_schema(form, doc) if f.pointer == "/applications/new/total"]
    assert "应为整数" in finding.message.zh and "integer" not in finding.message.zh
    assert "expected integer" in finding.message.en

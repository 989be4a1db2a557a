"""The committed JSON Schema is the one generated from the form; it accepts valid documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from documents import bundled_name, first_sum, set_at, sum_input, sum_target, valid_document_for
from xlcheck.checks.schema import build_schema
from xlcheck.form import Form

SCHEMAS = Path(__file__).parents[1] / "schemas"


def committed(form: Form) -> dict:
    return json.loads((SCHEMAS / f"{bundled_name(form)}.schema.json").read_text("utf-8"))


def test_committed_schema_matches_the_form(form: Form) -> None:
    assert committed(form) == build_schema(form), (
        "schemas/ is out of date: run python tools/make_schema.py"
    )


def test_schema_is_valid_2020_12_and_accepts_valid_documents(form: Form) -> None:
    schema = committed(form)
    jsonschema.Draft202012Validator.check_schema(schema)
    for seed in range(5):
        jsonschema.validate(
            valid_document_for(form, seed), schema, cls=jsonschema.Draft202012Validator
        )


def test_schema_rejects_negative_counts_and_unknown_keys(form: Form) -> None:
    validator = jsonschema.Draft202012Validator(committed(form))
    doc = valid_document_for(form)
    set_at(doc, sum_input(form).key, -1)
    doc["extra"] = 1
    kinds = {e.validator for e in validator.iter_errors(doc)}
    assert kinds == {"minimum", "additionalProperties"}


def test_both_validators_give_the_same_findings(form: Form) -> None:
    """jsonschema-rs (fast) and jsonschema (reference) must say exactly the same things."""
    from xlcheck.checks.schema import check_schema, schema_errors

    doc = valid_document_for(form, 4)
    set_at(doc, sum_input(form).key, -1)
    set_at(doc, sum_target(form).key, "多")
    set_at(doc, form.roles.tier or "", "村级")
    set_at(doc, form.roles.credit_code or "", "123")
    doc["form_version"] = "1999"  # another form's version
    doc["extra"] = 1
    doc["proactive"]["bogus"] = 2
    del doc[form.roles.year or ""]
    *block, leaf = first_sum(form, "R4").params["operands"][-1].key.split(".")
    del _at(doc, block)[leaf]  # a table 四 result: required
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

    doc = valid_document_for(form, 4)
    total = sum_target(form)
    set_at(doc, total.key, "多")
    [finding] = [f for f in check_schema(form, doc) if f.pointer == total.pointer]
    assert "应为整数" in finding.message.zh and "integer" not in finding.message.zh
    assert "expected integer" in finding.message.en


def _at(doc: dict, path: list[str]) -> dict:
    for part in path:
        doc = doc[part]
    return doc

"""The JSON Schema (draft 2020-12) of a form's canonical document: generate it, validate against it.

The schema is derived from the form definition; `schemas/` holds the generated copy and a test
keeps the two identical. Library message texts never reach users: errors map to our codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Field, Form, Text

CREDIT_CODE_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def build_schema(form: Form) -> dict[str, Any]:
    root: dict[str, Any] = _object({})
    root["properties"]["form"] = {"const": form.id}
    root["properties"]["form_version"] = {"const": form.form_version}
    root["properties"]["provenance"] = {"type": "object"}
    root["required"] = ["form", "form_version"]
    for f in form.document_fields():
        node = root
        *parents, leaf = f.key.split(".")
        for part in parents:
            node = node["properties"].setdefault(part, _object({}))
        node["properties"][leaf] = field_schema(f)
    _mark_required(root, form)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://xlcheck.invalid/schemas/{form.id}-{form.form_version}.schema.json",
        "title": f"{form.title.zh} ({form.form_version})",
        **root,
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _mark_required(root: dict[str, Any], form: Form) -> None:
    """Every object lists the children that hold a required field somewhere below."""
    for f in form.document_fields():
        if not f.required:
            continue
        node = root
        for part in f.key.split("."):
            required = node.setdefault("required", [])
            if part not in required:
                required.append(part)
            node = node["properties"][part]


def field_schema(f: Field) -> dict[str, Any]:
    if f.type == "count":
        return {"type": "integer", "minimum": 0}
    if f.type == "amount":
        return {"type": "number", "minimum": 0}
    if f.type == "year":
        return {"type": "integer", "minimum": f.minimum or 1900, "maximum": f.maximum or 2100}
    if f.type == "choice":
        return {"enum": [c.value for c in f.choices]}
    if f.type == "credit_code":
        return {"type": ["string", "null"], "pattern": CREDIT_CODE_PATTERN}
    schema: dict[str, Any] = {"type": "string"}
    if f.max_length:
        schema["maxLength"] = f.max_length
    return schema


def _validator(form: Form) -> Any:
    """Built once per form (building costs ~10x a validation)."""
    if "validator" not in form.memo:
        import jsonschema  # imported lazily: ~60 ms that a workbook-only run may not need

        form.memo["validator"] = jsonschema.Draft202012Validator(build_schema(form))
    return form.memo["validator"]


def check_schema(form: Form, doc: Mapping[str, Any]) -> list[Finding]:
    """Every schema error as a finding at its JSON pointer (and its cell, when the field has one)."""
    findings = []
    for error in _validator(form).iter_errors(doc):
        findings.append(_to_finding(form, error))
    return findings


def _to_finding(form: Form, error: Any) -> Finding:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        pointer = "/" + "/".join([*path, extra[0] if extra else ""])
        return make_finding("J02", pointer=pointer, key=pointer.strip("/").replace("/", "."))
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = [*path, missing]
    if error.validator == "const" and path and path[0] in ("form", "form_version"):
        return make_finding(
            "J03", key=path[0], value=error.instance, expected=error.validator_value
        )
    key = ".".join(path)
    return make_finding("J01", form=form, key=key, detail=_detail(error))


def _detail(error: Any) -> Text:
    value = error.validator_value
    zh = {
        "type": f"类型不对（应为 {value}）",
        "required": "缺少这一项",
        "minimum": f"不能小于 {value}",
        "maximum": f"不能大于 {value}",
        "enum": "应为以下之一：" + "、".join(map(str, value if isinstance(value, list) else [])),
        "pattern": "格式不对",
        "maxLength": f"超过 {value} 个字",
    }
    en = {
        "type": f"wrong type (expected {value})",
        "required": "missing",
        "minimum": f"must be at least {value}",
        "maximum": f"must be at most {value}",
        "enum": "must be one of: " + ", ".join(map(str, value if isinstance(value, list) else [])),
        "pattern": "malformed",
        "maxLength": f"longer than {value} characters",
    }
    fallback = f"schema keyword {error.validator}"
    return Text(zh.get(error.validator, fallback), en.get(error.validator, fallback))

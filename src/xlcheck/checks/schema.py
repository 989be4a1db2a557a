"""The JSON Schema (draft 2020-12) of a form's canonical document: generate it, validate against it.

The schema is derived from the form definition; `schemas/` holds the generated copy and a test
keeps the two identical. Library message texts never reach users: errors map to our codes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.compiled import plausible_range
from xlcheck.form.model import Field, Form, Text

# Why a warning's figure is right, as an office wrote it (xlcheck.explain): rule id, the place
# (a JSON pointer, or null for every warning of the rule) and the text.
EXPLANATIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": 50,
    "items": {
        "type": "object",
        "properties": {
            "rule": {"type": "string", "maxLength": 50},
            "pointer": {"type": ["string", "null"], "maxLength": 500},
            "text": {"type": "string", "maxLength": 500},
        },
        "required": ["rule", "text"],
        "additionalProperties": False,
    },
}
CREDIT_CODE_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def build_schema(form: Form) -> dict[str, Any]:
    root: dict[str, Any] = _object({})
    root["properties"]["form"] = {"const": form.id}
    root["properties"]["form_version"] = {"const": form.form_version}
    root["properties"]["provenance"] = {"type": "object"}
    root["properties"]["explanations"] = EXPLANATIONS_SCHEMA
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
    if f.type in ("count", "change", "amount", "year"):
        kind = "number" if f.type == "amount" else "integer"
        return {"type": kind, **_bounds(f)}
    if f.type == "choice":
        return {"enum": [c.value for c in f.choices]}
    if f.type == "credit_code":
        return {"type": ["string", "null"], "pattern": CREDIT_CODE_PATTERN}
    schema: dict[str, Any] = {"type": "string"}
    if f.max_length:
        schema["maxLength"] = f.max_length
    return schema


def _bounds(f: Field) -> dict[str, Any]:
    """The field's plausible range (the form's `ranges`): a 400-digit count is not valid."""
    low, high = plausible_range(f)
    bounds: dict[str, Any] = {"minimum": low}
    if math.isfinite(high):
        bounds["maximum"] = high
    return bounds


@dataclass(frozen=True)
class SchemaError:
    """One schema violation, the same whichever validator found it (library texts are not kept)."""

    keyword: str
    path: tuple[str, ...]
    expected: Any  # the keyword's value in the schema (minimum 0, the enum list, …)
    instance: Any
    names: tuple[str, ...] = ()  # missing (required) or unexpected (additionalProperties) keys


@functools.lru_cache(maxsize=8)
def _validator(form: Form) -> Any:
    """Built once per form (building costs ~10x a validation).

    jsonschema-rs validates our ~300 fields in ~0.03 ms against ~2 ms for jsonschema, which stays
    the reference implementation and the fallback when the compiled wheel is not available.
    """
    schema = build_schema(form)
    try:
        import jsonschema_rs

        return ("rs", jsonschema_rs.Draft202012Validator(schema), schema)
    except ImportError:
        import jsonschema  # imported lazily: ~60 ms that a workbook-only run may not need

        return ("py", jsonschema.Draft202012Validator(schema), schema)


def schema_errors(
    form: Form, doc: Mapping[str, Any], backend: str | None = None
) -> list[SchemaError]:
    kind, validator, schema = _validator(form)
    if backend == "py" and kind != "py":
        import jsonschema

        kind, validator = "py", jsonschema.Draft202012Validator(schema)
    if kind == "rs":
        return [_from_rs(e, schema, doc) for e in validator.iter_errors(doc)]
    return [_from_py(e) for e in validator.iter_errors(doc)]


def _from_py(error: Any) -> SchemaError:
    path = tuple(str(p) for p in error.absolute_path)
    names: tuple[str, ...] = ()
    if error.validator == "additionalProperties":
        names = tuple(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
    elif error.validator == "required":
        names = tuple(
            r for r in error.validator_value if r not in error.instance and repr(r) in error.message
        )
    return SchemaError(error.validator, path, error.validator_value, error.instance, names)


def _from_rs(error: Any, schema: Mapping[str, Any], doc: Any) -> SchemaError:
    keyword = str(error.schema_path[-1])
    expected = _walk(schema, error.schema_path)
    path = tuple(str(p) for p in error.instance_path)
    names: tuple[str, ...] = ()
    if keyword == "required":
        names = (str(error.kind.property),)
    elif keyword == "additionalProperties":
        names = tuple(sorted(str(n) for n in error.kind.unexpected))
    return SchemaError(keyword, path, expected, _walk(doc, error.instance_path), names)


def _walk(node: Any, path: Any) -> Any:
    for part in path:
        node = node[part] if isinstance(node, Mapping) else node[int(part)]
    return node


def check_schema(
    form: Form, doc: Mapping[str, Any], *, backend: str | None = None
) -> list[Finding]:
    """Every schema error as a finding at its JSON pointer (and its cell, when the field has one)."""
    findings: list[Finding] = []
    for error in schema_errors(form, doc, backend):
        findings.extend(_to_findings(form, error))
    return findings


def _to_findings(form: Form, error: SchemaError) -> list[Finding]:
    if error.keyword == "additionalProperties":
        pointers = ["/" + "/".join([*error.path, name]) for name in error.names]
        return [
            make_finding("J02", pointer=p, key=p.strip("/").replace("/", ".")) for p in pointers
        ]
    if error.keyword == "required":
        return [
            make_finding("J01", form=form, key=".".join([*error.path, name]), detail=_detail(error))
            for name in error.names
        ]
    if error.keyword == "const" and error.path and error.path[0] in ("form", "form_version"):
        return [
            make_finding("J03", key=error.path[0], value=error.instance, expected=error.expected)
        ]
    return [make_finding("J01", form=form, key=".".join(error.path), detail=_detail(error))]


_TYPE_ZH = {
    "integer": "整数",
    "number": "数字",
    "string": "文字",
    "boolean": "是或否",
    "object": "一组数据",
    "array": "列表",
    "null": "空",
}


def _type_zh(value: Any) -> str:
    """JSON Schema type names as an office reads them: 'integer' -> 整数, a list joined with 或."""
    names = value if isinstance(value, list) else [value]
    return "或".join(_TYPE_ZH.get(str(name), str(name)) for name in names)


def _detail(error: SchemaError) -> Text:
    value = error.expected
    zh = {
        "type": f"类型不对（应为{_type_zh(value)}）",
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
    # A keyword the generated schema does not use today: worded in each language all the same.
    zh_other, en_other = "不符合规范格式", f"does not meet the schema ({error.keyword})"
    return Text(zh.get(error.keyword, zh_other), en.get(error.keyword, en_other))

"""The JSON Schema (draft 2020-12) of a form definition file, built from the rule-kind specs.

`schemas/form.schema.json` is its committed copy (tools/make_schema.py writes it; a test keeps it
equal), for editors and for CONTRIBUTING.md. A form loaded from a path is validated against it;
the bundled forms are validated by a test, so `xlcheck check` does not pay for it.
"""

from __future__ import annotations

import functools
from typing import Any

from xlcheck.form.model import FIELD_TYPES, IDENTITY_ROLES, TABLE_CHECKS
from xlcheck.form.params import COMMON_KEYS, COMPARE_OPS, OPTIONAL_KEYS, ParamType
from xlcheck.form.parts import FormError

_TEXT = {"oneOf": [{"type": "string", "minLength": 1}, {"$ref": "#/$defs/text"}]}
_KEYS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
_TERMS = {
    "type": "array",
    "items": {
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "number"},
            {
                "type": "object",
                "required": ["each", "as", "key"],
                "additionalProperties": False,
                "properties": {k: {"type": "string"} for k in ("each", "as", "key")},
            },
        ]
    },
}
PARAM_SCHEMAS: dict[ParamType, dict[str, Any]] = {
    "term": {"type": "string", "minLength": 1},
    "terms": _TERMS,
    "fields": _KEYS,
    "field": {"type": "string", "minLength": 1},
    "previous_field": {"type": "string", "pattern": "^previous:."},
    "op": {"enum": sorted(COMPARE_OPS)},
    "condition": {
        "oneOf": [
            {
                "type": "object",
                "required": ["field", "in"],
                "additionalProperties": False,
                "properties": {"field": {"type": "string"}, "in": {"type": "array"}},
            },
            {
                "type": "object",
                "required": ["sum", "gt"],
                "additionalProperties": False,
                "properties": {"sum": _TERMS, "gt": {"type": "number"}},
            },
        ]
    },
    "texts": _KEYS,
    "patterns": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["regex", "expected", "what"],
            "additionalProperties": False,
            "properties": {"regex": {"type": "string"}, "expected": _KEYS, "what": _TEXT},
        },
    },
}


def definition_schema() -> dict[str, Any]:
    """The schema of a form definition file; its rule part comes from the kinds' specs."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://xlcheck.invalid/schemas/form.schema.json",
        "title": "xlcheck form definition",
        "type": "object",
        "required": [
            "id",
            "form_version",
            "template_version",
            "title",
            "document_title",
            "instructions",
            "sheets",
        ],
        "additionalProperties": False,
        "properties": {
            "$comment": {"type": "string"},
            "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
            "form_version": {"type": ["string", "integer"]},
            "template_version": {"type": ["string", "number"]},
            "title": _TEXT,
            "basis": {"type": "string"},
            "document_title": _TEXT,
            "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
            "instructions": {"$ref": "#/$defs/instructions"},
            "ranges": {"type": "object"},  # checked in detail by the loader (form/layout.py)
            "roles": {  # which fields play which part (office name, year, …): form/roles.py
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "$comment": {"type": "string"},
                    **{role: {"type": "string"} for role in (*IDENTITY_ROLES, "carry_over")},
                    "title_pattern": {"type": "string"},
                },
            },
            "detect": {  # what tells this form's published reports apart (importers)
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "$comment": {"type": "string"},
                    "labels": {"type": "array", "items": {"type": "string"}},
                    "single_rows": {"type": "array", "items": {"type": "string"}},
                },
            },
            "previous_forms": {  # earlier forms accepted as last year's report, and their keys
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["form", "form_version", "fields"],
                    "additionalProperties": False,
                    "properties": {
                        "$comment": {"type": "string"},
                        "form": {"type": "string"},
                        "form_version": {"type": ["string", "integer"]},
                        "fields": {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    {"type": "string"},
                                    {
                                        "type": "object",
                                        "required": ["key"],
                                        "additionalProperties": False,
                                        "properties": {
                                            k: {"type": "string"}
                                            for k in ("key", "each", "as", "from")
                                        },
                                    },
                                ]
                            },
                        },
                    },
                },
            },
            "import": {"$ref": "#/$defs/import"},  # how a published report reads back
            "sets": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/set_item"}},
            },
            "sheets": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/sheet"}},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        },
        "$defs": {**_DEFS, "rule": _rule_schema()},
    }


def _rule_schema() -> dict[str, Any]:
    from xlcheck.rulekinds import RULE_KINDS  # the registry wires checks/; see form/rules.py

    every = set(COMMON_KEYS) | set(OPTIONAL_KEYS)
    per_kind = []
    for spec in RULE_KINDS.values():
        own = {p.name: PARAM_SCHEMAS[p.type] for p in spec.params}
        per_kind.append(
            {
                "if": {"properties": {"kind": {"const": spec.name}}},
                "then": {
                    "required": [p.name for p in spec.params if p.required],
                    "properties": own,
                    "propertyNames": {"enum": sorted({*every, *own})},
                },
            }
        )
    return {
        "type": "object",
        "required": list(COMMON_KEYS),
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "kind": {"enum": sorted(RULE_KINDS)},
            "severity": {"enum": ["error", "warning"]},
            "title": _TEXT,
            "description": _TEXT,
            "message": _TEXT,
            "for_each": {"type": "object", "additionalProperties": {"type": "string"}},
            "live": {"type": "object"},
            "$comment": {"type": "string"},
        },
        "allOf": per_kind,
    }


_FIELD = {
    "type": "object",
    "required": ["key", "cell", "type"],
    "properties": {
        "key": {"type": "string", "minLength": 1},
        "cell": {"type": "string", "pattern": "^[A-Z]{1,3}[1-9][0-9]*$"},
        "type": {"enum": sorted(FIELD_TYPES)},
        "label": _TEXT,
        "row_label": _TEXT,
        "col_label": _TEXT,
        "required": {"type": "boolean"},
        "in_document": {"type": "boolean"},
        "choices": {"type": "array"},
        "max_length": {"type": "integer", "minimum": 1},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "merge": {"type": "string"},
        "heading": {"type": ["string", "null"]},
    },
    "additionalProperties": False,
}
_AXIS = {
    "type": "object",
    "required": ["set", "var", "step"],
    "properties": {
        "set": {"type": "string"},
        "var": {"type": "string"},
        "step": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    },
    "additionalProperties": False,
}
_LABELS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_COMMENT = {"$comment": {"type": "string"}}
_IMPORT_TABLE = {
    "type": "object",
    "required": ["sheet"],
    "additionalProperties": False,
    "properties": {
        **_COMMENT,
        "sheet": {"type": "string"},
        "read": {"enum": ["rows", "one_row"]},
        "labels": _LABELS,
        "aliases": {"type": "object", "additionalProperties": _LABELS},
        "checks": {"type": "array", "items": {"enum": sorted(TABLE_CHECKS)}},
        "foreign_columns": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["labels", "replace"],
                "additionalProperties": False,
                "properties": {"labels": _LABELS, "replace": _LABELS, "source": {"type": "string"}},
            },
        },
        "total_beside": {
            "type": "object",
            "required": ["total", "group"],
            "additionalProperties": False,
            "properties": {"total": {"type": "string"}, "group": {"type": "string"}},
        },
    },
}
_IMPORT = {  # checked in detail by the loader (form/published.py)
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_COMMENT,
        "tables": {"type": "array", "items": _IMPORT_TABLE},
        "topics": {"type": "object", "additionalProperties": _LABELS},
        "name_endings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["ending"],
                "properties": {"ending": {"type": "string", "minLength": 1}},
                "additionalProperties": {"type": "string"},
            },
        },
        "title": {
            "type": "object",
            "additionalProperties": False,
            "properties": {**_COMMENT, "patterns": _LABELS, "period": {"type": "string"}},
        },
        "headings": {"type": "object", "properties": _COMMENT, "additionalProperties": _LABELS},
        "audit": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **_COMMENT,
                "printed_totals": _LABELS,
                "fee_statement": {"type": "string"},
            },
        },
    },
}
_DEFS: dict[str, Any] = {
    "import": _IMPORT,
    "text": {
        "type": "object",
        "required": ["zh"],
        "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string"}},
        "additionalProperties": False,
    },
    "set_item": {
        "type": "object",
        "required": ["key", "zh"],
        "properties": {
            "key": {"type": "string"},
            "zh": {"type": "string"},
            "en": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "section": {
        "type": "object",
        "required": ["heading", "content"],
        "properties": {
            "heading": {"type": ["string", "null"]},
            "content": {"enum": ["overview", "table", "text"]},
            "sheet": {"type": "string"},
            "field": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "instructions": {
        "type": "object",
        "required": ["name", "paragraphs"],
        "properties": {
            "name": {"type": "string"},
            "paragraphs": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "additionalProperties": False,
    },
    "sheet": {
        "type": "object",
        "required": ["id", "name", "short", "labels"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "minLength": 1, "maxLength": 31},
            "short": _TEXT,
            "heading": {"type": ["string", "null"]},
            "columns": {"type": "object", "additionalProperties": {"type": "number"}},
            "row_height": {"type": "number"},
            "header_rows": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
            "labels": {"type": "array", "items": {"$ref": "#/$defs/label"}},
            "fields": {"type": "array", "items": _FIELD},
            "grids": {"type": "array", "items": {"$ref": "#/$defs/grid"}},
        },
        "additionalProperties": False,
    },
    "label": {
        "type": "object",
        "required": ["range", "text"],
        "properties": {
            "range": {"type": "string"},
            "text": {"type": "string"},
            "role": {"enum": ["title", "header", "band", "row", "note", "hint", "check"]},
        },
        "additionalProperties": False,
    },
    "grid": {
        "type": "object",
        "required": ["origin", "key", "type", "rows", "columns"],
        "properties": {
            "origin": {"type": "string"},
            "key": {"type": "string"},
            "type": {"enum": sorted(FIELD_TYPES)},
            "rows": _AXIS,
            "columns": _AXIS,
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "computed": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["where", "rule"],
                    "properties": {"where": {"type": "object"}, "rule": {"type": "string"}},
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
}


def validate_definition(data: Any, name: str) -> None:
    """A FormError naming the first place where `data` breaks the schema (path, then message)."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.path)
        raise FormError(f"{name}: {place.lstrip('.') or 'the file'}: {first.message}")


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # imported lazily (~60 ms): only forms loaded from a path are validated

    return jsonschema.Draft202012Validator(definition_schema())

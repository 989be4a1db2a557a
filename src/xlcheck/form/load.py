"""Load a form definition (JSON) into the frozen model: expand grids and rules, validate references.

A form definition is data: adding a form or a new year's format means adding a JSON file, not code.
Every mistake in a definition is reported as a FormError naming where it is.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xlcheck.form.layout import build_sheets, type_ranges
from xlcheck.form.model import Form, Section
from xlcheck.form.parts import FormError, set_item, text_of
from xlcheck.form.rules import (
    COMPARE_OPS,
    RULE_KINDS,
    check_references,
    declaration,
    expand_rules,
    link_computed,
    parse_term,
)

__all__ = [
    "COMPARE_OPS",
    "DEFAULT_FORM",
    "RULE_KINDS",
    "FormError",
    "build_form",
    "load_form",
    "parse_term",
]

DEFAULT_FORM = "gov-info-disclosure-2021"
# The bundled forms beside the package (importlib.resources would cost every check ~5 ms of imports).
_BUNDLED = Path(__file__).resolve().parents[1] / "forms"


def available_forms() -> list[str]:
    folder = _BUNDLED
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


@functools.lru_cache(maxsize=8)
def load_form(name_or_path: str | Path = DEFAULT_FORM) -> Form:
    """Load a bundled form by name, or a form definition file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        resource = _BUNDLED / f"{name_or_path}.json"
        if not resource.is_file():
            raise FormError(
                f"unknown form {name_or_path!r}; bundled: {', '.join(available_forms())}"
            )
        text = resource.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"{name_or_path}: not valid JSON: {exc}") from exc
    return build_form(data)


def build_form(data: Mapping[str, Any]) -> Form:
    sets = {name: tuple(set_item(i) for i in items) for name, items in data.get("sets", {}).items()}
    sheets, fields = build_sheets(data["sheets"], sets, type_ranges(data.get("ranges", {})))
    rules = tuple(expand_rules(data.get("rules", []), sets, fields))
    fields = link_computed(data["sheets"], sets, fields, rules)
    check_references(fields, rules)
    legacy: list[str] = next(
        (r.get("labels", []) for r in data.get("rules", []) if r["kind"] == "legacy_labels"), []
    )
    return Form(
        id=data["id"],
        form_version=str(data["form_version"]),
        template_version=str(data["template_version"]),
        title=text_of(data["title"]),
        basis=data.get("basis", ""),
        document_title=text_of(data["document_title"]),
        sections=tuple(Section(**s) for s in data.get("sections", [])),
        instructions_name=data["instructions"]["name"],
        instructions={k: tuple(v) for k, v in data["instructions"]["paragraphs"].items()},
        sets=sets,
        sheets=sheets,
        fields=fields,
        rules=rules,
        declarations=tuple(declaration(r) for r in data.get("rules", [])),
        legacy_labels=tuple(legacy),
    )

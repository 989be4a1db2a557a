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

from xlcheck.form.definition_schema import validate_definition
from xlcheck.form.layout import build_sheets, type_ranges
from xlcheck.form.model import Detect, Form, Section
from xlcheck.form.parts import FormError, set_item, text_of
from xlcheck.form.published import build_published
from xlcheck.form.roles import build_previous_forms, build_roles
from xlcheck.form.rules import (
    check_references,
    declaration,
    expand_rules,
    link_computed,
    parse_term,
)

__all__ = [
    "DEFAULT_FORM",
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
    from_file = path.suffix == ".json" and path.exists()
    if from_file:
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
    if from_file:
        return build_checked(data, str(name_or_path), source=str(path.resolve()))
    return build_form(data)  # a bundled form: a test validates it against the schema


def build_checked(data: Any, name: str, source: str | None = None) -> Form:
    """A form from a file someone wrote: the loader's own checks name a rule's mistake best,
    the definition schema catches the rest (a missing key, a typo'd property), both located."""
    try:
        form = build_form(data, source=source)
    except FormError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        validate_definition(data, name)  # raises a located FormError
        raise FormError(f"{name}: {type(exc).__name__}: {exc}") from exc
    validate_definition(data, name)
    return form


def build_form(data: Mapping[str, Any], *, source: str | None = None) -> Form:
    sets = {name: tuple(set_item(i) for i in items) for name, items in data.get("sets", {}).items()}
    sheets, fields = build_sheets(data["sheets"], sets, type_ranges(data.get("ranges", {})))
    rules = tuple(expand_rules(data.get("rules", []), sets, fields))
    fields = link_computed(data["sheets"], sets, fields, rules)
    check_references(fields, rules)
    sections = tuple(Section(**s) for s in data.get("sections", []))
    legacy: list[str] = next(
        (r.get("labels", []) for r in data.get("rules", []) if r["kind"] == "legacy_labels"), []
    )
    roles = build_roles(
        data.get("roles", {}), fields, rules, sections, sheets, text_of(data["document_title"]).zh
    )
    return Form(
        id=data["id"],
        form_version=str(data["form_version"]),
        template_version=str(data["template_version"]),
        title=text_of(data["title"]),
        basis=data.get("basis", ""),
        document_title=text_of(data["document_title"]),
        sections=sections,
        instructions_name=data["instructions"]["name"],
        instructions={k: tuple(v) for k, v in data["instructions"]["paragraphs"].items()},
        sets=sets,
        sheets=sheets,
        fields=fields,
        rules=rules,
        declarations=tuple(declaration(r) for r in data.get("rules", [])),
        legacy_labels=tuple(legacy),
        roles=roles,
        previous_forms=build_previous_forms(
            data.get("previous_forms", []),
            (data["id"], str(data["form_version"])),
            sets,
            fields,
            rules,
        ),
        published=build_published(data.get("import", {}), sheets, fields, rules, sections, roles),
        detect=_detect(data.get("detect", {})),
        source=source,
    )


def _detect(raw: Mapping[str, Any]) -> Detect:
    """The `detect` block (its shape is checked by the definition schema)."""
    if not isinstance(raw, Mapping):
        raise FormError("detect: must be an object")
    return Detect(
        labels=tuple(str(t) for t in raw.get("labels", [])),
        single_rows=tuple(str(t) for t in raw.get("single_rows", [])),
    )


def find_form(form_id: str, form_version: str, near: Form) -> Form | None:
    """The definition of (form id, version): beside `near`'s file first, then the bundled forms.

    Forms are looked up by what a document says it is (canonical JSON: form + form_version; a
    workbook: its template id and form version), so a form's file name never matters.
    """
    candidates: list[str | Path] = []
    if near.source is not None:
        candidates += sorted(Path(near.source).parent.glob("*.json"))
    candidates += available_forms()
    for candidate in candidates:
        try:
            found = load_form(candidate)
        except (FormError, OSError, KeyError, TypeError, ValueError):
            continue  # a broken neighbour is not the form asked for
        if (found.id, found.form_version) == (form_id, form_version):
            return found
    return None

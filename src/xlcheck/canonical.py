"""The canonical document: nest and flatten it by field keys, and serialise it deterministically.

Flat form: {"<table>.<row>.<column>": 3, ...} by field key; nested form: the JSON of spec §5.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xlcheck.form.model import Form


def key_to_pointer(key: str) -> str:
    return "/" + key.replace(".", "/")


def nest(form: Form, flat: Mapping[str, Any]) -> dict[str, Any]:
    """Flat values -> canonical document, in the form's field order (deterministic)."""
    doc: dict[str, Any] = {"form": form.id, "form_version": form.form_version}
    for key, parents, leaf in _paths(form):
        if key not in flat:
            continue
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = flat[key]
    return doc


def _paths(form: Form) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(key, parent names, leaf name) of every document field, split once per form."""
    return form.compiled.document_paths


def flatten(form: Form, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical document -> flat values; keys absent from the document are left out."""
    flat: dict[str, Any] = {}
    for f in form.document_fields():
        node: Any = doc
        for part in f.key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            flat[f.key] = node
    return flat


def dump_json(doc: Mapping[str, Any]) -> str:
    """UTF-8 text, non-ASCII kept, 2-space indent, keys in document order: byte-identical reruns."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

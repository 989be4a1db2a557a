"""What every workbook's check asks of a form, worked out once per loaded form.

`Form.compiled` builds it on first use and keeps it with the form (a form never changes), so the
per-workbook code reads typed attributes instead of recomputing or looking up a cache.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlcheck.form.model import Field, Form

DocumentPath = tuple[str, tuple[str, ...], str]  # key, parent names, leaf name


@dataclass(frozen=True)
class CompiledForm:
    numeric_keys: frozenset[str]
    amount_keys: frozenset[str]
    ranges: dict[str, tuple[Any, Any]]  # numeric key -> plausible (minimum, maximum)
    computed_order: tuple[str, ...]  # formula cells, each after the cells it adds up
    document_paths: tuple[DocumentPath, ...]
    layout_fingerprint: str


def compile_form(form: Form) -> CompiledForm:
    fields = form.fields.values()
    return CompiledForm(
        numeric_keys=frozenset(f.key for f in fields if f.is_numeric),
        amount_keys=frozenset(f.key for f in fields if f.type == "amount"),
        ranges={f.key: plausible_range(f) for f in fields if f.is_numeric},
        computed_order=tuple(_ordered(form)),
        document_paths=tuple(
            (f.key, tuple(f.key.split(".")[:-1]), f.key.rpartition(".")[2])
            for f in form.document_fields()
        ),
        layout_fingerprint=_fingerprint(form),
    )


def plausible_range(f: Field) -> tuple[Any, Any]:
    """(minimum, maximum) of a numeric field; a form built without ranges is open above."""
    low = f.minimum if f.minimum is not None else 0
    return low, f.maximum if f.maximum is not None else math.inf


def _ordered(form: Form) -> list[str]:
    """Formula cells in an order where each one's operands come first."""
    pending = [f for f in form.fields.values() if f.computed_by]
    ordered: list[str] = []
    while pending:
        ready = [f for f in pending if not _depends_on(form, f.computed_by or "", pending)]
        if not ready:
            raise ValueError("formula cells depend on each other in a cycle")
        ordered.extend(f.key for f in ready)
        pending = [f for f in pending if f not in ready]
    return ordered


def _depends_on(form: Form, instance: str, pending: list[Field]) -> bool:
    keys = {t.key for t in form.rule_by_instance(instance).params["operands"]}
    return any(p.key in keys for p in pending)


def _fingerprint(form: Form) -> str:
    """16 hex digits over sheet names, labels, and each field's key, cell, type and formula rule."""
    layout = [
        [
            sheet.name,
            [[lab.range, lab.text] for lab in sheet.labels],
            [
                [k, form.fields[k].cell, form.fields[k].type, form.fields[k].computed_by]
                for k in sheet.field_keys
            ],
        ]
        for sheet in form.sheets
    ]
    blob = json.dumps([form.id, form.form_version, layout], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

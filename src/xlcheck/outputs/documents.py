"""The documents written as JSON: the canonical document with provenance, its source map, and the
readings an import made of a published report."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from xlcheck import __version__
from xlcheck.canonical import dump_json, key_to_pointer, nest
from xlcheck.check import FileResult
from xlcheck.form.model import Form


def canonical_document(
    form: Form, result: FileResult, *, unvalidated: bool = False
) -> dict[str, Any]:
    """The document of spec §5 plus a provenance block; same input, byte-identical JSON.

    JSON has no infinity or NaN: such a value (only an unvalidated document can hold one, a
    typing slip read as 1E+400) is written as null and its pointer listed under
    provenance.not_representable, rather than as `Infinity`, which no JSON reader takes."""
    values = dict(result.values)
    lost = sorted(k for k, v in values.items() if isinstance(v, float) and not math.isfinite(v))
    for key in lost:
        values[key] = None
    doc = nest(form, values)
    provenance: dict[str, Any] = {
        "source_sha256": result.sha256,
        "source_kind": result.kind,
        "template_id": result.template.get("template_id"),
        "template_version": result.template.get("template_version"),
        "form_version": form.form_version,
        "xlcheck_version": __version__,
        "validated": not unvalidated,
        "not_representable": [key_to_pointer(k) for k in lost] or None,
    }
    if result.explained:  # only explanations of warnings that were found
        doc["explanations"] = [item.to_dict() for item in result.explained]
    doc["provenance"] = {k: v for k, v in provenance.items() if v is not None}
    return doc


def canonical_json(form: Form, result: FileResult, *, unvalidated: bool = False) -> str:
    return dump_json(canonical_document(form, result, unvalidated=unvalidated))


def source_map(form: Form, result: FileResult) -> dict[str, Any]:
    """JSON pointer -> sheet, cell, defined name, raw value and the normalisation applied; for a
    published report (import), where in it the value was read (`place`: a line, a page and
    table row, an HTML table row) and what was done to it (`note`)."""
    entries: dict[str, Any] = {}
    for key, entry in result.sources.items():
        if key not in form.fields or not form.fields[key].in_document:
            continue
        item = {
            "sheet": getattr(entry, "sheet", None),
            "cell": getattr(entry, "cell", None),
            "name": getattr(entry, "name", None),
            "raw": _jsonable(getattr(entry, "raw", None)),
            "normalisation": list(getattr(entry, "steps", ())),
        }
        place = getattr(entry, "place", None)
        if place is not None:  # a reading of an import (a workbook's entry has no place)
            item["place"] = str(place)
            note = getattr(entry, "note", "")
            item["normalisation"] = [note] if note else []
        entries[key_to_pointer(key)] = item
    return {"source": result.path, "source_sha256": result.sha256, "fields": entries}


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def source_map_json(form: Form, result: FileResult) -> str:
    return json.dumps(source_map(form, result), ensure_ascii=False, indent=2) + "\n"


def readings_json(result: FileResult) -> str:
    """What an import read from a published report, reading by reading (`<名称>.import.json`)."""
    readings = {
        "source": result.path,
        "readings": [_reading_dict(r) for r in result.sources.values()],
    }
    return json.dumps(readings, ensure_ascii=False, indent=2) + "\n"


def _reading_dict(reading: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(reading) and not isinstance(reading, type):
        return {
            k: (v if isinstance(v, str | int | float | bool | type(None)) else str(v))
            for k, v in dataclasses.asdict(reading).items()
        }
    return {"value": str(reading)}

"""A short fingerprint of a form's locked layout, stored in every template it produces.

A returned workbook carries it, so the reader can tell whether the file came from this exact layout.
"""

from __future__ import annotations

import hashlib
import json

from xlcheck.form.model import Form


def layout_fingerprint(form: Form) -> str:
    """16 hex digits over sheet names, labels, and each field's key, cell, type and formula rule.

    Worked out once per form: the reader compares it with every workbook's.
    """
    if "layout_fingerprint" not in form.memo:
        form.memo["layout_fingerprint"] = _fingerprint(form)
    found: str = form.memo["layout_fingerprint"]
    return found


def _fingerprint(form: Form) -> str:
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

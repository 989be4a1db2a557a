"""A short fingerprint of a form's locked layout, stored in every template it produces.

A returned workbook carries it, so the reader can tell whether the file came from this exact layout.
"""

from __future__ import annotations

from xlcheck.form.model import Form


def layout_fingerprint(form: Form) -> str:
    """16 hex digits over sheet names, labels, and each field's key, cell, type and formula rule.

    Worked out once per form (`Form.compiled`): the reader compares it with every workbook's.
    """
    return form.compiled.layout_fingerprint

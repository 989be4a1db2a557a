"""What makes a workbook recognisably ours: protection, document properties and the `_xlcheck` sheet."""

from __future__ import annotations

import datetime
from typing import Any, BinaryIO

from xlsxwriter import Workbook

from xlcheck.form.model import Form
from xlcheck.xlsxout import xstring  # noqa: F401 - installs the complete ST_Xstring escaping

TEMPLATE_PASSWORD = "xlcheck"
METADATA_SHEET = "_xlcheck"
# A fixed creation time keeps regenerated templates identical apart from the zip container.
CREATED = datetime.datetime(2021, 9, 26, 0, 0, 0, tzinfo=datetime.UTC)
SHEET_PROTECTION = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "format_columns": True,
    "format_rows": True,
}


def password_hash(password: str) -> str:
    """The legacy Excel password verifier (ECMA-376 Part 4, §14.7.1) used for sheets and books."""
    digest = 0
    for char in password[::-1]:
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    digest ^= len(password) ^ 0xCE4B
    return f"{digest:X}"


class ProtectedWorkbook(Workbook):  # type: ignore[misc]
    """An xlsxwriter Workbook whose structure is locked (no adding, renaming or moving sheets).

    xlsxwriter has no API for <workbookProtection>; its schema place is right after <workbookPr>,
    so the element is written from that hook (tests read it back with openpyxl).
    """

    def _write_workbook_pr(self) -> None:
        super()._write_workbook_pr()
        attributes = [("workbookPassword", password_hash(TEMPLATE_PASSWORD)), ("lockStructure", 1)]
        self._xml_empty_tag("workbookProtection", attributes)


def open_workbook(dest: Any) -> ProtectedWorkbook:
    """A workbook on a path or binary file that never turns strings into formulas or numbers."""
    target: str | BinaryIO = dest if not hasattr(dest, "__fspath__") else str(dest)
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "in_memory": True}
    return ProtectedWorkbook(target, options)


def template_properties(form: Form) -> dict[str, str]:
    """The key/value pairs that identify the form and layout a workbook was made from."""
    return {
        "xlcheck.template_id": form.id,
        "xlcheck.form_version": form.form_version,
        "xlcheck.template_version": form.template_version,
        "xlcheck.layout_fingerprint": form.compiled.layout_fingerprint,
    }


def write_metadata(workbook: Any, form: Form, styles: Any) -> None:
    """Document properties, custom properties and the very hidden, protected `_xlcheck` sheet."""
    workbook.set_properties(
        {
            "title": form.title.zh,
            "subject": f"{form.title.zh}（{form.basis}）" if form.basis else form.title.zh,
            "author": "xlcheck",
            "comments": "由 xlcheck 生成；请只填写浅黄色单元格。",
            "created": CREATED,
        }
    )
    pairs = template_properties(form)
    for name, value in pairs.items():
        workbook.set_custom_property(name, value)
    sheet = workbook.add_worksheet(METADATA_SHEET)
    for row, (name, value) in enumerate(pairs.items()):
        sheet.write_string(row, 0, name, styles.get("plain"))
        sheet.write_string(row, 1, value, styles.get("plain"))
    sheet.set_column(0, 1, 30)
    sheet.very_hidden()
    sheet.protect(TEMPLATE_PASSWORD, SHEET_PROTECTION)

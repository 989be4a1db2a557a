"""Skipping the worksheet tail (validations, conditional formats) loses nothing the reader needs."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from documents import valid_values
from xlcheck.form import Form
from xlcheck.xlsx import open_package
from xlcheck.xlsx.sheet import without_tail
from xlcheck.xlsxout import write_template


def test_the_tail_goes_and_protection_merges_and_cells_stay(form: Form) -> None:
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values(form, 2))
    package = open_package(buffer.getvalue())
    raw = package._parts.read("xl/worksheets/sheet5.xml")
    assert raw is not None and b"<dataValidations" in raw
    cut = without_tail(raw)
    ET.fromstring(cut)  # still well-formed
    assert b"<dataValidations" not in cut and b"<conditionalFormatting" not in cut
    assert b"<sheetProtection" in cut and b"<mergeCells" in cut
    data = package.read_sheet("三、依申请公开", ["D4", "J27"])
    assert data.protected and "A1:C3" in data.merged and data.cells["D4"].value is not None


def test_text_that_names_a_tail_element_is_not_cut() -> None:
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lt;dataValidations&gt;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    assert without_tail(xml) == xml


def test_prefixed_markup_is_cut_at_the_prefixed_tail() -> None:
    xml = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData/>'
        b'<x:sheetProtection sheet="1"/><x:dataValidations count="0"/><x:pageMargins/></x:worksheet>'
    )
    cut = without_tail(xml)
    assert (
        cut.endswith(b"</x:worksheet>")
        and b"dataValidations" not in cut
        and b"sheetProtection" in cut
    )
    ET.fromstring(cut)

"""The published Word report: the title, then the form's six sections in order, as prose and tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

from xlcheck.canonical import flatten
from xlcheck.codes import format_value
from xlcheck.form.model import Form, Section, Sheet
from xlcheck.render.docx_page import TemplateError, open_document, text_width_twips
from xlcheck.render.docx_style import StyleIds
from xlcheck.render.docx_tables import layout_sheet, table_element, value_texts
from xlcheck.render.docx_xml import clean_text, el, sub, text_run

__all__ = ["TemplateError", "write_report"]

UNVALIDATED = "未经校验"
TITLE_LIMIT = 255
# An empty prose section or overview topic keeps its heading and says 无 (the spec asks for 无
# rather than nothing); an empty intro is simply left out, as it has no heading of its own.
EMPTY = "无"
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
# Leading full-width spaces typed for indentation would double the style's first-line indent.
_EDGE_SPACE = " \t\u3000\u00a0"


def write_report(
    form: Form,
    doc: Mapping[str, Any],
    dest: Path | BinaryIO,
    *,
    docx_template: Path | None = None,
    unvalidated: bool = False,
) -> None:
    """Write the Word report of canonical document `doc` to `dest` (a path or a binary stream).

    Raises TemplateError when `docx_template` is not a readable .docx."""
    document, ids = open_document(docx_template)
    body = document.element.body
    sect_pr = body.find(qn("w:sectPr"))
    values = flatten(form, doc)
    # python-docx refuses a core property over 255 characters (a long agency name, a --force run)
    document.core_properties.title = clean_text(document_title(form, values))[:TITLE_LIMIT]
    elements = report_elements(form, values, ids, text_width_twips(document), unvalidated)
    for element in elements:
        if sect_pr is None:
            body.append(element)
        else:
            sect_pr.addprevious(element)
    document.save(str(dest) if isinstance(dest, Path) else dest)


def report_elements(
    form: Form, values: Mapping[str, Any], ids: StyleIds, width: int, unvalidated: bool
) -> list[BaseOxmlElement]:
    """Body paragraphs and tables of the report, in order."""
    elements = [paragraph(ids.title, document_title(form, values))]
    if unvalidated:
        elements.append(paragraph(ids.mark, UNVALIDATED))
    for section in form.sections:
        elements.append(paragraph(ids.heading1, section.heading))
        elements.extend(section_elements(form, section, values, ids, width))
    return elements


def document_title(form: Form, values: Mapping[str, Any]) -> str:
    """The form's title pattern with `{key}` replaced by the value as plain text (never format())."""
    return _PLACEHOLDER.sub(lambda match: plain(values.get(match.group(1))), form.document_title.zh)


def plain(value: Any) -> str:
    """A title value as text: numbers as people write them (1E+300, never 301 digits)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_value(value)
    return str(value)


def section_elements(
    form: Form, section: Section, values: Mapping[str, Any], ids: StyleIds, width: int
) -> list[BaseOxmlElement]:
    if section.content == "overview" and section.sheet is not None:
        return overview_elements(form, form.sheet(section.sheet), values, ids)
    if section.content == "table" and section.sheet is not None:
        sheet = form.sheet(section.sheet)
        texts = value_texts(form, sheet, values)
        return [
            table_element(layout_sheet(form, sheet), texts, ids, width),
            paragraph(ids.body, ""),
        ]
    return prose(ids.body, values.get(section.field or ""), EMPTY)


def overview_elements(
    form: Form, sheet: Sheet, values: Mapping[str, Any], ids: StyleIds
) -> list[BaseOxmlElement]:
    """The section's sheet of topics: the intro, then each topic under its heading （一）…（五）."""
    elements: list[BaseOxmlElement] = []
    for field in (form.fields[k] for k in sheet.field_keys):
        if not field.in_document:
            continue
        if field.heading is None:
            elements.extend(prose(ids.body, values.get(field.key), None))
        else:
            elements.append(paragraph(ids.heading2, field.heading))
            elements.extend(prose(ids.body, values.get(field.key), EMPTY))
    return elements


def prose(style_id: str, text: Any, empty: str | None) -> list[BaseOxmlElement]:
    """One paragraph per non-blank line; `empty` (or nothing) when there is no text."""
    lines = [line.strip(_EDGE_SPACE) for line in _LINE_BREAK.split(plain(text))]
    lines = [line for line in lines if line]
    if not lines and empty is not None:
        lines = [empty]
    return [paragraph(style_id, line) for line in lines]


def paragraph(style_id: str, text: str) -> BaseOxmlElement:
    """A w:p of the given style holding `text` literally."""
    element = el("w:p")
    sub(sub(element, "w:pPr"), "w:pStyle", val=style_id)
    if text:
        text_run(element, text)
    return element

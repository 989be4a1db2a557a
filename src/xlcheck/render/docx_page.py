"""The report's document: A4 page setup, the page-number footer, and the base package or a county template."""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

from xlcheck.render.docx_style import (
    PARA_STYLES,
    TABLE_STYLE,
    ParaStyle,
    StyleIds,
    define_styles,
    run_props,
    set_document_defaults,
)
from xlcheck.render.docx_xml import el, sub, text_run

TWIPS_PER_MM = 1440 / 25.4
FOOTER_FONT = "宋体"


def _mm(value: float) -> str:
    return str(round(value * TWIPS_PER_MM))


def set_page(document: DocxDocument) -> None:
    """A4 portrait; GB/T 9704 margins: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm."""
    sect_pr = document.element.body.get_or_add_sectPr()
    for tag in ("w:pgSz", "w:pgMar"):
        for old in sect_pr.findall(qn(tag)):
            sect_pr.remove(old)
    size = el("w:pgSz", w=_mm(210), h=_mm(297))
    margins = el(
        "w:pgMar",
        top=_mm(37),
        bottom=_mm(35),
        left=_mm(28),
        right=_mm(26),
        header=_mm(15),
        footer=_mm(25),
        gutter="0",
    )
    position = 0
    for index, child in enumerate(sect_pr):
        if child.tag in (qn("w:headerReference"), qn("w:footerReference")):
            position = index + 1
    sect_pr.insert(position, margins)
    sect_pr.insert(position, size)


def _field_runs(instruction: str) -> list[BaseOxmlElement]:
    """A complex field (begin, instruction, separate, cached result, end) as five runs."""
    runs = []
    for kind, text in (
        ("begin", ""),
        ("instr", instruction),
        ("separate", ""),
        ("text", "1"),
        ("end", ""),
    ):
        run = el("w:r")
        if kind == "instr":
            sub(run, "w:instrText").text = text
        elif kind == "text":
            sub(run, "w:t").text = text
        else:
            sub(run, "w:fldChar", fldCharType=kind)
        runs.append(run)
    return runs


def add_page_number(document: DocxDocument) -> None:
    """Centred `— N —` in the footer (GB/T 9704 puts a dash either side of the page number)."""
    footer = document.sections[0].footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    dash_before, dash_after = el("w:p"), el("w:p")
    text_run(dash_before, "— ")
    text_run(dash_after, " —")
    runs = [dash_before[0], *_field_runs(" PAGE "), dash_after[0]]
    run_style = ParaStyle("footer", FOOTER_FONT, 14)
    for run in runs:
        run.insert(0, run_props(run_style))
        paragraph._p.append(run)


def _drop_heavy_parts(document: DocxDocument) -> None:
    """The default template carries 780 KB of styles the report never uses; each save would write
    them again. Drop the stylesWithEffects part and every style that is neither ours nor a default."""
    for part in (document.part, document.part.package):
        for rel_id, rel in list(part.rels.items()):
            if rel.reltype.endswith(("/stylesWithEffects", "/thumbnail")):
                part.rels.pop(rel_id)
    styles = document.styles.element
    keep = {spec.name.lower() for spec in PARA_STYLES} | {TABLE_STYLE.lower()}
    for style in styles.findall(qn("w:style")):
        name = style.find(qn("w:name"))
        named = name is not None and str(name.get(qn("w:val"))).lower() in keep
        if not named and style.get(qn("w:default")) != "1":
            styles.remove(style)


@functools.cache
def _base_package() -> tuple[bytes, StyleIds]:
    """Our own base document, built once and kept as bytes; each report reopens a fresh copy."""
    document = Document()
    set_document_defaults(document)
    ids = define_styles(document, replace=True)
    _drop_heavy_parts(document)
    properties = document.core_properties
    properties.author = properties.last_modified_by = properties.comments = ""
    set_page(document)
    add_page_number(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), ids


def _footer_is_empty(document: DocxDocument) -> bool:
    footer = document.sections[0].footer
    if footer.is_linked_to_previous:
        return True
    content = footer._element.iter(qn("w:r"), qn("w:fldSimple"), qn("w:drawing"))
    return next(content, None) is None


class TemplateError(ValueError):
    """The --docx-template file cannot be opened as a Word document."""


def _open_template(template: Path) -> DocxDocument:
    try:
        return Document(str(template))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise TemplateError(f"cannot use {template} as a Word template (.docx): {exc}") from exc


def open_document(template: Path | None) -> tuple[DocxDocument, StyleIds]:
    """A document with an empty body and the report's styles: our base, or a county's template."""
    if template is None:
        raw, ids = _base_package()
        return Document(io.BytesIO(raw)), ids
    document = _open_template(template)
    clear_body(document)
    ids = define_styles(document, replace=False)
    if _footer_is_empty(document):
        add_page_number(document)
    return document, ids


def clear_body(document: DocxDocument) -> None:
    """Remove the body's content but keep its final section properties (page, header, footer)."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def text_width_twips(document: DocxDocument) -> int:
    """Page width minus left and right margins of the last section."""
    section = document.sections[-1]
    width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    return max(int(width / 635), 2000)  # EMU -> twips

"""The report's look in GB/T 9704 official-document style: styles, A4 page setup and the page-number footer."""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from lxml import etree

TWIPS_PER_MM = 1440 / 25.4
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 forbids (lxml raises on them); tab, LF and CR are allowed but handled by callers.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FONT_TITLE = "方正小标宋简体"
FONT_HEADING = "黑体"
FONT_SUBHEADING = "楷体_GB2312"
FONT_BODY = "仿宋_GB2312"
FOOTER_FONT = "宋体"

# Style names as Word shows them; a county template is used by these names where it has them.
TITLE, HEADING1, HEADING2, BODY = "Title", "Heading 1", "Heading 2", "Normal"
TABLE_TEXT, TABLE_NUMBER, TABLE_STYLE, MARK = (
    "Table Text",
    "Table Number",
    "Report Table",
    "Unvalidated Mark",
)


@dataclass(frozen=True)
class ParaStyle:
    """One paragraph style: font (all four scripts), size in pt, alignment and spacing."""

    name: str
    font: str
    size: float
    align: str = "both"
    indent_chars: int = 0
    line_exact: float | None = 28.0
    after: float = 0.0
    bold: bool = False
    color: str | None = None
    outline: int | None = None
    based_on: str | None = None


# GB/T 9704: title 2号 小标宋; level-1 headings 黑体, level-2 楷体, body 仿宋, all 3号 on a fixed
# 28 pt line (22 lines a page); tables use 五号 (10.5 pt) single-spaced so 15 columns fit in portrait.
PARA_STYLES: tuple[ParaStyle, ...] = (
    ParaStyle(BODY, FONT_BODY, 16, indent_chars=2),
    ParaStyle(TITLE, FONT_TITLE, 22, align="center", line_exact=None, after=28),
    ParaStyle(HEADING1, FONT_HEADING, 16, indent_chars=2, outline=0),
    ParaStyle(HEADING2, FONT_SUBHEADING, 16, indent_chars=2, outline=1),
    ParaStyle(TABLE_TEXT, FONT_BODY, 10.5, align="center", line_exact=None),
    ParaStyle(TABLE_NUMBER, FONT_BODY, 10.5, align="right", line_exact=None, based_on=TABLE_TEXT),
    ParaStyle(MARK, FONT_HEADING, 16, align="center", color="FF0000", after=14),
)


@dataclass(frozen=True)
class StyleIds:
    """The style ids (not names) that paragraphs and tables of the body refer to."""

    title: str
    heading1: str
    heading2: str
    body: str
    table_text: str
    table_number: str
    table: str
    mark: str


@functools.cache
def _clark(tag: str) -> str:
    """'w:tc' -> '{namespace}tc', cached: name lookups dominate when building thousands of cells."""
    return str(qn(tag))


def _attributes(attrs: dict[str, str]) -> dict[str, str]:
    return {_clark(f"w:{name}"): value for name, value in attrs.items()}


def el(tag: str, **attrs: str) -> BaseOxmlElement:
    """A new WordprocessingML element; attribute names are given without the w: prefix."""
    element: BaseOxmlElement = OxmlElement(tag)
    for name, value in _attributes(attrs).items():
        element.set(name, value)
    return element


def sub(parent: BaseOxmlElement, tag: str, **attrs: str) -> BaseOxmlElement:
    """Append a new child (lxml's SubElement keeps python-docx's element classes)."""
    child: BaseOxmlElement = etree.SubElement(parent, _clark(tag), _attributes(attrs))
    return child


def clean_text(text: str) -> str:
    """Text as it will be stored: characters that XML 1.0 forbids are dropped, nothing else changes."""
    return _FORBIDDEN.sub("", text)


def text_run(parent: BaseOxmlElement, text: str) -> None:
    """Append runs holding `text` literally (a tab becomes w:tab); never parsed as markup."""
    run = sub(parent, "w:r")
    for index, piece in enumerate(clean_text(text).split("\t")):
        if index:
            sub(run, "w:tab")
        if piece:
            t = sub(run, "w:t")
            t.text = piece
            t.set(XML_SPACE, "preserve")


def font_element(font: str) -> BaseOxmlElement:
    """rFonts naming the font for every script: font.name alone leaves East Asian text unset."""
    return el("w:rFonts", ascii=font, hAnsi=font, eastAsia=font, cs=font)


def _para_props(spec: ParaStyle) -> BaseOxmlElement:
    ppr = el("w:pPr")
    if spec.outline is not None:
        sub(ppr, "w:keepNext")
    if spec.line_exact is None:
        sub(
            ppr,
            "w:spacing",
            before="0",
            after=str(round(spec.after * 20)),
            line="240",
            lineRule="auto",
        )
    else:
        line = str(round(spec.line_exact * 20))
        sub(
            ppr,
            "w:spacing",
            before="0",
            after=str(round(spec.after * 20)),
            line=line,
            lineRule="exact",
        )
    first = str(round(spec.indent_chars * spec.size * 20))
    sub(
        ppr,
        "w:ind",
        left="0",
        right="0",
        firstLine=first,
        firstLineChars=str(spec.indent_chars * 100),
    )
    sub(ppr, "w:jc", val=spec.align)
    if spec.outline is not None:
        sub(ppr, "w:outlineLvl", val=str(spec.outline))
    return ppr


def _run_props(spec: ParaStyle) -> BaseOxmlElement:
    rpr = el("w:rPr")
    rpr.append(font_element(spec.font))
    sub(rpr, "w:b", val="1" if spec.bold else "0")
    if spec.color:
        sub(rpr, "w:color", val=spec.color)
    half_points = str(round(spec.size * 2))
    sub(rpr, "w:sz", val=half_points)
    sub(rpr, "w:szCs", val=half_points)
    sub(rpr, "w:lang", val="en-US", eastAsia="zh-CN")
    return rpr


def _define_style(document: DocxDocument, spec: ParaStyle, *, replace: bool) -> str:
    """Add the style (or, for our own base, redefine it) and return its id."""
    styles = document.styles
    try:
        style = styles[spec.name]
    except KeyError:
        style = styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
    else:
        if not replace:
            return str(style.style_id)
    element = style.element
    for old in (
        element.findall(qn("w:pPr")) + element.findall(qn("w:rPr")) + element.findall(qn("w:link"))
    ):
        element.remove(old)
    element.append(_para_props(spec))
    element.append(_run_props(spec))
    style.base_style = styles[spec.based_on] if spec.based_on else None
    style.quick_style = True
    return str(style.style_id)


def _table_style_props() -> BaseOxmlElement:
    tblpr = el("w:tblPr")
    borders = sub(tblpr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        sub(borders, f"w:{edge}", val="single", sz="4", space="0", color="000000")
    margins = sub(tblpr, "w:tblCellMar")
    for edge, width in (("top", "0"), ("left", "57"), ("bottom", "0"), ("right", "57")):
        sub(margins, f"w:{edge}", w=width, type="dxa")
    return tblpr


def _define_table_style(document: DocxDocument, *, replace: bool) -> str:
    styles = document.styles
    try:
        style = styles[TABLE_STYLE]
    except KeyError:
        style = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    else:
        if not replace:
            return str(style.style_id)
    for old in style.element.findall(qn("w:tblPr")):
        style.element.remove(old)
    style.element.append(_table_style_props())
    return str(style.style_id)


def define_styles(document: DocxDocument, *, replace: bool) -> StyleIds:
    """Make sure every style the report uses exists; `replace` redefines them (our own base only)."""
    ids = {spec.name: _define_style(document, spec, replace=replace) for spec in PARA_STYLES}
    return StyleIds(
        title=ids[TITLE],
        heading1=ids[HEADING1],
        heading2=ids[HEADING2],
        body=ids[BODY],
        table_text=ids[TABLE_TEXT],
        table_number=ids[TABLE_NUMBER],
        table=_define_table_style(document, replace=replace),
        mark=ids[MARK],
    )


def _set_document_defaults(document: DocxDocument) -> None:
    """Theme fonts in docDefaults would override our names for unstyled text: name the body font."""
    rpr_default = document.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault"))
    if rpr_default is None:
        return
    for old in list(rpr_default):
        rpr_default.remove(old)
    rpr = sub(rpr_default, "w:rPr")
    rpr.append(font_element(FONT_BODY))
    sub(rpr, "w:lang", val="en-US", eastAsia="zh-CN")


def _mm(value: float) -> str:
    return str(round(value * TWIPS_PER_MM))


def set_page(document: DocxDocument) -> None:
    """A4 portrait; GB/T 9704 margins: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm."""
    sect_pr = document.element.body.find(qn("w:sectPr"))
    assert sect_pr is not None
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
        run.insert(0, _run_props(run_style))
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
    _set_document_defaults(document)
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


def open_document(template: Path | None) -> tuple[DocxDocument, StyleIds]:
    """A document with an empty body and the report's styles: our base, or a county's template."""
    if template is None:
        raw, ids = _base_package()
        return Document(io.BytesIO(raw)), ids
    document = Document(str(template))
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

"""The report's styles in GB/T 9704 official-document style, defined once on the document, never per run."""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

from xlcheck.render.docx_xml import el, sub

FONT_TITLE = "方正小标宋简体"
FONT_HEADING = "黑体"
FONT_SUBHEADING = "楷体_GB2312"
FONT_BODY = "仿宋_GB2312"

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


def run_props(spec: ParaStyle) -> BaseOxmlElement:
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
    element.append(run_props(spec))
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


def set_document_defaults(document: DocxDocument) -> None:
    """Theme fonts in docDefaults would override our names for unstyled text: name the body font."""
    rpr_default = document.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault"))
    if rpr_default is None:
        return
    for old in list(rpr_default):
        rpr_default.remove(old)
    rpr = sub(rpr_default, "w:rPr")
    rpr.append(font_element(FONT_BODY))
    sub(rpr, "w:lang", val="en-US", eastAsia="zh-CN")

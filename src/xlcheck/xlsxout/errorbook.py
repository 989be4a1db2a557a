"""The error workbook from a package built once per process: the form's error workbook without
values or findings is rebuilt with xlsxwriter the first time (per form and language) and kept as
parts; each submission's workbook copies it and writes only what changes — the values in the form
sheets, the styles of marked cells, the comments (with their VML boxes) and the findings list.

The result must look like `rebuild_error_workbook`'s, cell for cell (tests compare the two).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from xlcheck.cells import format_cell, parse_cell, parse_range
from xlcheck.explain import FIRST_ROW, MAX_ROWS, Explanation
from xlcheck.explain import SHEET_NAME as EXPLANATION_SHEET
from xlcheck.findings import Finding, count_by_severity
from xlcheck.form.model import Form, Sheet
from xlcheck.xlsx.workbook import workbook_facts
from xlcheck.xlsx.xmlsafe import quote_attr
from xlcheck.xlsxout.errors import (
    _WIDTHS,
    _WORDS,
    NOTE_X_SCALE,
    finding_texts,
    group_mark,
    lang_of,
    marks_of,
    note_body,
    rebuild_error_workbook,
    row_height,
)
from xlcheck.xlsxout.explainsheet import explanation_cells
from xlcheck.xlsxout.formulas import Evaluator, cached, quote_sheet
from xlcheck.xlsxout.livechecks import compile_checks
from xlcheck.xlsxout.notes import Grid, Note, comments_xml, read_grid, rels_xml, vml_xml
from xlcheck.xlsxout.safe_text import needs_guard, neutralise
from xlcheck.xlsxout.sheetxml import (
    Row,
    SharedStrings,
    SheetXml,
    blank_cell,
    formula_cell,
    parse_sheet,
    text_cell,
    value_cell,
)
from xlcheck.xlsxout.template import _LABEL_ROLES, INPUT_ROLES, Marks
from xlcheck.xlsxout.zippack import Packed, pack, write_zip

Styles = Mapping[tuple[str, str | None, bool], int]
_SST: Final = "xl/sharedStrings.xml"
_STYLE_ATTR: Final = re.compile(r' s="\d+"')
_COMMENTS_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_DEFAULT: Final = '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'


@dataclass(frozen=True)
class Base:
    """The form's error workbook without values or findings, as parts."""

    packed: dict[str, Packed]  # every part, deflated once
    content_types: str  # [Content_Types].xml, which a copy with notes extends
    strings: SharedStrings
    parts: dict[str, str]  # sheet name -> worksheet part
    sheets: dict[str, SheetXml]  # form sheets and the findings list, parsed
    grids: dict[str, Grid]
    styles: Styles
    written: frozenset[tuple[str, str]]
    listing: str


def write_from_base(
    form: Form,
    dest: Path | BinaryIO,
    *,
    cells: Mapping[str, Any],
    findings: Sequence[Finding],
    source_name: str,
    lang: str = "zh",
    explanations: Sequence[Explanation] = (),
) -> None:
    base = base_package(form, lang_of(lang))
    marks, strings = marks_of(findings), base.strings.copy()
    evaluator = Evaluator(form, cells)  # one for all sheets: a total may add up another sheet's
    sheets = {
        sheet.name: _fill_sheet(form, sheet, base, cells, marks, strings, evaluator)
        for sheet in form.sheets
    }
    _fill_live(form, cells, base, sheets)
    if EXPLANATION_SHEET in base.sheets:  # the office's explanations, to keep when it resends
        sheets[EXPLANATION_SHEET] = _fill_explanations(base, explanations, strings)
    notes = _notes(base, findings, lang, sheets)
    sheets[base.listing] = _listing(base, findings, source_name, lang, strings)
    parts = dict(base.packed)
    parts[_SST] = pack(_SST, strings.render())
    parts.update(_note_parts(base, notes, sheets))
    for name, sheet in sheets.items():
        parts[base.parts[name]] = pack(base.parts[name], sheet.render().encode())
    if hasattr(dest, "__fspath__"):
        with open(dest, "wb") as fh:
            write_zip(list(parts.values()), fh)
    else:
        write_zip(list(parts.values()), dest)


@functools.lru_cache(maxsize=16)
def base_package(form: Form, lang: str) -> Base:
    """Built once per form and language in this process (a Form hashes by identity)."""
    return _build_base(form, lang)


def _build_base(form: Form, lang: str) -> Base:
    buffer = io.BytesIO()
    built = rebuild_error_workbook(form, buffer, cells={}, findings=[], source_name="", lang=lang)
    with zipfile.ZipFile(buffer) as archive:
        raw = {info.filename: archive.read(info) for info in archive.infolist()}
    facts = workbook_facts(
        "xl/workbook.xml", raw["xl/workbook.xml"], raw["xl/_rels/workbook.xml.rels"]
    )
    parts = {s.name: str(s.part) for s in facts.sheets}
    listing = str(_WORDS[lang]["sheet"])
    names = [sheet.name for sheet in form.sheets] + [listing]
    names += [EXPLANATION_SHEET] if EXPLANATION_SHEET in parts else []
    texts = {parts[name]: raw[parts[name]].decode() for name in names}
    return Base(
        packed={name: pack(name, data) for name, data in raw.items()},
        content_types=raw["[Content_Types].xml"].decode(),
        strings=SharedStrings.parse(raw[_SST].decode()),
        parts={name: parts[name] for name in names},
        sheets={name: parse_sheet(texts[parts[name]]) for name in names},
        grids={name: read_grid(texts[parts[name]]) for name in names},
        styles=built.styles.xf_indices(),
        written=frozenset(built.written),
        listing=listing,
    )


# --- the form sheets: values, computed totals, marks ----------------------------------------


def _fill_sheet(
    form: Form,
    sheet: Sheet,
    base: Base,
    cells: Mapping[str, Any],
    marks: Marks,
    strings: SharedStrings,
    evaluator: Evaluator,
) -> SheetXml:
    """What build_workbook's _write_sheet writes that depends on the values or the marks."""
    xml, styles = base.sheets[sheet.name].copy(), base.styles
    for label in sheet.labels:
        mark = marks.get((sheet.name, label.range.split(":")[0]))
        if mark:
            role = label.role if label.role in _LABEL_ROLES else "row"
            _restyle(xml, label.range, styles[(role, mark, False)])
    for key in sheet.field_keys:
        fld = form.fields[key]
        mark = marks.get((sheet.name, fld.cell))
        if fld.computed_by:
            style = styles[("formula", mark, False)]
            total = cached(evaluator.value(key))
            element = formula_cell(fld.cell, xml.formula(fld.cell), total, style)
        else:
            value = cells.get(key)
            guard = isinstance(value, str) and needs_guard(value)
            style = styles[(INPUT_ROLES[fld.type], mark, guard)]
            element = value_cell(fld.cell, value, style, strings)
        if fld.merge:
            _restyle(xml, fld.merge, style)
        xml.put(fld.cell, element)
    return xml


def _fill_explanations(
    base: Base, explanations: Sequence[Explanation], strings: SharedStrings
) -> SheetXml:
    """What write_explanation_sheet writes for the rows (the base holds them blank)."""
    xml = base.sheets[EXPLANATION_SHEET].copy()
    for index, item in enumerate(explanations[:MAX_ROWS]):
        row = FIRST_ROW + index
        for col, value in zip("ABC", explanation_cells(item), strict=True):
            if value:
                # the office's words, kept as typed; text that starts like a formula is quoted
                style = base.styles[("input_text", None, needs_guard(value))]
                xml.put(f"{col}{row}", text_cell(f"{col}{row}", value, style, strings))
    return xml


def _fill_live(
    form: Form, cells: Mapping[str, Any], base: Base, sheets: dict[str, SheetXml]
) -> None:
    """The check cells' cached results (their formulas do not depend on the values)."""
    style = base.styles[("live", None, False)]
    for check in compile_checks(form, cells):
        xml = sheets[form.sheet(check.sheet).name]
        xml.put(check.cell, formula_cell(check.cell, xml.formula(check.cell), check.value, style))


def _restyle(xml: SheetXml, cell_range: str, style: int) -> None:
    """Give every cell of the range that the base wrote another style (a merged block)."""
    top, left, bottom, right = parse_range(cell_range)
    for row in range(top, bottom + 1):
        for col in range(left, right + 1):
            ref = format_cell(row, col)
            element = xml.cell(ref)
            if element is not None:
                xml.put(ref, _STYLE_ATTR.sub(f' s="{style}"', element, count=1))


# --- comments -------------------------------------------------------------------------------


def _notes(
    base: Base, findings: Sequence[Finding], lang: str, sheets: dict[str, SheetXml]
) -> dict[str, list[Note]]:
    """One note per offending cell listing all its messages; cells nothing wrote get painted."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.sheet in sheets and finding.cell and _is_cell(finding.cell):
            groups.setdefault((finding.sheet, finding.cell), []).append(finding)
    notes: dict[str, list[Note]] = {}
    for (sheet, cell), group in groups.items():
        ref = format_cell(*parse_cell(cell))
        if (sheet, cell) not in base.written:
            sheets[sheet].put(ref, blank_cell(ref, base.styles[("row", group_mark(group), False)]))
        text, y_scale = note_body(group, lang)
        notes.setdefault(sheet, []).append(Note(ref, text, "xlcheck", NOTE_X_SCALE, y_scale))
    for group_notes in notes.values():
        group_notes.sort(key=lambda n: parse_cell(n.cell))
    return notes


def _is_cell(ref: str) -> bool:
    try:
        parse_cell(ref)
    except ValueError:
        return False
    return True


def _note_parts(
    base: Base, notes: dict[str, list[Note]], sheets: dict[str, SheetXml]
) -> dict[str, Packed]:
    """commentsN.xml, vmlDrawingN.vml and the sheet's rels for each sheet with notes, in sheet
    order as xlsxwriter numbers them; the sheet (packed later) gets its <legacyDrawing>."""
    if not notes:
        return {}
    out: dict[str, Packed] = {}
    overrides: list[str] = []
    ordered = [name for name in base.parts if name in notes]
    for number, name in enumerate(ordered, start=1):
        sheet_part = base.parts[name]
        folder, _, file_name = sheet_part.rpartition("/")
        comments, vml = f"xl/comments{number}.xml", f"xl/drawings/vmlDrawing{number}.vml"
        rels = f"{folder}/_rels/{file_name}.rels"
        out[comments] = pack(comments, comments_xml(notes[name]))
        out[vml] = pack(vml, vml_xml(notes[name], base.grids[name], number))
        out[rels] = pack(
            rels, rels_xml(f"../drawings/vmlDrawing{number}.vml", f"../comments{number}.xml")
        )
        overrides.append(f'<Override PartName="/{comments}" ContentType="{_COMMENTS_TYPE}"/>')
        xml = sheets[name]
        xml.after = xml.after.replace("</worksheet>", '<legacyDrawing r:id="rId1"/></worksheet>')
    types = base.content_types
    if _VML_DEFAULT not in types:
        types = types.replace("<Override ", _VML_DEFAULT + "<Override ", 1)
    types = types.replace("</Types>", "".join(overrides) + "</Types>")
    out["[Content_Types].xml"] = pack("[Content_Types].xml", types.encode())
    return out


# --- the findings list ----------------------------------------------------------------------


def _listing(
    base: Base, findings: Sequence[Finding], source_name: str, lang: str, strings: SharedStrings
) -> SheetXml:
    """What _write_listing writes: the summary in A1, the header row kept, one row a finding."""
    words, styles = _WORDS[lang_of(lang)], base.styles
    xml = base.sheets[base.listing].copy()
    errors, warnings = count_by_severity(list(findings))
    summary = str(words["summary"]).format(source=source_name, errors=errors, warnings=warnings)
    xml.put("A1", text_cell("A1", neutralise(summary), styles[("summary", None, False)], strings))
    links: list[str] = []
    for index, finding in enumerate(findings, start=1):
        xml.rows[index + 2] = _finding_row(base, index + 2, (index, finding), lang, links, strings)
    if links:
        anchor = "<pageMargins" if "<printOptions" not in xml.after else "<printOptions"
        block = "<hyperlinks>" + "".join(links) + "</hyperlinks>"
        xml.after = xml.after.replace(anchor, block + anchor, 1)
    return xml


def _finding_row(
    base: Base,
    row: int,
    numbered: tuple[int, Finding],
    lang: str,
    links: list[str],
    strings: SharedStrings,
) -> Row:
    (index, finding), lg, styles = numbered, lang_of(lang), base.styles
    mark = "error" if finding.is_error else "warning"
    plain = styles[("list_cell", None, False)]
    *texts, message = finding_texts(finding, lg)
    cells = {
        1: value_cell(f"A{row}", index, plain, strings),
        2: text_cell(f"B{row}", str(_WORDS[lg][mark]), styles[("list_cell", mark, False)], strings),
    }
    for col, text in enumerate(texts, start=3):
        cells[col] = text_cell(f"{'ABCDEFG'[col - 1]}{row}", neutralise(text), plain, strings)
    if finding.cell and finding.sheet in base.parts and finding.sheet != base.listing:
        location = f"{quote_sheet(finding.sheet)}{finding.cell}"
        cells[6] = text_cell(f"F{row}", finding.cell, styles[("link", None, False)], strings)
        links.append(
            f'<hyperlink ref="F{row}" location={quote_attr(location)} display={quote_attr(finding.cell)}/>'
        )
    else:
        cells[6] = text_cell(f"F{row}", neutralise(finding.cell or ""), plain, strings)
    cells[7] = text_cell(f"G{row}", neutralise(message), plain, strings)
    height = row_height((*texts, message))
    return Row(f'<row r="{row}" spans="1:{len(_WIDTHS)}" ht="{height:g}" customHeight="1"', cells)

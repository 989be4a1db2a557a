"""Import a published report (text, HTML, Word) into the canonical document, with audit findings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from xlcheck.canonical import nest
from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Text
from xlcheck.importers.audit import infer_from_name, printed_totals, says_nothing
from xlcheck.importers.blanks import settle_blanks
from xlcheck.importers.layouts import spaced_cells
from xlcheck.importers.model import ImportResult, Item, Page, Para, Reading, Row, Unreadable
from xlcheck.importers.prose import (
    Layout,
    audit_headings,
    read_overview,
    read_period,
    read_title,
    section_text,
    split_sections,
    title_patterns,
)
from xlcheck.importers.report_tables import read_tables
from xlcheck.importers.script import to_simplified
from xlcheck.importers.sniff import read_page

__all__ = ["ImportResult", "Reading", "import_report"]
MAX_BYTES = 20 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,9}")


def import_report(source: Path | bytes, filename: str, form: Form) -> ImportResult:
    """Read `source` (a path or its bytes), recognise its sections and tables, audit the layout."""
    try:
        page = read_page(load_bytes(source, filename), filename)
    except Unreadable as exc:
        return ImportResult(nest(form, {}), [exc.finding], readable=False)
    return import_page(page, form)


def load_bytes(source: Path | bytes, filename: str) -> bytes:
    if isinstance(source, Path):
        if not source.is_file():
            raise Unreadable(make_finding("F01", file=filename))
        if source.stat().st_size > MAX_BYTES:
            raise Unreadable(too_large(filename, source.stat().st_size))
        source = source.read_bytes()
    if len(source) > MAX_BYTES:
        raise Unreadable(too_large(filename, len(source)))
    if not source.strip():
        raise Unreadable(make_finding("F13", file=filename))
    return source


def too_large(filename: str, size: int) -> Finding:
    text = detail("file_size", size=size_mb(size), limit=size_mb(MAX_BYTES))
    return make_finding("F07", file=filename, detail=text)


def import_page(page: Page, form: Form) -> ImportResult:
    page, findings = to_simplified(page)
    layout = split_sections(form, page.items)
    findings += audit_headings(form, layout)
    flat, readings = read_identity(form, layout, findings)
    overview = next((i for i, s in enumerate(form.sections) if s.content == "overview"), None)
    if overview is not None:
        prose = read_overview(form, form.sections[overview], layout.sections.get(overview, []))
        flat.update({k: v for k, v in prose.texts.items() if v})
        findings += prose.findings
        readings += prose.readings
    flat.update(read_texts(form, layout))
    tables = read_tables(form, table_rows(form, layout))
    flat.update(tables.values)
    findings += tables.findings
    readings += tables.readings
    blanks = settle_blanks(form, flat, tables.blanks)
    flat.update(blanks.values)
    findings += blanks.findings
    readings += blanks.readings
    places = {r.key: r.place for r in readings}
    findings += printed_totals(form, flat, places)
    findings += fee_statement(form, layout, flat)
    return ImportResult(nest(form, flat), findings, readings, tables.labels)


def fee_statement(form: Form, layout: Layout, flat: dict[str, Any]) -> list[Finding]:
    key = form.published.fee_statement
    for index, section in enumerate(form.sections):
        if key is not None and section.field == key:
            return says_nothing(flat.get(key), section, heading_place(layout, index))
    return []


def read_identity(
    form: Form, layout: Layout, findings: list[Finding]
) -> tuple[dict[str, Any], list[Reading]]:
    """The roles the document title names (office name, year), the year from the statistical
    period when the title names none, then what the name tells."""
    everything = [*layout.front, *(i for items in layout.sections.values() for i in items)]
    title = read_title(form, layout.front or everything)
    found, place = title if title is not None else ({}, "title")
    places = dict.fromkeys(found, place)
    year = form.roles.field_of("year")
    if "year" not in found and year is not None and (period := read_period(form, everything)):
        found["year"], places["year"] = period
    values: dict[str, Any] = {}
    readings = []
    for role, text in found.items():
        key = form.roles.field_of(role)
        if key is not None:
            values[key] = title_value(form, key, text)
            readings.append(Reading(key, text, places[role]))
    findings += title_unread(form, set(found))
    if "name" in found:
        told, notes = infer_from_name(form, found["name"], place)
        values.update(told)
        readings += notes
    return values, readings


def title_unread(form: Form, found: set[str]) -> list[Finding]:
    """A06 for each role the title's shapes name that neither the title nor the period gave."""
    roles = dict.fromkeys(g for p in title_patterns(form) for g in p.groupindex)
    return [
        make_finding(
            "A06",
            form=form,
            key=form.roles.field_of(role),
            raw="",
            place=Text("标题", "title"),
            values={"place": "title", "raw": ""},
        )
        for role in roles
        if role not in found
    ]


def title_value(form: Form, key: str, text: str) -> Any:
    """A year read from the title is a number; any other role keeps its text."""
    if form.fields[key].type == "year" and _DIGITS.fullmatch(text):
        return int(text)
    return text


def read_texts(form: Form, layout: Layout) -> dict[str, str]:
    out = {}
    for index, section in enumerate(form.sections):
        if section.content == "text" and section.field and index in layout.sections:
            text = section_text(layout.sections[index])
            if text:
                out[section.field] = text
    return out


def heading_place(layout: Layout, index: int) -> str:
    return next((h.place for h in layout.headings if h.index == index), "—")


def table_rows(form: Form, layout: Layout) -> list[Row]:
    """Every table row, plus the lines of the table sections (one cell per line, or a label and
    the values its spaces separate, as a PDF copies them), with block ids."""
    rows: list[Row] = []
    blocks: dict[tuple[int, int], int] = {}
    parts: list[tuple[int, list[Item]]] = [(-1, layout.front), *sorted(layout.sections.items())]
    for section, items in parts:
        in_table = 0 <= section < len(form.sections) and form.sections[section].content == "table"
        for item in items:
            block = blocks.setdefault((section, item.block), len(blocks))
            if isinstance(item, Row):
                rows.append(Row(item.cells, item.place, block))
            elif in_table and isinstance(item, Para):
                rows.append(Row(spaced_cells(item.text), item.place, block))
    return rows

"""Import a published report (text, HTML, Word) into the canonical document, with audit findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlcheck.canonical import nest
from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Text
from xlcheck.importers.audit import agency_kind, other_matters_empty, printed_totals
from xlcheck.importers.model import Cell, ImportResult, Item, Page, Para, Reading, Row, Unreadable
from xlcheck.importers.prose import (
    Layout,
    audit_headings,
    read_overview,
    read_title,
    section_text,
    split_sections,
)
from xlcheck.importers.report_tables import read_tables
from xlcheck.importers.sniff import read_page

__all__ = ["ImportResult", "Reading", "import_report"]
MAX_BYTES = 20 * 1024 * 1024


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
    layout = split_sections(form, page.items)
    findings: list[Finding] = audit_headings(form, layout)
    flat, readings = read_agency(form, layout, findings)
    overview = read_overview(form, layout.sections.get(0, []))
    flat.update({k: v for k, v in overview.texts.items() if v})
    findings += overview.findings
    readings += overview.readings
    flat.update(read_texts(form, layout))
    tables = read_tables(form, table_rows(form, layout))
    flat.update(tables.values)
    findings += tables.findings
    readings += tables.readings
    places = {r.key: r.place for r in readings}
    findings += printed_totals(form, flat, places)
    other = next((i for i, s in enumerate(form.sections) if s.field == "other_matters"), 5)
    findings += other_matters_empty(flat.get("other_matters"), heading_place(layout, other))
    return ImportResult(nest(form, flat), findings, readings, tables.labels)


def read_agency(
    form: Form, layout: Layout, findings: list[Finding]
) -> tuple[dict[str, Any], list[Reading]]:
    title = read_title(layout.front or [i for items in layout.sections.values() for i in items])
    if title is None:
        for key in ("agency.name", "year"):
            findings.append(
                make_finding(
                    "A06",
                    form=form,
                    key=key,
                    raw="",
                    place=Text("标题", "title"),
                    values={"place": "title", "raw": ""},
                )
            )
        return {}, []
    name, year, place = title
    kind, readings = agency_kind(name, place)
    readings = [Reading("agency.name", name, place), Reading("year", str(year), place), *readings]
    return {"agency.name": name, "year": year, **kind}, readings


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
    """Every table row, plus the lines of the table sections (one cell per line), with block ids."""
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
                rows.append(Row((Cell(item.text),), item.place, block))
    return rows

"""The workbook part and relationship parts: sheets, defined names, structure protection."""

from __future__ import annotations

import functools
import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import NamedTuple

from xlcheck.xlsx.errors import PackageError
from xlcheck.xlsx.refs import parse_name_target
from xlcheck.xlsx.xmlsafe import children, find_attr, first_child, local_name, parse_xml

SHEET_STATES = ("visible", "hidden", "veryHidden")


@dataclass(frozen=True)
class Relationship:
    """One <Relationship>; `target` is a resolved part name unless `external`."""

    id: str
    type: str
    target: str
    external: bool

    def is_a(self, suffix: str) -> bool:
        """Type test by suffix, so transitional and strict relationship URIs both match."""
        return self.type.endswith("/" + suffix)


@dataclass(frozen=True)
class SheetInfo:
    """A sheet listed in workbook.xml; `kind` is worksheet, chartsheet, dialogsheet, …"""

    name: str
    state: str
    part: str | None
    sheet_id: int | None
    kind: str


class DefinedName(NamedTuple):
    """A defined name; target_cell is set only when `ref` is one cell on one sheet.

    A NamedTuple (immutable) rather than a frozen dataclass: templates carry hundreds of names.
    """

    name: str
    ref: str
    local_sheet_index: int | None
    target_sheet: str | None
    target_cell: str | None
    hidden: bool = False


def rels_part(part: str) -> str:
    """'xl/_rels/workbook.xml.rels' for 'xl/workbook.xml'; '_rels/.rels' for the package."""
    folder, _, name = part.rpartition("/")
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target as a part name (no leading '/')."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def parse_rels(root: ET.Element, source_part: str) -> dict[str, Relationship]:
    rels: dict[str, Relationship] = {}
    for element in children(root, "Relationship"):
        target = element.get("Target", "")
        external = element.get("TargetMode", "") == "External"
        resolved = target if external else resolve_target(source_part, target)
        rel_id = element.get("Id", "")
        rels[rel_id] = Relationship(rel_id, element.get("Type", ""), resolved, external)
    return rels


def parse_sheets(root: ET.Element, rels: dict[str, Relationship]) -> list[SheetInfo]:
    sheets_element = first_child(root, "sheets")
    result: list[SheetInfo] = []
    for element in () if sheets_element is None else children(sheets_element, "sheet"):
        rel = rels.get(find_attr(element, "id") or "")
        state = element.get("state", "visible")
        sheet_id = element.get("sheetId", "")
        result.append(
            SheetInfo(
                name=element.get("name", ""),
                state=state if state in SHEET_STATES else "visible",
                part=None if rel is None or rel.external else rel.target,
                sheet_id=int(sheet_id) if sheet_id.isdigit() and len(sheet_id) < 10 else None,
                kind=rel.type.rpartition("/")[2] if rel is not None else "worksheet",
            )
        )
    return result


def parse_defined_names(root: ET.Element, sheets: list[SheetInfo]) -> dict[str, DefinedName]:
    """Global names keyed by name; sheet-local names keyed '<sheet name>!<name>'."""
    names: dict[str, DefinedName] = {}
    container = first_child(root, "definedNames")
    for element in () if container is None else container:
        if not element.tag.endswith("definedName"):
            continue
        name, ref = element.get("name", ""), element.text or ""
        local = element.get("localSheetId")
        index = int(local) if local is not None and local.isdigit() and len(local) < 6 else None
        sheet, cell = parse_name_target(ref)
        entry = DefinedName(name, ref, index, sheet, cell, element.get("hidden") in ("1", "true"))
        if index is None:
            names[name] = entry
        else:
            scope = sheets[index].name if index < len(sheets) else str(index)
            names[f"{scope}!{name}"] = entry
    return names


def is_structure_locked(root: ET.Element) -> bool:
    element = first_child(root, "workbookProtection")
    return element is not None and element.get("lockStructure") in ("1", "true")


class WorkbookFacts(NamedTuple):
    """What workbook.xml and its rels say; shared by every package with the same two parts."""

    rels: dict[str, Relationship]
    sheets: list[SheetInfo]
    defined_names: dict[str, DefinedName]
    protected: bool


# Parts up to this size are remembered: a template's workbook.xml is a few KB (its names), and a
# batch of one template repeats it in every file; huge hostile ones are parsed but not kept.
CACHED_PART_BYTES = 256 * 1024


def workbook_facts(part: str, workbook_xml: bytes, rels_xml: bytes | None) -> WorkbookFacts:
    """The workbook part's facts, parsed once per distinct content; each caller gets its own
    dicts and list (the cached ones are never handed out)."""
    if len(workbook_xml) + len(rels_xml or b"") > CACHED_PART_BYTES:
        facts = _parse_workbook_facts(part, workbook_xml, rels_xml)
    else:
        facts = read_workbook_facts(part, workbook_xml, rels_xml)
    return WorkbookFacts(
        dict(facts.rels), list(facts.sheets), dict(facts.defined_names), facts.protected
    )


@functools.lru_cache(maxsize=16)
def read_workbook_facts(part: str, workbook_xml: bytes, rels_xml: bytes | None) -> WorkbookFacts:
    """Bounded cache keyed by the parts' bytes (errors are raised again, never cached)."""
    return _parse_workbook_facts(part, workbook_xml, rels_xml)


def _parse_workbook_facts(part: str, workbook_xml: bytes, rels_xml: bytes | None) -> WorkbookFacts:
    root = parse_xml(workbook_xml, part)
    if local_name(root.tag) != "workbook":
        raise PackageError("not_xlsx", f"{part} is not a SpreadsheetML workbook")
    rels = {} if rels_xml is None else parse_rels(parse_xml(rels_xml, rels_part(part)), part)
    sheets = parse_sheets(root, rels)
    return WorkbookFacts(rels, sheets, parse_defined_names(root, sheets), is_structure_locked(root))

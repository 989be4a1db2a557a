"""open_package: content-based classification, zip vetting and the workbook-level facts of an
.xlsx package; XlsxPackage.read_sheet streams one worksheet on demand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from xlcheck.xlsx.container import (
    ODS_MIMETYPE,
    classify_bytes,
    iter_chunks,
    load_source,
    open_zip,
    read_member,
    reject_ole,
)
from xlcheck.xlsx.errors import PackageError, corrupt_on_error
from xlcheck.xlsx.limits import Deadline, Limits
from xlcheck.xlsx.props import CoreProperties, parse_core, parse_custom, read_app_name
from xlcheck.xlsx.refs import normalize_ref
from xlcheck.xlsx.sharedstrings import parse_shared_strings, read_shared_strings
from xlcheck.xlsx.sheet import SheetData, read_sheet_stream, read_sheet_tree
from xlcheck.xlsx.workbook import (
    DefinedName,
    Relationship,
    SheetInfo,
    parse_rels,
    rels_part,
    workbook_facts,
)
from xlcheck.xlsx.xmlsafe import parse_xml

_DEFAULT_WORKBOOK = "xl/workbook.xml"
# Parts up to this declared size are parsed whole (fastest); larger ones are streamed.
WHOLE_PART_BYTES = 512 * 1024


@dataclass(frozen=True)
class _Parts:
    """The zip members of a package, looked up case-insensitively as OPC part names are."""

    archive: zipfile.ZipFile
    limits: Limits
    by_folded: dict[str, str]

    def find(self, part: str) -> str | None:
        return self.by_folded.get(part.casefold())

    def read(self, part: str) -> bytes | None:
        member = self.find(part)
        return None if member is None else read_member(self.archive, member, self.limits)

    def xml(self, part: str) -> ET.Element | None:
        data = self.read(part)
        return None if data is None else parse_xml(data, part)

    def rels(self, part: str) -> dict[str, Relationship]:
        root = self.xml(rels_part(part))
        return {} if root is None else parse_rels(root, part)


@dataclass(frozen=True)
class XlsxPackage:
    """Workbook-level facts of an opened package; sheets are read on demand with read_sheet."""

    sheets: list[SheetInfo]
    defined_names: dict[str, DefinedName]
    workbook_protected: bool
    has_vba: bool
    external_links: list[str]
    external_link_targets: dict[str, list[str]]
    custom_properties: dict[str, str]
    app_name: str | None
    member_names: tuple[str, ...]
    workbook_part: str
    shared_strings_part: str | None
    limits: Limits
    _parts: _Parts = field(repr=False, compare=False)
    _cache: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def core_properties(self) -> CoreProperties:
        """Read on demand: no check needs them, and every part parsed costs a workbook ~70 µs."""
        with corrupt_on_error("package"):
            return _core(self._parts.rels(""), self._parts)

    def sheet(self, name: str) -> SheetInfo:
        """The sheet by exact name, else case-insensitively (as Excel compares); KeyError."""
        for info in self.sheets:
            if info.name == name:
                return info
        for info in self.sheets:
            if info.name.casefold() == name.casefold():
                return info
        raise KeyError(name)

    def shared_strings(self) -> list[str]:
        """The shared-strings table, parsed once per package."""
        if "sst" not in self._cache:
            self._cache["sst"] = self._read_shared_strings(Deadline(self.limits.max_seconds))
        return self._cache["sst"]

    def _read_shared_strings(self, deadline: Deadline) -> list[str]:
        part = self.shared_strings_part
        member = None if part is None else self._parts.find(part)
        if member is None:
            return []
        if self._parts.archive.getinfo(member).file_size <= WHOLE_PART_BYTES:
            with corrupt_on_error("sharedStrings"):
                return parse_shared_strings(self._parts.read(member) or b"", self.limits)
        with corrupt_on_error("sharedStrings"), self._parts.archive.open(member) as fh:
            return read_shared_strings(iter_chunks(fh), self.limits, deadline)

    def read_sheet(
        self, name: str, wanted: Collection[str] | None = None, max_row: int | None = None
    ) -> SheetData:
        """Stream one worksheet: wanted A1 refs (None = all) up to max_row.

        max_row defaults to, and is capped at, limits.max_rows_scanned. Unknown sheet names
        raise KeyError and malformed refs in `wanted` raise ValueError (caller errors).
        """
        info = self.sheet(name)
        refs = None if wanted is None else frozenset(normalize_ref(ref) for ref in wanted)
        cap = self.limits.max_rows_scanned
        last_row = cap if max_row is None else min(max_row, cap)
        member = None if info.part is None else self._parts.find(info.part)
        if member is None:
            raise PackageError("corrupt", f"part of sheet {info.name!r} is missing")
        deadline = Deadline(self.limits.max_seconds)
        if self._parts.archive.getinfo(member).file_size <= WHOLE_PART_BYTES:
            data = self._parts.read(member) or b""
            with corrupt_on_error(f"sheet {info.name!r}"):
                return read_sheet_tree(
                    data, info.name, refs, last_row, self.shared_strings, deadline
                )
        with corrupt_on_error(f"sheet {info.name!r}"), self._parts.archive.open(member) as fh:
            return read_sheet_stream(
                iter_chunks(fh), info.name, refs, last_row, self.shared_strings, deadline
            )


def open_package(source: Path | bytes, limits: Limits = Limits()) -> XlsxPackage:  # noqa: B008
    """Open an untrusted workbook, deciding by content, never by file extension."""
    deadline = Deadline(limits.max_seconds)
    data = load_source(source, limits)
    kind = classify_bytes(data[:8])
    if kind == "ole":
        raise reject_ole(data)
    if kind != "zip":
        raise PackageError("not_zip", f"unrecognised file signature {data[:8].hex()}")
    archive = open_zip(data, limits)
    parts = _Parts(archive, limits, {name.casefold(): name for name in archive.namelist()})
    with corrupt_on_error("package"):
        package = _read_package(parts, deadline)
    return package


def _read_package(parts: _Parts, deadline: Deadline) -> XlsxPackage:
    _reject_non_xlsx_zip(parts)
    package_rels = parts.rels("")
    workbook_part = _office_document(package_rels, parts)
    workbook_xml = parts.read(workbook_part)
    if workbook_xml is None:
        raise PackageError("not_xlsx", f"{workbook_part} is not a SpreadsheetML workbook")
    deadline.check()
    facts = workbook_facts(workbook_part, workbook_xml, parts.read(rels_part(workbook_part)))
    rels, sheets = facts.rels, facts.sheets
    _check_sheet_parts(sheets, parts)
    links = _external_links(rels, parts)
    sst = next((rel.target for rel in rels.values() if rel.is_a("sharedStrings")), None)
    if sst is None and parts.find("xl/sharedStrings.xml"):
        sst = "xl/sharedStrings.xml"
    deadline.check()
    return XlsxPackage(
        sheets=sheets,
        defined_names=facts.defined_names,
        workbook_protected=facts.protected,
        has_vba=any(_is_vba(name) for name in parts.by_folded),
        external_links=sorted(links),
        external_link_targets=links,
        custom_properties=_custom(package_rels, parts),
        app_name=_app_name(package_rels, parts),
        member_names=tuple(parts.archive.namelist()),
        workbook_part=workbook_part,
        shared_strings_part=sst,
        limits=parts.limits,
        _parts=parts,
    )


def _reject_non_xlsx_zip(parts: _Parts) -> None:
    mimetype = parts.read("mimetype")
    if mimetype is not None and mimetype.strip() == ODS_MIMETYPE:
        raise PackageError("ods", "OpenDocument spreadsheet")
    if parts.find("[Content_Types].xml") is None:
        raise PackageError("not_xlsx", "zip has no [Content_Types].xml")


def _office_document(package_rels: dict[str, Relationship], parts: _Parts) -> str:
    for rel in package_rels.values():
        if rel.is_a("officeDocument") and not rel.external and parts.find(rel.target):
            return rel.target
    if parts.find(_DEFAULT_WORKBOOK):
        return _DEFAULT_WORKBOOK
    raise PackageError("not_xlsx", "zip has no workbook part")


def _check_sheet_parts(sheets: list[SheetInfo], parts: _Parts) -> None:
    for info in sheets:
        if info.part is None or parts.find(info.part) is None:
            raise PackageError("corrupt", f"sheet {info.name!r} has no part")


def _is_vba(folded_name: str) -> bool:
    return folded_name.endswith(".bin") and "vba" in folded_name


def _external_links(rels: dict[str, Relationship], parts: _Parts) -> dict[str, list[str]]:
    """External-link parts (from the workbook rels and the xl/externalLinks/ folder) -> URLs."""
    found = {rel.target for rel in rels.values() if rel.is_a("externalLink") and not rel.external}
    found |= {
        name
        for folded, name in parts.by_folded.items()
        if folded.startswith("xl/externallinks/") and folded.endswith(".xml")
    }
    return {
        part: [rel.target for rel in parts.rels(part).values() if rel.external] for part in found
    }


def _property_part(package_rels: dict[str, Relationship], suffix: str, default: str) -> str:
    for rel in package_rels.values():
        if rel.is_a(suffix) and not rel.external:
            return rel.target
    return default


def _custom(package_rels: dict[str, Relationship], parts: _Parts) -> dict[str, str]:
    root = parts.xml(_property_part(package_rels, "custom-properties", "docProps/custom.xml"))
    return {} if root is None else parse_custom(root)


def _core(package_rels: dict[str, Relationship], parts: _Parts) -> CoreProperties:
    root = parts.xml(_property_part(package_rels, "core-properties", "docProps/core.xml"))
    return CoreProperties() if root is None else parse_core(root)


def _app_name(package_rels: dict[str, Relationship], parts: _Parts) -> str | None:
    data = parts.read(_property_part(package_rels, "extended-properties", "docProps/app.xml"))
    return None if data is None else read_app_name(data)

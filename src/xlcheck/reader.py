"""Read a returned workbook: find every field by its defined name (else the template's cell),
report tampering as findings, normalise values, and recompute totals instead of trusting caches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from xlcheck.cells import parse_cell
from xlcheck.checks.derive import computed_keys
from xlcheck.checks.kinds import RuleInput, plain, total
from xlcheck.codes import detail, format_value, make_finding
from xlcheck.findings import Finding
from xlcheck.form.fingerprint import layout_fingerprint
from xlcheck.form.model import Form, Text
from xlcheck.normalise import normalise
from xlcheck.xlsx import Limits, PackageError, RawCell, XlsxPackage, open_package

META_SHEET = "_xlcheck"
META_KEYS = ("template_id", "form_version", "template_version", "layout_fingerprint")
PACKAGE_CODES = {
    "not_found": "F01",
    "empty": "F13",
    "legacy_xls": "F03",
    "encrypted": "F04",
    "ods": "F05",
    "not_zip": "F02",
    "not_xlsx": "F02",
    "corrupt": "F06",
    "zip_bomb": "F07",
    "too_large": "F07",
    "too_many_parts": "F07",
    "doctype": "F08",
    "timeout": "F12",
}


class SourceEntry(NamedTuple):
    """Where one canonical value came from, and what normalisation did to it.

    A NamedTuple, not a frozen dataclass: ~250 are built per workbook and this is 3x cheaper.
    """

    key: str
    sheet: str
    cell: str
    name: str | None
    raw: Any
    value: Any
    steps: tuple[str, ...] = ()
    formula: str | None = None


@dataclass
class Reading:
    values: dict[str, Any] = field(default_factory=dict)  # flat, normalised, totals recomputed
    raw: dict[str, Any] = field(default_factory=dict)  # as typed, for the error workbook
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    template: dict[str, str] = field(default_factory=dict)
    missing_keys: set[str] = field(default_factory=set)
    readable: bool = True


def read_workbook(
    source: Path | bytes, form: Form, display_name: str, limits: Limits | None = None
) -> Reading:
    reading = Reading()
    try:
        package = open_package(source, limits or Limits())
        _read_package(package, form, display_name, reading)
    except PackageError as exc:
        code = PACKAGE_CODES.get(exc.code, "F06")
        # F07's {detail} is worded per language from the error's kind; the reader's own
        # English text (which part, how many bytes) stays in the values for the technical reader.
        worded = detail(exc.code) if code == "F07" else None  # only F07 shows a {detail}
        values = {"detail": exc.detail}
        reading.findings.append(make_finding(code, file=display_name, detail=worded, values=values))
        reading.readable = False
    return reading


def _read_package(package: XlsxPackage, form: Form, name: str, reading: Reading) -> None:
    reading.template = _template_identity(package)
    problem = _identity_problem(form, reading.template, package, name)
    if problem and problem.is_error:
        reading.findings.append(problem)
        reading.readable = False
        return
    reading.findings.extend([problem] if problem else [])
    reading.findings.extend(_layout_changed(form, reading.template))
    sheet_names = _match_sheets(form, package, reading)
    places = _locate_fields(form, package, sheet_names, reading)
    cells, unprotected = _read_cells(package, places)
    _take_values(form, places, cells, reading)
    _workbook_findings(package, unprotected, reading)


# ---- which template is this ---------------------------------------------------------------------


def _template_identity(package: XlsxPackage) -> dict[str, str]:
    props = package.custom_properties
    found = {k: props[f"xlcheck.{k}"] for k in META_KEYS if f"xlcheck.{k}" in props}
    if len(found) < len(META_KEYS) and any(s.name == META_SHEET for s in package.sheets):
        data = package.read_sheet(META_SHEET, None, max_row=20)
        pairs = _meta_pairs(data.cells)
        found = {k: pairs[f"xlcheck.{k}"] for k in META_KEYS if f"xlcheck.{k}" in pairs} | found
    if package.app_name:
        found["application"] = package.app_name
    return found


def _meta_pairs(cells: Mapping[str, RawCell]) -> dict[str, str]:
    pairs = {}
    for ref, cell in cells.items():
        row, col = parse_cell(ref)
        if col == 1 and isinstance(cell.value, str):
            other = cells.get(f"B{row}")
            if other is not None and other.value is not None:
                pairs[cell.value] = format_value(other.value)
    return pairs


def _identity_problem(
    form: Form, ident: Mapping[str, str], package: XlsxPackage, name: str
) -> Finding | None:
    template_id = ident.get("template_id")
    if template_id is None:
        names = {s.name for s in package.sheets}
        if not names & {s.name for s in form.sheets}:
            return make_finding("F09", file=name, detail=detail("no_template"))
        return make_finding("S15")
    if template_id != form.id:
        worded = detail("template_id", template_id=template_id)
        return make_finding("F09", file=name, detail=worded, values={"template_id": template_id})
    version = ident.get("template_version")
    if version != form.template_version:
        return make_finding(
            "F10", file=name, version=version or "?", expected=form.template_version
        )
    return None


def _layout_changed(form: Form, ident: Mapping[str, str]) -> list[Finding]:
    found = ident.get("layout_fingerprint")
    expected = layout_fingerprint(form)
    if found is None or found == expected:
        return []
    return [make_finding("S14", found=found, expected=expected, version=form.template_version)]


# ---- sheets and cells ---------------------------------------------------------------------------


def _match_sheets(form: Form, package: XlsxPackage, reading: Reading) -> dict[str, str | None]:
    """Form sheet id -> the package's sheet name (renamed sheets matched by position)."""
    present = [s.name for s in package.sheets if s.name != META_SHEET]
    expected = {s.name for s in form.sheets} | {form.instructions_name}
    extras = [n for n in present if n not in expected]
    matched: dict[str, str | None] = {}
    for index, sheet in enumerate(form.sheets):
        if sheet.name in present:
            matched[sheet.id] = sheet.name
            continue
        guess = _renamed(present, extras, index + 1)
        matched[sheet.id] = guess
        if guess:
            extras.remove(guess)
            reading.findings.append(make_finding("S03", expected=sheet.name, name=guess))
        else:
            reading.findings.append(make_finding("S01", name=sheet.name))
            reading.missing_keys.update(sheet.field_keys)
    reading.findings.extend(make_finding("S02", name=n) for n in extras)
    return matched


def _renamed(present: list[str], extras: list[str], position: int) -> str | None:
    if position < len(present) and present[position] in extras:
        return present[position]
    return None


class _Place(NamedTuple):
    """Where a field is read (one per field per workbook: a NamedTuple, cheaper to build)."""

    key: str
    sheet: str
    cell: str
    name: str | None


def _locate_fields(
    form: Form, package: XlsxPackage, sheet_names: Mapping[str, str | None], reading: Reading
) -> list[_Place]:
    places, lost = [], 0
    for f in form.fields.values():
        sheet = sheet_names.get(f.sheet)
        if sheet is None:
            continue
        defined = package.defined_names.get(f.key)
        target = (defined.target_sheet, defined.target_cell) if defined else (None, None)
        if target[0] is None or target[1] is None:
            lost += 1
            places.append(_Place(f.key, sheet, f.cell, None))
        elif target != (sheet, f.cell):
            reading.findings.append(
                make_finding(
                    "S10",
                    name=f.key,
                    actual=f"{target[0]}!{target[1]}",
                    expected=f"{sheet}!{f.cell}",
                )
            )
            places.append(_Place(f.key, target[0], target[1], f.key))
        else:
            places.append(_Place(f.key, sheet, f.cell, f.key))
    if lost:
        reading.findings.append(make_finding("S11", count=lost))
    return places


def _read_cells(
    package: XlsxPackage, places: list[_Place]
) -> tuple[dict[tuple[str, str], RawCell], list[str]]:
    """The cells at the places, and the names of the sheets read that are not protected."""
    by_sheet: dict[str, list[str]] = {}
    for place in places:
        by_sheet.setdefault(place.sheet, []).append(place.cell)
    cells: dict[tuple[str, str], RawCell] = {}
    unprotected: list[str] = []
    for sheet, refs in by_sheet.items():
        last_row = max(parse_cell(r)[0] for r in refs)
        try:
            data = package.read_sheet(sheet, refs, max_row=last_row)
        except KeyError:
            continue
        cells.update({(sheet, ref): cell for ref, cell in data.cells.items()})
        if not data.protected:
            unprotected.append(sheet)
    return cells, unprotected


# ---- values -------------------------------------------------------------------------------------


def _take_values(
    form: Form, places: list[_Place], cells: Mapping[tuple[str, str], RawCell], reading: Reading
) -> None:
    overwritten: set[str] = set()
    cached: dict[str, Any] = {}
    for place in places:
        f = form.fields[place.key]
        cell = cells.get((place.sheet, place.cell))
        raw = None if cell is None or cell.kind == "empty" else cell.value
        formula = cell.formula if cell is not None else None
        if f.computed_by:
            if formula is None:
                overwritten.add(f.key)
                reading.findings.append(
                    make_finding("S04", form=form, key=f.key, raw=format_value(raw))
                )
            else:
                cached[f.key] = raw
        elif formula is not None:
            reading.findings.append(make_finding("S05", form=form, key=f.key, formula=formula))
        result = normalise(f, raw)
        if f.is_numeric and "text_number" in result.steps:
            reading.findings.append(
                make_finding("V12", form=form, key=f.key, raw=raw, value=result.value)
            )
        reading.raw[f.key] = raw
        reading.values[f.key] = result.value
        reading.sources[f.key] = SourceEntry(
            f.key, place.sheet, place.cell, place.name, raw, result.value, result.steps, formula
        )
    _recompute_totals(form, reading, overwritten, cached)


def _recompute_totals(
    form: Form, reading: Reading, overwritten: set[str], cached: Mapping[str, Any]
) -> None:
    """Totals come from the inputs (caches may be stale); a disagreeing cache is reported."""
    for key in computed_keys(form):
        if key in overwritten or key in reading.missing_keys:
            continue
        rule = form.rule_by_instance(form.fields[key].computed_by or "")
        value = total(rule.params["operands"], RuleInput(reading.values))
        reading.values[key] = None if value is None else plain(value)
        shown = cached.get(key)
        if value is not None and isinstance(shown, int | float) and shown != reading.values[key]:
            reading.findings.append(
                make_finding("S12", form=form, key=key, cached=shown, computed=reading.values[key])
            )


def _workbook_findings(package: XlsxPackage, unprotected: list[str], reading: Reading) -> None:
    for sheet in unprotected:
        reading.findings.append(make_finding("S06", name=sheet))
    if not package.workbook_protected:
        reading.findings.append(make_finding("S07"))
    if package.external_links:
        shown = package.external_links[:3]
        links = Text("；".join(shown), "; ".join(shown))
        reading.findings.append(make_finding("S08", detail=links, values={"links": shown}))
    if package.has_vba:
        reading.findings.append(make_finding("S09"))

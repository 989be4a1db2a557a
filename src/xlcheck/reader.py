"""Read a returned workbook: find every field by its defined name (else the template's cell),
report tampering as findings and normalise values.

Totals are not trusted here: the reading keeps their cached values and which formulas were typed
over, and the pipeline (`check.read_xlsx`) recomputes them from the inputs (`checks/derive`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from xlcheck.cells import parse_cell
from xlcheck.codes import detail, format_value, make_finding
from xlcheck.explain import FIRST_ROW, MAX_ROWS, SHEET_NAME, Explanation, rows_from_cells
from xlcheck.findings import Finding
from xlcheck.form.model import Field, Form, Sheet, Text
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
    values: dict[str, Any] = field(default_factory=dict)  # flat, normalised; totals as cached
    raw: dict[str, Any] = field(default_factory=dict)  # as typed, for the error workbook
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    template: dict[str, str] = field(default_factory=dict)
    missing_keys: set[str] = field(default_factory=set)
    readable: bool = True
    overwritten: set[str] = field(default_factory=set)  # formula cells typed over with a value
    cached_totals: dict[str, Any] = field(default_factory=dict)  # formula cell -> cached value
    explanations: list[Explanation] = field(default_factory=list)  # the 核实说明 sheet's rows


def read_workbook(
    source: Path | bytes,
    form: Form,
    display_name: str,
    limits: Limits | None = None,
    package: XlsxPackage | None = None,
) -> Reading:
    """Read the workbook; `package`, when given, is `source` already opened (by form picking)."""
    reading = Reading()
    try:
        package = package or open_package(source, limits or Limits())
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
    reading.template = template_identity(package)
    problem = _identity_problem(form, reading.template, package, name)
    if problem and problem.is_error:
        reading.findings.append(problem)
        reading.readable = False
        return
    reading.findings.extend([problem] if problem else [])
    reading.findings.extend(_layout_changed(form, reading.template))
    sheet_names = _match_sheets(form, package, reading)
    places = _locate_fields(form, package, sheet_names, reading)
    places = _drop_shifted(form, package, sheet_names, places, reading)
    cells, unprotected = _read_cells(package, places)
    _take_values(form, places, cells, reading)
    _workbook_findings(package, unprotected, reading)
    _read_explanations(package, reading)


# ---- which template is this ---------------------------------------------------------------------


def template_identity(package: XlsxPackage) -> dict[str, str]:
    """What the workbook says of its template (custom properties, else the _xlcheck sheet)."""
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
    expected = form.compiled.layout_fingerprint
    if found is None or found == expected:
        return []
    return [make_finding("S14", found=found, expected=expected, version=form.template_version)]


# ---- sheets and cells ---------------------------------------------------------------------------


def _match_sheets(form: Form, package: XlsxPackage, reading: Reading) -> dict[str, str | None]:
    """Form sheet id -> the package's sheet name (renamed sheets matched by position)."""
    present = [s.name for s in package.sheets if s.name != META_SHEET]
    expected = {s.name for s in form.sheets} | {form.instructions_name, SHEET_NAME}
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


# ---- a table moved as a whole ------------------------------------------------------------------

# How far below the template's last label a moved table is looked for. pandas' `to_excel` adds
# one header row and one index column; a few rows inserted above a table are the other case.
SHIFT_SEARCH_ROWS = 10


def _drop_shifted(
    form: Form,
    package: XlsxPackage,
    sheet_names: Mapping[str, str | None],
    places: list[_Place],
    reading: Reading,
) -> list[_Place]:
    """A sheet whose labels all sit at one offset from the template's is one finding (S16), and its
    fields are not read (as for a missing sheet): its cells are merely elsewhere, not wrong.

    Only sheets read by position are looked at (their names were lost, as in any rewrite by
    another program); a sheet with its names is read through them wherever its cells moved.
    """
    by_position = {place.sheet for place in places if place.name is None}
    moved: dict[tuple[int, int], list[tuple[Sheet, str]]] = {}
    for sheet in form.sheets:
        actual = sheet_names.get(sheet.id)
        if actual is None or actual not in by_position:
            continue
        offset = _label_offset(package, actual, sheet)
        if offset is not None:
            moved.setdefault(offset, []).append((sheet, actual))
            reading.missing_keys.update(sheet.field_keys)
    for offset, sheets in moved.items():
        # one finding for all the sheets that moved together (a pandas rewrite moves every one)
        tables = Text(
            "、".join(f"「{sheet.short.zh}」" for sheet, _ in sheets),
            ", ".join(f"“{sheet.short.en}”" for sheet, _ in sheets),
        )
        finding = make_finding("S16", table=tables, shift=_shift_words(*offset))
        reading.findings.append(dataclasses.replace(finding, sheet=sheets[0][1]))
    shifted = {actual for sheets in moved.values() for _, actual in sheets}
    return [place for place in places if place.sheet not in shifted] if shifted else places


def _label_offset(package: XlsxPackage, name: str, sheet: Sheet) -> tuple[int, int] | None:
    """(rows, columns) by which most of the sheet's labels moved, or None when they did not."""
    labels = [
        (parse_cell(label.range.split(":")[0]), _label_key(label.text)) for label in sheet.labels
    ]
    labels = [(place, text) for place, text in labels if text]
    if not labels:
        return None
    last_row = max(row for (row, _), _ in labels) + SHIFT_SEARCH_ROWS
    try:
        cells = package.read_sheet(name, None, max_row=last_row).cells
    except KeyError:
        return None
    found: dict[str, list[tuple[int, int]]] = {}
    for ref, cell in cells.items():
        if isinstance(cell.value, str):
            found.setdefault(_label_key(cell.value), []).append(parse_cell(ref))
    votes = Counter(
        (row - label_row, col - label_col)
        for (label_row, label_col), text in labels
        for row, col in found.get(text, ())
    )
    if not votes:
        return None
    offset, count = votes.most_common(1)[0]
    # A label repeated elsewhere casts a stray vote; a real move carries most labels with it.
    enough = max(2, math.ceil(0.6 * len(labels)))
    if offset == (0, 0) or count < enough or votes[(0, 0)] >= count:
        return None
    return offset


def _label_key(text: str) -> str:
    return "".join(text.split())


def _shift_words(rows: int, cols: int) -> Text:
    """'下移了 1 行、右移了 1 列' / 'down 1 row and right 1 column'."""
    zh, en = [], []
    if rows:
        zh.append(f"{'下' if rows > 0 else '上'}移了 {abs(rows)} 行")
        en.append(f"{'down' if rows > 0 else 'up'} {abs(rows)} row{'s' if abs(rows) > 1 else ''}")
    if cols:
        zh.append(f"{'右' if cols > 0 else '左'}移了 {abs(cols)} 列")
        en.append(
            f"{'right' if cols > 0 else 'left'} {abs(cols)} column{'s' if abs(cols) > 1 else ''}"
        )
    return Text("、".join(zh), " and ".join(en))


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
    overwritten, cached = reading.overwritten, reading.cached_totals
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
        reading.findings.extend(_control_characters(form, f, raw))
        reading.raw[f.key] = raw
        reading.values[f.key] = result.value
        reading.sources[f.key] = SourceEntry(
            f.key, place.sheet, place.cell, place.name, raw, result.value, result.steps, formula
        )


# What XML 1.0 cannot hold (CR is allowed, and the text policy turns it into a line break).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _control_characters(form: Form, f: Field, raw: Any) -> list[Finding]:
    """Control characters in text stay in the data but cannot reach the Word report: say so."""
    if f.is_numeric or not isinstance(raw, str):
        return []
    found = sorted(set(_XML_FORBIDDEN.findall(raw)))
    if not found:
        return []
    names = [f"U+{ord(char):04X}" for char in found[:5]] + (["…"] if len(found) > 5 else [])
    chars = Text("、".join(names), ", ".join(names))
    return [make_finding("S17", form=form, key=f.key, chars=chars)]


def _read_explanations(package: XlsxPackage, reading: Reading) -> None:
    """The rows of the explanation sheet, when the workbook has one (older templates do not)."""
    if not any(s.name == SHEET_NAME for s in package.sheets):
        return
    try:
        data = package.read_sheet(SHEET_NAME, None, max_row=FIRST_ROW + MAX_ROWS - 1)
    except KeyError:
        return
    found, problems = rows_from_cells({ref: cell.value for ref, cell in data.cells.items()})
    reading.explanations = found
    reading.findings.extend(problems)


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

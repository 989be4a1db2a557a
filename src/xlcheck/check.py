"""Check one submission end to end: detect its kind, read it, validate it, and collect findings.

Workbooks, canonical JSON and published reports (import) all end as flat values that go through
the same checks: field checks, cross-total rules (with the likely culprit) and the JSON Schema.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcheck.canonical import flatten, nest
from xlcheck.cells import parse_cell
from xlcheck.checks.culprit import annotate, find_culprit
from xlcheck.checks.derive import recompute_totals
from xlcheck.checks.fields import check_fields
from xlcheck.checks.rules import check_rules
from xlcheck.checks.schema import check_schema
from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.explain import (
    Explanation,
    Given,
    apply_explanations,
    items_from_document,
    items_given,
)
from xlcheck.findings import Finding, has_errors
from xlcheck.form.detect import MAX_JSON_BYTES, Picked
from xlcheck.form.model import Form
from xlcheck.regular import NotRegularFile, read_regular
from xlcheck.rulekinds import BALANCED_KINDS

READ_LIMIT = 50 * 2**20  # any submission; a filled template is about 60 KB
IMPORT_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf")


@dataclass
class FileResult:
    path: str
    kind: str  # xlsx | json | import
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    template: dict[str, str] = field(default_factory=dict)
    readable: bool = True
    sha256: str | None = None
    input_document: dict[str, Any] | None = None  # JSON input as given: the schema checks it
    labels_seen: tuple[str, ...] = ()  # labels found in a published report (2019-format check)
    missing_keys: frozenset[str] = frozenset()  # fields on sheets missing from the workbook
    picked: Picked | None = None  # the form chosen by content (check_picked), and why
    explanations: list[Explanation] = field(default_factory=list)  # as the office wrote them
    explained: list[Explanation] = field(default_factory=list)  # those explaining a warning found

    @property
    def valid(self) -> bool:
        return self.readable and not has_errors(self.findings)

    def document(self, form: Form) -> dict[str, Any]:
        return nest(form, self.values)


def sniff_kind(data: bytes, name: str) -> str:
    """xlsx | json | import, by content first; the name only breaks ties for text formats."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:2] == b"PK":
        return "import" if _is_word_package(data) else "xlsx"
    if head[:1] in (b"{", b"["):
        return "json"
    if b"%PDF-" in data[:1024]:  # a published report as PDF, whatever its name
        return "import"
    if name.lower().endswith(IMPORT_SUFFIXES) or head[:1] == b"<":
        return "import"
    return "xlsx"  # the workbook reader classifies and explains everything else


def _is_word_package(data: bytes) -> bool:
    """A .docx whatever its name: the zip directory lists word/document.xml (nothing is inflated)."""
    if b"word/document.xml" not in data.lower():  # a byte scan is 5x cheaper than opening the zip
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.lower() == "word/document.xml" for n in archive.namelist())
    except Exception:  # noqa: BLE001 - zipfile raises many kinds on damage; the reader explains
        return False


def check_bytes(
    data: bytes,
    name: str,
    form: Form,
    *,
    previous: Mapping[str, Any] | None = None,
    given: Given = (),
) -> FileResult:
    """Check one file; `given`: explanations of warnings given beside it (a web page's), added
    to those the file carries."""
    return _check(data, name, form, None, previous, given)


def check_picked(
    data: bytes,
    name: str,
    picked: Picked,
    *,
    previous: Mapping[str, Any] | None = None,
    given: Given = (),
) -> FileResult:
    """Check `data` against the form `pick_form` chose for it, reusing what picking read."""
    result = _check(data, name, picked.form, picked.opened, previous, given)
    result.picked = picked
    return result


def _check(
    data: bytes,
    name: str,
    form: Form,
    opened: Any,
    previous: Mapping[str, Any] | None,
    given: Given = (),
) -> FileResult:
    # `opened` came from pick_form, which sniffs the kind the same way: a Page for "import",
    # an XlsxPackage for "xlsx", None otherwise.
    kind = sniff_kind(data, name)
    if kind == "json":
        result = read_json(data, name, form)
    elif kind == "import":
        result = read_published(data, name, form, opened)
    else:
        result = read_xlsx(data, name, form, opened)
    if result.readable:
        result.explanations = [*result.explanations, *items_given(given)]
        result.findings = validate(form, result, previous=previous)
        findings, result.explained = apply_explanations(form, result.findings, result.explanations)
        result.findings = sort_findings(form, findings)
    result.sha256 = hashlib.sha256(data).hexdigest()
    return result


def check_path(
    path: Path, form: Form, *, previous: Mapping[str, Any] | None = None, display: str | None = None
) -> FileResult:
    name = display or str(path)
    data = load_input(path, name)
    if isinstance(data, FileResult):
        return data
    return check_bytes(data, name, form, previous=previous)


# Which form to check a file against, given its bytes and name (form.detect.pick_form, or a
# form the user named), and last year's values for that form (or None).
Chooser = Callable[[bytes, str], Picked]
PreviousFor = Callable[[Form], Mapping[str, Any] | None]


def check_path_as(
    path: Path, choose: Chooser, *, previous: PreviousFor | None = None, display: str | None = None
) -> FileResult:
    """Read the file once, pick its form with `choose`, check it; `result.picked` says which
    form and why (None when the file could not be read at all)."""
    name = display or str(path)
    data = load_input(path, name)
    if isinstance(data, FileResult):
        return data
    picked = choose(data, name)
    prior = previous(picked.form) if previous is not None else None
    return check_picked(data, name, picked, previous=prior)


def load_input(path: Path, name: str) -> bytes | FileResult:
    """The file's bytes, or an unreadable result that says why."""
    try:
        data = read_regular(path, READ_LIMIT)
    except NotRegularFile as exc:  # a pipe would block for ever, /dev/zero never end
        kind = detail(f"file_kind_{exc.kind}")
        finding = make_finding("F17", file=name, detail=kind, values={"detail": exc.strerror})
        return FileResult(name, "missing", [finding], readable=False)
    except FileNotFoundError:
        return FileResult(name, "missing", [make_finding("F01", file=name)], readable=False)
    except OSError as exc:
        finding = make_finding("F06", file=name, values={"detail": str(exc)})
        return FileResult(name, "missing", [finding], readable=False)
    if data is None:
        size = detail("file_size", size=size_mb(path.stat().st_size), limit=size_mb(READ_LIMIT))
        return FileResult(
            name, "xlsx", [make_finding("F07", file=name, detail=size)], readable=False
        )
    return data


# ---- readers of each kind -------------------------------------------------------------------------


def read_xlsx(data: bytes, name: str, form: Form, package: Any = None) -> FileResult:
    from xlcheck.reader import read_workbook

    reading = read_workbook(data, form, name, package=package)
    if reading.readable:  # totals from the inputs: a cached total is never trusted
        skip = reading.overwritten | reading.missing_keys
        reading.findings += recompute_totals(form, reading.values, skip, reading.cached_totals)
    result = FileResult(
        name,
        "xlsx",
        reading.findings,
        reading.values,
        reading.raw,
        dict(reading.sources),
        reading.template,
        reading.readable,
        missing_keys=frozenset(reading.missing_keys),
        explanations=reading.explanations,
    )
    return result


def read_json(data: bytes, name: str, form: Form) -> FileResult:
    try:
        if len(data) > MAX_JSON_BYTES:
            return _bad_json(name, "json_too_large", "too large")
        text = data.decode("utf-8-sig")
        doc = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        return _bad_json(name, "json_syntax", exc.msg, exc.lineno, exc.colno)
    except UnicodeDecodeError as exc:
        return _bad_json(name, "json_encoding", str(exc))
    except _NotJsonConstant as exc:
        return _bad_json(name, "json_constant", str(exc), value=exc.name)
    except ValueError as exc:  # a number of more digits than Python converts
        return _bad_json(name, "json_value", str(exc))
    except RecursionError:
        return _bad_json(name, "json_too_deep", "nested too deep")
    lone = _lone_surrogate(text)
    if lone is not None:
        line, column, code = lone
        return _bad_json(
            name,
            "json_surrogate",
            f"U+{code} is half of a UTF-16 pair",
            line,
            column,
            value=f"U+{code}",
        )
    if not isinstance(doc, dict):
        return _bad_json(name, "json_not_object", "not an object")
    result = FileResult(name, "json", values=flatten(form, doc), input_document=doc)
    result.explanations = items_from_document(doc)
    result.template = {"form": str(doc.get("form")), "form_version": str(doc.get("form_version"))}
    return result


# A \uD800-\uDFFF escape, with the low half that may follow it: JSON syntax allows a lone half,
# but it is no character (RFC 8259 §8.2) and no xlsx, docx or UTF-8 file can store it.
_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
)


def _lone_surrogate(text: str) -> tuple[int, int, str] | None:
    """(line, column, hex code) of the first escape of half a UTF-16 pair without its other half."""
    if "\\u" not in text:
        return None
    for match in _SURROGATE_ESCAPE.finditer(text):
        if match.group(1) in "89abAB" and match.group(2):
            continue  # a high half followed by a low half: one character
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - text.rfind("\n", 0, match.start())
        code = match.group()[2:6].upper()
        return line, column, code
    return None


class _NotJsonConstant(ValueError):
    """NaN and Infinity are not JSON (RFC 8259), though Python's parser would take them."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not a JSON number")
        self.name = name


def _not_json(name: str) -> None:
    raise _NotJsonConstant(name)


def read_published(data: bytes, name: str, form: Form, page: Any = None) -> FileResult:
    from xlcheck.importers import import_page, import_report

    imported = import_page(page, form) if page is not None else import_report(data, name, form)
    result = FileResult(name, "import", list(imported.findings), flatten(form, imported.doc))
    result.readable = imported.readable  # an unreadable file is not validated field by field
    result.labels_seen = tuple(imported.labels_seen)
    result.sources = {r.key: r for r in imported.readings if r.key}
    return result


def _bad_json(
    name: str, why: str, technical: str, line: int = 1, column: int = 1, value: str = ""
) -> FileResult:
    """F11 worded in each language; the parser's own English text stays in the values."""
    text = detail(why, message=technical, value=value)
    values = {"detail": technical}
    finding = make_finding("F11", file=name, line=line, column=column, detail=text, values=values)
    return FileResult(name, "json", [finding], readable=False)


# ---- validation ------------------------------------------------------------------------------------


def validate(
    form: Form, result: FileResult, *, previous: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Reading findings + field checks + rules (+ culprit) + schema, deduplicated (the caller
    sorts them into sheet order once explanations are applied)."""
    values = result.values
    rules = check_rules(form, values, previous, result.labels_seen)
    if any(f.is_error and _is_linear(form, f) for f in rules):
        culprit = find_culprit(form, values, totals_are_formulas=result.kind == "xlsx")
        rules = annotate(form, rules, culprit, located=result.kind == "xlsx")
    findings = [*result.findings, *check_fields(form, values), *rules]
    doc = result.input_document if result.input_document is not None else nest(form, values)
    findings += check_schema(form, doc)
    findings = _dedupe(findings, result.missing_keys, form)
    if result.kind != "xlsx":
        findings = [_unlocated(f) for f in findings]
    return findings


def _is_linear(form: Form, finding: Finding) -> bool:
    return any(r.id == finding.rule and r.kind in BALANCED_KINDS for r in form.rules)


def _dedupe(findings: list[Finding], missing: frozenset[str], form: Form) -> list[Finding]:
    """One value problem per cell: reading and rule findings win over the schema's."""
    taken = {f.pointer for f in findings if f.pointer and not f.code.startswith("J")}
    missing_pointers = {form.fields[k].pointer for k in missing if k in form.fields}
    out, seen = [], set()
    for f in findings:
        if f.code.startswith("J") and f.pointer in taken:
            continue
        if f.pointer in missing_pointers or _holds_missing(f, missing_pointers):
            continue
        identity = (f.code, f.instance, f.pointer, f.message.zh)
        if identity not in seen:
            seen.add(identity)
            out.append(f)
    return out


def _holds_missing(f: Finding, missing_pointers: set[str]) -> bool:
    """A schema finding on an object whose fields were not read (a missing or moved sheet)."""
    if not (f.code.startswith("J") and f.pointer not in (None, "", "/") and missing_pointers):
        return False
    prefix = f.pointer.rstrip("/") + "/"
    return any(pointer.startswith(prefix) for pointer in missing_pointers)


def _unlocated(f: Finding) -> Finding:
    operands = tuple(dataclasses.replace(o, sheet=None, cell=None) for o in f.operands)
    culprit = dataclasses.replace(f.culprit, sheet=None, cell=None) if f.culprit else None
    return dataclasses.replace(f, sheet=None, cell=None, operands=operands, culprit=culprit)


def sort_findings(form: Form, findings: list[Finding]) -> list[Finding]:
    order = {s.name: i for i, s in enumerate(form.sheets)}

    def key(f: Finding) -> tuple[int, int, int, int, str]:
        if f.cell and f.sheet:
            row, col = parse_cell(f.cell)
            return (1, order.get(f.sheet, 99), row, col, f.code)
        pointer_rank = (
            list(form.fields).index(f.pointer.strip("/").replace("/", "."))
            if f.pointer and f.pointer.strip("/").replace("/", ".") in form.fields
            else 0
        )
        return (0 if not f.pointer else 1, 99, pointer_rank, 0, f.code)

    return sorted(findings, key=key)

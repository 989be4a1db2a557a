"""Pick the form a submission was made in, by its content, among several loaded forms.

A workbook says which template it came from (its template id and form version, written by the
template writer); a canonical JSON says `form` and `form_version`; a published report says
nothing, so it is told by the marker labels each form declares (`detect`, spec §5 of a form's
format note). Picking reads the input once: what it opened (the workbook package, the report's
page) travels in `Picked.opened`, and `check.check_picked` reads the values from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from xlcheck.form.model import Form, Lang, Text

# How the form was chosen: forced (the caller named it), template (workbook metadata),
# sheet_label (a workbook without metadata, by its labels), json (form + form_version),
# marker (a published report's detect labels), default (nothing told another form).
Basis = Literal["forced", "template", "sheet_label", "json", "marker", "default"]


@dataclass(frozen=True)
class Picked:
    """The form a submission is checked against, and why (a sentence in zh/en for the user).

    `opened` is what picking already read (an XlsxPackage, an importers Page, or None); it is
    private to `check.check_picked`, which reuses it instead of reading the bytes again.
    """

    form: Form
    reason: Text
    basis: Basis
    opened: Any = field(default=None, repr=False, compare=False)

    def describe(self, lang: Lang = "zh") -> dict[str, str]:
        """The `form` entry of a JSON report: which form, which version, how and why."""
        return {
            "id": self.form.id,
            "form_version": self.form.form_version,
            "basis": self.basis,
            "reason": self.reason.get(lang),
        }


def forced(form: Form) -> Picked:
    """The form the caller named (`--form`): nothing is read to pick it."""
    return Picked(form, _reason("pick_forced", form), "forced")


class BundledForms(Sequence[Form]):
    """The bundled forms, each loaded only when first looked at (load_form caches it): picking
    a workbook's form from its template id looks at the default first, so checking a workbook
    of the default form never pays for building the others (~6 ms each)."""

    def __init__(self) -> None:
        from xlcheck.form.load import available_forms

        self._names = tuple(available_forms())

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, index: int) -> Form: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Form]: ...
    def __getitem__(self, index: int | slice) -> Form | Sequence[Form]:
        from xlcheck.form.load import load_form

        if isinstance(index, slice):
            return tuple(load_form(name) for name in self._names[index])
        return load_form(self._names[index])


def bundled_forms() -> Sequence[Form]:
    """Every bundled form, loaded lazily (see BundledForms)."""
    return BundledForms()


def default_form(candidates: Sequence[Form]) -> Form:
    """The newest candidate (highest form version; the first of equals)."""
    if not candidates:
        raise ValueError("pick_form needs at least one candidate form")
    return max(candidates, key=lambda f: _version_key(f.form_version))


def pick_form(
    data: bytes, name: str, candidates: Sequence[Form], default: Form | None = None
) -> Picked:
    """The candidate `data` was made in, decided by content; `default` (else the newest
    candidate) when nothing in it names or marks another. Never raises for a bad input: an
    unreadable file gets the default, and the check that follows reports what is wrong."""
    chosen = default or default_form(candidates)
    if len(candidates) == 1 and chosen is candidates[0]:
        return Picked(chosen, _reason("pick_only", chosen), "default")
    from xlcheck.check import sniff_kind

    kind = sniff_kind(data, name)
    if kind == "json":
        return _pick_json(data, candidates, chosen)
    if kind == "import":
        return _pick_published(data, name, candidates, chosen)
    return _pick_workbook(data, candidates, chosen)


# ---- workbooks ------------------------------------------------------------------------------------


def _pick_workbook(data: bytes, candidates: Sequence[Form], chosen: Form) -> Picked:
    from xlcheck.reader import template_identity
    from xlcheck.xlsx import Limits, PackageError, open_package

    try:
        package = open_package(data, Limits())
    except PackageError:
        return Picked(chosen, _reason("pick_unreadable", chosen), "default")
    ident = template_identity(package)
    if "template_id" in ident:
        found = _by_identity(candidates, chosen, ident["template_id"], ident.get("form_version"))
        if found is not None:
            return Picked(found, _reason("pick_template", found), "template", package)
        return Picked(chosen, _unknown(ident, chosen), "default", package)
    try:
        texts = _workbook_texts(package)
    except PackageError:  # the reader reports the damage, located
        texts = []
    return _by_markers(texts, (), candidates, chosen, "pick_sheet_label", package)


# A template's labels sit in its first rows; a workbook without identification is rare (data
# pasted into a blank book), so reading its text cells up to here once more costs little.
_LABEL_ROWS = 60


def _workbook_texts(package: Any) -> list[str]:
    """The workbook's texts: its shared strings, and its sheets' inline strings (openpyxl and
    some converters write no shared strings at all)."""
    texts: list[str] = list(package.shared_strings())
    for sheet in package.sheets:
        data = package.read_sheet(sheet.name, None, max_row=_LABEL_ROWS)
        texts += [c.value for c in data.cells.values() if isinstance(c.value, str)]
    return texts


def _unknown(ident: dict[str, str], chosen: Form) -> Text:
    said = f"{ident.get('template_id')} {ident.get('form_version', '?')}"
    return _reason("pick_unknown", chosen, declared=said)


# ---- canonical JSON -------------------------------------------------------------------------------


# A larger JSON document is refused by the check (check.read_json), so it is not parsed here either.
MAX_JSON_BYTES = 20 * 2**20


def _pick_json(data: bytes, candidates: Sequence[Form], chosen: Form) -> Picked:
    if len(data) > MAX_JSON_BYTES:
        return Picked(chosen, _reason("pick_unreadable", chosen), "default")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # the check reports the syntax, located
        return Picked(chosen, _reason("pick_unreadable", chosen), "default")
    if not isinstance(doc, dict) or "form" not in doc:
        return Picked(chosen, _reason("pick_unnamed", chosen), "default")
    version = doc.get("form_version")
    said = None if version is None else str(version)
    found = _by_identity(candidates, chosen, str(doc["form"]), said)
    if found is None:
        said = f"{doc['form']} {version if version is not None else '?'}"
        return Picked(chosen, _reason("pick_unknown", chosen, declared=said), "default")
    return Picked(found, _reason("pick_json", found), "json")


def _by_identity(
    candidates: Sequence[Form], chosen: Form, form_id: str, version: str | None
) -> Form | None:
    """The candidate of that id and version; with no version given, the only one of that id.
    The default is asked first: most submissions are in it, and the others stay unbuilt."""
    if (chosen.id, chosen.form_version) == (form_id, version):
        return chosen
    same_id = [f for f in candidates if f.id == form_id]
    if version is None:
        return same_id[0] if len(same_id) == 1 else None
    return next((f for f in same_id if f.form_version == version), None)


# ---- published reports ----------------------------------------------------------------------------


def _pick_published(data: bytes, name: str, candidates: Sequence[Form], chosen: Form) -> Picked:
    from xlcheck.importers import load_bytes
    from xlcheck.importers.model import Para, Row, Unreadable
    from xlcheck.importers.script import to_simplified
    from xlcheck.importers.sniff import read_page

    try:
        page = read_page(load_bytes(data, name), name)
    except Unreadable:  # the import reports why, located
        return Picked(chosen, _reason("pick_unreadable", chosen), "default")
    # markers are looked for in simplified script; the page handed on stays as read, so the
    # import converts it again and says so (A55)
    seen, _ = to_simplified(page)
    cells = [c.text for i in seen.items if isinstance(i, Row) for c in i.cells]
    cells += [i.text for i in seen.items if isinstance(i, Para)]
    rows = [tuple(c.text for c in i.cells) for i in seen.items if isinstance(i, Row)]
    return _by_markers(cells, rows, candidates, chosen, "pick_marker", page)


def _by_markers(
    texts: Iterable[str],
    rows: Sequence[tuple[str, ...]],
    candidates: Sequence[Form],
    chosen: Form,
    reason: str,
    opened: Any,
) -> Picked:
    """The candidate whose `detect` labels the texts show most (whole texts, normalised), else
    the default; the reason names the first marker seen."""
    from xlcheck.importers.norm import norm

    seen = {norm(t) for t in texts if t}
    best: tuple[int, Form, str] | None = None
    for form in candidates:
        hits = [m for m in form.detect.labels if norm(m) in seen]
        hits += [m for m in form.detect.single_rows if any(_single_row(r, m) for r in rows)]
        if hits and (best is None or len(hits) > best[0]):
            best = (len(hits), form, hits[0])
    if best is None:
        return Picked(chosen, _reason("pick_no_marker", chosen), "default", opened)
    _, form, marker = best
    basis: Basis = "marker" if reason == "pick_marker" else "sheet_label"
    where = _table_of(form, marker)
    return Picked(form, _reason(reason, form, label=marker, table=where), basis, opened)


def _single_row(cells: tuple[str, ...], label: str) -> bool:
    """A row labelled `label` whose later cells are all values (no sub-row label after it)."""
    from xlcheck.importers.norm import is_value, norm, read_value

    key = norm(label)
    places = [i for i, text in enumerate(cells) if norm(text) == key]
    if not places:
        return False
    rest = list(cells[places[-1] + 1 :])
    kinds = [read_value(t).kind for t in rest]
    return bool(rest) and all(is_value(t) for t in rest) and any(k != "blank" for k in kinds)


def _table_of(form: Form, label: str) -> Text:
    """How messages name the sheet that prints `label` (表二), else 'the report'."""
    from xlcheck.importers.norm import norm

    key = norm(label)
    for sheet in form.sheets:
        if any(norm(lab.text) == key for lab in sheet.labels):
            return sheet.short
    return Text("报告", "the report")


# ---- wording --------------------------------------------------------------------------------------


def form_name(form: Form) -> Text:
    """How a statement names a form: its title, with its version when the title lacks it
    (「政府信息公开工作年度报告（2021 年格式）」, not a second bracket after 「（2019 年试行格式）」)."""
    version = form.form_version
    zh = form.title.zh if version in form.title.zh else f"{form.title.zh}（{version} 年格式）"
    en = form.title.en if version in form.title.en else f"{form.title.en} ({version} format)"
    return Text(zh, en)


def _reason(name: str, form: Form, **params: Any) -> Text:
    from xlcheck.codes import detail

    return detail(name, form=form_name(form), **params)


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """'2021' > '2019', '2021.2' > '2021.1'; non-numeric parts compare as text after numbers."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))

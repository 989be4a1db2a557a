"""The `import` block of a form definition: how a published report of the form reads back.

Which sheets are printed as tables and in what order, how each is read (by row labels or as one
row under its header), other spellings of labels, the layout checks of each table, the other names
of overview topics, the shapes of the document title and the statistical period that give the
office and year, other wordings of section headings, office-name endings that tell the office's kind
and tier, and the audit's parameters. The importer reads only this and the form's sheets, labels and roles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast, get_args

from xlcheck.cells import parse_cell, parse_range
from xlcheck.form.model import (
    TABLE_CHECKS,
    Field,
    ForeignColumns,
    NameEnding,
    Published,
    PublishedTable,
    ReadKind,
    Roles,
    Rule,
    Section,
    Sheet,
    TableCheck,
    TotalBeside,
)
from xlcheck.form.parts import FormError

_KEYS = ("tables", "topics", "name_endings", "title", "headings", "audit")
_TABLE_KEYS = ("sheet", "read", "labels", "aliases", "checks", "foreign_columns", "total_beside")
_READS: tuple[str, ...] = get_args(ReadKind)


def build_published(
    raw: Mapping[str, Any],
    sheets: tuple[Sheet, ...],
    fields: Mapping[str, Field],
    rules: tuple[Rule, ...],
    sections: tuple[Section, ...],
    roles: Roles,
) -> Published:
    """The `import` block, checked against the form; tables default to the table sections."""
    _known("import", raw, _KEYS)
    by_id = {s.id: s for s in sheets}
    if "tables" in raw:
        tables = tuple(
            _table(f"import.tables[{i}]", entry, by_id, fields)
            for i, entry in enumerate(_list("import.tables", raw["tables"]))
        )
    else:
        tables = tuple(
            PublishedTable(s.sheet) for s in sections if s.content == "table" and s.sheet
        )
    _no_twice(tables)
    audit = raw.get("audit", {})
    _known("import.audit", audit, ("printed_totals", "fee_statement"))
    title = raw.get("title", {})
    _known("import.title", title, ("patterns", "period"))
    return Published(
        tables=tables,
        topics=_topics(raw.get("topics", {}), fields),
        name_endings=tuple(
            _ending(f"import.name_endings[{i}]", entry, fields, roles)
            for i, entry in enumerate(_list("import.name_endings", raw.get("name_endings", [])))
        ),
        printed_totals=_printed_totals(audit.get("printed_totals", []), rules),
        fee_statement=_fee_statement(audit.get("fee_statement"), sections),
        titles=tuple(
            _pattern(f"import.title.patterns[{i}]", text, roles)
            for i, text in enumerate(_texts("import.title.patterns", title.get("patterns", [])))
        ),
        period=_period(title.get("period", ""), roles),
        headings=_headings(raw.get("headings", {}), sections),
    )


def _known(where: str, raw: Any, keys: Sequence[str]) -> None:
    if not isinstance(raw, Mapping):
        raise FormError(f"{where}: must be an object")
    for name in raw:
        if not name.startswith("$") and name not in keys:
            raise FormError(f"{where}.{name}: unknown entry ({', '.join(keys)})")


def _list(where: str, raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise FormError(f"{where}: must be a list")
    return raw


def _texts(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(t, str) and t for t in raw):
        raise FormError(f"{where}: must be a list of texts")
    return tuple(raw)


def _no_twice(tables: tuple[PublishedTable, ...]) -> None:
    seen: set[str] = set()
    for index, table in enumerate(tables):
        if table.sheet in seen:
            raise FormError(f"import.tables[{index}].sheet: {table.sheet} is declared twice")
        seen.add(table.sheet)


# ---- tables ------------------------------------------------------------------------------------


def _table(
    where: str, raw: Any, sheets: Mapping[str, Sheet], fields: Mapping[str, Field]
) -> PublishedTable:
    _known(where, raw, _TABLE_KEYS)
    sheet = sheets.get(raw.get("sheet", ""))
    if sheet is None:
        raise FormError(f"{where}.sheet: no sheet {raw.get('sheet')!r} in this form")
    read = raw.get("read", "rows")
    if read not in _READS:
        raise FormError(f"{where}.read: {read!r} is not one of {', '.join(_READS)}")
    if read == "one_row":
        one_row_keys(sheet, fields, where=f"{where}.read")
    checks = _texts(f"{where}.checks", raw.get("checks", []))
    for check in checks:
        if check not in TABLE_CHECKS:
            raise FormError(f"{where}.checks: unknown check {check!r}")
    labels = {lab.text for lab in sheet.labels}
    return PublishedTable(
        sheet=sheet.id,
        read=cast(ReadKind, read),
        labels=_texts(f"{where}.labels", raw.get("labels", [])),
        aliases=_aliases(f"{where}.aliases", raw.get("aliases", {}), labels),
        checks=cast(tuple[TableCheck, ...], checks),
        foreign_columns=tuple(
            _foreign(f"{where}.foreign_columns[{i}]", entry, sheet, fields)
            for i, entry in enumerate(
                _list(f"{where}.foreign_columns", raw.get("foreign_columns", []))
            )
        ),
        total_beside=_total_beside(f"{where}.total_beside", raw.get("total_beside"), labels),
    )


def _aliases(where: str, raw: Any, labels: set[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise FormError(f"{where}: must be an object of label: [other spellings]")
    for label in raw:
        if label not in labels:
            raise FormError(f"{where}: {label!r} is not a label of this sheet")
    return {label: _texts(f"{where}.{label}", texts) for label, texts in raw.items()}


def _foreign(where: str, raw: Any, sheet: Sheet, fields: Mapping[str, Field]) -> ForeignColumns:
    _known(where, raw, ("labels", "replace", "source"))
    columns = {c.zh for k in sheet.field_keys if (c := fields[k].col_label) is not None}
    replace = _texts(f"{where}.replace", raw.get("replace"))
    for label in replace:
        if label not in columns:
            raise FormError(f"{where}: {label!r} is not a column label of sheet {sheet.id}")
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise FormError(f"{where}.source: must be a text")
    return ForeignColumns(_texts(f"{where}.labels", raw.get("labels")), replace, source)


def _total_beside(where: str, raw: Any, labels: set[str]) -> TotalBeside | None:
    if raw is None:
        return None
    _known(where, raw, ("total", "group"))
    for part in ("total", "group"):
        if raw.get(part) not in labels:
            raise FormError(f"{where}: {part} {raw.get(part)!r} is not a label of this sheet")
    return TotalBeside(raw["total"], raw["group"])


def one_row_keys(
    sheet: Sheet, fields: Mapping[str, Field], where: str = ""
) -> list[tuple[str, str, str]]:
    """(field key, block label, column label) of a table printed as one row of values, in column
    order: the block is the narrowest header over several columns above the field, the column the
    header over its column alone."""
    cells = {k: parse_cell(fields[k].cell) for k in sheet.field_keys}
    if len({row for row, _ in cells.values()}) > 1:
        raise FormError(f"{where}: one_row needs every field of sheet {sheet.id} on one row")
    headers = [
        (parse_range(_span(lab.range)), lab.text) for lab in sheet.labels if lab.role == "header"
    ]
    out = []
    for key, (_, col) in sorted(cells.items(), key=lambda item: item[1][1]):
        over = [(c2 - c1, text) for (_, c1, _, c2), text in headers if c1 <= col <= c2]
        block = min((o for o in over if o[0] > 0), default=None)
        column = next((text for width, text in over if width == 0), None)
        if block is None or column is None:
            raise FormError(
                f"{where}: field {key} needs a header over its column alone and one over its block"
            )
        out.append((key, block[1], column))
    return out


def _span(ref: str) -> str:
    return ref if ":" in ref else f"{ref}:{ref}"


# ---- prose, names, audit ---------------------------------------------------------------------------


def _topics(raw: Any, fields: Mapping[str, Field]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise FormError("import.topics: must be an object of field key: [other topic names]")
    for key in raw:
        if key not in fields or not fields[key].heading:
            raise FormError(
                f"import.topics: {key!r} is not an overview topic (a field with a heading)"
            )
    return {key: _texts(f"import.topics.{key}", names) for key, names in raw.items()}


def _pattern(where: str, raw: str, roles: Roles) -> str:
    """A regular expression whose named groups are roles of the form."""
    try:
        groups = re.compile(raw).groupindex
    except re.error as exc:
        raise FormError(f"{where}: not a regular expression: {exc}") from exc
    for group in groups:
        if roles.field_of(group) is None:
            raise FormError(f"{where}: group {group!r} names no role of this form")
    return raw


def _period(raw: Any, roles: Roles) -> str:
    if not raw:
        return ""
    if not isinstance(raw, str):
        raise FormError("import.title.period: must be a text")
    if set(re.compile(_pattern("import.title.period", raw, roles)).groupindex) != {"year"}:
        raise FormError("import.title.period: needs exactly one group, (?P<year>...)")
    return raw


def _headings(raw: Any, sections: tuple[Section, ...]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise FormError("import.headings: must be an object of section heading: [variants]")
    official = {s.heading for s in sections}
    for heading in raw:
        if not heading.startswith("$") and heading not in official:
            raise FormError(f"import.headings: {heading!r} is not a section heading of this form")
    return {h: _texts(f"import.headings.{h}", v) for h, v in raw.items() if not h.startswith("$")}


def _ending(where: str, raw: Any, fields: Mapping[str, Field], roles: Roles) -> NameEnding:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("ending"), str) or not raw["ending"]:
        raise FormError(f"{where}: needs an ending (a text) and a value per role")
    values = []
    for role, value in raw.items():
        if role == "ending" or role.startswith("$"):
            continue
        key = roles.field_of(role)
        if key is None:
            raise FormError(f"{where}: {role!r} is no role of this form")
        allowed = {c.value for c in fields[key].choices}
        if allowed and value not in allowed:
            raise FormError(f"{where}: {value!r} is not a choice of {key}")
        values.append((role, str(value)))
    return NameEnding(raw["ending"], tuple(values))


def _printed_totals(raw: Any, rules: tuple[Rule, ...]) -> tuple[str, ...]:
    ids = _texts("import.audit.printed_totals", raw) if raw else ()
    sums = {r.id for r in rules if r.kind == "sum"}
    for rule_id in ids:
        if rule_id not in sums:
            raise FormError(f"import.audit.printed_totals: {rule_id!r} is not a sum rule")
    return ids


def _fee_statement(raw: Any, sections: tuple[Section, ...]) -> str | None:
    if raw is None:
        return None
    if not any(s.content == "text" and s.field == raw for s in sections):
        raise FormError(f"import.audit.fee_statement: {raw!r} is not the field of a text section")
    return str(raw)

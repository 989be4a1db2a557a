"""Sheets and fields of a form definition: explicit fields, grids expanded into fields, unique cells."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from xlcheck.cells import offset_cell, parse_cell
from xlcheck.form.model import (
    DEFAULT_RANGES,
    FIELD_TYPES,
    Bound,
    Choice,
    Field,
    LabelCell,
    SetItem,
    Sheet,
    Text,
)
from xlcheck.form.parts import FormError, fill, lookup_set, text_of

Ranges = Mapping[str, tuple[Bound, Bound]]


def type_ranges(declared: Mapping[str, Any]) -> dict[str, tuple[Bound, Bound]]:
    """The plausible range per field type: the form's `ranges` over the defaults (DEFAULT_RANGES)."""
    ranges = dict(DEFAULT_RANGES)
    for kind, raw in declared.items():
        if kind.startswith("$"):  # $comment
            continue
        if kind not in DEFAULT_RANGES or not isinstance(raw, Mapping):
            raise FormError(f"ranges: {kind!r} is not a numeric field type ({', '.join(ranges)})")
        ranges[kind] = _range(f"ranges.{kind}", raw, ranges[kind])
    return ranges


def _range(where: str, raw: Mapping[str, Any], default: tuple[Bound, Bound]) -> tuple[Bound, Bound]:
    low, high = raw.get("minimum", default[0]), raw.get("maximum", default[1])
    for bound in (low, high):
        if (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
        ):
            raise FormError(f"{where}: minimum and maximum must be finite numbers, not {bound!r}")
    if low > high:
        raise FormError(f"{where}: minimum {low} is above maximum {high}")
    return low, high


def _field_range(
    where: str, raw: Mapping[str, Any], kind: str, ranges: Ranges
) -> tuple[Bound | None, Bound | None]:
    if kind not in ranges:
        return raw.get("minimum"), raw.get("maximum")
    return _range(where, raw, ranges[kind])


def build_sheets(
    raw_sheets: list[Mapping[str, Any]],
    sets: Mapping[str, tuple[SetItem, ...]],
    ranges: Ranges = DEFAULT_RANGES,
) -> tuple[tuple[Sheet, ...], dict[str, Field]]:
    fields: dict[str, Field] = {}
    sheets = []
    for s, raw in enumerate(raw_sheets):
        sheet_fields = []
        for i, f in enumerate(raw.get("fields", [])):
            _check_type(f"sheets[{s}].fields[{i}] ({f.get('key')})", f)
            sheet_fields.append(_explicit_field(raw["id"], f, ranges))
        for i, grid in enumerate(raw.get("grids", [])):
            _check_type(f"sheets[{s}].grids[{i}] ({grid.get('key')})", grid)
            sheet_fields.extend(_grid_fields(raw["id"], grid, sets, ranges))
        for f in sheet_fields:
            if f.key in fields:
                raise FormError(f"sheet {raw['id']}: field {f.key} is defined twice")
            fields[f.key] = f
        sheets.append(_sheet(raw, tuple(f.key for f in sheet_fields)))
    _check_cells_unique(sheets, fields)
    return tuple(sheets), fields


def _check_type(where: str, raw: Mapping[str, Any]) -> None:
    if raw.get("type") not in FIELD_TYPES:
        known = ", ".join(sorted(FIELD_TYPES))
        raise FormError(f"{where}: unknown type {raw.get('type')!r}; known: {known}")


def _sheet(raw: Mapping[str, Any], keys: tuple[str, ...]) -> Sheet:
    header = raw.get("header_rows")
    return Sheet(
        id=raw["id"],
        name=raw["name"],
        short=text_of(raw["short"]),
        heading=raw.get("heading"),
        labels=tuple(
            LabelCell(lab["range"], lab["text"], lab.get("role", "header")) for lab in raw["labels"]
        ),
        field_keys=keys,
        column_widths=dict(raw.get("columns", {})),
        row_height=raw.get("row_height"),
        header_rows=(header[0], header[1]) if header else None,
    )


def _explicit_field(sheet_id: str, raw: Mapping[str, Any], ranges: Ranges) -> Field:
    row_label = text_of(raw["row_label"]) if "row_label" in raw else None
    col_label = text_of(raw["col_label"]) if "col_label" in raw else None
    if "label" in raw:
        label = text_of(raw["label"])
    elif row_label and col_label:
        label = Text(f"{row_label.zh}／{col_label.zh}", f"{row_label.en} / {col_label.en}")
    else:
        raise FormError(f"field {raw.get('key')}: needs a label or a row_label and col_label")
    parse_cell(raw["cell"])
    low, high = _field_range(f"field {raw['key']}", raw, raw["type"], ranges)
    return Field(
        key=raw["key"],
        sheet=sheet_id,
        cell=raw["cell"],
        type=raw["type"],
        label=label,
        row_label=row_label,
        col_label=col_label,
        required=raw.get("required", True),
        in_document=raw.get("in_document", True),
        choices=tuple(Choice(c["value"], text_of(c)) for c in raw.get("choices", [])),
        max_length=raw.get("max_length"),
        minimum=low,
        maximum=high,
        merge=raw.get("merge"),
        heading=raw.get("heading"),
    )


def _grid_fields(
    sheet_id: str, grid: Mapping[str, Any], sets: Mapping[str, tuple[SetItem, ...]], ranges: Ranges
) -> Iterator[Field]:
    rows, cols = grid["rows"], grid["columns"]
    low, high = _field_range(f"grid {grid['key']}", grid, grid["type"], ranges)
    for i, row in enumerate(lookup_set(sets, rows["set"])):
        for j, col in enumerate(lookup_set(sets, cols["set"])):
            d_row = i * rows["step"][0] + j * cols["step"][0]
            d_col = i * rows["step"][1] + j * cols["step"][1]
            key = fill(grid["key"], {rows["var"]: row.key, cols["var"]: col.key})
            yield Field(
                key=key,
                sheet=sheet_id,
                cell=offset_cell(grid["origin"], d_row, d_col),
                type=grid["type"],
                label=Text(f"{row.label.zh}／{col.label.zh}", f"{row.label.en} / {col.label.en}"),
                row_label=row.label,
                col_label=col.label,
                minimum=low,
                maximum=high,
            )


def _check_cells_unique(sheets: list[Sheet], fields: Mapping[str, Field]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for f in fields.values():
        place = (f.sheet, f.cell)
        if place in seen:
            raise FormError(f"fields {seen[place]} and {f.key} share the cell {f.sheet}!{f.cell}")
        seen[place] = f.key
    names = [s.name for s in sheets]
    if len(set(names)) != len(names):
        raise FormError("two sheets share a name")

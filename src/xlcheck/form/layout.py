"""Sheets and fields of a form definition: explicit fields, grids expanded into fields, unique cells."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from xlcheck.cells import offset_cell, parse_cell
from xlcheck.form.model import Choice, Field, LabelCell, SetItem, Sheet, Text
from xlcheck.form.parts import FormError, fill, lookup_set, text_of


def build_sheets(
    raw_sheets: list[Mapping[str, Any]], sets: Mapping[str, tuple[SetItem, ...]]
) -> tuple[tuple[Sheet, ...], dict[str, Field]]:
    fields: dict[str, Field] = {}
    sheets = []
    for raw in raw_sheets:
        sheet_fields = [_explicit_field(raw["id"], f) for f in raw.get("fields", [])]
        for grid in raw.get("grids", []):
            sheet_fields.extend(_grid_fields(raw["id"], grid, sets))
        for f in sheet_fields:
            if f.key in fields:
                raise FormError(f"sheet {raw['id']}: field {f.key} is defined twice")
            fields[f.key] = f
        sheets.append(_sheet(raw, tuple(f.key for f in sheet_fields)))
    _check_cells_unique(sheets, fields)
    return tuple(sheets), fields


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


def _explicit_field(sheet_id: str, raw: Mapping[str, Any]) -> Field:
    row_label = text_of(raw["row_label"]) if "row_label" in raw else None
    col_label = text_of(raw["col_label"]) if "col_label" in raw else None
    if "label" in raw:
        label = text_of(raw["label"])
    elif row_label and col_label:
        label = Text(f"{row_label.zh}／{col_label.zh}", f"{row_label.en} / {col_label.en}")
    else:
        raise FormError(f"field {raw.get('key')}: needs a label or a row_label and col_label")
    parse_cell(raw["cell"])
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
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        merge=raw.get("merge"),
        heading=raw.get("heading"),
    )


def _grid_fields(
    sheet_id: str, grid: Mapping[str, Any], sets: Mapping[str, tuple[SetItem, ...]]
) -> Iterator[Field]:
    rows, cols = grid["rows"], grid["columns"]
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

"""Load a form definition (JSON) into the frozen model: expand grids and rules, validate references.

A form definition is data: adding a form or a new year's format means adding a JSON file, not code.
Every mistake in a definition is reported as a FormError naming where it is.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from xlcheck.cells import offset_cell, parse_cell
from xlcheck.form.model import (
    Choice,
    Field,
    Form,
    LabelCell,
    Rule,
    RuleDecl,
    Section,
    SetItem,
    Sheet,
    Term,
    Text,
)

DEFAULT_FORM = "gov-info-disclosure-2021"
RULE_KINDS = frozenset(
    {
        "sum",
        "equal_sums",
        "compare",
        "domain",
        "zero_when",
        "text_mentions",
        "prose_number",
        "required_text",
        "text_differs",
        "legacy_labels",
    }
)
COMPARE_OPS = frozenset({"<", "<=", ">", ">=", "==", "!="})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class FormError(Exception):
    """A form definition that cannot be used; the message says where."""


def available_forms() -> list[str]:
    folder = resources.files("xlcheck") / "forms"
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


@functools.lru_cache(maxsize=8)
def load_form(name_or_path: str | Path = DEFAULT_FORM) -> Form:
    """Load a bundled form by name, or a form definition file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        resource = resources.files("xlcheck") / "forms" / f"{name_or_path}.json"
        if not resource.is_file():
            raise FormError(
                f"unknown form {name_or_path!r}; bundled: {', '.join(available_forms())}"
            )
        text = resource.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"{name_or_path}: not valid JSON: {exc}") from exc
    return build_form(data)


def build_form(data: Mapping[str, Any]) -> Form:
    sets = {
        name: tuple(_set_item(i) for i in items) for name, items in data.get("sets", {}).items()
    }
    sheets, fields = _build_sheets(data["sheets"], sets)
    rules = tuple(_expand_rules(data.get("rules", []), sets, fields))
    fields = _link_computed(data["sheets"], sets, fields, rules)
    _check_references(fields, rules)
    legacy: list[str] = next(
        (r.get("labels", []) for r in data.get("rules", []) if r["kind"] == "legacy_labels"), []
    )
    return Form(
        id=data["id"],
        form_version=str(data["form_version"]),
        template_version=str(data["template_version"]),
        title=_text(data["title"]),
        basis=data.get("basis", ""),
        document_title=_text(data["document_title"]),
        sections=tuple(Section(**s) for s in data.get("sections", [])),
        instructions_name=data["instructions"]["name"],
        instructions={k: tuple(v) for k, v in data["instructions"]["paragraphs"].items()},
        sets=sets,
        sheets=sheets,
        fields=fields,
        rules=rules,
        declarations=tuple(_declaration(r) for r in data.get("rules", [])),
        legacy_labels=tuple(legacy),
    )


def _text(value: Any) -> Text:
    if isinstance(value, str):
        return Text(value, value)
    return Text(value["zh"], value.get("en", value["zh"]))


def _set_item(item: Mapping[str, Any]) -> SetItem:
    return SetItem(item["key"], Text(item["zh"], item.get("en", item["zh"])))


# ---- sheets and fields ---------------------------------------------------------------------------


def _build_sheets(
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
        short=_text(raw["short"]),
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
    row_label = _text(raw["row_label"]) if "row_label" in raw else None
    col_label = _text(raw["col_label"]) if "col_label" in raw else None
    if "label" in raw:
        label = _text(raw["label"])
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
        choices=tuple(Choice(c["value"], _text(c)) for c in raw.get("choices", [])),
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
    for i, row in enumerate(_lookup_set(sets, rows["set"])):
        for j, col in enumerate(_lookup_set(sets, cols["set"])):
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


def _lookup_set(sets: Mapping[str, tuple[SetItem, ...]], name: str) -> tuple[SetItem, ...]:
    if name not in sets:
        raise FormError(f"unknown set {name!r}")
    return sets[name]


def fill(pattern: str, bindings: Mapping[str, str]) -> str:
    """Replace {var} placeholders by their bound keys; an unbound placeholder is a form error."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in bindings:
            raise FormError(f"{pattern!r}: placeholder {{{name}}} is not bound")
        return bindings[name]

    return _PLACEHOLDER.sub(replace, pattern)


# ---- rules ------------------------------------------------------------------------------------------


def _expand_rules(
    raw_rules: list[Mapping[str, Any]],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: Mapping[str, Field],
) -> Iterator[Rule]:
    ids: set[str] = set()
    for raw in raw_rules:
        if raw["kind"] not in RULE_KINDS:
            raise FormError(f"rule {raw['id']}: unknown kind {raw['kind']!r}")
        if raw["severity"] not in ("error", "warning"):
            raise FormError(f"rule {raw['id']}: severity must be error or warning")
        if raw["id"] in ids:
            raise FormError(f"rule id {raw['id']} is used twice")
        ids.add(raw["id"])
        for bindings in _binding_product(raw.get("for_each", {}), sets):
            yield _rule_instance(raw, bindings, sets, fields)


def _binding_product(
    for_each: Mapping[str, str], sets: Mapping[str, tuple[SetItem, ...]]
) -> Iterator[tuple[tuple[str, SetItem], ...]]:
    names = list(for_each)
    choices = [_lookup_set(sets, for_each[n]) for n in names]
    for combo in itertools.product(*choices):
        yield tuple(zip(names, combo, strict=True))


def _rule_instance(
    raw: Mapping[str, Any],
    bindings: tuple[tuple[str, SetItem], ...],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: Mapping[str, Field],
) -> Rule:
    keys = {name: item.key for name, item in bindings}
    params: dict[str, Any] = {}
    if "target" in raw:
        params["target"] = parse_term(fill(raw["target"], keys))
    for name in ("operands", "left", "right"):
        if name in raw:
            params[name] = tuple(_terms(raw[name], keys, sets))
    if "fields" in raw:
        params["fields"] = tuple(_field_selection(raw["fields"], fields))
    if "when" in raw:
        params["when"] = _condition(raw["when"], keys, sets)
    for name in ("op", "field", "other", "any_of", "patterns", "labels"):
        if name in raw:
            params[name] = raw[name]
    if "op" in params and params["op"] not in COMPARE_OPS:
        raise FormError(f"rule {raw['id']}: unknown comparison {params['op']!r}")
    suffix = ",".join(f"{name}={key}" for name, key in keys.items())
    return Rule(
        id=raw["id"],
        instance=f"{raw['id']}[{suffix}]" if suffix else raw["id"],
        kind=raw["kind"],
        severity=raw["severity"],
        title=_text(raw["title"]),
        description=_text(raw["description"]),
        message=_text(raw["message"]),
        bindings=bindings,
        params=params,
        live=raw.get("live"),
    )


def _terms(
    items: list[Any], keys: Mapping[str, str], sets: Mapping[str, tuple[SetItem, ...]]
) -> Iterator[Term]:
    for item in items:
        if isinstance(item, int | float):
            yield Term(key=None, constant=float(item))
        elif isinstance(item, str):
            yield parse_term(fill(item, keys))
        else:
            for member in _lookup_set(sets, item["each"]):
                yield parse_term(fill(item["key"], {**keys, item["as"]: member.key}))


def parse_term(text: str) -> Term:
    """'-previous:proactive.regulations.in_force' -> Term(key, sign=-1, previous=True)."""
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("-")
    previous = text.startswith("previous:")
    return Term(key=text.removeprefix("previous:"), sign=sign, previous=previous)


def _field_selection(items: list[str], fields: Mapping[str, Field]) -> Iterator[str]:
    for item in items:
        if item == "@numeric":
            yield from (f.key for f in fields.values() if f.is_numeric and f.in_document)
        else:
            yield item


def _condition(
    raw: Mapping[str, Any], keys: Mapping[str, str], sets: Mapping[str, tuple[SetItem, ...]]
) -> dict[str, Any]:
    if "field" in raw:
        return {"field": fill(raw["field"], keys), "in": tuple(raw["in"])}
    return {"sum": tuple(_terms(raw["sum"], keys, sets)), "gt": raw["gt"]}


def _link_computed(
    raw_sheets: list[Mapping[str, Any]],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: dict[str, Field],
    rules: tuple[Rule, ...],
) -> dict[str, Field]:
    """Mark each formula cell with the rule instance (a sum) whose formula computes it."""
    by_target = {(r.id, r.params["target"].key): r for r in rules if r.kind == "sum"}
    linked = dict(fields)
    for key, rule_id in _computed_cells(raw_sheets, sets).items():
        rule = by_target.get((rule_id, key))
        if rule is None:
            raise FormError(f"{key}: no instance of rule {rule_id} computes it")
        linked[key] = dataclasses.replace(linked[key], computed_by=rule.instance)
    return linked


def _computed_cells(
    raw_sheets: list[Mapping[str, Any]], sets: Mapping[str, tuple[SetItem, ...]]
) -> dict[str, str]:
    """Field key -> id of the rule that computes it, from each grid's `computed` list (first wins)."""
    found: dict[str, str] = {}
    for raw in raw_sheets:
        for grid in raw.get("grids", []):
            rows, cols = grid["rows"]["var"], grid["columns"]["var"]
            row_keys = [i.key for i in _lookup_set(sets, grid["rows"]["set"])]
            col_keys = [i.key for i in _lookup_set(sets, grid["columns"]["set"])]
            for row, col in itertools.product(row_keys, col_keys):
                bound = {rows: row, cols: col}
                for spec in grid.get("computed", []):
                    if all(bound.get(v) == k for v, k in spec["where"].items()):
                        found.setdefault(fill(grid["key"], bound), spec["rule"])
    return found


def _check_references(fields: Mapping[str, Field], rules: tuple[Rule, ...]) -> None:
    for rule in rules:
        keys = [t.key for t in rule.terms() if t.key]
        keys += list(rule.params.get("fields", ()))
        keys += [
            rule.params[n].removeprefix("previous:") for n in ("field", "other") if n in rule.params
        ]
        when = rule.params.get("when", {})
        keys += (
            [when["field"]] if "field" in when else [t.key for t in when.get("sum", ()) if t.key]
        )
        for key in keys:
            if key not in fields:
                raise FormError(f"rule {rule.instance}: unknown field {key}")


def _declaration(raw: Mapping[str, Any]) -> RuleDecl:
    return RuleDecl(
        id=raw["id"],
        kind=raw["kind"],
        severity=raw["severity"],
        title=_text(raw["title"]),
        description=_text(raw["description"]),
        formula=_formula_text(raw),
    )


def _formula_text(raw: Mapping[str, Any]) -> str:
    """A readable formula for the rule catalogue, e.g. 'a + b = c + d  (for col in all_columns)'."""

    def side(items: list[Any]) -> str:
        parts = []
        for item in items:
            if isinstance(item, dict):
                parts.append(f"Σ {item['key']} ({item['as']} in {item['each']})")
            else:
                parts.append(str(item))
        return " + ".join(parts).replace("+ -", "- ")

    kind = raw["kind"]
    if kind == "sum":
        text = f"{raw['target']} = {side(raw['operands'])}"
    elif kind in ("equal_sums", "compare"):
        text = f"{side(raw['left'])} {raw.get('op', '=')} {side(raw['right'])}"
    elif kind == "zero_when":
        text = f"{', '.join(raw['fields'])} = 0 when {raw['when']['field']} in {raw['when']['in']}"
    else:
        text = kind
    loops = ", ".join(f"{v} in {s}" for v, s in raw.get("for_each", {}).items())
    return f"{text}  (for {loops})" if loops else text

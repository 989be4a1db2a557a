"""Rules of a form definition: for_each expansion into instances, terms, formula links, checks."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from xlcheck.form.model import Field, Rule, RuleDecl, SetItem, Term, Terms
from xlcheck.form.params import COMMON_KEYS, Param, check_rule_keys
from xlcheck.form.parts import FormError, check_text, fill, lookup_set, text_of


def expand_rules(
    raw_rules: list[Mapping[str, Any]],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: Mapping[str, Field],
) -> Iterator[Rule]:
    ids: set[str] = set()
    for index, raw in enumerate(raw_rules):
        params = check_rule(index, raw)
        if raw["id"] in ids:
            raise FormError(f"rule id {raw['id']} is used twice")
        ids.add(raw["id"])
        for bindings in _binding_product(raw.get("for_each", {}), sets):
            yield _rule_instance(raw, params, bindings, sets, fields)


def check_rule(index: int, raw: Any) -> tuple[Param, ...]:
    """The rule's declaration against its kind's spec; its parameters, or a located FormError."""
    # The registry wires the check functions (checks/) to the kinds: imported here, when a form is
    # built, so that importing the form model (as the reader does) does not load the checks.
    from xlcheck.rulekinds import RULE_KINDS

    if not isinstance(raw, Mapping):
        raise FormError(f"rules[{index}]: must be an object")
    where = f"rules[{index}] ({raw['id']})" if isinstance(raw.get("id"), str) else f"rules[{index}]"
    for key in COMMON_KEYS:
        if key not in raw:
            raise FormError(f"{where}: needs {key!r}")
    if raw["kind"] not in RULE_KINDS:
        raise FormError(
            f"{where}: unknown kind {raw['kind']!r}; known: {', '.join(sorted(RULE_KINDS))}"
        )
    if raw["severity"] not in ("error", "warning"):
        raise FormError(f"{where}: severity must be error or warning")
    for key in ("title", "description", "message"):
        check_text(f"{where}: {key!r}", raw[key])
    spec = RULE_KINDS[raw["kind"]]
    check_rule_keys(where, spec.name, raw, spec.params)
    _check_live(where, raw.get("live"), spec.live_cell is not None, spec.live_formats is not None)
    return spec.params


def _check_live(where: str, live: Any, cell: bool, formats: bool) -> None:
    if live is None:
        return
    if isinstance(live, Mapping) and live.get("cells") is True and len(live) == 1:
        if not formats:
            raise FormError(f"{where}: this kind has no live cell formats (live.cells)")
        return
    placed = isinstance(live, Mapping) and len(live) == 1
    if placed and (isinstance(live.get("row"), int) or isinstance(live.get("column"), str)):
        if not cell:
            raise FormError(f"{where}: this kind has no live check cell (live.row/column)")
        return
    raise FormError(f"{where}: 'live' must be {{row: n}}, {{column: 'X'}} or {{cells: true}}")


def _binding_product(
    for_each: Mapping[str, str], sets: Mapping[str, tuple[SetItem, ...]]
) -> Iterator[tuple[tuple[str, SetItem], ...]]:
    names = list(for_each)
    choices = [lookup_set(sets, for_each[n]) for n in names]
    for combo in itertools.product(*choices):
        yield tuple(zip(names, combo, strict=True))


def _rule_instance(
    raw: Mapping[str, Any],
    declared: tuple[Param, ...],
    bindings: tuple[tuple[str, SetItem], ...],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: Mapping[str, Field],
) -> Rule:
    keys = {name: item.key for name, item in bindings}
    params: dict[str, Any] = {}
    for param in declared:
        if param.name not in raw:
            continue
        value = raw[param.name]
        if param.type == "term":
            params[param.name] = parse_term(fill(value, keys))
        elif param.type == "terms":
            params[param.name] = Terms(_terms(value, keys, sets))
        elif param.type == "fields":
            params[param.name] = tuple(_field_selection(value, fields))
        elif param.type == "condition":
            params[param.name] = _condition(value, keys, sets)
        else:
            params[param.name] = value
    suffix = ",".join(f"{name}={key}" for name, key in keys.items())
    return Rule(
        id=raw["id"],
        instance=f"{raw['id']}[{suffix}]" if suffix else raw["id"],
        kind=raw["kind"],
        severity=raw["severity"],
        title=text_of(raw["title"]),
        description=text_of(raw["description"]),
        message=text_of(raw["message"]),
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
            for member in lookup_set(sets, item["each"]):
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
    return {"sum": Terms(_terms(raw["sum"], keys, sets)), "gt": raw["gt"]}


def link_computed(
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
            row_keys = [i.key for i in lookup_set(sets, grid["rows"]["set"])]
            col_keys = [i.key for i in lookup_set(sets, grid["columns"]["set"])]
            for row, col in itertools.product(row_keys, col_keys):
                bound = {rows: row, cols: col}
                for spec in grid.get("computed", []):
                    if all(bound.get(v) == k for v, k in spec["where"].items()):
                        found.setdefault(fill(grid["key"], bound), spec["rule"])
    return found


def check_references(fields: Mapping[str, Field], rules: tuple[Rule, ...]) -> None:
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


def declaration(raw: Mapping[str, Any]) -> RuleDecl:
    return RuleDecl(
        id=raw["id"],
        kind=raw["kind"],
        severity=raw["severity"],
        title=text_of(raw["title"]),
        description=text_of(raw["description"]),
        formula=_formulatext_of(raw),
    )


def _formulatext_of(raw: Mapping[str, Any]) -> str:
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


Sides = tuple[tuple[Term, ...], tuple[Term, ...]]


def target_and_operands(rule: Rule) -> Sides:
    """A sum's sides: its target on the left, its operands on the right."""
    return (rule.params["target"],), tuple(rule.params["operands"])


def left_and_right(rule: Rule) -> Sides:
    """The sides of an equation or comparison between two sums."""
    return tuple(rule.params["left"]), tuple(rule.params["right"])

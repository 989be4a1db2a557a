"""Roles of a form definition: which field names the office, which holds the year, which rule links
the years, how the document title reads, and which earlier forms may serve as last year's report.

The engine asks these instead of naming a form's keys, so a second form works without code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from xlcheck.form.model import (
    IDENTITY_ROLES,
    CarryOver,
    Field,
    PreviousForm,
    Roles,
    Rule,
    Section,
    SetItem,
    Sheet,
)
from xlcheck.form.parts import FormError, fill, lookup_set

# The field type each identity role must have, when it asks for one.
_ROLE_TYPES = {"name": ("text",), "year": ("year",)}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def build_roles(
    raw: Mapping[str, Any],
    fields: Mapping[str, Field],
    rules: tuple[Rule, ...],
    sections: tuple[Section, ...],
    sheets: tuple[Sheet, ...],
    document_title: str,
) -> Roles:
    """The `roles` block, checked: every role names a field of this form (or is left out)."""
    known = {*IDENTITY_ROLES, "carry_over", "title_pattern"}
    for name in raw:
        if not name.startswith("$") and name not in known:
            raise FormError(f"roles.{name}: unknown role ({', '.join(sorted(known))})")
    identity = {name: _identity_field(name, raw.get(name), fields) for name in IDENTITY_ROLES}
    carry = _carry_over(raw["carry_over"], rules) if "carry_over" in raw else None
    pattern = raw.get("title_pattern") or _title_regex(document_title, identity)
    _check_title_pattern(pattern, identity)
    return Roles(
        **identity,
        carry_over=carry,
        title_pattern=pattern,
        prose=_prose_fields(sections, sheets, fields),
    )


def _identity_field(role: str, key: Any, fields: Mapping[str, Field]) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or key not in fields:
        raise FormError(f"roles.{role}: {key!r} is not a field of this form")
    wanted = _ROLE_TYPES.get(role)
    if wanted and fields[key].type not in wanted:
        raise FormError(f"roles.{role}: field {key} has type {fields[key].type}, not {wanted[0]}")
    return key


def _carry_over(rule_id: Any, rules: tuple[Rule, ...]) -> CarryOver:
    """Each instance of the rule links one field of this year to one of last year's document."""
    instances = [r for r in rules if r.id == rule_id]
    if not instances:
        raise FormError(f"roles.carry_over: no rule {rule_id!r}")
    pairs = []
    for rule in instances:
        terms = rule.terms()
        mine = [t.key for t in terms if not t.previous and t.key]
        theirs = [t.key for t in terms if t.previous and t.key]
        if len(mine) != 1 or len(theirs) != 1 or len(terms) != 2:
            raise FormError(
                f"roles.carry_over: rule {rule.instance} must link one field of this year "
                "to one field of last year"
            )
        pairs.append((mine[0], theirs[0]))
    return CarryOver(rule=str(rule_id), pairs=tuple(pairs))


def _title_regex(title: str, identity: Mapping[str, str | None]) -> str:
    """The written title as a pattern: `{key}` of a role becomes its named group, text stays."""
    role_of = {key: role for role, key in identity.items() if key}
    parts, at = ["^"], 0
    for match in _PLACEHOLDER.finditer(title):
        parts.append(re.escape(title[at : match.start()]))
        role = role_of.get(match.group(1))
        body = r"\d{4}" if role == "year" else ".+?"
        parts.append(f"(?P<{role}>{body})" if role else f"(?:{body})")
        at = match.end()
    parts.append(re.escape(title[at:]))
    return "".join(parts)


def _check_title_pattern(pattern: Any, identity: Mapping[str, str | None]) -> None:
    try:
        groups = re.compile(pattern).groupindex
    except (re.error, TypeError) as exc:
        raise FormError(f"roles.title_pattern: not a regular expression: {exc}") from exc
    for group in groups:
        if not identity.get(group):
            raise FormError(f"roles.title_pattern: group {group!r} names no role of this form")


def _prose_fields(
    sections: tuple[Section, ...], sheets: tuple[Sheet, ...], fields: Mapping[str, Field]
) -> tuple[str, ...]:
    """Fields written as paragraphs: the overview section's sheet, then each text section's field."""
    by_id = {s.id: s for s in sheets}
    found: list[str] = []
    for section in sections:
        if section.content == "overview":
            if section.sheet not in by_id:
                raise FormError(f"section {section.heading}: an overview names its sheet of topics")
            found += [k for k in by_id[section.sheet].field_keys if fields[k].in_document]
        elif section.content == "text":
            if section.field is None or section.field not in fields:
                raise FormError(f"section {section.heading}: unknown field {section.field!r}")
            found.append(section.field)
    return tuple(found)


# ---- earlier forms as last year's report ---------------------------------------------------------


def build_previous_forms(
    raw: Sequence[Mapping[str, Any]],
    this: tuple[str, str],
    sets: Mapping[str, tuple[SetItem, ...]],
    fields: Mapping[str, Field],
    rules: tuple[Rule, ...],
) -> tuple[PreviousForm, ...]:
    """The `previous_forms` list: each earlier form (id + version) and its key map, expanded."""
    read_from_last = _keys_read_from_last_year(rules)
    found = []
    for index, entry in enumerate(raw):
        where = f"previous_forms[{index}]"
        ident = (str(entry.get("form", "")), str(entry.get("form_version", "")))
        if not all(ident):
            raise FormError(f"{where}: needs form and form_version")
        if ident == this:
            raise FormError(f"{where}: a form is always its own previous form; declare others")
        keys = tuple(_mapped_keys(where, entry.get("fields", []), sets))
        for _, key in keys:
            if key not in fields:
                raise FormError(f"{where}: {key!r} is not a field of this form")
            if key not in read_from_last:
                raise FormError(f"{where}: no rule reads {key} from last year's report")
        found.append(PreviousForm(ident[0], ident[1], keys))
    return tuple(found)


def _mapped_keys(
    where: str, items: Sequence[Any], sets: Mapping[str, tuple[SetItem, ...]]
) -> Iterator[tuple[str, str]]:
    """ "k" (same key in both), {"key", "from"?, "each"?, "as"?}: (earlier key, this form's key)."""
    for item in items:
        if isinstance(item, str):
            yield item, item
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            raise FormError(f"{where}: each of fields is a key or an object with a key")
        members = lookup_set(sets, item["each"]) if "each" in item else (None,)
        for member in members:
            bound = {item.get("as", ""): member.key} if member is not None else {}
            key = fill(item["key"], bound)
            yield fill(item.get("from", item["key"]), bound), key


def _keys_read_from_last_year(rules: tuple[Rule, ...]) -> set[str]:
    found = {t.key for r in rules for t in r.terms() if t.previous and t.key}
    for rule in rules:
        other = rule.params.get("other")
        if isinstance(other, str) and other.startswith("previous:"):
            found.add(other.removeprefix("previous:"))
    return found

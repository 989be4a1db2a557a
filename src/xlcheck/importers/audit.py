"""Audit of an imported report beyond the rules: printed totals, the fee statement, and the office's
kind and tier from its name; every parameter is the form's (`form.published`, `form.roles`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from xlcheck.codes import detail, make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Section
from xlcheck.importers.model import Reading
from xlcheck.importers.norm import norm

NOTHING = frozenset({"无", "无。", "无.", "没有", "暂无", "暂无。"})


def printed_totals(
    form: Form, values: Mapping[str, Any], places: Mapping[str, str]
) -> list[Finding]:
    """A09: a total as printed that differs from the sum of its printed parts."""
    findings = []
    for total in printed_total_rules(form):
        if not all(isinstance(values.get(k), int | float) for k in total.keys):
            continue
        computed, printed = total.computed(values), values[total.target]
        if printed != computed:
            place = places.get(total.target, "—")
            findings.append(
                make_finding(
                    "A09",
                    form=form,
                    key=total.target,
                    rule=total.rule,
                    printed=printed,
                    computed=computed,
                    values={"place": place, "printed": printed, "computed": computed},
                )
            )
    return findings


@dataclass(frozen=True)
class PrintedTotal:
    """A sum the form's published tables print: its total and its signed parts, as field keys."""

    rule: str
    target: str
    parts: tuple[tuple[int, str], ...]  # (sign, key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.target, *(key for _, key in self.parts))

    def computed(self, values: Mapping[str, Any]) -> Any:
        return sum(sign * values[key] for sign, key in self.parts)


def printed_total_rules(form: Form) -> Iterator[PrintedTotal]:
    """Each sum rule instance the form's `import` block names as printed (A09, blank cells)."""
    for rule in form.rules:
        if rule.id not in form.published.printed_totals or rule.kind != "sum":
            continue
        target, operands = rule.params["target"], rule.params["operands"]
        if target.key is None or any(t.key is None for t in operands):
            continue  # a constant among the terms: nothing a table prints
        parts = tuple((t.sign, t.key) for t in operands if t.key is not None)
        yield PrintedTotal(rule.id, target.key, parts)


def says_nothing(text: str | None, section: Section, place: str) -> list[Finding]:
    """A08: the section that states the fees charged says only 无."""
    if text is None or norm(text) not in NOTHING:
        return []
    worded = detail("section_six_nothing", text=text, section=section.heading)
    values = {"place": place, "defect": "section_six_nothing"}
    return [make_finding("A08", detail=worded, values=values)]


def infer_from_name(form: Form, name: str, place: str) -> tuple[dict[str, str], list[Reading]]:
    """Values of the roles the form's name endings tell (kind, tier); the first ending that
    matches wins; a role it leaves open is left out and noted."""
    roles = form.published.inferred_roles
    if not roles:
        return {}, []
    for entry in form.published.name_endings:
        if name.endswith(entry.ending):
            told = dict(entry.values)
            values = {_key(form, role): value for role, value in told.items()}
            readings = [
                Reading(
                    _key(form, role),
                    name,
                    place,
                    f"{_label(form, 'name')}以「{entry.ending}」结尾，"
                    f"{_label(form, role)}无法推断，未填写",
                )
                for role in roles
                if role not in told
            ]
            return values, readings
    labels = "和".join(_label(form, role) for role in roles)
    note = f"{labels}无法从{_label(form, 'name')}推断，未填写"
    return {}, [Reading(_key(form, roles[0]), name, place, note)]


def _key(form: Form, role: str) -> str:
    return form.roles.field_of(role) or role


def _label(form: Form, role: str) -> str:
    key = form.roles.field_of(role)
    return form.fields[key].label.zh if key else role

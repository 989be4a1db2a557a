"""Audit of an imported report beyond the rules: printed totals, section 六, agency kind and tier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xlcheck.codes import detail, make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form
from xlcheck.importers.model import Reading
from xlcheck.importers.norm import norm

PRINTED_TOTAL_RULES = ("R2", "R3", "R4")  # row totals, （七）总计, table 四 totals
NOTHING = frozenset({"无", "无。", "无.", "没有", "暂无", "暂无。"})
# Name endings → (kind, tier). Checked in order; the first match wins. A district (区) is
# county-level; a 市人民政府 may be a city or a county-level city, so its tier stays unknown.
AGENCY_ENDINGS: tuple[tuple[str, str, str | None], ...] = (
    ("街道办事处", "government", "township"),
    ("镇人民政府", "government", "township"),
    ("乡人民政府", "government", "township"),
    ("县人民政府", "government", "county"),
    ("区人民政府", "government", "county"),
    ("省人民政府", "government", "provincial"),
    ("市人民政府", "government", None),
    ("街道", "government", "township"),
    ("镇", "government", "township"),
    ("乡", "government", "township"),
    ("委员会", "department", None),
    ("办公室", "department", None),
    ("局", "department", None),
    ("厅", "department", None),
)


def printed_totals(
    form: Form, values: Mapping[str, Any], places: Mapping[str, str]
) -> list[Finding]:
    """A09: a total as printed that differs from the sum of its printed parts."""
    findings = []
    for rule in form.rules:
        if rule.id not in PRINTED_TOTAL_RULES or rule.kind != "sum":
            continue
        target, operands = rule.params["target"], rule.params["operands"]
        keys = [target.key, *(t.key for t in operands)]
        if not all(isinstance(values.get(k), int | float) for k in keys):
            continue
        computed = sum(t.sign * values[t.key] for t in operands)
        if values[target.key] != computed:
            place = places.get(target.key, "—")
            findings.append(
                make_finding(
                    "A09",
                    form=form,
                    key=target.key,
                    rule=rule.id,
                    printed=values[target.key],
                    computed=computed,
                    values={"place": place, "printed": values[target.key], "computed": computed},
                )
            )
    return findings


def other_matters_empty(text: str | None, place: str) -> list[Finding]:
    if text is None or norm(text) not in NOTHING:
        return []
    worded = detail("section_six_nothing", text=text, section="六、其他需要报告的事项")
    values = {"place": place, "defect": "section_six_nothing"}
    return [make_finding("A08", detail=worded, values=values)]


def agency_kind(name: str, place: str) -> tuple[dict[str, str], list[Reading]]:
    """agency.kind/tier from the name's ending; an unknown tier is left out and noted."""
    for ending, kind, tier in AGENCY_ENDINGS:
        if name.endswith(ending):
            values = {"agency.kind": kind}
            if tier:
                values["agency.tier"] = tier
                return values, []
            note = f"机关名称以「{ending}」结尾，层级无法推断，未填写"
            return values, [Reading("agency.tier", name, place, note)]
    return {}, [Reading("agency.kind", name, place, "机关类型和层级无法从名称推断，未填写")]

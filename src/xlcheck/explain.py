"""Explanations of warnings (as 联网直报 takes a 核实说明 for a 核实性 check).

An office says why a figure that raised a warning is right: in the template's explanation sheet
(rule, place, text) or in a JSON document's `explanations`. A warning so explained stays in the
report, marked explained, and no longer counts as open. An error cannot be explained away: an
explanation naming an error rule, an unknown rule or no cell of the form is itself a warning.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xlcheck.canonical import key_to_pointer
from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Lang, Text

# The sheet's name and texts are the tool's own words, the same for every form (zh, as the
# template is Chinese); the rule ids offered come from the form.
SHEET_NAME = "核实说明"
INSTRUCTION = (
    "如某项提示（黄色“请核实”）所述情况属实，可在下表写明原因，该提示即视为已说明。"
    "规则：在下拉列表中选提示编号；位置：可留空（说明该规则的全部提示），"
    "或填写提示所在单元格，如 表名!D28；说明：数字为什么是对的。"
    "红色的错误必须改正，不能以说明代替。"
)
HEADINGS = ("规则", "位置", "说明")
FIRST_ROW = 3  # 1-based: the instruction in row 1, the headings in row 2
MAX_ROWS = 50  # rows read; a real office explains a handful of warnings
EXPLAINED = Text("已说明：", "explained: ")  # before the office's words, wherever they are shown
MAX_TEXT = 500  # characters kept of one explanation
_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class Explanation:
    rule: str
    place: str | None  # as written: sheet!cell, a cell, a JSON pointer or None
    text: str
    where: Text  # how a message names the row: 「核实说明」第 3 行 / explanations item 1
    pointer: str | None = None  # the place resolved to a JSON pointer

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "pointer": self.pointer, "text": self.text}


def shown_with_explanation(finding: Finding, lang: Lang) -> str:
    """The finding's message, and the office's explanation of it when it has one."""
    text = finding.text(lang)
    if finding.explanation is None:
        return text
    return (
        f"{text}（{EXPLAINED.get(lang)}{finding.explanation}）"
        if lang == "zh"
        else (f"{text} ({EXPLAINED.get(lang)}{finding.explanation})")
    )


def row_where(row: int) -> Text:
    return Text(f"「{SHEET_NAME}」第 {row} 行", f"Row {row} of sheet “{SHEET_NAME}”")


def item_where(index: int) -> Text:
    return Text(f"「explanations」第 {index} 项", f"Item {index} of “explanations”")


def page_where(index: int) -> Text:
    return Text(f"网页上的第 {index} 条说明", f"Explanation {index} on the page")


# Explanations typed beside a file rather than inside it (the web page): (rule, place, text).
Given = tuple[tuple[str, str | None, str], ...]


def items_given(given: Given) -> list[Explanation]:
    """Explanations given beside the file, bounded and cleaned as the sheet's rows are."""
    return [
        Explanation(_cell_text(rule), _cell_text(place) or None, _cell_text(text), page_where(i))
        for i, (rule, place, text) in enumerate(given[:MAX_ROWS], start=1)
    ]


def warning_rule_ids(form: Form) -> list[str]:
    """The declared ids of the form's warning rules, in the form's order."""
    return list(dict.fromkeys(r.id for r in form.rules if r.severity == "warning"))


def rows_from_cells(cells: Mapping[str, Any]) -> tuple[list[Explanation], list[Finding]]:
    """Explanations from the sheet's cells (A1 -> value), rows FIRST_ROW.. within MAX_ROWS; a
    sheet whose headings moved (rewritten by another program) is not guessed at: one warning."""
    headings = tuple(_cell_text(cells.get(f"{col}{FIRST_ROW - 1}")) for col in "ABC")
    if headings != HEADINGS:
        shown = "、".join(h for h in headings if h) or "—"
        return [], [make_finding("S22", found=shown, expected="、".join(HEADINGS))]
    found = []
    for row in range(FIRST_ROW, FIRST_ROW + MAX_ROWS):
        rule, place, text = (_cell_text(cells.get(f"{col}{row}")) for col in "ABC")
        if rule or text:
            found.append(Explanation(rule, place or None, text, row_where(row)))
    return found, []


def _cell_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:MAX_TEXT]


def items_from_document(doc: Mapping[str, Any]) -> list[Explanation]:
    """Explanations from a JSON document's `explanations` (the schema checks their shape)."""
    items = doc.get("explanations")
    if not isinstance(items, list):
        return []
    found = []
    for index, item in enumerate(items[:MAX_ROWS], start=1):
        if not isinstance(item, dict):
            continue
        rule, place, text = (_cell_text(item.get(k)) for k in ("rule", "pointer", "text"))
        found.append(Explanation(rule, place or None, text, item_where(index)))
    return found


# ---- applying explanations to findings ------------------------------------------------------------


def apply_explanations(
    form: Form, findings: Sequence[Finding], explanations: Iterable[Explanation]
) -> tuple[list[Finding], list[Explanation]]:
    """The findings with explained warnings marked and a warning for each unusable explanation,
    and the explanations that explain a warning found (what the canonical document carries)."""
    usable, problems = _usable(form, explanations)
    out, used = [], []
    for finding in findings:
        match = _first_match(finding, usable)
        if match is not None:
            finding = dataclasses.replace(finding, explanation=match.text)
        out.append(finding)
    for item in usable:
        if any(f.severity == "warning" and _explains(item, f) for f in findings):
            used.append(item)
    return out + problems, used


def _usable(
    form: Form, explanations: Iterable[Explanation]
) -> tuple[list[Explanation], list[Finding]]:
    severity = {r.id: r.severity for r in form.rules}
    warnings = warning_rule_ids(form)
    usable: list[Explanation] = []
    problems: list[Finding] = []
    for item in explanations:
        rule = item.rule if item.rule in severity else _declared_id(item.rule, severity)
        if rule is None:
            example = "、".join(warnings[:3])
            problems.append(
                make_finding("S19", where=item.where, rule_id=item.rule, example=example)
            )
        elif severity[rule] != "warning":
            problems.append(make_finding("S18", where=item.where, rule_id=rule))
        elif not item.text:
            problems.append(make_finding("S20", where=item.where, rule_id=rule))
        else:
            pointer = resolve_place(form, item.place) if item.place else None
            if item.place and pointer is None:
                problems.append(make_finding("S21", where=item.where, place=item.place))
                continue
            usable.append(dataclasses.replace(item, rule=rule, pointer=pointer))
    return usable, problems


def _declared_id(written: str, severity: Mapping[str, str]) -> str | None:
    """W1 from `w1` or `W1[col=natural_person]` (an instance id copied from a JSON report)."""
    base = written.split("[")[0].strip().upper()
    return base if base in severity else None


def _first_match(finding: Finding, usable: Sequence[Explanation]) -> Explanation | None:
    if finding.severity != "warning" or finding.rule is None:
        return None
    return next((item for item in usable if _explains(item, finding)), None)


def _explains(item: Explanation, finding: Finding) -> bool:
    """Same rule, and (when the explanation names a place) the warning's cell or one it compares."""
    if finding.rule != item.rule:
        return False
    if item.pointer is None:
        return True
    pointers = {finding.pointer, *(o.pointer for o in finding.operands if not o.previous)}
    return item.pointer in pointers


def resolve_place(form: Form, place: str) -> str | None:
    """A JSON pointer for `sheet!A1`, `A1` (when one sheet has it), a pointer or a field key."""
    text = place.strip()
    by_pointer = {f.pointer: f.pointer for f in form.fields.values()}
    if text.startswith("/"):
        return by_pointer.get(text.rstrip("/"))
    if text in form.fields:
        return key_to_pointer(text)
    sheet_part, _, cell_part = text.rpartition("!")
    match = _A1.match(cell_part.strip())
    if match is None:
        return None
    cell = (match.group(1) + match.group(2)).upper()
    sheet_ids = _sheets_named(form, sheet_part.strip().strip("'")) if sheet_part else None
    found = [
        f.pointer
        for f in form.fields.values()
        if f.cell == cell and (sheet_ids is None or f.sheet in sheet_ids)
    ]
    return found[0] if len(found) == 1 else None


def _sheets_named(form: Form, name: str) -> set[str]:
    """The ids of the sheets a person may mean by `name`: the worksheet name or the short name."""
    return {s.id for s in form.sheets if name in (s.name, s.short.zh, s.short.en)}

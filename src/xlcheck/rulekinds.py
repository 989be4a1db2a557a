"""The one registry of rule kinds: each kind's typed parameters, its check, its sides and its live
formulas, in one frozen spec.

The form loader checks every rule's parameters against its kind's spec; the checks run `check`;
the culprit search solves the `sides` of `balanced` kinds; the template writes `live_cell` /
`live_formats`. Adding a kind is one function in `checks/kinds.py`, one entry here, a code in
`codes.RULE_KIND_CODES` and a case under `tests/cases/rules/`.

This module sits above `form/`, `checks/` and `xlsxout/` (it wires them); `form/` imports it only
when it builds a form, so `xlcheck.form.model` stays a leaf that the reader can import alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlcheck.checks import kinds
from xlcheck.checks.kinds import RuleInput, Violation
from xlcheck.form.model import Form, Rule
from xlcheck.form.params import Param
from xlcheck.form.rules import Sides, left_and_right, target_and_operands

if TYPE_CHECKING:
    from xlcheck.xlsxout import liveformulas
    from xlcheck.xlsxout.formulas import Evaluator

CheckFn = Callable[[Rule, RuleInput], Iterator[Violation]]
SidesFn = Callable[[Rule], Sides]
LiveCellFn = Callable[[Form, Rule, Sides, str, "Evaluator"], "liveformulas.LiveCell"]
LiveFormatsFn = Callable[[Form, Rule], Iterator["liveformulas.LiveFormat"]]


def _live(name: str) -> Any:
    """A live-check function of xlsxout, imported when a template is written, not when a form
    loads: `xlcheck check` never writes formulas and should not import the writers."""

    def call(*args: Any) -> Any:
        from xlcheck.xlsxout import liveformulas

        return getattr(liveformulas, name)(*args)

    call.__name__ = name
    return call


@dataclass(frozen=True)
class RuleKindSpec:
    """What one rule kind takes, how it is checked, and how it shows in a spreadsheet."""

    name: str
    params: tuple[Param, ...]
    check: CheckFn
    sides: SidesFn | None = None  # (left terms, right terms) of a linear kind
    balanced: bool = False  # holds exactly when left == right: the culprit search solves it
    live_cell: LiveCellFn | None = None  # a check cell (`live: {row|column}`)
    live_formats: LiveFormatsFn | None = None  # red cells (`live: {cells: true}`)


_TERMS = (Param("left", "terms"), Param("right", "terms"))
_SPECS = (
    RuleKindSpec(
        "sum",
        (Param("target", "term"), Param("operands", "terms")),
        kinds.check_sum,
        sides=target_and_operands,
        balanced=True,
        live_cell=_live("balance_cell"),
    ),
    RuleKindSpec(
        "equal_sums",
        _TERMS,
        kinds.check_equal_sums,
        sides=left_and_right,
        balanced=True,
        live_cell=_live("balance_cell"),
    ),
    RuleKindSpec(
        "compare",
        (*_TERMS, Param("op", "op")),
        kinds.check_compare,
        sides=left_and_right,
        live_cell=_live("compare_cell"),
    ),
    RuleKindSpec("domain", (Param("fields", "fields"),), kinds.check_domain),
    RuleKindSpec(
        "zero_when",
        (Param("fields", "fields"), Param("when", "condition")),
        kinds.check_zero_when,
        live_formats=_live("nonzero_formats"),
    ),
    RuleKindSpec(
        "text_mentions",
        (Param("field", "field"), Param("when", "condition"), Param("any_of", "texts")),
        kinds.check_text_mentions,
    ),
    RuleKindSpec(
        "prose_number",
        (Param("fields", "fields"), Param("patterns", "patterns")),
        kinds.check_prose_number,
    ),
    RuleKindSpec("required_text", (Param("fields", "fields"),), kinds.check_required_text),
    RuleKindSpec(
        "text_differs",
        (Param("field", "field"), Param("other", "previous_field")),
        kinds.check_text_differs,
    ),
    RuleKindSpec("legacy_labels", (Param("labels", "texts"),), kinds.check_legacy_labels),
)
RULE_KINDS: dict[str, RuleKindSpec] = {spec.name: spec for spec in _SPECS}
BALANCED_KINDS = frozenset(spec.name for spec in _SPECS if spec.balanced)

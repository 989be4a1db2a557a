"""Blank cells of a published table: a blank is not a 0 until the printed totals confirm it.

Counts are never negative, so when the printed parts of a total already add up with the blanks as
0, every blank among them must be 0. A blank is read as 0 only when each printed total it takes
part in (the form's `import.audit.printed_totals`) holds that way; the reading and an A08 say so.
Any other blank stays unread (A06): it may be a number left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xlcheck.findings import Finding
from xlcheck.form.model import Form
from xlcheck.importers.audit import printed_total_rules
from xlcheck.importers.model import Reading, unreadable
from xlcheck.importers.tables import layout_finding

NOTE = "空白，合计核对无误，读作 0"


@dataclass
class Settled:
    values: dict[str, int] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def settle_blanks(form: Form, values: Mapping[str, Any], blanks: list[Reading]) -> Settled:
    """0 for each blank the totals confirm, A06 for the others; one A08 per row read as 0."""
    out = Settled()
    confirmed = confirmed_blanks(form, values, {b.key for b in blanks})
    per_place: dict[str, int] = {}
    for blank in blanks:
        if blank.key in confirmed:
            out.values[blank.key] = 0
            note = "；".join(x for x in (NOTE, blank.note) if x)
            out.readings.append(Reading(blank.key, blank.raw, blank.place, note))
            per_place[blank.place] = per_place.get(blank.place, 0) + 1
        else:
            out.findings.append(unreadable(form, blank.key, blank.raw, blank.place))
    for place, count in per_place.items():
        out.findings.append(layout_finding("blank_zero", place, {"count": str(count)}, count=count))
    return out


def confirmed_blanks(form: Form, values: Mapping[str, Any], blanks: set[str]) -> set[str]:
    """Blanks that take part in a printed total, each of which holds with the blanks as 0."""
    trial = {**values, **dict.fromkeys(blanks, 0)}
    verdict: dict[str, bool] = {}
    for total in printed_total_rules(form):
        involved = blanks.intersection(total.keys)
        if not involved:
            continue
        known = all(isinstance(trial.get(k), int | float) for k in total.keys)
        holds = known and trial[total.target] == total.computed(trial)
        for key in involved:
            verdict[key] = verdict.get(key, True) and holds
    return {key for key, ok in verdict.items() if ok}

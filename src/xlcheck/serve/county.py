"""The county's view of the season: each office's state and the totals of the valid reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from xlcheck.batch.aggregate import Aggregate, check_aggregate
from xlcheck.findings import Finding
from xlcheck.form.model import Form

from .store import OfficeRow, Store, SubmissionRow

NONE = "none"  # 未报送


@dataclass(frozen=True)
class OfficeState:
    office: OfficeRow
    submissions: int
    latest: SubmissionRow | None

    @property
    def state(self) -> str:
        """none | valid | invalid | unreadable (the latest submission decides)."""
        return self.latest.facts.status if self.latest is not None else NONE

    @property
    def updated(self) -> bool:
        """Submitted again after a first submission (已更新)."""
        return self.submissions > 1

    @property
    def open_findings(self) -> int:
        if self.latest is None:
            return 0
        return self.latest.facts.errors + self.latest.facts.open_warnings


@dataclass(frozen=True)
class FormTotals:
    form: Form
    offices: int
    totals: dict[str, int | float]
    findings: list[Finding]  # the cross-total rules re-run on the totals


def office_states(store: Store) -> list[OfficeState]:
    by_office: dict[int, list[SubmissionRow]] = defaultdict(list)
    for row in store.submissions():
        by_office[row.office_id].append(row)
    states = []
    for office in store.offices():
        rows = by_office.get(office.id, [])
        states.append(OfficeState(office, len(rows), rows[-1] if rows else None))
    return states


def county_totals(states: list[OfficeState]) -> list[FormTotals]:
    """Per form: the sum of every office's latest submission when it is valid, rules re-run."""
    sums: dict[tuple[str, str], Aggregate] = {}
    for state in states:
        latest = state.latest
        if latest is None or latest.facts.status != "valid" or latest.facts.form_id is None:
            continue
        form = _form(latest.facts.form_id, _version(latest))
        if form is None:
            continue
        key = (form.id, form.form_version)
        sums.setdefault(key, Aggregate(form)).add(latest.facts.values)
    result = []
    for aggregate in sums.values():
        totals = aggregate.values()
        findings = check_aggregate(aggregate.form, totals)
        result.append(FormTotals(aggregate.form, aggregate.count, totals, findings))
    return sorted(result, key=lambda t: t.form.form_version, reverse=True)


def _version(row: SubmissionRow) -> str | None:
    form = row.facts.report.get("files", [{}])[0].get("form") or {}
    version = form.get("form_version")
    return version if isinstance(version, str) else None


@cache
def _bundled() -> tuple[Form, ...]:
    from xlcheck.form import available_forms, load_form

    return tuple(load_form(name) for name in available_forms())


def _form(form_id: str, version: str | None) -> Form | None:
    for form in _bundled():
        if form.id == form_id and (version is None or form.form_version == version):
            return form
    return None

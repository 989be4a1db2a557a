"""A checked file as a page shows it: the findings grouped by sheet, in the report's order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from xlcheck.explain import Given

from .checker import Checked
from .pending import Pending
from .uploads import Upload
from .web import lang_of


@dataclass(frozen=True)
class Group:
    sheet: str | None  # None: findings about the whole file
    findings: list[dict[str, Any]]


@dataclass(frozen=True)
class ResultView:
    file: dict[str, Any]  # one entry of the JSON report's "files"
    groups: list[Group]
    downloads: dict[str, str] = field(default_factory=dict)  # kind -> URL
    pending: str | None = None  # the held upload's id (submit it without a second upload)

    @property
    def status(self) -> str:
        if not self.file["readable"]:
            return "unreadable"
        return "valid" if self.file["valid"] else "invalid"


def grouped(file: dict[str, Any]) -> list[Group]:
    """Findings by sheet; an open warning of a rule gets "explain": its number on the page, for
    the box where the office says why the figure is right (an error gets none)."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    number = 0
    for finding in file.get("findings", []):
        shown = dict(finding)
        if explainable(finding):
            shown["explain"] = number
            number += 1
        groups.setdefault(finding.get("sheet"), []).append(shown)
    return [Group(sheet, items) for sheet, items in groups.items()]


def explainable(finding: dict[str, Any]) -> bool:
    return (
        finding.get("severity") == "warning"
        and bool(finding.get("rule"))
        and not finding.get("explained")
    )


MAX_EXPLANATIONS = 50  # the explanation sheet's rows (explain.MAX_ROWS)


def explanations_posted(form: FormData) -> Given:
    """(rule, place, text) of every box the office filled in on the submit form."""
    given = []
    for number in range(MAX_EXPLANATIONS):
        text, rule, place = (
            form.get(f"explain-{part}-{number}") for part in ("text", "rule", "place")
        )
        if isinstance(text, str) and text.strip() and isinstance(rule, str) and rule:
            given.append((rule, place if isinstance(place, str) and place else None, text.strip()))
    return tuple(given)


def view_of(file: dict[str, Any], downloads: dict[str, str] | None = None) -> ResultView:
    return ResultView(file, grouped(file), downloads or {})


async def check_and_hold(
    request: Request, upload: Upload, office_id: int | None, base: str
) -> ResultView:
    """Check the upload, hold it (and its error workbook) for download and submit."""
    checked: Checked = await request.app.state.checker.check(
        upload.data, upload.name, lang_of(request)
    )
    pending: Pending = request.app.state.pending
    key = pending.put(office_id, upload.name, upload.data, checked)
    downloads = {kind: f"{base}/download/{key}/{kind}" for kind in checked.outputs}
    file = checked.report["files"][0]
    return ResultView(file, grouped(file), downloads, key)

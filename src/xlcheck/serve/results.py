"""A checked file as a page shows it: the findings grouped by sheet, in the report's order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

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
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for finding in file.get("findings", []):
        groups.setdefault(finding.get("sheet"), []).append(finding)
    return [Group(sheet, items) for sheet, items in groups.items()]


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

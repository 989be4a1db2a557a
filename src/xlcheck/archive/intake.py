"""After a batch: keep each current valid report of the run (a 通过 row of summary.json) in the
archive, with the canonical JSON the batch wrote for it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcheck.batch.offices import normalise_name, valid_credit_code
from xlcheck.form.model import Text

from .store import Accepted, Archive, ArchiveError

PASSED = "通过"  # batch.finish.PASSED: a current valid submission


@dataclass(frozen=True)
class Intake:
    added: int  # reports new to the archive
    kept: int  # reports it already had (a re-run)
    skipped: int  # accepted reports that name no year: they cannot serve as anyone's last year


def archive_batch(archive: Archive, out_dir: Path, summary_json: Path) -> Intake:
    """Add the run's current valid reports; reports already kept are not added twice."""
    added = kept = skipped = 0
    for row in accepted_rows(summary_json):
        report = _accepted(row, out_dir)
        if report is None:
            skipped += 1
        elif archive.add(report):
            added += 1
        else:
            kept += 1
    return Intake(added, kept, skipped)


def accepted_rows(summary_json: Path) -> Iterator[Mapping[str, Any]]:
    try:
        rows = json.loads(summary_json.read_text("utf-8")).get("rows", [])
    except (OSError, ValueError) as exc:
        raise ArchiveError(
            Text(
                f"无法读取「{summary_json}」，本次的报告未归档：{exc}",
                f"cannot read {summary_json}; this run's reports were not archived: {exc}",
            )
        ) from exc
    yield from (
        r for r in rows if r.get("status") == PASSED and (r.get("outputs") or {}).get("json")
    )


def _accepted(row: Mapping[str, Any], out_dir: Path) -> Accepted | None:
    year, sha = row.get("year"), row.get("sha256")
    if not isinstance(year, int) or isinstance(year, bool) or not isinstance(sha, str):
        return None
    code, name = row.get("credit_code"), str(row.get("office") or "")
    # the batch's key (offices.identify_office): a valid credit code, else the normalised name
    key = f"code:{code}" if valid_credit_code(code) else f"name:{normalise_name(name)}"
    document = _read(out_dir / row["outputs"]["json"])
    return Accepted(
        office_key=key,
        office=name,
        credit_code=code if valid_credit_code(code) else None,
        year=year,
        sha256=sha,
        document=document,
        source=row.get("filename"),
        received=row.get("date"),
        warnings=int(row.get("warnings") or 0),
        findings=tuple(str(m) for m in row.get("messages") or ()),
        form=_form_of(document),
        form_version=row.get("form_version"),
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ArchiveError(
            Text(
                f"无法读取「{path}」，未归档：{reason}",
                f"cannot read {path}; not archived: {reason}",
            )
        ) from exc


def _form_of(document: bytes) -> str | None:
    """The form id the canonical JSON names (summary.json rows give only the version)."""
    try:
        form = json.loads(document).get("form")
    except (ValueError, AttributeError):
        return None
    return form if isinstance(form, str) else None

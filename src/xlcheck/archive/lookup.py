"""Reading the archive: last year's report of an office (for X1 and the other rules that link two
years), and an office's history for `archive show`.

An office is found by its key (code:… or name:…, as the batch identifies offices), by its
normalised name too (a report filed last year without a credit code), and through the links a
clerk made (`archive link OLD NEW`: NEW finds OLD's reports, and OLD's old names' in turn).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlcheck.batch.offices import identify_office, normalise_name
from xlcheck.form.model import Form

from .store import INDEX_FILE, archive_missing, check_archive, connect

_COLUMNS = (
    "id, office_key, office, credit_code, year, sha256, path, added_at, source, received,"
    " warnings, findings"
)


@dataclass(frozen=True)
class Kept:
    """One accepted report in the archive."""

    id: int
    office_key: str
    office: str
    credit_code: str | None
    year: int
    sha256: str
    path: str  # relative to the archive's root
    added_at: str
    source: str | None
    received: str | None
    warnings: int
    findings: tuple[str, ...]  # the warnings' messages, as the batch showed them


@dataclass(frozen=True)
class Link:
    old_key: str
    new_key: str
    old_written: str
    new_written: str
    added_at: str


class Reader:
    """The archive opened read-only (a batch worker, `check`, `archive show`)."""

    def __init__(self, root: Path) -> None:
        index = root / INDEX_FILE
        if not index.is_file():
            raise archive_missing(root)
        self.root = root.resolve()
        self.db = connect(index, read_only=True)
        check_archive(self.db, index)

    def close(self) -> None:
        self.db.close()

    def links(self) -> list[Link]:
        rows = self.db.execute("SELECT * FROM link ORDER BY added_at, old_key")
        return [Link(*row) for row in rows]

    def family(self, keys: set[str]) -> set[str]:
        """The keys and every older key linked to them, however many renames back."""
        older: dict[str, set[str]] = {}
        for link in self.links():
            older.setdefault(link.new_key, set()).add(link.old_key)
        found, todo = set(keys), list(keys)
        while todo:
            for old in older.get(todo.pop(), ()):
                if old not in found:
                    found.add(old)
                    todo.append(old)
        return found

    def reports(self, keys: set[str], year: int | None = None) -> list[Kept]:
        """Reports filed under any of these keys (by office key or by name), oldest first."""
        marks = ", ".join("?" * len(keys))
        query = (
            f"SELECT {_COLUMNS} FROM report WHERE (office_key IN ({marks})"
            f" OR name_key IN ({marks}))"
        )
        params: list[Any] = [*keys, *keys]
        if year is not None:
            query += " AND year = ?"
            params.append(year)
        rows = self.db.execute(query + " ORDER BY year, id", params)
        return [_kept(row) for row in rows]

    def previous(self, office_key: str, name: str, year: int) -> Kept | None:
        """The office's latest accepted report for `year`: its own key's first, then one found
        by its name or through a link (the latest added wins within each)."""
        keys = self.family({office_key, f"name:{normalise_name(name)}"})
        found = self.reports(keys, year)
        own = [k for k in found if k.office_key == office_key]
        chosen = own or found
        return chosen[-1] if chosen else None


def _kept(row: tuple[Any, ...]) -> Kept:
    data = dict(zip([f.name for f in fields(Kept)], row, strict=True))
    data["findings"] = tuple(json.loads(data["findings"]))  # kept as a JSON list
    return Kept(**data)


@lru_cache(maxsize=8)
def reader_at(root: str) -> Reader:
    """One read-only connection per archive and process (a batch worker checks many files)."""
    return Reader(Path(root))


@lru_cache(maxsize=256)
def _previous_values(path: str, form: Form) -> Mapping[str, Any]:
    from xlcheck.previous import read_previous

    return read_previous(Path(path), form).values


def last_year(
    root: Path, form: Form, values: Mapping[str, Any], sha256: str
) -> tuple[Kept, Mapping[str, Any]] | None:
    """Last year's accepted report of the office that filled `values`, and its values as `form`
    reads them; None when the report names no year or the archive has none for year - 1.

    Raises ArchiveError when the archive cannot be read and PreviousError when the archived
    report cannot serve (its form unknown here).
    """
    year = values.get(form.roles.year) if form.roles.year else None
    if not isinstance(year, int) or isinstance(year, bool):
        return None
    office = identify_office(values, sha256, form.roles)
    kept = reader_at(str(root.resolve())).previous(office.key, office.name, year - 1)
    if kept is None:
        return None
    return kept, _previous_values(str(root.resolve() / kept.path), form)


def previous_sha(root: Path, outcome: Any) -> str:
    """The SHA-256 of the report the archive gives as last year's for a checked submission
    (batch.records.Outcome), "" when none: what a remembered outcome was checked with."""
    if outcome.office_key is None or not isinstance(outcome.year, int):
        return ""
    kept = reader_at(str(root.resolve())).previous(
        outcome.office_key, outcome.office or "", outcome.year - 1
    )
    return kept.sha256 if kept is not None else ""

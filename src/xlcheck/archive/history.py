"""An office's history in the archive (`archive show`): its years, each accepted submission, the
resubmissions the latest replaced, and the links that join it to other names."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import groupby
from typing import Any

from xlcheck.batch.offices import normalise_name

from .lookup import Kept, Link, Reader
from .store import office_key_of


@dataclass(frozen=True)
class History:
    written: str
    key: str
    name: str
    credit_code: str | None
    reports: list[Kept]  # by year, oldest first within each year: the last one is used
    links: list[Link]

    def years(self) -> list[tuple[int, list[Kept]]]:
        return [(year, list(kept)) for year, kept in groupby(self.reports, key=lambda k: k.year)]

    def to_json(self) -> dict[str, Any]:
        return {
            "office": self.name,
            "key": self.key,
            "credit_code": self.credit_code,
            "years": [
                {
                    "year": year,
                    "latest": kept[-1].sha256,
                    "submissions": [
                        {**asdict(k), "latest": k is kept[-1], "resubmitted": k is not kept[-1]}
                        for k in kept
                    ],
                }
                for year, kept in self.years()
            ],
            "links": [asdict(link) for link in self.links],
        }

    def text(self, lang: str) -> str:
        en = lang == "en"
        code = f" ({self.credit_code})" if en else f"（{self.credit_code}）"
        lines = [self.name + (code if self.credit_code else "")]
        for link in self.links:
            lines.append(
                f"  linked: {link.old_written} → {link.new_written} ({link.added_at})"
                if en
                else f"  关联：{link.old_written} → {link.new_written}（{link.added_at}）"
            )
        for year, kept in self.years():
            lines.append(f"{year}" if en else f"{year} 年度")
            for k in kept:
                lines.append(_line(k, k is kept[-1], self.name, en))
                lines.extend(f"      {text}" for text in k.findings)
        if not self.reports:
            lines.append("  no accepted report yet" if en else "  尚无通过的报告")
        return "\n".join(lines) + "\n"


def _line(kept: Kept, latest: bool, name: str, en: bool) -> str:
    if en:
        mark = "used        " if latest else "resubmitted "
        warnings = f", {kept.warnings} warnings" if kept.warnings else ""
    else:
        mark = "采用  " if latest else "已重报"
        warnings = f"，提示 {kept.warnings} 条" if kept.warnings else ""
    when = kept.received or kept.added_at
    other = "" if kept.office == name else f"  [{kept.office}]"
    return f"  {mark}  {when}  {kept.source or '-'}  sha256 {kept.sha256[:12]}{warnings}{other}"


def history_of(reader: Reader, written: str) -> History | None:
    """The office a clerk named (name or credit code) with its linked older names; None when
    the archive knows neither a report nor a link of it."""
    key = office_key_of(written)
    keys = reader.family({key, f"name:{normalise_name(written)}"})
    reports = reader.reports(keys)
    links = [ln for ln in reader.links() if ln.old_key in keys or ln.new_key in keys]
    if not reports and not links:
        return None
    own = [k for k in reports if k.office_key == key] or reports
    if own:  # named by its name, known by its credit code: the key its reports are filed under
        key, name, code = own[-1].office_key, own[-1].office, own[-1].credit_code
    else:
        name, code = written.strip(), None
    return History(written, key, name, code, reports, links)

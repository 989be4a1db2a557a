"""Season start: one template per office on the roster, prefilled with who it is and, from last
year's accepted report, its carry-over (上年结转 = last year's 结转下年度), locked.

The roster (CSV or xlsx) has the columns 机关名称, 统一社会信用代码, 类型, 层级, 联系人, 邮箱; a
类型 or 层级 is taken when it names one of the form's choices (its value, its label, or the label
before its note: 县级 for 县级（县、县级市、区）). Last year's reports are found in last year's batch
output folder (summary.json: each office's current valid report) by credit code, else by name.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcheck.batch.offices import (
    ROSTER_CODE,
    ROSTER_NAME,
    identify_office,
    normalise_name,
    valid_credit_code,
)
from xlcheck.form.model import Form

ROSTER_KIND = "类型"
ROSTER_TIER = "层级"
ROSTER_CONTACT = "联系人"
ROSTER_MAIL = "邮箱"
PASSED = "通过"  # a current valid row of summary.json


class RosterError(Exception):
    """The roster cannot be used; str() is one clear Chinese line."""


@dataclass(frozen=True)
class RosterRow:
    line: int  # 1-based, the heading is line 1
    name: str
    credit_code: str | None
    kind: str | None  # as written
    tier: str | None
    contact: str | None = None
    mail: str | None = None


@dataclass
class Prepared:
    """One office's template: its values, the keys it may not change, what could not be used."""

    row: RosterRow
    values: dict[str, Any] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    carried: bool = False  # last year's carry-over found
    notes: list[str] = field(default_factory=list)


def read_roster_rows(path: Path) -> list[RosterRow]:
    """Every office of the roster; RosterError for a missing 机关名称 column or an office listed
    twice (same credit code, else same name): a template must have one owner."""
    from xlcheck.batch.offices import roster_csv_rows, roster_xlsx_rows

    try:
        xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
        rows = roster_xlsx_rows(path) if xlsx else roster_csv_rows(path)
        header = [str(c or "").strip() for c in next(rows, [])]
        found = list(_rows(header, rows, path))
    except RosterError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable roster is one clear line
        raise RosterError(f"无法读取名单「{path}」：{exc}") from exc
    seen: dict[str, RosterRow] = {}
    for row in found:
        key = row.credit_code if valid_credit_code(row.credit_code) else normalise_name(row.name)
        if key in seen:
            raise RosterError(
                f"名单「{path.name}」第 {seen[key].line} 行和第 {row.line} 行是同一个单位"
                f"（{row.name}）。请删去重复的一行。"
            )
        seen[str(key)] = row
    return found


def _rows(header: list[str], rows: Iterator[list[Any]], path: Path) -> Iterator[RosterRow]:
    if ROSTER_NAME not in header:
        raise RosterError(f"名单「{path.name}」没有「{ROSTER_NAME}」列")

    def cell(row: list[Any], name: str) -> str | None:
        if name not in header:
            return None
        at = header.index(name)
        text = str(row[at]).strip() if at < len(row) and row[at] is not None else ""
        return text or None

    for line, row in enumerate(rows, start=2):
        name = cell(row, ROSTER_NAME)
        if name:
            code = cell(row, ROSTER_CODE)
            yield RosterRow(
                line,
                name,
                code.upper() if code else None,
                cell(row, ROSTER_KIND),
                cell(row, ROSTER_TIER),
                cell(row, ROSTER_CONTACT),
                cell(row, ROSTER_MAIL),
            )


def choice_value(form: Form, key: str | None, written: str | None) -> str | None:
    """The choice a roster's 类型/层级 names: its value, its label, or the label before （…）."""
    if key is None or not written or key not in form.fields:
        return None
    wanted = written.strip()
    for choice in form.fields[key].choices or ():
        label = choice.label.zh
        if wanted in (choice.value, label, label.split("（")[0]):
            return choice.value
    return None


@dataclass(frozen=True)
class LastYear:
    report: Path  # the accepted report's canonical JSON
    year: int | None


def last_year_reports(previous_dir: Path) -> dict[str, LastYear]:
    """Office key (code:… / name:…, as the batch identifies offices) -> its accepted report's
    canonical JSON and year, from last year's batch output."""
    summary = previous_dir / "summary.json"
    try:
        rows = json.loads(summary.read_text("utf-8")).get("rows", [])
    except (OSError, ValueError) as exc:
        raise RosterError(
            f"上年的输出文件夹「{previous_dir}」中没有可读的 summary.json：{exc}"
        ) from exc
    found: dict[str, LastYear] = {}
    for row in rows:
        report = (row.get("outputs") or {}).get("json")
        if row.get("status") == PASSED and report:
            code, name = row.get("credit_code"), row.get("office")
            for key in (
                f"code:{code}" if valid_credit_code(code) else None,
                f"name:{normalise_name(name)}",
            ):
                if key:
                    year = row.get("year")
                    found[key] = LastYear(
                        previous_dir / report, year if isinstance(year, int) else None
                    )
    return found


def prepare(form: Form, row: RosterRow, year: int, reports: Mapping[str, LastYear]) -> Prepared:
    """The values and locks of one office's template."""
    from xlcheck.previous import PreviousError, carried_values, read_previous

    roles = form.roles
    prepared = Prepared(row)
    values = prepared.values
    if roles.name:
        values[roles.name] = row.name
    if roles.credit_code and row.credit_code:
        values[roles.credit_code] = row.credit_code
    if roles.year:
        values[roles.year] = year
    for key, written, heading in (
        (roles.kind, row.kind, ROSTER_KIND),
        (roles.tier, row.tier, ROSTER_TIER),
    ):
        chosen = choice_value(form, key, written)
        if key and chosen:
            values[key] = chosen
        elif written:
            prepared.notes.append(
                f"第 {row.line} 行的{heading}「{written}」不是表中的选项，留给单位选择"
            )
    office = identify_office(values, row.name, roles)
    last = reports.get(office.key) or reports.get(f"name:{normalise_name(row.name)}")
    if last is not None and last.year != year - 1:
        prepared.notes.append(
            f"上年输出中该单位通过的报告是 {last.year} 年度的，不是 {year - 1} 年度，「上年结转」未预填"
        )
    elif last is not None:
        try:
            carried = carried_values(form, read_previous(last.report, form).values)
        except PreviousError as exc:
            prepared.notes.append(exc.text.zh)
        else:
            values.update(carried)
            prepared.locked = frozenset(carried)
            prepared.carried = bool(carried)
    return prepared


def template_bytes(form: Form, prepared: Prepared) -> bytes:
    from xlcheck.xlsxout import write_template

    buffer = io.BytesIO()
    write_template(form, buffer, values=prepared.values, locked=prepared.locked)
    return buffer.getvalue()


def template_mail(
    prepared: Prepared,
    year: int,
    attachment_name: str,
    data: bytes,
    deadline: str | None,
    from_addr: str,
) -> bytes | None:
    """The message that takes an office its template (None without an address): who it is for,
    the deadline, and how to send it back."""
    from xlcheck.mailout import build_reply

    row = prepared.row
    if not row.mail:
        return None
    lines = [
        f"{row.contact or row.name}：",
        "",
        f"现将《{row.name}{year}年度政府信息公开工作年度报告》填报模板发给贵单位（见附件）。",
        *(
            ["模板中的「上年结转」已按贵单位上年通过的报告填好并锁定，无需填写。"]
            if prepared.carried
            else []
        ),
        f"请于 {deadline} 前填好后，以附件形式回复本邮件。"
        if deadline
        else "请填好后，以附件形式回复本邮件。",
        "请直接在模板中填写，不要改动表格结构、工作表名称或合并单元格；没有发生的项目请填 0。",
        "",
        "（本邮件由 xlcheck 生成。）",
    ]
    subject = f"请填报{year}年度政府信息公开工作年度报告（{row.name}）"
    return build_reply(
        row.mail,
        row.contact or row.name,
        subject,
        "\r\n".join(lines) + "\r\n",
        attachment_name,
        data,
        from_addr,
    )

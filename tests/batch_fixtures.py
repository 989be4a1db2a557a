"""A county inbox of 30 offices for tests/test_batch.py, built at test time from real templates:
loose workbooks, a GBK zip, Outlook-style .eml files, an mbox, a resubmission and broken files."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents import valid_values
from inbox_fixtures import (
    attachment,
    b_words,
    envelope,
    gbk_zip,
    mbox_file,
    message,
    text_part,
    write_tree,
)
from xlcheck.batch.offices import check_character
from xlcheck.form import Form

OFFICES = [
    "某某县财政局",
    "某某县教育局",
    "某某县公安局",
    "某某县民政局",
    "某某县司法局",
    "某某县人力资源和社会保障局",
    "某某县自然资源局",
    "某某县生态环境分局",
    "某某县住房和城乡建设局",
    "某某县交通运输局",
    "某某县水利局",
    "某某县农业农村局",
    "城关镇人民政府",
    "古庄店镇人民政府",
    "王店乡人民政府",
    "李新店镇人民政府",
    "南海街道办事处",
    "某某县商务局",
    "某某县文化广电和旅游局",
    "某某县卫生健康委员会",
    "某某县退役军人事务局",
    "某某县应急管理局",
    "某某县审计局",
    "某某县市场监督管理局",
    "某某县统计局",
    "某某县医疗保障局",
    "某某县林业局",
    "某某县信访局",
    "某某县数据资源管理局",
    '=HYPERLINK("http://x")某某县档案馆',
]
TOWNSHIPS = {12, 13, 14, 15, 16}
INVALID_R1 = {10, 16, 23}
INVALID_TEXT_IN_COUNT = {11}
RESUBMITTED = 28


@dataclass
class Inbox:
    """The files written, and what the batch should find for each office."""

    root: Path
    values: dict[int, dict[str, Any]] = field(default_factory=dict)  # current submission per office
    expected: dict[str, str] = field(default_factory=dict)  # office name -> status
    unreadable_origins: list[str] = field(default_factory=list)
    emailed: set[str] = field(default_factory=set)


def credit_code(index: int) -> str:
    body = f"1141170000{index:07d}"
    return body + check_character(body)


def office_values(form: Form, index: int) -> dict[str, Any]:
    tier = "township" if index in TOWNSHIPS else "county"
    values = valid_values(form, seed=index, tier=tier)
    values["agency.name"] = OFFICES[index]
    values["agency.credit_code"] = credit_code(index) if index % 2 == 0 else None
    if index in INVALID_R1:  # column 自然人 does not balance: one application went missing
        values["applications.carried_forward.natural_person"] += 1
    if index in INVALID_TEXT_IN_COUNT:
        values["proactive.licensing"] = "无"
    return values


def workbook(form: Form, values: dict[str, Any]) -> bytes:
    from xlcheck.xlsxout import write_template

    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    return buffer.getvalue()


def mail(index: int, data: bytes, date: str, serial: int = 0) -> bytes:
    address = f"office{index:02d}@example.gov.cn"
    head = envelope(
        OFFICES[index][:20],
        address,
        "2024年政府信息公开工作年度报告",
        date,
        f"<m{index}.{serial}@example.gov.cn>",
    )
    name = b'filename="' + b_words("年度报告.xlsx").encode("ascii") + b'"'
    return message(head, [attachment(name, data)])


def build_inbox(form: Form, root: Path) -> Inbox:
    inbox = Inbox(root)
    files: dict[str, bytes] = {}
    books = {i: workbook(form, office_values(form, i)) for i in range(len(OFFICES))}
    for i in [*range(0, 12), 29]:  # loose workbooks with unhelpful file names
        files[f"散件/报表{i:02d}(1).xlsx"] = books[i]
    files["乡镇/乡镇报表.zip"] = gbk_zip(
        {f"乡镇/{OFFICES[i]}.xlsx": books[i] for i in range(12, 17)}, ("乡镇/",)
    )
    for i in range(17, 24):
        files[f"邮件/{i:02d}.eml"] = mail(i, books[i], f"Mon, 15 Jan 2024 0{i % 10}:00:00 +0800")
    files["邮件/存档.mbox"] = mbox_file(
        [mail(i, books[i], "Tue, 16 Jan 2024 10:00:00 +0800") for i in range(24, 28)]
    )
    _resubmission(form, inbox, files)
    files["损坏.xlsx"] = random.Random(7).randbytes(3000)
    whole = gbk_zip({"某某县档案局.xlsx": books[0]})
    files["截断.zip"] = whole[: len(whole) // 2]
    files["签名.png"] = b"\x89PNG\r\n\x1a\n" + bytes(40)
    # the one roster office that has not reported wrote, but forgot the attachment
    forgot = envelope(
        "某某县气象局",
        "qxj@example.gov.cn",
        "年报（附件）",
        "Wed, 17 Jan 2024 09:00:00 +0800",
        "<forgot@example.gov.cn>",
    )
    files["邮件/气象局.eml"] = message(forgot, [text_part("年报见附件。")])
    write_tree(root, files)
    inbox.unreadable_origins = ["损坏.xlsx", "截断.zip"]
    _expect(form, inbox)
    return inbox


def _resubmission(form: Form, inbox: Inbox, files: dict[str, bytes]) -> None:
    """Office 28 sends a wrong report, then a corrected one; the later Date wins, not file order."""
    first = office_values(form, RESUBMITTED)
    first["applications.carried_forward.natural_person"] += 1
    second = office_values(form, RESUBMITTED)
    files["邮件/a-更正.eml"] = mail(
        RESUBMITTED, workbook(form, second), "Thu, 18 Jan 2024 09:00:00 +0800", 2
    )
    files["邮件/b-初报.eml"] = mail(
        RESUBMITTED, workbook(form, first), "Wed, 17 Jan 2024 09:00:00 +0800", 1
    )


def _expect(form: Form, inbox: Inbox) -> None:
    for i, name in enumerate(OFFICES):
        bad = i in INVALID_R1 or i in INVALID_TEXT_IN_COUNT
        inbox.expected[name] = "有错误" if bad else "通过"
        if not bad:
            inbox.values[i] = office_values(form, i)
        if 17 <= i <= 28:
            inbox.emailed.add(name)


# ---- a county inbox that mixes the 2021 format and the 2019 trial format ------------------------

FORMAT_2019 = {12, 13, 14, 15, 16, 20}  # offices that still report in the 2019 layout
CHANGED_FORMAT = 6  # sends a 2019-format report first, then a 2021 one: the later one is current


def office_values_2019(form19: Form, index: int) -> dict[str, Any]:
    """Office `index` in the 2019 format: same identity, table 三/四 as in 2021, its own table 二."""
    from documents import valid_values_2019

    tier = "township" if index in TOWNSHIPS else "county"
    values = valid_values_2019(form19, seed=index, tier=tier)
    values["agency.name"] = OFFICES[index]
    values["agency.credit_code"] = credit_code(index) if index % 2 == 0 else None
    if index in INVALID_R1:
        values["applications.carried_forward.natural_person"] += 1
    return values


@dataclass
class MixedInbox:
    """Loose workbooks of both formats; `valid` holds each form version's current valid values."""

    root: Path
    expected: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # office -> rows
    valid: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "2021"/"2019" -> values


def build_mixed_inbox(form21: Form, form19: Form, root: Path) -> MixedInbox:
    """Offices 0-5, 10 in the 2021 format, FORMAT_2019 in the 2019 one (10 and 16 break R1),
    CHANGED_FORMAT first in 2019 (older file) and then in 2021."""
    import os

    inbox = MixedInbox(root, valid={"2021": [], "2019": []})
    root.mkdir(parents=True, exist_ok=True)
    plan = [(i, "2021") for i in [*range(6), 10]] + [(i, "2019") for i in sorted(FORMAT_2019)]
    plan += [(CHANGED_FORMAT, "2019"), (CHANGED_FORMAT, "2021")]
    for n, (index, version) in enumerate(plan):
        form = form19 if version == "2019" else form21
        values = office_values_2019(form19, index) if version == "2019" else None
        values = values or office_values(form21, index)
        path = root / f"报表{n:02d}.xlsx"
        path.write_bytes(workbook(form, values))
        os.utime(path, (1e9 + n, 1e9 + n))  # the later file of CHANGED_FORMAT is its current one
        valid = index not in INVALID_R1
        status = "通过" if valid else "有错误"
        rows = inbox.expected.setdefault(OFFICES[index], [])
        if rows:  # the earlier submission of this office is superseded by this one
            rows[-1] = ("已被新版本取代", rows[-1][1])
            inbox.valid[rows[-1][1]].pop()
        rows.append((status, version))
        if valid:
            inbox.valid[version].append(values)
    return inbox

"""The worst county inbox we know of, built at test time: every hostile or messy case of issue 10
in one folder, beside the hostile workbooks of test_check_hostile. Used by test_worst_inbox.py
and as the seed corpus of tools/fuzz_inbox.py."""

from __future__ import annotations

import base64
import io
import os
import random
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents import valid_values
from import_fixtures import render_docx
from inbox_fixtures import CRLF, attachment, b_words, gbk_zip, message, text_part
from xlcheck.form import Form
from xlsx_fixtures import BILLION_LAUGHS, build_ods, build_ole, declare_huge_size, rewrite_zip

T3_PART = "xl/worksheets/sheet5.xml"
EXT_B = "".join(chr(0x20000 + i) for i in range(70))  # 70 CJK Extension B characters, 4 bytes each
EMOJI_NAME = "🏛️📊" * 12 + "镇人民政府"
DEEP = 990


@dataclass
class WorstInbox:
    """The inbox, and what a user checks afterwards."""

    root: Path
    outside: Path  # a file beside the inbox that a symlink points to: never read, never changed
    valid_offices: set[str] = field(default_factory=set)  # offices whose current report is valid
    invalid_offices: set[str] = field(default_factory=set)  # offices that must get 有错误
    origins: list[str] = field(default_factory=list)  # every input, as the summary names it


def workbook(form: Form, values: dict[str, Any]) -> bytes:
    from xlcheck.xlsxout import write_template

    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    return buffer.getvalue()


def office(form: Form, name: str, seed: int, **changes: Any) -> dict[str, Any]:
    values = valid_values(form, seed=seed)
    values["agency.name"] = name
    values["agency.credit_code"] = None
    values.update(changes)
    return values


def crlf_mail(data: bytes) -> bytes:
    """A mail whose Subject and From name decode to CR/LF and a header of the sender's choosing."""
    subject = (
        "=?utf-8?b?" + base64.b64encode("年报\r\nBcc: evil@example.com".encode()).decode() + "?="
    )
    sender = "=?utf-8?b?" + base64.b64encode("某某局\nX-Evil: 1".encode()).decode() + "?="
    head = [
        f"From: {sender} <crlf@example.gov.cn>".encode("ascii"),
        b"To: county@example.gov.cn",
        f"Subject: {subject}".encode("ascii"),
        b"Date: Mon, 15 Jan 2024 08:00:00 +0800",
        b"Message-ID: <crlf@example.gov.cn>",
    ]
    name = b'filename="' + b_words("年报.xlsx").encode("ascii") + b'"'
    return message(head, [text_part("见附件。"), attachment(name, data)])


def bare_suffix_mail(data: bytes) -> bytes:
    """An attachment named just ".xlsx", as some webmail clients send a file with no name."""
    head = [
        b"From: =?utf-8?b?" + base64.b64encode("无名".encode()) + b"?= <noname@example.gov.cn>",
        b"To: county@example.gov.cn",
        b"Subject: report",
        b"Date: Mon, 15 Jan 2024 09:00:00 +0800",
        b"Message-ID: <noname@example.gov.cn>",
    ]
    return message(head, [attachment(b'filename=".xlsx"', data)])


def gridspan_docx(form: Form, value: str) -> bytes:
    """A published report as Word, whose first table cell declares a hostile gridSpan."""
    original = render_docx(form, valid_values(form, seed=3))
    source = zipfile.ZipFile(io.BytesIO(original))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                span = f'<w:tcPr><w:gridSpan w:val="{value}"/>'.encode()
                if b"<w:tcPr>" in data:
                    data = data.replace(b"<w:tcPr>", span, 1)
                else:
                    data = data.replace(b"<w:tc>", b"<w:tc>" + span + b"</w:tcPr>", 1)
            target.writestr(info, data)
    return out.getvalue()


def text_in_count_cell(form: Form, values: dict[str, Any], key: str, text: str) -> bytes:
    """A filled template whose count cell holds `text` as a string, as a careless paste leaves it."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook(form, values)))
    place = form.fields[key]
    book[form.sheet(place.sheet).name][place.cell].value = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pandas_rewrite(data: bytes) -> bytes:
    """What `pd.read_excel(header=None)` then `df.to_excel()` makes of a sheet: a header row of
    column numbers and an index column added, values only (no styles, names or protection)."""
    from openpyxl import Workbook, load_workbook

    source = load_workbook(io.BytesIO(data))
    target = Workbook()
    target.remove(target.active)
    for sheet in source:
        copy = target.create_sheet(sheet.title)
        for col in range(1, sheet.max_column + 1):
            copy.cell(1, col + 1, col - 1)
        for row in range(1, sheet.max_row + 1):
            copy.cell(row + 1, 1, row - 1)
            for col in range(1, sheet.max_column + 1):
                value = sheet.cell(row, col).value
                if value is not None and not (isinstance(value, str) and value.startswith("=")):
                    copy.cell(row + 1, col + 1, value)
    out = io.BytesIO()
    target.save(out)
    return out.getvalue()


def json_report(form: Form, values: dict[str, Any], **raw: str) -> bytes:
    """A canonical JSON report; `raw` gives a field's value as literal JSON text (a number no
    Python value would print, such as 400 digits or 1E+300)."""
    from xlcheck.canonical import dump_json, nest

    markers = {key: f"__RAW_{index}__" for index, key in enumerate(raw)}
    text = dump_json(nest(form, {**values, **markers}))
    for key, literal in raw.items():
        text = text.replace(f'"{markers[key]}"', literal)
    return text.encode("utf-8")


def make_deep_folder(root: Path, depth: int, leaf: bytes) -> None:
    """depth nested folders with a workbook at the bottom; made relative to a directory handle
    because the full path is longer than PATH_MAX."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        leaf_fd = os.open("最深.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        with os.fdopen(leaf_fd, "wb") as fh:
            fh.write(leaf)
    finally:
        os.close(fd)


def walk_tree(root: Path) -> list[tuple[Path, os.stat_result]]:
    """Every entry below root, links not followed, without recursion (os.walk recurses in
    Python 3.11 and cannot go 990 folders deep)."""
    entries: list[tuple[Path, os.stat_result]] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as scan:
            for entry in scan:
                info = entry.stat(follow_symlinks=False)
                entries.append((Path(entry.path), info))
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
    return sorted(entries)


def remove_tree(root: Path) -> None:
    """shutil.rmtree recurses too: remove the deepest entries first."""
    entries = walk_tree(root) if root.is_dir() and not root.is_symlink() else []
    for path, info in sorted(entries, key=lambda e: len(e[0].parts), reverse=True):
        if stat.S_ISDIR(info.st_mode):
            path.rmdir()
        else:
            path.unlink()
    if root.is_dir() and not root.is_symlink():
        root.rmdir()


def build_worst_inbox(form: Form, base: Path) -> WorstInbox:
    root = base / "收件箱"
    root.mkdir(parents=True)
    outside = base / "机密.txt"
    outside.write_text("outside the inbox: never read\n", encoding="utf-8")
    inbox = WorstInbox(root, outside)
    files: dict[str, bytes] = {}
    good = workbook(form, office(form, "某某县好单位", 1))
    inbox.valid_offices.add("某某县好单位")
    files["好单位.xlsx"] = good

    # 1. mail headers that decode to CR/LF (with an invalid workbook, so a reply draft is written)
    bad = office(form, "某某县换行局", 2)
    bad["applications.carried_forward.natural_person"] += 1
    files["邮件/换行.eml"] = crlf_mail(workbook(form, bad))
    inbox.invalid_offices.add("某某县换行局")

    # 2. offices named like the batch's own files
    for seed, name in enumerate(
        ["汇总.xlsx", "summary.json", ".xlcheck-state.sqlite", ".xlcheck-store", "SUMMARY.JSON"], 10
    ):
        files[f"撞名/{seed}.xlsx"] = workbook(form, office(form, name, seed))
        inbox.valid_offices.add(name)

    # 3. numbers past any plausible range
    files["数字/四百位.json"] = json_report(
        form, office(form, "某某县长数局", 20), **{"proactive.licensing": "9" * 400}
    )
    for copy in (1, 2):
        files[f"数字/费用{copy}.xlsx"] = workbook(
            form,
            office(form, f"某某县巨费局{copy}", 20 + copy, **{"proactive.fees_wan_yuan": 1e308}),
        )
        inbox.invalid_offices.add(f"某某县巨费局{copy}")
    files["数字/五千位.xlsx"] = text_in_count_cell(
        form, office(form, "某某县文本局", 23), "proactive.licensing", "9" * 5000
    )
    files["数字/年度.json"] = json_report(form, office(form, "某某县年度局", 24), year="1E+300")
    inbox.invalid_offices |= {"某某县长数局", "某某县文本局", "某某县年度局"}

    # 4. names of 4-byte characters, sending twice (the later one supersedes)
    for seed, name in ((30, EXT_B), (32, EMOJI_NAME)):
        files[f"长名/{seed}-初报.xlsx"] = workbook(form, office(form, name, seed, year=2023))
        files[f"长名/{seed}-更正.xlsx"] = workbook(form, office(form, name, seed + 1))
        inbox.valid_offices.add(name)

    # 7. published reports that once crashed or crawled
    files["发布/gridspan-上标.docx"] = gridspan_docx(form, "²")
    files["发布/gridspan-长.docx"] = gridspan_docx(form, "9" * 5000)
    files["发布/空白.txt"] = b" " * (10 * 2**20)

    # 8. a prose cell with a line break, a typed escape and a control character
    prose = office(form, "某某县换段局", 40)
    prose["overview.intro"] = "第一段。\r\n第二段。_x0041_"
    files["换段.xlsx"] = workbook(form, prose)
    inbox.valid_offices.add("某某县换段局")

    # 10/11. identical content under other names, inside a zip too
    same = workbook(form, office(form, "某某县重复局", 41))
    files["重复/丙镇.xlsx"] = b""
    files["重复/丁镇.xlsx"] = b""
    files["重复/原件.xlsx"] = same
    files["重复/副本.xlsx"] = same
    files["重复/打包.zip"] = gbk_zip({"再发一次.xlsx": same})
    inbox.valid_offices.add("某某县重复局")

    # 12. a sheet rewritten by pandas
    files["pandas.xlsx"] = pandas_rewrite(workbook(form, office(form, "某某县熊猫局", 42)))

    # 15. names that spoof or escape
    for seed, name in (
        (50, "某某%41县%2F局"),
        (51, "某某县\u202ecod.exe局"),
        (52, "某某\u200b县零宽局"),
        (53, "某某县#局?x=1"),
    ):
        files[f"链接/{seed}.xlsx"] = workbook(form, office(form, name, seed))
        inbox.valid_offices.add(name)

    # 16. an attachment named just ".xlsx"
    files["邮件/无名附件.eml"] = bare_suffix_mail(workbook(form, office(form, "某某县无名局", 60)))
    inbox.valid_offices.add("某某县无名局")

    # the existing hostile files and broken containers
    files["损坏.xlsx"] = random.Random(7).randbytes(3000)
    files["截断.zip"] = gbk_zip({"某.xlsx": good})[:400]
    files["签名.png"] = b"\x89PNG\r\n\x1a\n" + bytes(40)
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    _hostile_workbooks(root / "恶意", root / "好单位.xlsx")

    # 5/6. what only a file system can hold
    os.mkfifo(root / "管道.xlsx")
    (root / "零.xlsx").symlink_to("/dev/zero")
    (root / "自环.xlsx").symlink_to("自环.xlsx")
    (root / "外部.xlsx").symlink_to(outside)
    (root / "回环").symlink_to(".")
    (root / "上级").symlink_to("..")
    make_deep_folder(root, DEEP, workbook(form, office(form, "某某县深处局", 70)))
    inbox.origins = sorted(os.listdir(root))
    return inbox


def _hostile_workbooks(folder: Path, good: Path) -> None:
    folder.mkdir()
    build_ole(folder / "老格式.xlsx", ["Workbook"])
    build_ole(folder / "报表.et", ["Workbook"])
    build_ole(folder / "加密.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    build_ods(folder / "报表.ods")
    declare_huge_size(good, folder / "bomb.xlsx", T3_PART, 3 * 2**30)
    rewrite_zip(good, folder / "laughs.xlsx", {"xl/sharedStrings.xml": BILLION_LAUGHS})
    (folder / "半截.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])


__all__ = ["CRLF", "WorstInbox", "build_worst_inbox", "remove_tree", "walk_tree"]

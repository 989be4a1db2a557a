"""The 汇总 list's links are added to the closed workbook from a spool on disk: the package must be
exactly what xlsxwriter writes when it keeps the links itself, whatever the chunk boundaries."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook

from xlcheck.batch import links
from xlcheck.batch.links import LinkSpool, add_hyperlinks

PATHS = [
    "某某县财政局/某某县财政局-2024.json",
    "某某 县 & <机关>/a b%c [1] {2} ^`.docx",
    "already%20escaped/x.xlsx",
    "./回复/某某镇.reply.eml",
]
OPTIONS = {"constant_memory": True, "strings_to_urls": False}
CREATED = datetime(2025, 1, 20, 9, 30, tzinfo=UTC)


def _book(with_spool: bool, rows: int, comment: bool = False) -> tuple[bytes, LinkSpool]:
    out, spool = io.BytesIO(), LinkSpool()
    book = xlsxwriter.Workbook(out, OPTIONS)
    book.set_properties({"created": CREATED})  # both books alike, whenever the second is built
    link = book.add_format({"font_color": "blue", "underline": 1})
    sheet = book.add_worksheet("汇总")
    sheet.set_landscape()
    sheet.hide_gridlines(0)
    sheet.autofilter(0, 0, 0, 3)
    if comment:
        sheet.write_comment(0, 0, "批注")
    for row in range(rows):
        sheet.write_string(row, 0, f"第{row}行：某某县某某机关")
        path = PATHS[row % len(PATHS)]
        if with_spool:
            sheet.write_string(row, 1, "Word", link)
            spool.add(row, 1, path, path)
        else:
            # xlsxwriter leaves a path that looks escaped (%20) alone; links.py escapes every '%'
            escaped = re.search("%[0-9a-fA-F]{2}", path)
            target = path.replace("%", "%25") if escaped else path
            sheet.write_url(row, 1, "external:" + target, link, string="Word", tip=path)
    book.add_worksheet("合计").write_number(0, 0, 1)
    book.close()
    return out.getvalue(), spool


def _spooled(rows: int, comment: bool = False) -> bytes:
    package, spool = _book(True, rows, comment)
    dest = io.BytesIO()
    add_hyperlinks(io.BytesIO(package), dest, "xl/worksheets/sheet1.xml", spool)
    spool.close()
    return dest.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("chunk", [5, 97, 1 << 16])
@pytest.mark.parametrize("rows", [1, 40, 3000])
def test_spooled_links_are_what_xlsxwriter_writes(
    chunk: int, rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links, "_CHUNK", chunk)
    package, unused = _book(False, rows)
    unused.close()
    expected = _parts(package)
    got = _parts(_spooled(rows))
    assert sorted(got) == sorted(expected)
    for name, data in expected.items():
        assert got[name] == data, name


def test_links_join_a_sheet_that_already_has_relationships(tmp_path: Path) -> None:
    path = tmp_path / "汇总.xlsx"
    path.write_bytes(_spooled(9, comment=True))
    book = load_workbook(path)
    sheet = book["汇总"]
    assert sheet["A1"].comment is not None and sheet["A1"].comment.text == "批注"
    targets = [sheet.cell(row, 2).hyperlink.target for row in range(1, 10)]
    assert targets == [links.relationship_target(PATHS[r % len(PATHS)]) for r in range(9)]
    book.close()


def test_no_links_copies_the_package_unchanged() -> None:
    package, spool = _book(True, 0)
    dest = io.BytesIO()
    add_hyperlinks(io.BytesIO(package), dest, "xl/worksheets/sheet1.xml", spool)
    spool.close()
    assert dest.getvalue() == package

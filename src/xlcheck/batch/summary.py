"""The batch summary: 汇总.xlsx (rows, 未报送, 合计 in the official layout, 规则) and summary.json.

Rows are streamed in as they are decided. Every text that came from a submission is written
with `write_string` after neutralising a leading formula character.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from xlcheck.cells import parse_range
from xlcheck.codes import format_value
from xlcheck.findings import Finding
from xlcheck.form.model import Form
from xlcheck.xlsxout.safe_text import neutralise

from .collect import IGNORED_TEXT
from .links import LinkSpool, add_hyperlinks, relationship_target

ROW_COLUMNS = (
    ("序号", 6, "seq"),
    ("机关名称", 28, "office"),
    ("统一社会信用代码", 21, "credit_code"),
    ("年度", 7, "year"),
    ("格式", 7, "form_version"),  # the report format it was checked against: 2021, 2019
    ("状态", 14, "status"),
    ("错误数", 7, "errors"),
    ("警告数", 7, "warnings"),
    ("已说明", 7, "explained"),  # of the warnings, those the office explained: no longer open
    ("主要问题规则", 16, "rules"),
    ("主要问题", 50, "messages"),
    ("来源", 40, "origin"),
    ("发件人", 26, "sender"),
    ("日期", 26, "date"),  # 2026-01-20T09:30:00+08:00 on one line
    ("与上次相比变更的单元格", 30, "changed"),
)
SKIPPED_COLUMNS = (
    ("来源", 40, "origin"),
    ("文件名", 28, "filename"),
    ("原因", 26, "reason"),  # the technical detail (English) stays in summary.json
    ("发件人", 26, "sender"),
    ("邮件主题", 30, "subject"),
    ("日期", 26, "date"),
)
LINK_COLUMNS = (("JSON", "json"), ("Word", "docx"), ("错误表", "errors"), ("回复草稿", "reply"))
MAX_LINKS = 65_000  # Excel keeps at most 65,530 hyperlinks per sheet
LIST_PART = "xl/worksheets/sheet1.xml"  # 汇总 is the first sheet xlsxwriter writes
MAX_URL = 255
MAX_CELL_TEXT = 2000
TABLE_ROLES = {"title", "header", "band", "row", "note"}
# A cell holds a finite double: a larger number (a 400-digit count), inf or nan is written as text.
_BIG = sys.float_info.max


@dataclass(frozen=True)
class FormSection:
    """One form's part of the summary: its county totals, the rules re-run on them, and how
    many current submissions failed each rule. `others` are the versions of the batch's other
    forms (a mixed batch): each form then gets its own 合计-<version> and 规则-<version>."""

    form: Form
    values: Mapping[str, Any]
    failures: list[Finding]
    reports: int
    rule_counts: Mapping[str, int]
    others: tuple[str, ...] = ()

    @property
    def suffix(self) -> str:
        return f"-{self.form.form_version}" if self.others else ""


def _text(value: Any) -> str:
    return format_value(value) if isinstance(value, int | float) else str(value)


class SummaryBook:
    """汇总.xlsx, written to `dest` (a file object) as rows arrive and the totals are known."""

    def __init__(self, dest: IO[bytes]) -> None:
        self.dest = dest
        # xlsxwriter writes to a scratch file; finish() copies it to dest with the list's links
        self.scratch = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        self.spool = LinkSpool()
        self.book = xlsxwriter.Workbook(
            self.scratch,
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                # rows go to disk as they are written: memory stays flat however many offices
                "constant_memory": True,
            },
        )
        self.bold = self.book.add_format(
            {"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1}
        )
        self.cell = self.book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        self.heading = self.book.add_format({"bold": True, "font_size": 12})  # spills over, no wrap
        # The list's cells have no border and empty ones are not written at all (a third of the
        # cells, a quarter of the finishing time): the gridlines, printed too, draw the grid.
        # One line per office: xlsxwriter cannot size rows to wrapped text, and a wrapped cell in a
        # row of default height is cut off (Excel) or runs into the next row (LibreOffice's PDF).
        self.item = self.book.add_format({"valign": "top"})
        self.link = self.book.add_format({"font_color": "blue", "underline": 1})
        self.rows = self.book.add_worksheet("汇总")
        self.rows.hide_gridlines(0)  # 0: shown on screen and printed
        self.row = 1
        self.links = 0
        headers = [c[0] for c in ROW_COLUMNS] + [c[0] for c in LINK_COLUMNS]
        for col, (header, width) in enumerate(
            [(c[0], c[1]) for c in ROW_COLUMNS] + [(c[0], 12) for c in LINK_COLUMNS]
        ):
            self.rows.write_string(0, col, header, self.bold)
            self.rows.set_column(col, col, width)
        self.rows.freeze_panes(1, 2)
        self.rows.autofilter(0, 0, 0, len(headers) - 1)
        _print_wide(self.rows, header_rows=1)

    def add_row(self, row: Mapping[str, Any]) -> None:
        # _write_value inlined: this runs for every cell of the list, the bulk of the workbook
        index, fmt = self.row, self.item
        write_number, write_string = self.rows.write_number, self.rows.write_string
        for col, (_, _, key) in enumerate(ROW_COLUMNS):
            value = row.get(key)
            if type(value) is list:
                value = "；".join(map(str, value))
            if value is None or value == "":
                continue  # no cell at all (see __init__)
            if (type(value) is int or type(value) is float) and -_BIG < value < _BIG:  # not bool
                if key == "seq":
                    value += 1  # people count from 1; summary.json keeps the 0-based gather order
                write_number(index, col, value, fmt)
            else:
                write_string(index, col, neutralise(_text(value))[:MAX_CELL_TEXT], fmt)
        outputs = row.get("outputs", {})
        for offset, (label, key) in enumerate(LINK_COLUMNS):
            rel = outputs.get(key)
            if rel:
                self._write_link(self.row, len(ROW_COLUMNS) + offset, rel, label)
        self.row += 1

    def _write_value(self, sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        fmt = fmt or self.cell
        if isinstance(value, int | float) and not isinstance(value, bool) and -_BIG < value < _BIG:
            sheet.write_number(row, col, value, fmt)
        elif value is None or value == "":
            sheet.write_blank(row, col, None, fmt)
        else:
            sheet.write_string(row, col, neutralise(_text(value))[:MAX_CELL_TEXT], fmt)

    def _write_link(self, row: int, col: int, rel: str, label: str) -> None:
        """The label in link style; the link itself is spooled to disk (see links.py)."""
        too_long = len("external:" + relationship_target(rel)) > MAX_URL  # as Excel counts it
        if self.links >= MAX_LINKS or too_long or not _linkable(rel):
            self.rows.write_string(row, col, neutralise(rel), self.item)
            return
        self.rows.write_string(row, col, label, self.link)
        self.spool.add(row, col, rel, neutralise(rel)[:250])
        self.links += 1

    def finish(
        self,
        sections: list[FormSection],
        missing: list[tuple[str, str | None]] | None,
        skipped: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """The sheets after the list: 未报送, 已忽略的文件, then a 合计 per form, a 规则 per form
        (grouped by kind, so the clerk finds the totals side by side)."""
        if missing is not None:
            self._missing_sheet(missing)
        self._skipped_sheet(skipped)
        for section in sections:
            self._totals_sheet(section)
        for section in sections:
            self._rules_sheet(section)
        self.book.close()
        try:
            add_hyperlinks(self.scratch, self.dest, LIST_PART, self.spool)
        finally:
            self.scratch.close()
            self.spool.close()

    def _skipped_sheet(self, records: Iterable[Mapping[str, Any]]) -> None:
        """已忽略的文件: what was in the inbox but is no submission (an e-mail without attachment,
        a PDF), so the clerk can follow it up, and later copies of a submission (重复报送: the list
        keeps one row per submission, so counts and totals stay right). Only when there is any."""
        skipped = iter(records)
        first = next(skipped, None)
        if first is None:
            return
        sheet = self.book.add_worksheet("已忽略的文件")
        for col, (header, width, _) in enumerate(SKIPPED_COLUMNS):
            sheet.write_string(0, col, header, self.bold)
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        _print_wide(sheet, header_rows=1)
        for index, record in enumerate(itertools.chain([first], skipped), start=1):
            reason = str(record.get("reason"))
            for col, (_, _, key) in enumerate(SKIPPED_COLUMNS):
                value = record.get(key)
                if key == "reason":  # a duplicate's text was written in the batch's language
                    value = record.get("text") or IGNORED_TEXT.get(reason, reason)
                self._write_value(sheet, index, col, value)

    def _missing_sheet(self, missing: list[tuple[str, str | None]]) -> None:
        sheet = self.book.add_worksheet("未报送")
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, 1, 22)
        sheet.write_string(0, 0, "机关名称", self.bold)
        sheet.write_string(0, 1, "统一社会信用代码", self.bold)
        for index, (name, code) in enumerate(missing, start=1):
            sheet.write_string(index, 0, neutralise(name), self.cell)
            self._write_value(sheet, index, 1, code)

    def _rules_sheet(self, section: FormSection) -> None:
        form, counts = section.form, section.rule_counts
        sheet = self.book.add_worksheet("规则" + section.suffix)
        for col, (header, width) in enumerate((("规则", 8), ("名称", 40), ("未通过的机关数", 14))):
            sheet.write_string(0, col, header, self.bold)
            sheet.set_column(col, col, width)
        titles = {d.id: d.title.zh for d in form.declarations}
        names = [d.id for d in form.declarations] + sorted(set(counts) - set(titles))
        for index, name in enumerate(names, start=1):
            sheet.write_string(index, 0, name, self.cell)
            sheet.write_string(index, 1, titles.get(name, "读取或结构问题"), self.cell)
            sheet.write_number(index, 2, counts.get(name, 0), self.cell)

    def _totals_sheet(self, section: FormSection) -> None:
        form, totals, failures = section.form, section.values, section.failures
        sheet = self.book.add_worksheet("合计" + section.suffix)
        _print_wide(sheet, header_rows=0)
        grid = Grid()
        heading = (
            f"全县合计（{form.form_version} 年格式，{section.reports} 个机关的有效报告，逐格相加）"
        )
        grid.put(0, 0, heading, self.heading)
        if section.others:  # a mixed batch: say where the rest of the county is
            elsewhere = "、".join(f"「合计-{v}」" for v in section.others)
            note = f"只含按 {form.form_version} 年格式报送的机关；按其他格式报送的见{elsewhere}"
            grid.put(1, 0, note, self.item)
        top = 2
        for table in form.sheets:
            if not any(form.fields[k].is_numeric for k in table.field_keys):
                continue
            grid.put(top, 0, table.heading or table.name, self.heading)
            top = self._place_table(grid, form, table.id, totals, top + 1) + 2
        verdict = "全部成立" if not failures else f"{len(failures)} 处不成立"
        grid.put(top, 0, f"勾稽关系（合计数）：{verdict}", self.heading)
        for index, finding in enumerate(failures, start=top + 1):
            grid.put(index, 0, neutralise(finding.text("zh")), self.cell)
        sheet.set_column(0, 2, 24)
        sheet.set_column(3, 14, 12)
        grid.write(sheet, self._write_value)

    def _place_table(
        self, grid: Grid, form: Form, table_id: str, totals: Mapping[str, Any], top: int
    ) -> int:
        """Labels and totals at their template places, shifted down to row `top`; the last row."""
        table = form.sheet(table_id)
        last = top
        for label in table.labels:
            if label.role in TABLE_ROLES:
                last = max(last, grid.place(top, label.range, label.text, self.bold))
        for key in table.field_keys:
            f = form.fields[key]
            if f.is_numeric:
                last = max(last, grid.place(top, f.merge or f.cell, totals.get(key), self.cell))
        return last


class Grid:
    """A sheet's cells and merges, collected in any order and written in row order.

    Constant-memory mode writes each row to disk once the next one starts, and xlsxwriter's
    merge_range pads a vertical range at once (out of row order). So the padding cells are
    collected here with the rest, and the ranges are registered with the worksheet directly.
    """

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[Any, Any]] = {}
        self.merges: list[list[int]] = []

    def put(self, row: int, col: int, value: Any, fmt: Any) -> None:
        self.cells[(row, col)] = (value, fmt)

    def place(self, top: int, ref: str, value: Any, fmt: Any) -> int:
        """Put a value (merged when ref is a range) at ref shifted down by top; its last row."""
        r1, c1, r2, c2 = (n - 1 for n in parse_range(ref))
        r1, r2 = r1 + top, r2 + top
        if (r1, c1) != (r2, c2):
            self.merges.append([r1, c1, r2, c2])
            for row in range(r1, r2 + 1):
                for col in range(c1, c2 + 1):
                    self.cells[(row, col)] = (None, fmt)
        self.cells[(r1, c1)] = (value, fmt)
        return r2

    def write(self, sheet: Any, write_value: Any) -> None:
        for (row, col), (value, fmt) in sorted(self.cells.items()):
            write_value(sheet, row, col, value, fmt)
        sheet.merge.extend(self.merges)  # xlsxwriter writes <mergeCells> from this list on close


# ---- summary.json, streamed --------------------------------------------------------------------------


# json.dumps(row, ensure_ascii=False, default=str) without building an encoder for every row
_ROW_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode


class SummaryJson:
    """summary.json written row by row: {"rows": [...], then the totals and counts}."""

    def __init__(self, fh: IO[bytes], head: Mapping[str, Any]) -> None:
        self.fh = fh
        self.first = True
        text = json.dumps(dict(head), ensure_ascii=False, indent=1)[:-2]
        self.fh.write((text + ',\n "rows": [').encode("utf-8"))

    def add_row(self, row: Mapping[str, Any]) -> None:
        self._item(row, self.first)
        self.first = False

    def _item(self, item: Mapping[str, Any], first: bool) -> None:
        """One element of a list, on its own line."""
        self.fh.write((("\n  " if first else ",\n  ") + _ROW_JSON(item)).encode("utf-8"))

    def finish(self, tail: Mapping[str, Any]) -> None:
        """The rest after the rows; an iterator value is written as a list, item by item."""
        self.fh.write(b"\n ]")
        for key, value in tail.items():
            if isinstance(value, Iterator):
                self.fh.write(f',\n "{key}": ['.encode())
                for index, item in enumerate(value):
                    self._item(item, index == 0)
                self.fh.write(b"\n ]")
                continue
            text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=False)
            self.fh.write(f',\n "{key}": {text}'.encode())
        self.fh.write(b"\n}\n")


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _print_wide(sheet: Any, header_rows: int) -> None:
    """A4 landscape, one page wide, the header row repeated: the list prints legibly."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)


def _linkable(rel: str) -> bool:
    """A path that makes a plain file link: no control characters, no '#' (an anchor to Excel)."""
    return rel.isprintable() and "#" not in rel

"""Micro-benchmark of xlcheck.xlsx against openpyxl on a generated template-like workbook
(4 sheets, ~250 input cells per read sheet, merges, protection, validations, ~250 names).

Run: PYTHONPATH=src python benchmarks/bench_package.py [runs]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import xlsxwriter

from xlcheck.xlsx import open_package
from xlcheck.xlsx.xmlsafe import PrologGuard

SHEETS = ("基本信息", "收入情况", "支出情况")
ROWS, COLS = 63, 4  # 252 input cells per sheet


def build_workbook(path: Path) -> dict[str, list[str]]:
    """Write the workbook; returns the input cell refs of each data sheet."""
    workbook = xlsxwriter.Workbook(str(path))
    header = workbook.add_format({"bold": True, "locked": True, "bg_color": "#DDEBF7"})
    unlocked = workbook.add_format({"locked": False})
    wanted: dict[str, list[str]] = {}
    for index, name in enumerate(SHEETS):
        sheet = workbook.add_worksheet(name)
        sheet.merge_range(
            "A1:F1", f"{name}（单位：万元）各级行政机关政府信息公开工作年度报告", header
        )
        refs = []
        for row in range(3, 3 + ROWS):
            sheet.write_string(row - 1, 0, f"第{row}项 政府信息公开申请办理情况说明文字", header)
            for col in range(1, 1 + COLS):
                ref = xlsxwriter.utility.xl_rowcol_to_cell(row - 1, col)
                refs.append(ref)
                value = (row * col) % 7
                if value == 0:
                    sheet.write_string(ref, f"说明{row}-{col}", unlocked)
                else:
                    sheet.write_number(ref, value * 1.5 if col % 2 else value, unlocked)
                if index == 0 and col == 1:
                    workbook.define_name(
                        f"applications.item_{row}.count", f"='{name}'!${ref[0]}${row}"
                    )
                elif index == 1 and col == 2:
                    workbook.define_name(f"income.item_{row}.amount", f"='{name}'!${ref[0]}${row}")
        sheet.data_validation(
            2, 1, 2 + ROWS, COLS, {"validate": "decimal", "criteria": ">=", "value": 0}
        )
        sheet.protect()
        wanted[name] = refs
    lists = workbook.add_worksheet("lists")
    lists.write_column("A1", [f"选项{i}" for i in range(40)])
    lists.very_hidden()
    for row in range(3, 3 + ROWS * 2):
        workbook.define_name(f"spending.line_{row}.total", f"='{SHEETS[2]}'!$E${(row % ROWS) + 3}")
    workbook.set_custom_property("form_id", "disclosure-2021")
    workbook.close()
    return wanted


def median_ms(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "form.xlsx"
        wanted = build_workbook(path)

        def ours() -> None:
            package = open_package(path)
            for name, refs in wanted.items():
                package.read_sheet(name, refs, max_row=3 + ROWS)

        subset = {name: refs[::3] for name, refs in wanted.items()}  # ~250 cells in total

        def ours_subset() -> None:
            package = open_package(path)
            for name, refs in subset.items():
                package.read_sheet(name, refs, max_row=3 + ROWS)

        def openpyxl_read_only() -> None:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for name in wanted:
                for _row in book[name].iter_rows(max_row=3 + ROWS, values_only=True):
                    pass
            book.close()

        def openpyxl_normal() -> None:
            book = openpyxl.load_workbook(path)
            for name, refs in wanted.items():
                sheet = book[name]
                for ref in refs:
                    _ = sheet[ref].value

        sheet_xml = open_package(path)._parts.read("xl/worksheets/sheet1.xml") or b""
        results = {
            "xlcheck.xlsx open + 3 sheets": median_ms(ours, runs),
            "xlcheck.xlsx open + 3 sheets, 252 cells": median_ms(ours_subset, runs),
            "openpyxl read_only, data_only": median_ms(openpyxl_read_only, max(runs // 4, 10)),
            "openpyxl load_workbook (normal)": median_ms(openpyxl_normal, max(runs // 8, 10)),
            "  (DOCTYPE prolog guard, one part)": median_ms(
                lambda: PrologGuard().feed(sheet_xml), runs
            ),
        }
        print(
            f"workbook: {path.stat().st_size / 1024:.1f} KB, {sum(map(len, wanted.values()))} cells"
        )
        for label, value in results.items():
            print(f"{label:42s} {value:8.3f} ms")
        base = results["xlcheck.xlsx open + 3 sheets"]
        print(
            f"ratio read_only/ours: {results['openpyxl read_only, data_only'] / base:.1f}x, "
            f"normal/ours: {results['openpyxl load_workbook (normal)'] / base:.1f}x"
        )


if __name__ == "__main__":
    main()

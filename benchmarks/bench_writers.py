"""Median time of write_template and write_error_workbook over 50 runs (in memory), and of
openpyxl load + annotate (a comment and a fill on the cells of 10 findings) + save of the same
filled template, in the same run (issue 11's target: the error workbook ≥ 10× faster).

Run: PYTHONPATH=src python benchmarks/bench_writers.py
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

from xlcheck.findings import Finding
from xlcheck.form import load_form
from xlcheck.form.model import Text
from xlcheck.xlsxout import write_error_workbook, write_template

try:
    from xlcheck.xlsxout.errors import rebuild_error_workbook
except ImportError:  # a checkout from before the copy writer
    rebuild_error_workbook = None  # type: ignore[assignment]

RUNS = 50


def median_ms(action: Callable[[], None]) -> float:
    action()  # warm up imports and caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    form = load_form()
    cells = {k: 1 for k, f in form.fields.items() if f.is_input and f.is_numeric}
    findings = [
        Finding(
            "R1", "error", Text(f"第 {i} 个问题", "x"), sheet="三、依申请公开", cell=f"D{4 + i}"
        )
        for i in range(10)
    ]
    results = {
        "write_template": lambda: write_template(form, io.BytesIO()),
        "write_template (filled)": lambda: write_template(form, io.BytesIO(), values=cells),
        "write_error_workbook (10 findings)": lambda: write_error_workbook(
            form, io.BytesIO(), cells=cells, findings=findings, source_name="x.xlsx"
        ),
    }
    if rebuild_error_workbook is not None:  # the full xlsxwriter rebuild, as before issue 11
        results["rebuild_error_workbook (10 findings)"] = lambda: rebuild_error_workbook(
            form, io.BytesIO(), cells=cells, findings=findings, source_name="x.xlsx"
        )
    filled = io.BytesIO()
    write_template(form, filled, values=cells)
    results["openpyxl load + annotate + save"] = lambda: openpyxl_annotate(
        filled.getvalue(), [(f.sheet or "", f.cell or "") for f in findings]
    )
    medians = {name: median_ms(action) for name, action in results.items()}
    for name, value in medians.items():
        print(f"{name:40s} {value:7.1f} ms (median of {RUNS})")
    ratio = (
        medians["openpyxl load + annotate + save"] / medians["write_error_workbook (10 findings)"]
    )
    print(f"error workbook is {ratio:.1f}x faster than openpyxl load + annotate + save")


def openpyxl_annotate(data: bytes, places: list[tuple[str, str]]) -> None:
    """What a tool built on openpyxl would do: load, comment and paint the cells, save."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = openpyxl.load_workbook(io.BytesIO(data))
    fill = PatternFill("solid", fgColor="FFC7CE")
    for sheet, cell in places:
        target = book[sheet][cell]
        target.comment = Comment("有错误", "xlcheck")
        target.fill = fill
    book.save(io.BytesIO())


if __name__ == "__main__":
    main()

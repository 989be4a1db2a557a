"""Median time of write_template and write_error_workbook over 50 runs (in memory).

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
    for name, action in results.items():
        print(f"{name:40s} {median_ms(action):7.1f} ms (median of {RUNS})")


if __name__ == "__main__":
    main()

"""Read + validate one filled template in process, against openpyxl's load_workbook of the same
file (both measured in this run), and the wall time of one `xlcheck check` process.

Run: python benchmarks/bench_check.py [runs]   (package installed, or PYTHONPATH=src:tests)
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from documents import valid_values  # noqa: E402
from xlcheck.check import check_bytes  # noqa: E402
from xlcheck.form import load_form  # noqa: E402
from xlcheck.xlsxout import write_template  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(runs: int = 100) -> None:
    import openpyxl

    form = load_form()
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values(form, 1))
    data = buffer.getvalue()
    check_bytes(data, "warm.xlsx", form)  # warm caches (schema validator, form)
    ours = median_ms(lambda: check_bytes(data, "b.xlsx", form), runs)
    theirs = median_ms(lambda: openpyxl.load_workbook(io.BytesIO(data)), max(runs // 4, 5))
    print(
        f"read + validate (in process): {ours:.1f} ms; openpyxl load_workbook: {theirs:.1f} ms; ratio {theirs / ours:.1f}x"
    )
    from xlcheck.xlsx import open_package

    opened = median_ms(lambda: open_package(data), runs)
    print(f"open_package (workbook.xml + rels, same bytes every time): {opened:.2f} ms")
    from xlcheck.outputs import canonical_json

    result = check_bytes(data, "b.xlsx", form)
    as_json = median_ms(lambda: canonical_json(form, result), runs)
    print(f"canonical JSON of one checked report: {as_json:.2f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.xlsx"
        path.write_bytes(data)
        cli = median_ms(
            lambda: subprocess.run(
                [sys.executable, "-m", "xlcheck", "check", str(path)], capture_output=True
            ),
            7,
        )
        bare = median_ms(
            lambda: subprocess.run([sys.executable, "-c", "pass"], capture_output=True), 7
        )
    print(f"xlcheck check, one file (wall): {cli:.0f} ms; bare python: {bare:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)

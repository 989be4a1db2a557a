"""Import of published reports in their text layouts, over a generated corpus: each layout x N
documents with random numbers, rendered from a known document and read back.

Prints, per layout: the table cells read right (target >= 99.5 %), the wrong numbers stored
without a finding at their line (target 0), the cells left unread with a finding, and the time per
report (target <= 20 ms).

Run: PYTHONPATH=src python benchmarks/bench_import_layouts.py [documents per layout]
(HTML pages as an old CMS serves them, from tests/test_import_html.py, are among the layouts.)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from import_fixtures import build_document, build_values  # noqa: E402
from layout_fixtures import (  # noqa: E402
    render_blank_pipes,
    render_pdf_copy,
    render_pipes,
    render_spaced_cells,
)
from test_import_html import cms_page  # noqa: E402
from xlcheck.canonical import flatten  # noqa: E402
from xlcheck.form import Form, load_form  # noqa: E402
from xlcheck.importers import ImportResult, import_report  # noqa: E402

Render = Callable[[Form, dict[str, Any], int], str | bytes]


def blank_zero_pipes(form: Form, v: dict[str, Any], seed: int) -> str:
    """Pipe rows with every 0 of table 三 left blank (the totals confirm them)."""
    keys = [k for k in v if k.startswith("applications.") and v[k] == 0]
    return render_blank_pipes(form, v, keys)


def blank_zero_pdf(form: Form, v: dict[str, Any], seed: int) -> str:
    """A PDF copy of a table 三 whose zeros were left blank: the blanks vanish, so most rows cannot
    be placed (the stress case for "never a silent wrong number"; unread cells are expected)."""
    keys = [k for k in v if k.startswith("applications.") and v[k] == 0]
    return render_pdf_copy(form, {**v, **dict.fromkeys(keys, "")}, seed)[0]


LAYOUTS: dict[str, Render] = {
    "1 pipe rows": lambda f, v, s: render_pipes(f, v, edges=True),
    "1 pipes, no edges": lambda f, v, s: render_pipes(f, v, edges=False),
    "1 markdown": lambda f, v, s: render_pipes(f, v, edges=True, markdown=True),
    "2 cell per line, blank between": lambda f, v, s: render_spaced_cells(f, v),
    "3 html: CMS page, utf-8": lambda f, v, s: cms_page(f, v),
    "3 html: CMS page, GBK undeclared": lambda f, v, s: cms_page(
        f, v, encoding="gbk", declare="none"
    ),
    "5 pdf copy": lambda f, v, s: render_pdf_copy(f, v, s)[0],
    "6 blank cells": blank_zero_pipes,
    "5+6 pdf copy, blanks lost (stress)": blank_zero_pdf,
}


def located(result: ImportResult) -> tuple[set[str], set[str]]:
    """Places and pointers some finding names."""
    places = {str(f.values.get("place")) for f in result.findings}
    pointers = {f.pointer for f in result.findings if f.pointer}
    return places, pointers


def score(form: Form, result: ImportResult, seed: int) -> tuple[int, int, int, int]:
    """(cells, right, wrong without a finding, unread) over the document's numeric fields."""
    want = flatten(form, build_document(form, seed))
    got = flatten(form, result.doc)
    places, pointers = located(result)
    where = {r.key: r.place for r in result.readings}
    cells = right = silent = unread = 0
    for key, value in want.items():
        if not form.fields[key].is_numeric:
            continue
        cells += 1
        if key not in got:
            unread += 1
        elif got[key] == value:
            right += 1
        elif where.get(key) not in places and form.fields[key].pointer not in pointers:
            silent += 1
    return cells, right, silent, unread


def run_layout(form: Form, render: Render, documents: int) -> dict[str, float]:
    totals = [0, 0, 0, 0]
    times = []
    for seed in range(documents):
        made = render(form, build_values(form, seed), seed)
        data = made if isinstance(made, bytes) else made.encode("utf-8")
        name = "report.html" if data.lstrip()[:1] == b"<" else "report.txt"
        start = time.perf_counter()
        result = import_report(data, name, form)
        times.append((time.perf_counter() - start) * 1000)
        for i, n in enumerate(score(form, result, seed)):
            totals[i] += n
    cells, right, silent, unread = totals
    return {
        "cells": cells,
        "right": 100 * right / cells,
        "silent": silent,
        "unread": unread,
        "median_ms": statistics.median(times),
        "max_ms": max(times),
    }


def main() -> None:
    documents = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for name in ("gov-info-disclosure-2021", "gov-info-disclosure-2019"):
        form = load_form(name)
        import_report(render_pipes(form, build_values(form, 0), edges=True).encode(), "w.txt", form)
        print(f"{name}: {documents} documents per layout")
        print(
            f"  {'layout':34} {'cells':>7} {'right %':>8} {'silent':>6} {'unread':>6} {'ms med':>7} {'ms max':>7}"
        )
        for layout, render in LAYOUTS.items():
            r = run_layout(form, render, documents)
            print(
                f"  {layout:34} {r['cells']:7.0f} {r['right']:8.2f} {r['silent']:6.0f} "
                f"{r['unread']:6.0f} {r['median_ms']:7.1f} {r['max_ms']:7.1f}"
            )


if __name__ == "__main__":
    main()

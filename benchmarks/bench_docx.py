"""Time write_report against a naive python-docx build of the same report (add_table, cell().text, merge).

Run: PYTHONPATH=src python benchmarks/bench_docx.py [runs]
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

import docx  # noqa: E402

from docs_fixtures import report_document  # noqa: E402
from xlcheck.canonical import flatten  # noqa: E402
from xlcheck.cells import parse_range  # noqa: E402
from xlcheck.form import Form, load_form  # noqa: E402
from xlcheck.render.docx_report import document_title, write_report  # noqa: E402
from xlcheck.render.docx_tables import OFFICIAL_ROLES, format_value  # noqa: E402


def naive_table(document: Any, form: Form, sheet_id: str, values: dict[str, Any]) -> None:
    sheet = form.sheet(sheet_id)
    cells = [(lab.range, lab.text) for lab in sheet.labels if lab.role in OFFICIAL_ROLES]
    for key in sheet.field_keys:
        field = form.fields[key]
        cells.append((field.merge or field.cell, format_value(field, values.get(key))))
    boxes = [(parse_range(ref), text) for ref, text in cells]
    rows = max(b[0][2] for b in boxes)
    cols = max(b[0][3] for b in boxes)
    table = document.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    for (r1, c1, r2, c2), text in boxes:
        cell = table.cell(r1 - 1, c1 - 1)
        if (r1, c1) != (r2, c2):
            cell = cell.merge(table.cell(r2 - 1, c2 - 1))
        cell.text = text


def naive_report(form: Form, doc: dict[str, Any], dest: io.BytesIO) -> None:
    values = flatten(form, doc)
    document = docx.Document()
    document.add_heading(document_title(form, values), level=0)
    for section in form.sections:
        document.add_heading(section.heading, level=1)
        if section.content == "table" and section.sheet:
            naive_table(document, form, section.sheet, values)
        elif section.content == "overview":
            for key, value in values.items():
                if key.startswith("overview."):
                    heading = form.fields[key].heading
                    if heading:
                        document.add_heading(heading, level=2)
                    for line in str(value).splitlines():
                        document.add_paragraph(line)
        else:
            document.add_paragraph(str(values.get(section.field or "", "")))
    document.save(dest)


def median_ms(build: Callable[[Form, dict[str, Any], io.BytesIO], None], runs: int) -> float:
    form, doc = load_form(), report_document()
    build(form, doc, io.BytesIO())  # warm up: caches, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        build(form, doc, io.BytesIO())
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    ours = median_ms(lambda f, d, out: write_report(f, d, out), runs)
    naive = median_ms(naive_report, runs)
    print(f"write_report          median {ours:7.1f} ms over {runs} runs")
    print(f"naive python-docx     median {naive:7.1f} ms over {runs} runs")
    print(f"speed-up              {naive / ours:7.1f}x")


if __name__ == "__main__":
    main()

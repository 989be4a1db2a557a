"""Per-report time of importing a PDF, against pdfplumber's own extract_text on the same files.

The corpus is made by real programs: N Word reports (random figures) rendered by LibreOffice in
one soffice run, and N web pages of the same documents printed by headless Chromium. Each file is
imported (read_pdf + recognition + audit) and, in the same run, read with pdfplumber's
extract_text over every page; the best of `runs` passes is kept for each.

Run: PYTHONPATH=src python benchmarks/bench_import_pdf.py [reports] [runs]
"""

from __future__ import annotations

import io
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

import pdfplumber  # noqa: E402

# pdfminer (under pdfplumber) warns once per glyph about Chromium's font descriptors: not ours
logging.getLogger("pdfminer").setLevel(logging.ERROR)

from import_fixtures import build_document, build_values  # noqa: E402
from test_import_pdf import report_html  # noqa: E402
from xlcheck.canonical import flatten  # noqa: E402
from xlcheck.form import Form, load_form  # noqa: E402
from xlcheck.importers import import_report  # noqa: E402
from xlcheck.render.docx_report import write_report  # noqa: E402
from xlcheck.render.pdf import convert_to_pdf  # noqa: E402


def word_pdfs(form: Form, count: int, folder: Path) -> list[bytes]:
    sources = []
    for seed in range(count):
        path = folder / f"report-{seed}.docx"
        buffer = io.BytesIO()
        write_report(form, build_document(form, seed), buffer)
        path.write_bytes(buffer.getvalue())
        sources.append(path)
    return [p.read_bytes() for p in convert_to_pdf(sources, folder)]


def chromium_pdfs(form: Form, count: int, folder: Path) -> list[bytes]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return []
    out = []
    for seed in range(count):
        page, pdf = folder / f"page-{seed}.html", folder / f"page-{seed}.pdf"
        page.write_bytes(report_html(form, build_values(form, seed), collapse=seed % 2 == 0))
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", page.as_uri()],
            capture_output=True, check=True, timeout=300,
        )  # fmt: skip
        out.append(pdf.read_bytes())
    return out


def values_right(form: Form, files: list[bytes]) -> tuple[int, int, int]:
    """Figures read right, figures in all, figures stored wrong without a finding on them."""
    right = total = silent = 0
    for seed, data in enumerate(files):
        expected = {k: v for k, v in build_values(form, seed).items() if isinstance(v, int | float)}
        result = import_report(data, "r.pdf", form)
        got = flatten(form, result.doc)
        flagged = {f.pointer for f in result.findings}
        for key, value in expected.items():
            total += 1
            right += got.get(key) == value
            wrong = got.get(key) is not None and got.get(key) != value
            silent += wrong and form.fields[key].pointer not in flagged
    return right, total, silent


def plumber_text(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def best_per_file(files: list[bytes], work: Callable[[bytes], object], runs: int) -> float:
    best = []
    for data in files:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            work(data)
            times.append(time.perf_counter() - start)
        best.append(min(times))
    return statistics.mean(best)


def main() -> None:
    reports = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    form = load_form("gov-info-disclosure-2021")
    with tempfile.TemporaryDirectory() as work:
        corpus = {
            "Word → LibreOffice": word_pdfs(form, reports, Path(work)),
            "HTML → Chromium": chromium_pdfs(form, reports, Path(work)),
        }
    print(
        f"{'corpus':<20} {'files':>5} {'import ms':>10} {'extract_text ms':>16} {'ratio':>6}"
        f" {'figures right':>14} {'silent wrong':>12}"
    )
    for name, files in corpus.items():
        if not files:
            continue
        ours = best_per_file(files, lambda d: import_report(d, "r.pdf", form), runs)
        theirs = best_per_file(files, plumber_text, runs)
        right, total, silent = values_right(form, files)
        print(
            f"{name:<20} {len(files):>5} {ours * 1000:>10.1f} {theirs * 1000:>16.1f}"
            f" {ours / theirs:>6.2f} {right:>7}/{total:<6} {silent:>12}"
        )


if __name__ == "__main__":
    main()

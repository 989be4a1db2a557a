"""Hostile published reports: integer attributes from the file parsed strictly, pathological texts
read in bounded time and memory (each in a subprocess under a CPU-time limit as a hang guard)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from import_fixtures import build_values, render_docx, render_sample_style
from xlcheck.form import Form
from xlcheck.importers import import_report

SPAN_VALUES = ["²", "9" * 5000, "٣", "-2", "1e9", " 3", "", "65536"]


def docx_with_grid_span(form: Form, value: str) -> bytes:
    """A real Word report (python-docx) whose first gridSpan says `value`."""
    source = zipfile.ZipFile(io.BytesIO(render_docx(form, build_values(form, 1))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                new = f'<w:gridSpan w:val="{value}"/>'.encode()
                data, count = re.subn(rb'<w:gridSpan w:val="\d+"/>', new, data, count=1)
                assert count == 1
            package.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("value", SPAN_VALUES)
def test_docx_grid_span_is_parsed_strictly(form: Form, value: str) -> None:
    result = import_report(docx_with_grid_span(form, value), "report.docx", form)
    assert result.doc["form"] == form.id


@pytest.mark.parametrize("command", ["import", "check"])
def test_cli_reads_a_docx_with_a_unicode_digit_span(
    form: Form, tmp_path: Path, command: str
) -> None:
    path = tmp_path / "报告.docx"
    path.write_bytes(docx_with_grid_span(form, "²"))
    args = [sys.executable, "-m", "xlcheck", command, str(path)]
    if command == "import":
        args += ["-o", str(tmp_path / "out")]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr and "内部错误" not in run.stderr


@pytest.mark.parametrize("value", SPAN_VALUES)
@pytest.mark.parametrize("name", ["colspan", "rowspan"])
def test_html_spans_are_parsed_strictly(form: Form, name: str, value: str) -> None:
    page = f'<table><tr><td {name}="{value}">1</td><td>2</td></tr><tr><td>3</td></tr></table>'
    result = import_report(page.encode(), "page.html", form)
    assert result.doc["form"] == form.id


@pytest.mark.parametrize("digits", [18, 400, 5000])
def test_a_huge_number_in_a_table_is_unreadable_not_a_crash(form: Form, digits: int) -> None:
    values = build_values(form, 6)
    values["proactive.punishment"] = 0
    text = render_sample_style(form, values).replace("行政处罚\t0\t", f"行政处罚\t{'9' * digits}\t")
    result = import_report(text.encode(), "x.txt", form)
    bad = [f for f in result.findings if f.code == "A06" and f.pointer == "/proactive/punishment"]
    assert len(bad) == (0 if digits <= 18 else 1)


# Each case runs in its own interpreter under RLIMIT_CPU: a quadratic reader is killed, not waited
# for. The child reports the finding codes and Python's peak heap (tracemalloc).
_CHILD = """
import resource, sys, json, tracemalloc
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
sys.path.insert(0, sys.argv[3])
from xlcheck.form import load_form
from xlcheck.check import check_bytes
form = load_form()
data = open(sys.argv[1], "rb").read()
tracemalloc.start()
result = check_bytes(data, sys.argv[2], form)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"codes": [f.code for f in result.findings], "peak": peak,
                  "zh": [f.message.zh for f in result.findings if f.code == "F07"]}))
"""
MB = 2**20


def _in_table(form: Form, filler: str) -> bytes:
    """The sample layout with `filler` lines inserted right after a row of table 二."""
    values = build_values(form, 6)
    values["proactive.punishment"] = 0
    text = render_sample_style(form, values)
    at = text.index("\n", text.index("行政处罚\t")) + 1
    return (text[:at] + filler + text[at:]).encode()


PATHOLOGICAL = {
    "whitespace-10mb.txt": lambda form: b"x" + b" \t \n" * (10 * MB // 4),
    "ideographic-spaces.txt": lambda form: "\u3000\t\u3000\n".encode() * (4 * MB // 8) + b"x",
    "tabs-one-line.txt": lambda form: b"x" + b"\t" * (4 * MB),
    "one-line.txt": lambda form: b"x" * (4 * MB),
    "short-lines.txt": lambda form: b"x\n" * 1_000_000,
    "values-in-a-table.txt": lambda form: _in_table(form, "0\n" * 1_000_000),
    "grid-at-the-limits.txt": lambda form: ("行政处罚" + "\t0" * 63 + "\n").encode() * 3_000,
    "nested.html": lambda form: b"<div>" * 100_000,
    "nested-tables.html": lambda form: b"<table><tr><td>" * 50_000,
    "many-rows.html": lambda form: b"<table>" + b"<tr><td>1</td></tr>" * 50_000 + b"</table>",
    "wide-row.html": lambda form: b"<table><tr>" + b"<td>1</td>" * 100_000 + b"</tr></table>",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_reports_are_read_in_bounded_work(
    form: Form, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(PATHOLOGICAL[name](form))
    src = str(Path(__file__).parents[1] / "src")
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), name, src],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["peak"] < 120 * MB
    if path.stat().st_size > 5 * MB:
        assert report["codes"] == ["F07"]
        assert "5 MB" in report["zh"][0]

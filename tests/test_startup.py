"""`xlcheck check FILE` imports only what a check needs: the work of starting is bounded by the
modules loaded (read from `python -X importtime` of a real process), never by wall time."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from documents import valid_values
from xlcheck.form import Form
from xlcheck.xlsxout import write_template

# Pulled in by nothing a plain check does: the network stack and the mail parser
# (xml.sax.saxutils brought urllib.request, http, email and ssl for one quoteattr), the writers'
# libraries, openpyxl, importlib.resources, the other commands' modules. Not listed: pathlib
# imports urllib.parse, and jsonschema-rs' extension imports email.utils (and socket) itself.
HEAVY = (
    "urllib.request",
    "http",
    "ssl",
    "email.parser",
    "email.feedparser",
    "email.message",
    "email.policy",
    "xml.sax",
    "importlib.resources",
    "openpyxl",
    "docx",
    "jsonschema",
    "xlsxwriter",
    "tempfile",
    "xlcheck.cli_convert",
    "xlcheck.cli_batch",
    "xlcheck.importers",
    "xlcheck.batch",
    "xlcheck.inbox",
    "xlcheck.xlsxout",
    "xlcheck.render",
    "xlcheck.outputs",
)


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    names = {
        line.rpartition("|")[2].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }
    return names, run


def heavy_among(names: set[str]) -> set[str]:
    return {n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY)}


def test_check_of_a_valid_workbook_loads_no_heavy_module(form: Form, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values(form, 1))
    path = tmp_path / "报表.xlsx"
    path.write_bytes(buffer.getvalue())
    names, run = imported_modules("check", str(path))
    assert run.returncode == 0, run.stdout
    assert "xlcheck.check" in names and "click" in names  # the profile was read
    assert heavy_among(names) == set()


def test_check_with_errors_and_json_output_loads_no_heavy_module(
    form: Form, tmp_path: Path
) -> None:
    values = valid_values(form, 1)
    values["applications.carried_forward.natural_person"] += 1
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    path = tmp_path / "报表.xlsx"
    path.write_bytes(buffer.getvalue())
    names, run = imported_modules("check", "--format", "json", str(path))
    assert run.returncode == 1 and '"valid": false' in run.stdout
    assert "xlcheck.check" in names and "click" in names  # the profile was read
    assert heavy_among(names) == set()


def test_error_workbook_still_loads_its_writer(form: Form, tmp_path: Path) -> None:
    values = valid_values(form, 1)
    values["applications.carried_forward.natural_person"] += 1
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    path = tmp_path / "报表.xlsx"
    path.write_bytes(buffer.getvalue())
    names, run = imported_modules("check", "--errors-dir", str(tmp_path / "out"), str(path))
    assert run.returncode == 1 and (tmp_path / "out" / "报表.errors.xlsx").is_file()
    assert "xlcheck.xlsxout" in names
    writer = {n for n in names if n.partition(".")[0] in ("xlsxwriter", "tempfile")} | {
        n
        for n in names
        if n.startswith(("xlcheck.xlsxout", "xlcheck.outputs", "xlcheck.filenames"))
    }
    assert heavy_among(names - writer) == set()


def test_local_attribute_quoting_round_trips() -> None:
    import xml.etree.ElementTree as ET

    from xlcheck.xlsx.xmlsafe import quote_attr

    for value in ('urn:a&b<c>"d"\'e', "tab\there\nline\rend", "普通"):
        assert ET.fromstring(f"<a x={quote_attr(value)}/>").get("x") == value

"""Text layouts of published reports as they really appear, read back cell for cell; and never a
silent wrong number: a row whose columns cannot be placed is not read and a finding names its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_run import xlcheck
from import_fixtures import build_document, build_values, render_tab_text
from layout_fixtures import render_blank_pipes, render_pdf_copy, render_pipes, render_spaced_cells
from xlcheck.canonical import flatten
from xlcheck.form import Form
from xlcheck.importers import ImportResult, import_report

T3_ROW = "applications.new"


def numbers(form: Form, result: ImportResult) -> dict[str, Any]:
    return {k: v for k, v in flatten(form, result.doc).items() if form.fields[k].is_numeric}


def expected_numbers(form: Form, seed: int) -> dict[str, Any]:
    doc = flatten(form, build_document(form, seed))
    return {k: v for k, v in doc.items() if form.fields[k].is_numeric}


def read(form: Form, text: str, name: str = "report.txt") -> ImportResult:
    return import_report(text.encode("utf-8"), name, form)


def errors(result: ImportResult) -> list[str]:
    return [f.code for f in result.findings if f.code in ("A06", "A07", "A09", "A40")]


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.startswith(start))


def next_values(lines: list[str], at: int) -> int:
    """1 when the values of the row on line `at` are on the line after it, else 0."""
    return int(lines[at][:1].isdigit())


# ---- layout 1: pipe rows and Markdown tables ---------------------------------------------------


@pytest.mark.parametrize(
    ("edges", "markdown"),
    [(True, False), (False, False), (True, True)],
    ids=["pipes", "inner", "md"],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_pipe_rows_read_every_cell(form: Form, seed: int, edges: bool, markdown: bool) -> None:
    values = build_values(form, seed)
    result = read(form, render_pipes(form, values, edges=edges, markdown=markdown))
    assert result.doc == build_document(form, seed)
    assert errors(result) == []


def test_pipe_row_values_record_their_line(form: Form) -> None:
    values = build_values(form, 3)
    text = render_pipes(form, values, edges=True)
    result = read(form, text)
    places = {r.key: r.place for r in result.readings}
    line = line_of(text, "| 一、本年新收")
    assert {places[f"{T3_ROW}.{c.key}"] for c in form.sets["all_columns"]} == {f"line {line}"}


# ---- layout 2: one cell per line, blank lines between ------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_cell_per_line_with_blank_lines_between(form: Form, seed: int) -> None:
    values = build_values(form, seed)
    result = read(form, render_spaced_cells(form, values))
    assert result.doc == build_document(form, seed)
    assert errors(result) == []


# ---- layout 5: text copied out of a PDF --------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_text_copied_out_of_a_pdf(form: Form, seed: int) -> None:
    values = build_values(form, seed)
    text, split = render_pdf_copy(form, values, seed)
    assert split  # the layout at its worst: a number split across two lines
    result = read(form, text)
    assert result.doc == build_document(form, seed)
    assert errors(result) == []
    joined = [f for f in result.findings if f.code == "A41"]
    assert len(joined) == len(split)  # each number joined across lines is said, at its line
    assert {f.values["place"] for f in joined} == {f"line {line_of(text, s)}" for s in split}


@pytest.mark.form_2021
def test_values_on_the_line_after_their_label_are_not_joined(form: Form) -> None:
    """Today's bug: in a tab text, `5 1 25` under its label was stored as 5125 without a finding."""
    values = build_values(form, 5)
    lines = render_tab_text(form, values).split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("行政规范性文件\t"))
    lines[at : at + 1] = ["行政规范性文件", "5 1 25"]
    result = read(form, "\n".join(lines))
    stock = [f"proactive.normative_documents.{c}" for c in ("made", "repealed", "in_force")]
    assert [numbers(form, result).get(k) for k in stock] == [5, 1, 25]


@pytest.mark.form_2021
def test_space_separated_values_are_never_joined(form: Form) -> None:
    """The 5 1 25 regression: three numbers for a three-column row are 5, 1, 25, never 5125."""
    values = build_values(form, 5)
    text, _ = render_pdf_copy(form, values, 5, digits=False)
    lines = text.split("\n")
    at = line_of(text, "行政规范性文件")
    lines[at - 1 : at + next_values(lines, at)] = ["行政规范性文件", "5 1 25"]
    result = read(form, "\n".join(lines))
    got = numbers(form, result)
    stock = [f"proactive.normative_documents.{c}" for c in ("made", "repealed", "in_force")]
    assert [got.get(k) for k in stock] == [5, 1, 25]
    assert 5125 not in got.values()
    assert {r.place for r in result.readings if r.key in stock} == {f"line {at + 1}"}


def test_row_with_more_numbers_than_columns_is_not_read(form: Form) -> None:
    """Eight numbers for seven columns and no total that confirms a join: nothing is stored for the
    row, and a finding names its line."""
    values = build_values(form, 6)
    text, _ = render_pdf_copy(form, values, 6, digits=False)
    lines = text.split("\n")
    at = line_of(text, "二、上年结转")
    keys = [f"applications.carried_over.{c.key}" for c in form.sets["all_columns"]]
    shown = [str(values[k]) for k in keys]
    lines[at - 1 : at + next_values(lines, at)] = [
        "二、上年结转政府信息公开申请数量 " + " ".join([*shown[:6], "9", "9"])
    ]
    result = read(form, "\n".join(lines))
    got = numbers(form, result)
    assert not [k for k in keys if k in got]
    unplaced = [f for f in result.findings if f.code == "A40"]
    assert [f.values["place"] for f in unplaced] == [f"line {at}"]
    assert "第" in unplaced[0].message.zh and f"line {at}" in unplaced[0].message.en


# ---- layout 6: cells left blank in a flattened row -----------------------------------------------


def zero_keys(form: Form, values: dict[str, Any], row: str) -> list[str]:
    return [f"{row}.{c.key}" for c in form.sets["all_columns"] if values[f"{row}.{c.key}"] == 0]


def test_blank_cells_keep_their_columns(form: Form) -> None:
    """自然人 58 stays 自然人 when the cells after it are left blank."""
    values = build_values(form, 7)
    row = T3_ROW
    cols = [c.key for c in form.sets["all_columns"]]
    for col, n in zip(cols, [58, 0, 0, 1, 0, 7, 66], strict=True):
        values[f"{row}.{col}"] = n
    result = read(form, render_blank_pipes(form, values, zero_keys(form, values, row)))
    got = numbers(form, result)
    assert [got.get(f"{row}.{c}") for c in cols] == [58, 0, 0, 1, 0, 7, 66]


def test_blank_cells_lost_in_a_space_copy_are_not_placed(form: Form) -> None:
    """58 1 7 66 for seven columns: which columns were blank is unknown, so nothing is stored."""
    values = build_values(form, 7)
    text, _ = render_pdf_copy(form, values, 7, digits=False)
    lines = text.split("\n")
    at = line_of(text, "一、本年新收")
    lines[at - 1 : at + next_values(lines, at)] = ["一、本年新收政府信息公开申请数量 58 1 7 66"]
    result = read(form, "\n".join(lines))
    got = numbers(form, result)
    assert not [c for c in form.sets["all_columns"] if f"{T3_ROW}.{c.key}" in got]
    assert [f.values["place"] for f in result.findings if f.code == "A40"] == [f"line {at}"]


@pytest.mark.parametrize("sep", [" | ", "\t"], ids=["pipes", "tabs"])
def test_a_row_that_lost_a_cell_is_not_shifted(form: Form, sep: str) -> None:
    """A row with blanks and one cell too few: placing it by the usual columns would move 1 and 66
    into the wrong columns (today, in tab text); nothing is stored and the line is named."""
    values = build_values(form, 8)
    text = render_pipes(form, values, edges=False)
    if sep == "\t":
        text = render_tab_text(form, values)
    lines = text.split("\n")
    at = line_of(text, "一、本年新收")
    lines[at - 1] = sep.join(["一、本年新收政府信息公开申请数量", "58", "", "1", "", "66"])
    result = read(form, "\n".join(lines))
    got = numbers(form, result)
    assert not [c for c in form.sets["all_columns"] if f"{T3_ROW}.{c.key}" in got]
    assert [f.values["place"] for f in result.findings if f.code == "A40"] == [f"line {at}"]


# ---- where each value came from --------------------------------------------------------------


@pytest.mark.form_2021
def test_import_records_the_line_of_every_value(form: Form, tmp_path: Path) -> None:
    """`xlcheck import` of a PDF copy: the readings file gives each table value its line."""
    values = build_values(form, 9)
    text, _ = render_pdf_copy(form, values, 9)
    source = tmp_path / "报告.txt"
    source.write_text(text, "utf-8")
    run = xlcheck("import", str(source), "-o", str(tmp_path / "out"))
    assert run.returncode in (0, 1), run.stderr
    (written,) = (tmp_path / "out").glob("*.import.json")
    readings = {r["key"]: r for r in json.loads(written.read_text("utf-8"))["readings"]}
    lines = text.split("\n")
    table_keys = [k for k in expected_numbers(form, 9) if k.startswith("applications.")]
    assert table_keys and all(k in readings for k in table_keys)
    for key in table_keys:
        number = int(readings[key]["place"].removeprefix("line "))
        shown = lines[number - 1].split()
        assert readings[key]["raw"] in shown or "合并" in readings[key]["note"], key


def test_convert_source_map_says_where_each_imported_value_was_read(tmp_path: Path) -> None:
    """`convert --source-map` of a published report: each value's place in the report."""
    from cli_run import xlcheck as run_cli

    report = (
        Path(__file__).resolve().parent.parent
        / "examples"
        / "published"
        / "2023-guzhuangdian-town.txt"
    )
    run = run_cli(
        "convert",
        str(report),
        "--to",
        "json",
        "--source-map",
        "--force",
        "--out-dir",
        str(tmp_path),
    )
    assert run.returncode in (0, 1), run.stderr
    (mapped,) = tmp_path.glob("*.sourcemap.json")
    fields = json.loads(mapped.read_text("utf-8"))["fields"]
    places = [entry.get("place") for entry in fields.values()]
    assert places and all(isinstance(p, str) and p.startswith("line ") for p in places)

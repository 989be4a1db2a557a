"""Import of published reports in the 2019 trial layout (国办公开办函〔2019〕60号) against the 2019
form: generated reports in every layout read back exactly, the spellings of 本年增/减 and of 采购总金额
that 2019 reports print, zero cells left blank, value spans of another grid, and a constructed
report in the style of the real ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli_run import xlcheck
from import_fixtures import (
    build_document,
    build_values,
    html_table,
    render_cell_lines,
    render_docx,
    render_html,
    render_tab_text,
    sheet_grid,
)
from xlcheck.canonical import flatten
from xlcheck.form import Form, load_form
from xlcheck.importers import ImportResult, import_report

NAME = "gov-info-disclosure-2019"
SAMPLE = Path(__file__).parent / "data" / "published" / "2020-constructed-2019-layout.txt"


@pytest.fixture(scope="module")
def form19() -> Form:
    return load_form(NAME)


def codes(result: ImportResult) -> list[tuple[str, Any]]:
    return [(f.code, f.values.get("defect") or f.pointer) for f in result.findings]


def t3_keys(form: Form) -> list[str]:
    return list(form.sheet("t3").field_keys)


def numbers(form: Form, result: ImportResult) -> dict[str, Any]:
    return {k: v for k, v in flatten(form, result.doc).items() if form.fields[k].is_numeric}


LAYOUTS: dict[str, Callable[[Form, dict[str, Any]], bytes]] = {
    "tabs.txt": lambda f, v: render_tab_text(f, v).encode("utf-8"),
    "tabs-gbk.txt": lambda f, v: render_tab_text(f, v).encode("gb18030"),
    "cells.txt": lambda f, v: render_cell_lines(f, v).encode("utf-8"),
    "page.html": lambda f, v: render_html(f, v),
    "page-gbk.htm": lambda f, v: render_html(f, v, "gbk"),
    "report.docx": render_docx,
}


# ---- generated reports read back exactly --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_generated_2019_report_reads_back_exactly(form19: Form, name: str, seed: int) -> None:
    values = build_values(form19, seed)
    result = import_report(LAYOUTS[name](form19, values), name, form19)
    assert flatten(form19, result.doc) == flatten(form19, build_document(form19, seed))
    assert result.doc == build_document(form19, seed)
    assert result.findings == []  # a clean report in the official layout has nothing to say


def test_the_generated_values_use_every_2019_spelling(form19: Form) -> None:
    """The round trips above are worth something only if table 二 holds signed changes and an
    amount with decimals."""
    changes = [
        build_values(form19, s)[k] for s in (1, 2, 3) for k in form19.fields if ".change" in k
    ]
    assert min(changes) < 0 < max(changes)
    assert isinstance(build_values(form19, 1)["proactive.procurement.amount_wan_yuan"], float)


def test_import_command_with_the_2019_form(form19: Form, tmp_path: Path) -> None:
    values = build_values(form19, 5)
    report = tmp_path / "报告.txt"
    report.write_bytes(LAYOUTS["tabs.txt"](form19, values))
    run = xlcheck("import", "--form", NAME, "-o", str(tmp_path), str(report))
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 1: the check's own findings
    assert "内部错误" not in run.stdout + run.stderr
    assert " A06 " not in run.stdout and " A10 " not in run.stdout  # every value was read
    written = json.loads((tmp_path / "报告.json").read_text("utf-8"))
    assert written["form_version"] == "2019"
    assert written["proactive"] == build_document(form19, 5)["proactive"]
    assert written["applications"] == build_document(form19, 5)["applications"]


# ---- 本年增/减 as 2019 reports print it ------------------------------------------------------------

CHANGES = "proactive.{}.change"
SPELLINGS = [
    ("licensing", "0", 0),
    ("other_services", "2", 2),
    ("punishment", "+2", 2),
    ("enforcement", "-4", -4),
    ("fees", "减4", -4),
]


@pytest.mark.parametrize("layout", ["tabs.txt", "page.html", "report.docx"])
def test_signed_changes_are_read_with_their_sign(form19: Form, layout: str) -> None:
    values = build_values(form19, 1)
    shown = dict(values)
    for item, text, _ in SPELLINGS:
        shown[CHANGES.format(item)] = text
    result = import_report(LAYOUTS[layout](form19, shown), layout, form19)
    got = numbers(form19, result)
    for item, _, number in SPELLINGS:
        assert got[CHANGES.format(item)] == number, item
    # the rest of each row is where it belongs: -4 is a value, never the row's label
    expected = flatten(form19, build_document(form19, 1))
    for key in form19.sheet("t2").field_keys:
        if not key.endswith(".change"):
            assert got[key] == expected[key], key
    assert result.findings == []
    notes = {r.key: r.note for r in result.readings}
    assert "减4" in notes[CHANGES.format("fees")] and "-4" in notes[CHANGES.format("fees")]
    assert notes[CHANGES.format("licensing")] == ""


@pytest.mark.parametrize(("text", "number"), [("增1", 1), ("减少3", -3), ("−4", -4), ("＋2", 2)])
def test_other_spellings_of_a_change(form19: Form, text: str, number: int) -> None:
    values = build_values(form19, 2)
    result = import_report(
        render_tab_text(form19, {**values, CHANGES.format("punishment"): text}).encode(),
        "r.txt",
        form19,
    )
    assert numbers(form19, result)[CHANGES.format("punishment")] == number
    assert (
        numbers(form19, result)["proactive.punishment.decisions"]
        == values["proactive.punishment.decisions"]
    )


@pytest.mark.parametrize("mark", ["—", "/"])
def test_a_dash_for_a_change_is_a_finding_never_a_silent_zero(form19: Form, mark: str) -> None:
    values = build_values(form19, 1)
    shown = {**values, CHANGES.format("licensing"): mark}
    result = import_report(render_tab_text(form19, shown).encode(), "r.txt", form19)
    marks = [f for f in result.findings if f.values.get("defect") == "zero_mark"]
    assert len(marks) == 1 and mark in marks[0].message.zh
    reading = next(r for r in result.readings if r.key == CHANGES.format("licensing"))
    assert reading.raw == mark and "读作 0" in reading.note


def test_a_negative_count_is_not_stored(form19: Form) -> None:
    values = build_values(form19, 1)
    shown = {**values, "proactive.licensing.previous_count": "-3"}
    result = import_report(render_tab_text(form19, shown).encode(), "r.txt", form19)
    got = numbers(form19, result)
    assert "proactive.licensing.previous_count" not in got
    assert got[CHANGES.format("licensing")] == values[CHANGES.format("licensing")]
    assert ("A06", "/proactive/licensing/previous_count") in codes(result)


# ---- 采购总金额 with its unit in the cell -----------------------------------------------------------

AMOUNT = "proactive.procurement.amount_wan_yuan"


@pytest.mark.parametrize(
    ("text", "number", "note"),
    [
        ("251000元", 25.1, "元"),
        ("25.1万元", 25.1, "万元"),
        ("251,000 元", 25.1, "元"),
        ("3亿元", 30000, "亿元"),
    ],
)
def test_an_amount_naming_its_unit_is_converted_and_recorded(
    form19: Form, text: str, number: float, note: str
) -> None:
    values = build_values(form19, 3)
    for layout in ("tabs.txt", "page.html", "report.docx"):
        result = import_report(LAYOUTS[layout](form19, {**values, AMOUNT: text}), layout, form19)
        assert numbers(form19, result)[AMOUNT] == number, layout
        assert (
            numbers(form19, result)["proactive.procurement.projects"]
            == values["proactive.procurement.projects"]
        )
        reading = next(r for r in result.readings if r.key == AMOUNT)
        assert reading.raw == text and note in reading.note and "万元" in reading.note
        assert result.findings == [], layout


def test_a_bare_amount_is_ambiguous_and_not_stored(form19: Form) -> None:
    """The header prints no unit: 25.1 may be 万元 or 元; the reader asks instead of guessing."""
    values = build_values(form19, 3)
    result = import_report(
        render_tab_text(form19, {**values, AMOUNT: "25.1"}).encode(), "r.txt", form19
    )
    assert AMOUNT not in numbers(form19, result)
    asking = [f for f in result.findings if f.pointer == "/proactive/procurement/amount_wan_yuan"]
    assert [f.code for f in asking] == ["A10"]
    assert "25.1" in asking[0].message.zh and "单位" in asking[0].message.zh
    assert "unit" in asking[0].message.en and asking[0].values["place"].startswith("line ")


@pytest.mark.parametrize(
    ("header", "raw", "number"), [("（万元）", "25.1", 25.1), ("(元)", "251000", 25.1)]
)
def test_a_header_that_names_the_unit_settles_a_bare_amount(
    form19: Form, header: str, raw: str, number: float
) -> None:
    values = build_values(form19, 3)
    text = render_tab_text(form19, {**values, AMOUNT: raw}).replace(
        "采购总金额", "采购总金额" + header
    )
    result = import_report(text.encode(), "r.txt", form19)
    assert numbers(form19, result)[AMOUNT] == number
    assert result.findings == []


# ---- zero cells left blank -------------------------------------------------------------------------


def blank_zeros(form: Form, values: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {**values, **{k: "" for k in keys if values[k] == 0}}


@pytest.mark.parametrize("layout", ["tabs.txt", "page.html", "report.docx"])
def test_blank_zero_cells_of_table_three_are_zero_when_the_totals_confirm(
    form19: Form, layout: str
) -> None:
    values = build_values(form19, 2)
    blanks = [k for k in t3_keys(form19) if values[k] == 0]
    assert len(blanks) > 40  # most of table 三, as the real report
    result = import_report(
        LAYOUTS[layout](form19, blank_zeros(form19, values, t3_keys(form19))), layout, form19
    )
    assert numbers(form19, result) == numbers(
        form19, import_report(LAYOUTS[layout](form19, values), layout, form19)
    )
    assert flatten(form19, result.doc) == flatten(form19, build_document(form19, 2))
    assert {c for c, _ in codes(result)} == {"A08"}
    assert {d for _, d in codes(result)} == {"blank_zero"}
    notes = {r.key: r.note for r in result.readings}
    assert all("空白" in notes[k] for k in blanks)


def test_a_blank_the_totals_do_not_confirm_is_not_stored(form19: Form) -> None:
    values = build_values(form19, 2)
    row = "applications.handled.granted"
    col = next(c.key for c in form19.sets["applicant_columns"] if values[f"{row}.{c.key}"] > 0)
    shown = blank_zeros(form19, values, t3_keys(form19))
    shown[f"{row}.{col}"] = ""  # a number left out: the printed row total disagrees with 0
    result = import_report(render_tab_text(form19, shown).encode(), "r.txt", form19)
    got = numbers(form19, result)
    assert f"{row}.{col}" not in got
    expected = flatten(form19, build_document(form19, 2))
    assert len(got) > 40 and all(got[k] == expected[k] for k in got)  # no wrong number stored
    assert ("A06", f"/{row.replace('.', '/')}/{col}") in codes(result)


def test_blank_cells_at_a_row_end_do_not_shift_its_values(form19: Form) -> None:
    """A row whose first and last applicants are blank: the numbers stay in their columns."""
    values = build_values(form19, 2)
    row = "applications.new"
    text = "\t".join(["一、本年新收政府信息公开申请数量", "", "3", "0", "0", "1", "", "4"])
    page = render_tab_text(form19, values).splitlines()
    at = next(i for i, line in enumerate(page) if line.startswith("一、本年新收"))
    page[at] = text
    result = import_report("\n".join(page).encode(), "r.txt", form19)
    got = numbers(form19, result)
    cols = [c.key for c in form19.sets["all_columns"]]
    assert [got.get(f"{row}.{c}") for c in cols] == [0, 3, 0, 0, 1, 0, 4]
    assert {f.values.get("defect") for f in result.findings} == {"blank_zero"}


# ---- the spans of another grid ---------------------------------------------------------------------


def five_column_table_two(form: Form, values: dict[str, Any]) -> str:
    """Table 二 as a 2019 report printed it: five columns, each value of rows 15 and 18 spanning
    two (B:C and D:E), the third value of the other rows spanning D:E."""
    grid = sheet_grid(form, "t2", values)
    wide = []
    for row in grid:
        cells = list(row)
        if len(cells) == 1:  # a band over the whole table
            cells = [(cells[0][0], 1, 5)]
        elif len(cells) == 3 and cells[2][2] == 2:  # rows 14/15, 17/18: two values in B:C, D:E
            cells = [cells[0], (cells[1][0], 1, 2), (cells[2][0], 1, 2)]
        else:
            cells = [*cells[:-1], (cells[-1][0], 1, 2)]
        wide.append(cells)
    return html_table(wide)


def test_values_spanning_two_columns_of_a_five_column_grid(form19: Form) -> None:
    values = build_values(form19, 4)
    page = render_html(form19, values).decode()
    official = html_table(sheet_grid(form19, "t2", values))
    assert official in page
    wide = page.replace(official, five_column_table_two(form19, values))
    result = import_report(wide.encode(), "r.html", form19)
    assert result.doc == build_document(form19, 4)
    assert result.findings == []


def test_values_of_spanned_cells_copied_as_text(form19: Form) -> None:
    """The same table copied to text: each span leaves empty cells between the values."""
    values = build_values(form19, 4)
    page = render_tab_text(form19, values).splitlines()
    for label, keys in (("行政事业性收费", "fees"), ("政府集中采购", "procurement")):
        at = page.index(next(line for line in page if line.startswith(label + "\t")))
        cells = page[at].split("\t")
        page[at] = "\t".join([cells[0], cells[1], "", cells[2], ""])
        assert keys in str(form19.sheet("t2").field_keys)
    result = import_report("\n".join(page).encode(), "r.txt", form19)
    assert result.doc == build_document(form19, 4)
    assert result.findings == []


# ---- a report in the style of the real ones ---------------------------------------------------------


def test_constructed_2019_layout_report(form19: Form) -> None:
    result = import_report(SAMPLE, SAMPLE.name, form19)
    doc = result.doc
    assert doc["agency"]["name"] == "星河县交通运输局" and doc["year"] == 2020
    assert doc["agency"]["kind"] == "department"
    assert doc["proactive"] == {
        "regulations": {"produced": 0, "published": 0, "public_total": 0},
        "normative_documents": {"produced": 3, "published": 3, "public_total": 17},
        "licensing": {"previous_count": 42, "change": 2, "decisions": 1268},
        "other_services": {"previous_count": 6, "change": -1, "decisions": 35},
        "punishment": {"previous_count": 118, "change": -4, "decisions": 73},
        "enforcement": {"previous_count": 9, "change": 0, "decisions": 4},
        "fees": {"previous_count": 3, "change": 0},
        "procurement": {"projects": 5, "amount_wan_yuan": 25.1},
    }
    apps = doc["applications"]
    assert apps["new"]["natural_person"] == 14 and apps["new"]["total"] == 17
    assert apps["handled"]["granted"]["natural_person"] == 9
    assert apps["handled"]["other"]["total"] == 1
    assert apps["handled"]["total"]["total"] == 17
    assert apps["carried_forward"]["total"] == 0
    assert doc["review_litigation"]["review"]["total"] == 1
    got = numbers(form19, result)
    assert len(got) == sum(1 for f in form19.document_fields() if f.is_numeric)
    marks = {(f.code, f.values.get("defect")) for f in result.findings}
    assert marks == {("A08", "blank_zero"), ("A08", "zero_mark")}
    amount = next(r for r in result.readings if r.key == AMOUNT)
    assert amount.raw == "251000元" and "万元" in amount.note


def test_blank_zero_cells_read_the_same_for_the_2021_form(form: Form) -> None:
    """The blank rule is the importer's, not the 2019 form's: a 2021 report gets the same."""
    values = build_values(form, 2)
    keys = list(form.sheet("t3").field_keys)
    page = render_html(form, blank_zeros(form, values, keys))
    result = import_report(page, "r.html", form)
    assert result.doc == build_document(form, 2)
    assert {f.values.get("defect") for f in result.findings} == {"blank_zero"}

"""Roles: the form definition says which field names the office, holds the year, links two years'
reports, and which earlier forms may serve as last year's report; the engine asks, never names keys."""

from __future__ import annotations

import copy
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cli_run import xlcheck
from documents import APPLICANTS, valid_values, valid_values_2019
from xlcheck.batch import BatchOptions, run_batch
from xlcheck.canonical import nest
from xlcheck.checks.derive import recompute
from xlcheck.form import Form, FormError, load_form
from xlcheck.form.load import build_form
from xlcheck.xlsxout import write_template

FORMS = Path(__file__).parent / "forms"
MINI = FORMS / "mini.json"
OLD = "gov-info-disclosure-2019"


def _raw() -> dict[str, Any]:
    text = (resources.files("xlcheck") / "forms" / "gov-info-disclosure-2021.json").read_text(
        "utf-8"
    )
    data: dict[str, Any] = json.loads(text)
    return data


# ---- the roles block -------------------------------------------------------------------------------


def test_the_2021_form_declares_its_roles(form: Form) -> None:
    roles = form.roles
    assert (roles.name, roles.credit_code, roles.kind, roles.tier, roles.year) == (
        "agency.name",
        "agency.credit_code",
        "agency.kind",
        "agency.tier",
        "year",
    )
    assert roles.carry_over is not None and roles.carry_over.rule == "X1"
    assert (
        "applications.carried_over.natural_person",
        "applications.carried_forward.natural_person",
    ) in roles.carry_over.pairs
    assert len(roles.carry_over.pairs) == len(form.sets["all_columns"])
    title = re.match(roles.title_pattern, "某某县人民政府2020年度政府信息公开工作年度报告")
    assert title is not None and title["name"] == "某某县人民政府" and title["year"] == "2020"
    assert roles.prose[0] == "overview.intro" and roles.prose[-1] == "other_matters"


def test_a_form_without_roles_has_none_and_a_title_pattern_from_its_title() -> None:
    data = json.loads(MINI.read_text("utf-8"))
    del data["roles"]
    roles = build_form(data).roles
    assert (roles.name, roles.year, roles.carry_over) == (None, None, None)
    assert re.match(roles.title_pattern, "某单位迷你报表") is not None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["roles"].update(name="agency.nmae"), "roles.name"),
        (lambda d: d["roles"].update(year="agency.name"), "roles.year"),
        (lambda d: d["roles"].update(office="agency.name"), "roles.office"),
        (lambda d: d["roles"].update(carry_over="X9"), "roles.carry_over"),
        (lambda d: d["roles"].update(carry_over="R1"), "roles.carry_over"),
        (lambda d: d["roles"].update(title_pattern="(?P<who>.+)年"), "roles.title_pattern"),
        (lambda d: d["roles"].update(title_pattern="(年"), "roles.title_pattern"),
        (lambda d: d["sections"][0].pop("sheet"), "一、总体情况"),
        (lambda d: d["previous_forms"][0]["fields"].append("applications.nope"), "previous_forms"),
        (lambda d: d["previous_forms"][0]["fields"].append("year"), "no rule reads year"),
        (lambda d: d["previous_forms"][0].pop("form_version"), "previous_forms"),
    ],
)
def test_a_role_naming_what_the_form_lacks_is_refused_with_its_place(change, words) -> None:
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(FormError, match=re.escape(words)):
        build_form(data)


# ---- the engine reads the roles ----------------------------------------------------------------


def mini_values(name: str) -> dict[str, Any]:
    form = load_form(str(MINI))
    values: dict[str, Any] = {
        "org.name": name,
        "org.kind": form.fields["org.kind"].choices[0].value,
    }
    values |= {k: 1 for k, f in form.fields.items() if f.is_numeric and f.is_input}
    values |= {"grid.c.x": 2, "grid.c.y": 2}
    return values


def test_batch_names_a_second_forms_office_by_its_name_role(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_template(load_form(str(MINI)), inbox / "报送.xlsx", values=mini_values("某某单位"))
    options = BatchOptions([inbox], tmp_path / "out", jobs=1, docx=False, form_name=str(MINI))
    run_batch(options)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    offices = [row.get("office") for row in summary["rows"]]
    assert offices == ["某某单位"], summary
    assert (tmp_path / "out" / "某某单位").is_dir()


def test_template_agency_option_prefills_the_name_role(tmp_path: Path) -> None:
    form = load_form(str(MINI))
    buffer = io.BytesIO()
    write_template(form, buffer, agency="某某单位")
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book["单位"]["B2"].value == "某某单位"


def test_word_overview_is_the_declared_sheet_not_a_key_prefix(form: Form) -> None:
    from xlcheck.render.docx_report import write_report

    text = json.dumps(_raw(), ensure_ascii=False).replace('"overview.', '"summary.')
    renamed = build_form(json.loads(text))
    values = {k.replace("overview.", "summary."): v for k, v in valid_values(form, 3).items()}
    buffer = io.BytesIO()
    write_report(renamed, nest(renamed, values), buffer)
    import docx

    paragraphs = [p.text for p in docx.Document(io.BytesIO(buffer.getvalue())).paragraphs]
    assert values["summary.platforms"] in paragraphs


# ---- last year's report in an earlier form ------------------------------------------------------


def last_year_2019(carried_forward: dict[str, int]) -> dict[str, Any]:
    """A 2020 report in the bundled 2019 format (its own keys), with this 结转下年度, balanced."""
    old = load_form(OLD)
    values = valid_values_2019(old, 50)
    for col in APPLICANTS:
        shift = carried_forward[col] - values[f"applications.carried_forward.{col}"]
        values[f"applications.carried_forward.{col}"] = carried_forward[col]
        values[f"applications.new.{col}"] += shift + 5  # R1 holds; W1 stays quiet
        values[f"applications.handled.granted.{col}"] += 5
    return recompute(old, values)


def this_year_2021(form: Form, carried_over: dict[str, int]) -> dict[str, Any]:
    """A valid 2021 report whose 上年结转 is `carried_over` (R1 kept balanced through 予以公开)."""
    this = valid_values(form, 51)
    for col in APPLICANTS:
        shift = carried_over[col] - this[f"applications.carried_over.{col}"]
        this[f"applications.carried_over.{col}"] = carried_over[col]
        this[f"applications.handled.granted.{col}"] += shift + 5
        this[f"applications.new.{col}"] += 5
    return this


def write_pair(form: Form, folder: Path, shift: int, as_xlsx: bool) -> tuple[Path, Path]:
    forward = {c: i for i, c in enumerate(APPLICANTS)}
    old = load_form(OLD)
    last = last_year_2019(forward)
    if as_xlsx:
        prev = folder / "2020.xlsx"
        write_template(old, prev, values=last)
    else:
        prev = folder / "2020.json"
        prev.write_text(json.dumps(nest(old, last), ensure_ascii=False), "utf-8")
    carried = {c: v + (shift if c == "natural_person" else 0) for c, v in forward.items()}
    this = folder / "2021.xlsx"
    write_template(form, this, values=this_year_2021(form, carried))
    return prev, this


@pytest.mark.parametrize("as_xlsx", [False, True], ids=["json", "xlsx"])
def test_x1_runs_across_the_2019_to_2021_boundary(
    form: Form, tmp_path: Path, as_xlsx: bool
) -> None:
    """A 2020 report in the bundled 2019 format as --previous of a 2021 report (both bundled)."""
    for shift, cells in ((0, []), (1, ["D5", "J5"])):
        prev, this = write_pair(form, tmp_path, shift, as_xlsx)
        run = xlcheck("check", str(this), "--previous", str(prev), "--format", "json")
        assert run.returncode in (0, 1), run.stderr
        findings = json.loads(run.stdout)["files"][0]["findings"]
        assert [f["cell"] for f in findings if f["rule"] == "X1"] == cells, findings
        assert not [f for f in findings if f["rule"] in ("W3", "W4")]  # table 二 changed
        assert [
            f for f in findings if f["rule"] == "W9"
        ]  # section 五 repeats last year's word for word


def test_fill_carries_over_from_a_2019_format_report(form: Form, tmp_path: Path) -> None:
    prev, _ = write_pair(form, tmp_path, 0, as_xlsx=False)
    data = tmp_path / "2021.json"
    data.write_text(json.dumps(nest(form, valid_values(form, 52)), ensure_ascii=False), "utf-8")
    out = tmp_path / "filled.xlsx"
    run = xlcheck("fill", str(data), "-o", str(out), "--previous", str(prev))
    assert run.returncode == 0, run.stderr
    sheet = openpyxl.load_workbook(out)["三、依申请公开"]
    assert [sheet["D5"].value, sheet["E5"].value, sheet["I5"].value] == [0, 1, 5]


def test_a_previous_report_of_an_undeclared_form_is_a_clear_message(
    form: Form, tmp_path: Path
) -> None:
    mini = load_form(str(MINI))
    prev = tmp_path / "mini.json"
    prev.write_text(json.dumps(nest(mini, mini_values("某某单位")), ensure_ascii=False), "utf-8")
    this = tmp_path / "2021.xlsx"
    write_template(form, this, values=valid_values(form, 53))
    run = xlcheck("check", str(this), "--previous", str(prev))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "mini-form" in run.stderr and str(prev) in run.stderr, run.stderr
    run = xlcheck("check", str(this), "--previous", str(prev), "--lang", "en")
    assert run.returncode == 2 and "previous" in run.stderr and "mini-form" in run.stderr


def test_a_declared_earlier_form_without_its_definition_is_a_clear_message(
    form: Form, tmp_path: Path
) -> None:
    """A form declaring an earlier version that no definition provides (here a "2018")."""
    definition = _raw()
    definition["previous_forms"][0]["form_version"] = "2018"
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "this.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    prev, this = write_pair(form, tmp_path, 0, as_xlsx=False)
    doc = json.loads(prev.read_text("utf-8"))
    prev.write_text(json.dumps({**doc, "form_version": "2018"}, ensure_ascii=False), "utf-8")
    run = xlcheck("check", str(this), "--previous", str(prev), "--form", str(folder / "this.json"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "2018" in run.stderr, run.stderr

"""Fewer false findings on published reports: the agency and year from the title in any usual
order or from the statistical period, subsections that are not sections, heading variants, and
traditional-script copies (issue 14)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import opencc
import pytest

from cli_run import xlcheck
from import_fixtures import build_values, render_html, render_tab_text, title
from xlcheck.canonical import flatten
from xlcheck.form import Form, FormError
from xlcheck.form.load import build_form
from xlcheck.importers import ImportResult, import_report

FIVE = "五、存在的主要问题及改进情况"
FOUR = "四、政府信息公开行政复议、行政诉讼情况"


def read(form: Form, text: str, name: str = "report.txt") -> ImportResult:
    return import_report(text.encode("utf-8"), name, form)


def codes(result: ImportResult) -> list[str]:
    return [f.code for f in result.findings]


def numbers(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flatten(form, doc).items() if form.fields[k].is_numeric}


def expected_numbers(form: Form, v: dict[str, Any]) -> dict[str, Any]:
    return {k: x for k, x in v.items() if k in form.fields and form.fields[k].is_numeric}


# ---- 1. the agency and year ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "name", "year"),
    [
        ("2022年度螅镇政府信息公开工作年度报告", "螅镇", 2022),
        ("2024年某某县市场监督管理局政府信息公开工作年度报告", "某某县市场监督管理局", 2024),
        ("某某县人民政府2024年政府信息公开工作年度报告", "某某县人民政府", 2024),
        ("某某县人民政府2024年度政府信息公开工作年度报告", "某某县人民政府", 2024),
    ],
)
def test_title_in_any_usual_order_gives_agency_and_year(
    form: Form, heading: str, name: str, year: int
) -> None:
    v = build_values(form, 1)
    result = read(form, render_tab_text(form, v).replace(title(v), heading))
    assert result.doc["agency"]["name"] == name
    assert result.doc["year"] == year
    assert "A06" not in codes(result)


def test_a_title_wrapped_onto_two_lines_is_read_whole(form: Form) -> None:
    """A PDF or a centred heading breaks a long title after the office's name."""
    v = build_values(form, 2)
    wrapped = f"{v['agency.name']}\n\n{v['year']}年政府信息公开工作年度报告"
    result = read(form, render_tab_text(form, v).replace(title(v), wrapped))
    assert result.doc["agency"]["name"] == v["agency.name"]
    assert result.doc["year"] == v["year"]
    assert "A06" not in codes(result)


@pytest.mark.parametrize(
    "period",
    [
        "本报告中所列数据的统计期限为2024年1月1日至2024年12月31日。",
        "本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。",
        "本报告所列数据统计期限自 2024 年 1 月 1 日起至 2024 年 12 月 31 日止。",
    ],
)
def test_year_from_the_statistical_period_when_the_title_has_none(form: Form, period: str) -> None:
    v = build_values(form, 1)
    text = render_tab_text(form, v).replace(
        title(v), f"{v['agency.name']}政府信息公开工作年度报告\n\n{period}"
    )
    result = read(form, text)
    assert result.doc["agency"]["name"] == v["agency.name"]
    assert result.doc["year"] == 2024
    assert "A06" not in codes(result)


def test_an_opening_sentence_is_never_the_agency_name(form: Form) -> None:
    v = build_values(form, 1)
    opening = (
        "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
        "有关要求，现公布本机关2024年政府信息公开工作年度报告。"
    )
    period = "本报告中所列数据的统计期限为2024年1月1日至2024年12月31日。"
    result = read(form, render_tab_text(form, v).replace(title(v), f"{opening}\n\n{period}"))
    assert "name" not in result.doc.get("agency", {})
    assert result.doc["year"] == 2024
    missing = [f for f in result.findings if f.code == "A06"]
    assert len(missing) == 1  # the name, not the year


# ---- 2. subsections and bracket width ----------------------------------------------------------


def test_a_numbered_subsection_is_not_section_two(form: Form) -> None:
    v = build_values(form, 2)
    text = render_tab_text(form, v).replace("\n（一）主动公开\n", "\n（一）主动公开政府信息情况\n")
    result = read(form, text)
    assert result.doc["overview"]["proactive"] == v["overview.proactive"]
    assert not {"A02", "A03", "A07"} & set(codes(result))
    assert numbers(form, result.doc) == expected_numbers(form, v)


def test_half_width_brackets_are_the_same_numbering(form: Form) -> None:
    v = build_values(form, 2)
    text = render_tab_text(form, v)
    for n in "一二三四五":
        text = text.replace(f"\n（{n}）", f"\n({n})")
    result = read(form, text)
    assert "A04" not in codes(result)
    assert result.doc["overview"]["supervision"] == v["overview.supervision"]


# ---- 3. heading variants -----------------------------------------------------------------------


def hint_for(result: ImportResult, found: str) -> list[str]:
    return [f.code for f in result.findings if f.values.get("found") == found]


def test_html_with_a_variant_heading_five_keeps_its_text(form: Form) -> None:
    v = build_values(form, 3)
    page = render_html(form, v).decode("utf-8").replace(FIVE, "五、存在问题及改进情况")
    result = import_report(page.encode("utf-8"), "report.html", form)
    assert "A01" not in codes(result)
    assert result.doc["problems_and_improvements"] == v["problems_and_improvements"]
    assert result.doc["other_matters"] == v["other_matters"]
    assert hint_for(result, "五、存在问题及改进情况") == ["A03"]


@pytest.mark.parametrize(
    ("official", "variant"),
    [
        (FOUR, "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况"),
        (FOUR, "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"),
        (FIVE, "五、政府信息公开工作存在的主要问题及改进情况"),
        (FIVE, "五、存在问题及改进情况"),
    ],
)
def test_common_heading_variants_are_recognised_with_a_hint(
    form: Form, official: str, variant: str
) -> None:
    v = build_values(form, 4)
    result = read(form, render_tab_text(form, v).replace(official, variant))
    assert "A01" not in codes(result)
    assert hint_for(result, variant) == ["A03"]
    assert numbers(form, result.doc) == expected_numbers(form, v)
    assert result.doc["problems_and_improvements"] == v["problems_and_improvements"]


# ---- 4. traditional script ---------------------------------------------------------------------


def test_a_traditional_script_copy_reads_as_the_simplified_report(form: Form) -> None:
    v = build_values(form, 5)
    simplified = render_tab_text(form, v)
    traditional = opencc.OpenCC("s2t").convert(simplified)
    assert traditional != simplified
    result = read(form, traditional)
    plain = read(form, simplified)
    assert result.doc == plain.doc
    assert numbers(form, result.doc) == expected_numbers(form, v)
    notes = [f for f in result.findings if f.code == "A55"]
    assert len(notes) == 1 and notes[0].severity == "warning"
    assert "繁体" in notes[0].message.zh
    assert "A55" not in codes(plain)
    assert sorted(codes(result)) == sorted([*codes(plain), "A55"])


def test_a_traditional_copy_is_read_with_its_own_form(form: Form, tmp_path: Path) -> None:
    """The form is picked by content after conversion: a 2019-format copy in traditional script
    is read as 2019, not as the default form."""
    v = build_values(form, 7)
    traditional = opencc.OpenCC("s2t").convert(render_tab_text(form, v))
    report = tmp_path / "report.txt"
    report.write_text(traditional, encoding="utf-8")
    run = xlcheck("import", str(report), "-o", str(tmp_path / "out"))
    (written,) = (tmp_path / "out").glob("report.json")
    assert json.loads(written.read_text("utf-8"))["form_version"] == form.form_version, run.stderr
    assert "A55" in run.stdout + run.stderr


def test_a_traditional_web_page_reads_too(form: Form) -> None:
    v = build_values(form, 0)
    page = opencc.OpenCC("s2t").convert(render_html(form, v).decode("utf-8"))
    result = import_report(page.encode("utf-8"), "report.html", form)
    assert result.doc["agency"]["name"] == v["agency.name"]
    assert numbers(form, result.doc) == expected_numbers(form, v)
    assert "A55" in codes(result)


# ---- the form's data is checked when it loads ----------------------------------------------------


def _raw() -> dict[str, Any]:
    path = resources.files("xlcheck") / "forms" / "gov-info-disclosure-2021.json"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda i: i["title"].update(patterns=["(?P<who>.+)年"]), "import.title.patterns[0]"),
        (lambda i: i["title"].update(patterns=["(年"]), "import.title.patterns[0]"),
        (lambda i: i["title"].update(period="统计期限"), "import.title.period"),
        (lambda i: i["title"].update(when="x"), "import.title.when"),
        (lambda i: i["headings"].update({"七、附则": ["附则"]}), "import.headings"),
    ],
)
def test_a_wrong_title_or_heading_entry_is_refused_with_its_place(
    change: Callable[[dict[str, Any]], None], words: str
) -> None:
    data = copy.deepcopy(_raw())
    change(data["import"])
    with pytest.raises(FormError, match=re.escape(words)):
        build_form(data)

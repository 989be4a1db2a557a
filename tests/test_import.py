"""Import of published reports: the real sample, round trips in five layouts, hostile inputs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from import_fixtures import (
    build_document,
    build_values,
    render_cell_lines,
    render_docx,
    render_html,
    render_sample_style,
)
from xlcheck.canonical import flatten
from xlcheck.form import Form
from xlcheck.importers import ImportResult, import_report

SAMPLE = "2023-guzhuangdian-town.txt"


def sample_path() -> Path:
    copy = Path(__file__).parent / "data" / "published" / SAMPLE
    return copy if copy.exists() else Path(__file__).parents[2] / "shared" / "samples" / SAMPLE


def signature(result: ImportResult) -> set[tuple[str, str]]:
    """(code, distinguishing value) of each finding."""
    out = set()
    for f in result.findings:
        v = f.values
        mark = (
            v.get("row") or v.get("found") or v.get("expected") or v.get("defect") or v.get("label")
        )
        out.add((f.code, str(mark)))
    return out


def test_sample_reads_to_the_right_document(form: Form) -> None:
    result = import_report(sample_path(), SAMPLE, form)
    doc = result.doc
    assert doc["agency"] == {"name": "古庄店镇", "kind": "government", "tier": "township"}
    assert doc["year"] == 2023
    numbers = {k: v for k, v in flatten(form, doc).items() if form.fields[k].is_numeric}
    assert len(numbers) == sum(1 for f in form.document_fields() if f.is_numeric)
    assert set(numbers.values()) == {0}
    overview = doc["overview"]
    assert overview["intro"].startswith("2023 年，古庄店镇坚持")
    assert overview["proactive"].startswith("严格落实信息公开责任")
    assert overview["on_request"].startswith("坚持以人民群众需求为出发点")
    assert overview["information_management"].startswith("1.强化制度建设。")
    assert overview["supervision"].startswith("严格落实政务公开监督管理工作机制")
    assert "platforms" not in overview
    assert doc["problems_and_improvements"].startswith("2023年，我镇的信息公开工作")
    assert doc["problems_and_improvements"].endswith("良好氛围。")
    assert doc["other_matters"] == "无。"


def test_sample_yields_exactly_the_defects_of_the_spec(form: Form) -> None:
    result = import_report(sample_path(), SAMPLE, form)
    assert signature(result) == {
        ("A04", "一主动公开"),
        ("A04", "四监督管理情况"),
        ("A05", "（四）政府信息公开平台建设"),
        ("A08", "half_width_brackets"),
        ("A08", "total_beside_applicants"),
        # 3.其他 and （七）总计 lost the cells of the rowspan above them (三、本年度办理结果) in the
        # copy; their values sit right after their label as in every sibling row, so nothing moved
        # and they get no 「左移」 hint (issue 14). Read by their labels, every value is placed right.
        ("A08", "table_split"),
        ("A08", "section_six_nothing"),
    }
    assert all(f.values.get("place") for f in result.findings)
    assert "行政复议" in result.labels_seen


def test_sample_readings_say_where_each_value_came_from(form: Form) -> None:
    result = import_report(sample_path(), SAMPLE, form)
    by_key = {r.key: r for r in result.readings}
    assert by_key["applications.handled.total.total"].place == "line 63"
    assert by_key["applications.handled.other.other.natural_person"].place == "line 62"
    assert by_key["review_litigation.litigation_after_review.total"].place == "line 71"


def assert_round_trip(form: Form, data: bytes, name: str, doc: dict[str, Any]) -> ImportResult:
    result = import_report(data, name, form)
    assert flatten(form, result.doc) == flatten(form, doc)
    assert result.doc == doc
    return result


LAYOUTS = {
    "sample.txt": lambda f, v: render_sample_style(f, v).encode("utf-8"),
    "sample-gbk.txt": lambda f, v: render_sample_style(f, v).encode("gb18030"),
    "cells.txt": lambda f, v: ("\ufeff" + render_cell_lines(f, v)).encode("utf-8"),
    "page-gbk.html": lambda f, v: render_html(f, v, "gbk"),
    "page.htm": lambda f, v: render_html(f, v, "utf-8"),
    "report.docx": render_docx,
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_round_trip(form: Form, name: str, seed: int) -> None:
    values = build_values(form, seed)
    result = assert_round_trip(form, LAYOUTS[name](form, values), name, build_document(form, seed))
    assert not [f for f in result.findings if f.code in ("A06", "A07", "A09")]


def test_official_layouts_have_no_audit_findings(form: Form) -> None:
    values = build_values(form, 0)
    for name in ("cells.txt", "page.htm", "report.docx"):
        result = import_report(LAYOUTS[name](form, values), name, form)
        assert result.findings == [], name


def test_sample_style_reports_its_defects_on_generated_documents(form: Form) -> None:
    values = build_values(form, 4)
    result = import_report(LAYOUTS["sample.txt"](form, values), "x.txt", form)
    marks = signature(result)
    assert {("A08", "table_split"), ("A08", "half_width_brackets")} <= marks
    assert ("A08", "3.其他") not in marks  # under a rowspan cell: not shifted (issue 14)


def test_a_row_that_really_lost_a_cell_before_its_values_is_still_called_shifted(
    form: Form,
) -> None:
    """二、上年结转 without the blank cell its two-column label leaves, beside rows that keep it."""
    lines = sample_path().read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("二、上年结转"))
    label, blank, *values = lines[at].split("\t")
    assert blank == ""
    lines[at] = "\t".join([label, *values])
    result = import_report("\n".join(lines).encode("utf-8"), SAMPLE, form)
    assert ("A08", "二、上年结转政府信息公开申请数量") in signature(result)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10_000), layout=st.sampled_from(sorted(LAYOUTS)))
def test_round_trip_generated(form: Form, seed: int, layout: str) -> None:
    values = build_values(form, seed)
    assert_round_trip(form, LAYOUTS[layout](form, values), layout, build_document(form, seed))


def test_printed_totals_that_do_not_add_up(form: Form) -> None:
    values = build_values(form, 5)
    values["applications.handled.total.natural_person"] += 1
    values["review_litigation.review.total"] += 2
    result = import_report(render_html(form, values), "x.html", form)
    a09 = {f.pointer for f in result.findings if f.code == "A09"}
    assert "/applications/handled/total/natural_person" in a09
    assert "/review_litigation/review/total" in a09
    assert (
        result.doc["review_litigation"]["review"]["total"]
        == values["review_litigation.review.total"]
    )


def test_zero_marks_are_read_as_zero_and_reported(form: Form) -> None:
    values = build_values(form, 6)
    values["proactive.punishment"] = 0
    text = render_sample_style(form, values).replace("行政处罚\t0\t", "行政处罚\t—\t")
    result = import_report(text.encode(), "x.txt", form)
    assert result.doc["proactive"]["punishment"] == 0
    reading = next(r for r in result.readings if r.key == "proactive.punishment")
    assert reading.raw == "—" and "0" in reading.note
    assert any(f.code == "A08" and f.values["defect"] == "zero_mark" for f in result.findings)


def test_legacy_2019_table_two(form: Form) -> None:
    values = build_values(form, 7)
    text = render_sample_style(form, values)
    text = text.replace(
        "本年制发件数\t本年废止件数\t现行有效件数", "本年新制作数量\t本年新公开数量\t对外公开总数量"
    )
    text = text.replace(
        "行政事业性收费\t", "第二十条第（九）项\t\t\t\n政府集中采购\t3\n行政事业性收费\t"
    )
    result = import_report(text.encode(), "x.txt", form)
    legacy = {f.values["label"] for f in result.findings if f.code == "C09"}
    assert legacy == {
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "第二十条第（九）项",
        "政府集中采购",
    }
    assert all(f.rule == "W10" for f in result.findings if f.code == "C09")
    assert "regulations" not in result.doc["proactive"]
    assert result.doc["proactive"]["licensing"] == values["proactive.licensing"]


def test_headings_out_of_order_and_irregular(form: Form) -> None:
    values = build_values(form, 8)
    text = render_cell_lines(form, values).replace(
        "五、存在的主要问题及改进情况", "五.存在的主要问题及改进情况"
    )
    text = text.replace("六、其他需要报告的事项\n", "")
    result = import_report(text.encode(), "x.txt", form)
    marks = signature(result)
    assert ("A03", "五.存在的主要问题及改进情况") in marks
    assert ("A01", "六、其他需要报告的事项") in marks


def test_table_four_header_unrecognised_takes_official_order(form: Form) -> None:
    values = build_values(form, 9)
    text = render_sample_style(form, values)
    for word in ("未经复议直接起诉", "复议后起诉"):
        text = text.replace(word, "诉讼")
    result = import_report(text.encode(), "x.txt", form)
    assert result.doc["review_litigation"] == build_document(form, 9)["review_litigation"]
    assert any(
        "规范顺序" in r.note for r in result.readings if r.key.startswith("review_litigation")
    )


def not_a_zip_docx() -> bytes:
    return b"this is not a zip at all"


def zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.txt", b"", "F13"),
        ("blank.txt", b" \n\n", "F13"),
        ("junk.txt", bytes(range(256)) * 8, "F06"),
        ("report.docx", not_a_zip_docx(), "F06"),
        ("zipped.docx", zip_without_document(), "F06"),
        ("page.html", b"<html><body><p>nothing here</p></body></html>", "A07"),
        ("spans.html", b'<table><tr><td rowspan="99999" colspan="x">1</td></tr></table>', "A07"),
    ],
)
def test_hostile_inputs_give_findings(form: Form, name: str, data: bytes, code: str) -> None:
    result = import_report(data, name, form)
    assert code in {f.code for f in result.findings}
    assert result.doc["form"] == form.id


def test_missing_path_gives_a_finding(form: Form, tmp_path: Path) -> None:
    result = import_report(tmp_path / "absent.txt", "absent.txt", form)
    assert [f.code for f in result.findings] == ["F01"]

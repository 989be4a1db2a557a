"""With both bundled forms present, check / import / convert / fill pick the form by content and
say which; `--form` still forces one. Real files, the real command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_run import xlcheck
from documents import valid_values, valid_values_2019
from import_fixtures import build_values, render_cell_lines, render_docx, render_html
from xlcheck.canonical import nest
from xlcheck.form import Form, load_form
from xlcheck.form.detect import pick_form
from xlcheck.xlsxout import write_template

F19 = "gov-info-disclosure-2019"
F21 = "gov-info-disclosure-2021"
SAID_2019 = "2019 年试行格式"
SAID_2021 = "2021 年格式"


@pytest.fixture(scope="module")
def form19() -> Form:
    return load_form(F19)


@pytest.fixture(scope="module")
def form21() -> Form:
    return load_form(F21)


def workbook(form: Form, values: dict, path: Path) -> Path:
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    path.write_bytes(buffer.getvalue())
    return path


def check_json(*args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    run = xlcheck("check", "--format", "json", *args)
    return run, json.loads(run.stdout)["files"][0]


def test_a_2019_workbook_without_form_is_valid_and_said_2019(form19: Form, tmp_path: Path) -> None:
    book = workbook(form19, valid_values_2019(form19, 1), tmp_path / "2020年报.xlsx")
    run = xlcheck("check", str(book))
    assert run.returncode == 0, run.stdout + run.stderr
    assert SAID_2019 in run.stderr and "表单标识" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    run, result = check_json(str(book))
    assert result["valid"] and result["form"]["form_version"] == "2019"
    assert result["form"]["basis"] == "template"


def test_a_2021_workbook_is_checked_as_2021(form21: Form, tmp_path: Path) -> None:
    book = workbook(form21, valid_values(form21, 2), tmp_path / "2024年报.xlsx")
    run = xlcheck("check", "--lang", "en", str(book))
    assert run.returncode == 0 and "(2021 format)" in run.stderr, run.stderr
    _, result = check_json(str(book))
    assert result["valid"] and result["form"]["form_version"] == "2021"


def test_a_2019_canonical_json_is_checked_as_2019(form19: Form, tmp_path: Path) -> None:
    doc = tmp_path / "2020.json"
    doc.write_text(json.dumps(nest(form19, valid_values_2019(form19, 3)), ensure_ascii=False))
    run = xlcheck("check", str(doc))
    assert run.returncode == 0, run.stdout + run.stderr
    assert SAID_2019 in run.stderr
    _, result = check_json(str(doc))
    assert result["form"]["form_version"] == "2019" and result["form"]["basis"] == "json"


@pytest.mark.parametrize("render", ["text", "html", "docx"])
def test_a_published_2019_report_imports_as_2019_without_legacy_findings(
    form19: Form, tmp_path: Path, render: str
) -> None:
    values = valid_values_2019(form19, 4)
    if render == "text":
        source = tmp_path / "某县2020年报告.txt"
        source.write_text(render_cell_lines(form19, values), encoding="utf-8")
    elif render == "html":
        source = tmp_path / "某县2020年报告.html"
        source.write_bytes(render_html(form19, values))
    else:
        source = tmp_path / "某县2020年报告.docx"
        source.write_bytes(render_docx(form19, values))
    run = xlcheck("import", "-o", str(tmp_path / "out"), str(source))
    assert SAID_2019 in run.stderr and "本年新制作数量" in run.stderr, run.stderr
    assert "C09" not in run.stdout and "W10" not in run.stdout, run.stdout
    written = json.loads((tmp_path / "out" / f"{source.stem}.json").read_text("utf-8"))
    assert written["form_version"] == "2019"
    _, result = check_json(str(source))
    assert result["form"]["basis"] == "marker"
    assert not {f["code"] for f in result["findings"]} & {"C09"}


def test_a_published_2021_report_imports_as_2021(form21: Form, tmp_path: Path) -> None:
    source = tmp_path / "某县2024年报告.html"
    source.write_bytes(render_html(form21, build_values(form21, 1)))
    run = xlcheck("import", "-o", str(tmp_path / "out"), str(source))
    assert SAID_2021 in run.stderr, run.stderr
    written = json.loads((tmp_path / "out" / f"{source.stem}.json").read_text("utf-8"))
    assert written["form_version"] == "2021"


def test_form_option_still_forces_a_form(form19: Form, tmp_path: Path) -> None:
    book = workbook(form19, valid_values_2019(form19, 1), tmp_path / "a.xlsx")
    run = xlcheck("check", "--form", F21, str(book))
    assert run.returncode == 1 and not run.stderr, run.stdout + run.stderr  # forced: no statement
    _, result = check_json("--form", F21, str(book))
    assert result["form"]["form_version"] == "2021" and result["form"]["basis"] == "forced"
    run = xlcheck("check", "--form", F19, str(book))
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_file_matching_neither_gets_the_default_with_a_clear_statement(tmp_path: Path) -> None:
    source = tmp_path / "随便.txt"
    source.write_text("某某县人民政府2024年政府信息公开工作年度报告\n\n本机关全年工作情况良好。\n")
    run = xlcheck("check", str(source))
    assert "未见其他格式的标志" in run.stderr and SAID_2021 in run.stderr, run.stderr
    run = xlcheck("check", "--lang", "en", str(source))
    assert "no marks of another format" in run.stderr and "(2021 format)" in run.stderr


def test_a_2021_dated_report_in_the_2019_layout_is_flagged_and_still_checked(
    form19: Form, tmp_path: Path
) -> None:
    values = valid_values_2019(form19, 5)
    values["year"] = 2021
    values["applications.new.natural_person"] += 1  # 一 + 二 no longer equals 三 + 四 (R1)
    book = workbook(form19, values, tmp_path / "2021年报.xlsx")
    run, result = check_json(str(book))
    rules = {f["rule"] for f in result["findings"]}
    assert result["form"]["form_version"] == "2019" and {"R7", "R1"} <= rules, rules
    values["applications.handled.total.natural_person"] += 1  # a printed total that is wrong
    source = tmp_path / "2021年报告.html"
    source.write_bytes(render_html(form19, values))
    _, result = check_json(str(source))
    rules = {f["rule"] for f in result["findings"]}
    assert result["form"]["form_version"] == "2019" and {"R7", "R3"} <= rules, rules


def test_fill_takes_the_form_from_the_json(form19: Form, tmp_path: Path) -> None:
    doc = tmp_path / "2020.json"
    doc.write_text(json.dumps(nest(form19, valid_values_2019(form19, 3)), ensure_ascii=False))
    out = tmp_path / "filled.xlsx"
    run = xlcheck("fill", str(doc), "-o", str(out))
    assert run.returncode == 0, run.stderr
    _, result = check_json(str(out))
    assert result["valid"] and result["form"]["form_version"] == "2019"


def test_template_defaults_to_2021_and_writes_2019_when_asked(tmp_path: Path) -> None:
    assert xlcheck("template", "-o", str(tmp_path / "t21.xlsx")).returncode == 0
    assert xlcheck("template", "-o", str(tmp_path / "t19.xlsx"), "--form", F19).returncode == 0
    forms = [load_form(F21), load_form(F19)]
    for name, version in (("t21.xlsx", "2021"), ("t19.xlsx", "2019")):
        picked = pick_form((tmp_path / name).read_bytes(), name, forms)
        assert picked.form.form_version == version


def test_convert_picks_the_form_of_each_file(form19: Form, form21: Form, tmp_path: Path) -> None:
    a = workbook(form19, valid_values_2019(form19, 1), tmp_path / "a.xlsx")
    b = workbook(form21, valid_values(form21, 1), tmp_path / "b.xlsx")
    run = xlcheck("convert", "--to", "json", "--out-dir", str(tmp_path / "out"), str(a), str(b))
    assert run.returncode == 0, run.stdout + run.stderr
    versions = [
        json.loads((tmp_path / "out" / f"{n}.json").read_text("utf-8"))["form_version"]
        for n in ("a", "b")
    ]
    assert versions == ["2019", "2021"]
    assert SAID_2019 in run.stderr and SAID_2021 in run.stderr


# ---- pick_form itself: each way of telling, and bounded work ---------------------------------


def forms_both() -> list[Form]:
    return [load_form(F21), load_form(F19)]


def test_a_lone_other_processing_row_with_numbers_marks_the_2019_layout() -> None:
    lone = "三、本年度办理结果\t（六）其他处理\t0\t1\t0\t0\t0\t0\t1\n"
    divided = (
        "三、本年度办理结果\t（六）其他处理\t1.申请人无正当理由逾期不补正\t0\t1\t0\t0\t0\t0\t1\n"
    )
    picked = pick_form(lone.encode(), "r.txt", forms_both())
    assert picked.form.form_version == "2019" and picked.basis == "marker"
    assert "（六）其他处理" in picked.reason.zh
    picked = pick_form(divided.encode(), "r.txt", forms_both())
    assert picked.form.form_version == "2021" and picked.basis == "default"


def test_a_workbook_without_identification_is_told_by_its_labels(
    form19: Form, tmp_path: Path
) -> None:
    import openpyxl

    path = workbook(form19, valid_values_2019(form19, 1), tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(path)
    del book["_xlcheck"]
    for name in list(book.custom_doc_props.names):
        del book.custom_doc_props[name]
    book.save(path)
    picked = pick_form(path.read_bytes(), "a.xlsx", forms_both())
    assert picked.form.form_version == "2019" and picked.basis == "sheet_label", picked.reason
    assert "表单标识" in picked.reason.zh and "no template identification" in picked.reason.en


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04 broken zip", b"{not json", b"[1, 2]", b'{"form": "other", "x": 1}'],
    ids=["empty", "broken-zip", "bad-json", "json-array", "json-other-form"],
)
def test_unreadable_or_unknown_inputs_get_the_default_and_say_why(data: bytes) -> None:
    picked = pick_form(data, "x.bin", forms_both())
    assert picked.form.form_version == "2021" and picked.basis == "default"
    assert "默认表单" in picked.reason.zh and "default form" in picked.reason.en


def test_picking_reads_once_and_builds_no_other_form_for_a_default_workbook(
    form21: Form, tmp_path: Path
) -> None:
    """The check reuses the package picking opened; a 2021 workbook never builds the 2019 form."""
    book = workbook(form21, valid_values(form21, 2), tmp_path / "a.xlsx")
    script = (
        "import sys; from pathlib import Path\n"
        "from xlcheck.check import check_path_as\n"
        "from xlcheck.form.detect import bundled_forms, pick_form\n"
        "from xlcheck.form.load import DEFAULT_FORM, load_form\n"
        "default, forms = load_form(DEFAULT_FORM), bundled_forms()\n"
        "seen = []\n"
        "def choose(data, name):\n"
        "    seen.append(pick_form(data, name, forms, default)); return seen[-1]\n"
        "result = check_path_as(Path(sys.argv[1]), choose)\n"
        "assert result.valid and result.picked is seen[0] and seen[0].opened is not None\n"
        "print(load_form.cache_info().currsize)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(book)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0 and run.stdout.strip() == "1", run.stdout + run.stderr

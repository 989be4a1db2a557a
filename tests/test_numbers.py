"""Absurd numbers: every numeric field has a plausible range, and nothing overflows on the way.

A 400-digit count, a fee of 1e308, a 5,000-digit count typed as text and a year of 1E+300 are
each a located error (out of the plausible range, the range given); the batch, fill and the Word
report never die on them.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import load_workbook

from batch_fixtures import office_values, workbook
from cli_run import xlcheck
from documents import valid_document
from xlcheck.batch.aggregate import Aggregate
from xlcheck.codes import format_value
from xlcheck.form import Form
from xlcheck.form.load import build_form
from xlcheck.normalise import normalise_number

HUGE = int("9" * 400)
FEE = "proactive.fees_wan_yuan"


def findings(run: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    report = json.loads(run.stdout)
    return [f for file in report["files"] for f in file["findings"]]


def big_count_json(form: Form, path: Path) -> Path:
    doc = valid_document(form)
    doc["proactive"]["licensing"] = HUGE
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def fee_workbook(form: Form, path: Path, index: int) -> Path:
    values = office_values(form, index)
    values[FEE] = 1e308
    path.write_bytes(workbook(form, values))
    return path


def assert_no_traceback(run: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr


def test_a_400_digit_count_in_json_is_out_of_range(form: Form, tmp_path: Path) -> None:
    data = big_count_json(form, tmp_path / "big.json")
    run = xlcheck("check", str(data), "--format", "json")
    assert run.returncode == 1, run.stderr
    [finding] = [f for f in findings(run) if f["pointer"] == "/proactive/licensing"]
    assert finding["code"] == "V13" and finding["severity"] == "error"
    assert "超出合理范围" in finding["message"] and "0–1000000000" in finding["message"]
    assert "9" * 20 not in finding["message"]  # shown as 1E+400, not 400 digits
    english = xlcheck("check", str(data), "--lang", "en")
    assert "outside the plausible range 0–1000000000" in english.stdout
    assert_no_traceback(english)


def test_batch_with_a_400_digit_count_finishes(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    big_count_json(form, inbox / "big.json")
    (inbox / "ok.xlsx").write_bytes(workbook(form, office_values(form, 2)))
    run = xlcheck("batch", str(inbox), "-o", str(tmp_path / "out"), "--no-docx", "--jobs", "1")
    assert run.returncode == 1, run.stderr
    assert_no_traceback(run)
    book = load_workbook(tmp_path / "out" / "汇总.xlsx")
    assert {"汇总", "合计"} <= set(book.sheetnames)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert sorted(r["status"] for r in summary["rows"]) == ["有错误", "通过"]


def test_two_fees_of_1e308_do_not_break_the_county_total(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    fee_workbook(form, inbox / "a.xlsx", 1)
    fee_workbook(form, inbox / "b.xlsx", 2)
    run = xlcheck("check", str(inbox / "a.xlsx"), "--format", "json")
    [finding] = [f for f in findings(run) if f["code"] == "V13"]
    assert finding["cell"] and finding["sheet"] and "1E+308" in finding["message"]
    assert "0–1000000000 万元" in finding["message"]
    run = xlcheck("batch", str(inbox), "-o", str(tmp_path / "out"), "--no-docx", "--jobs", "1")
    assert run.returncode == 1, run.stderr
    assert_no_traceback(run)
    assert "合计" in load_workbook(tmp_path / "out" / "汇总.xlsx").sheetnames


def test_the_county_total_of_huge_fees_does_not_overflow(form: Form) -> None:
    total = Aggregate(form)
    for fee in (1e308, 1e308, math.inf):
        values = dict.fromkeys(total._keys, 0) | {FEE: fee}
        total.add(values)
    assert total.values()[FEE] == math.inf


def test_fill_refuses_a_400_digit_count(form: Form, tmp_path: Path) -> None:
    data = big_count_json(form, tmp_path / "big.json")
    out = tmp_path / "filled.xlsx"
    run = xlcheck("fill", str(data), "-o", str(out))
    assert run.returncode == 1 and not out.exists()
    assert_no_traceback(run)
    assert "超出合理范围" in run.stdout and "0–1000000000" in run.stdout


def test_a_5000_digit_count_typed_as_text(form: Form, tmp_path: Path) -> None:
    values = office_values(form, 3)
    values["proactive.licensing"] = "9" * 5000
    path = tmp_path / "text.xlsx"
    path.write_bytes(workbook(form, values))
    run = xlcheck("check", str(path), "--format", "json")
    assert run.returncode == 1, run.stderr
    [finding] = [f for f in findings(run) if f["code"] == "V13"]
    assert finding["pointer"] == "/proactive/licensing" and finding["cell"]
    assert "超出合理范围" in finding["message"] and len(finding["message"]) < 200
    assert all(len(f["message"]) < 400 for f in findings(run))


def test_a_year_of_1e300_converted_with_force(form: Form, tmp_path: Path) -> None:
    values = office_values(form, 4)
    values["year"] = 1e300
    path = tmp_path / "year.xlsx"
    path.write_bytes(workbook(form, values))
    run = xlcheck("check", str(path), "--format", "json")
    [finding] = [f for f in findings(run) if f["pointer"] == "/year"]
    assert finding["code"] == "V13" and "1E+300" in finding["message"]
    assert "2021–2100" in finding["message"]
    refused = xlcheck("convert", str(path), "--to", "docx", "--out-dir", str(tmp_path / "a"))
    assert refused.returncode == 1 and "超出合理范围" in refused.stdout + refused.stderr
    run = xlcheck("convert", str(path), "--to", "docx", "--force", "--out-dir", str(tmp_path / "b"))
    assert run.returncode == 0 and "模板" not in run.stderr, run.stderr
    title = docx.Document(str(tmp_path / "b" / "year.docx")).paragraphs[0].text
    assert "1E+300" in title and len(title) < 100


def test_huge_and_odd_numbers_print_sensibly() -> None:
    assert format_value(1e308) == "1E+308"
    assert format_value(1.5e20) == "1.5E+20"
    assert format_value(-2e17) == "-2E+17"
    assert format_value(HUGE) == "1E+400"
    assert format_value(10**5000) == "1E+5000"
    assert format_value(math.inf) == "∞" and format_value(-math.inf) == "-∞"
    assert format_value(math.nan) == "NaN"
    assert format_value(123456789012.0) == "123456789012" and format_value(2.5) == "2.5"
    assert format_value(10**12) == "1000000000000"


def test_long_digit_text_never_reaches_int() -> None:
    result = normalise_number("9" * 5000, amount=False)
    assert result.value == math.inf and "overlong_number" in result.steps
    assert normalise_number("1" + "0" * 30, amount=False).value == 1e30


def test_ranges_are_data_with_defaults_per_type(form: Form) -> None:
    assert (form.fields[FEE].minimum, form.fields[FEE].maximum) == (0, 10**9)
    assert form.fields["proactive.licensing"].maximum == 10**9
    assert (form.fields["year"].minimum, form.fields["year"].maximum) == (2021, 2100)
    mini = json.loads((Path(__file__).parent / "forms" / "mini.json").read_text("utf-8"))
    loaded = build_form(mini)
    assert loaded.fields["grid.a.x"].maximum == 10**9
    mini["ranges"] = {"count": {"maximum": 50}}
    assert build_form(mini).fields["grid.a.x"].maximum == 50


def test_an_implausible_count_is_one_problem_not_a_cascade(form: Form, tmp_path: Path) -> None:
    """Like text in a count, an out-of-range value is left out of the cross-totals: the range
    errors name it (and the total the spreadsheet computes from it), no rule repeats it."""
    for index, typed in enumerate((10**12, 1e300)):
        values = office_values(form, 5)
        values["applications.new.natural_person"] = typed
        path = tmp_path / f"{index}.xlsx"
        path.write_bytes(workbook(form, values))
        run = xlcheck("check", str(path), "--format", "json")
        assert run.returncode == 1, run.stderr
        found = {(f["code"], f["cell"]) for f in findings(run)}
        assert found == {("V13", "D4"), ("V13", "J4")}, found


def test_convert_with_force_writes_valid_json_and_names_what_it_could_not_hold(
    form: Form, tmp_path: Path
) -> None:
    """JSON has no infinity: a fee read as 1E+400 is written as null and listed in the
    provenance, never as `Infinity` (which no JSON reader takes) and never as another number."""
    values = office_values(form, 5)
    values["proactive.fees_wan_yuan"] = "1" + "0" * 400  # typed into the cell as text
    path = tmp_path / "fee.xlsx"
    path.write_bytes(workbook(form, values))
    run = xlcheck("convert", str(path), "--to", "json", "--force", "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "fee.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert doc["proactive"]["fees_wan_yuan"] is None
    assert doc["provenance"]["validated"] is False
    assert doc["provenance"]["not_representable"] == ["/proactive/fees_wan_yuan"]

"""Cell text escapes (ECMA-376 Part 1 §22.9.2.19 ST_Xstring): `_xHHHH_` stands for one character
and `_x005F_` for the underscore that would otherwise start one. Excel, LibreOffice and xlsxwriter
write CR, control characters and typed `_x0041_` that way; what an office typed must come back."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cli_run import xlcheck
from documents import valid_values_for
from lo import SOFFICE, recalc_and_resave
from xlcheck.canonical import nest
from xlcheck.check import check_bytes, check_path
from xlcheck.form import Form
from xlcheck.normalise import normalise_text
from xlcheck.outputs import canonical_document
from xlcheck.render.docx_report import write_report
from xlcheck.xlsx import open_package
from xlcheck.xlsx.xstring import decode_xstring
from xlcheck.xlsxout import write_template
from xlsx_fixtures import MAIN_NS, rewrite_zip

INTRO = "overview.intro"
TWO_LINES = "第一段。\r\n第二段。"


def workbook(form: Form, values: dict) -> bytes:
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("第一段。_x000D_\n第二段。", "第一段。\r\n第二段。"),
        ("_x005F_x0041_", "_x0041_"),
        ("a_x0000_b", "a\x00b"),
        ("_x0041__x0062_", "Ab"),  # either case of hex digits
        ("_x00e9_", "é"),
        ("_x005f_", "_"),
        ("_x41_ _x00411_ _X0041_", "_x41_ _x00411_ _X0041_"),  # not escapes: kept as written
        ("_xD83D__xDE00_", "😀"),  # a UTF-16 pair written as two escapes
        ("_xD83D_!", "\ufffd!"),  # a lone half of a pair cannot be text
    ],
)
def test_escapes_are_decoded(stored: str, text: str) -> None:
    assert decode_xstring(stored) == text


def _sheet_with(cells: str) -> bytes:
    return (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    ).encode()


def test_inline_shared_rich_and_formula_strings_are_decoded(tmp_path: Path) -> None:
    """All four places a cell's text is stored in: inline, shared (plain and runs), formula result."""
    base = tmp_path / "base.xlsx"
    import xlsxwriter

    book = xlsxwriter.Workbook(str(base))
    book.add_worksheet("S").write_string("A1", "x")
    book.close()
    sst = (
        f'<sst xmlns="{MAIN_NS}"><si><t>_x005F_x0041_</t></si>'
        "<si><r><t>第一段。_x000D_</t></r><r><t>\n第二段。</t></r></si></sst>"
    ).encode()
    sheet = _sheet_with(
        '<c r="A1" t="inlineStr"><is><t>a_x0000_b</t></is></c>'
        '<c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c>'
        '<c r="D1" t="str"><f>"x"</f><v>c_x000D_d</v></c>'
    )
    path = rewrite_zip(
        base, tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": sst}
    )
    cells = open_package(path).read_sheet("S").cells
    assert [cells[r].value for r in ("A1", "B1", "C1", "D1")] == [
        "a\x00b",
        "_x0041_",
        TWO_LINES,
        "c\rd",
    ]


def test_what_xlsxwriter_writes_for_typed_escapes(form: Form) -> None:
    """Our writer relies on xlsxwriter's escaping: a typed `_x0041_` is stored as `_x005F_x0041_`."""
    data = workbook(form, {INTRO: "_x0041_ a\x01b\r\n"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.endswith(("sharedStrings.xml", "sheet3.xml"))]
        xml = b"".join(archive.read(n) for n in names).decode()
    assert "_x005F_x0041_ a_x0001_b_x000D_\n" in xml


# Every character a cell can hold, control characters, CR and astral characters included; only
# lone surrogates are left out: they are not characters, and no UTF-8 file can carry them.
PIECES = ["_x0041_", "_x005F_", "_x000D_", "_xD83D_", "_x", "\r\n", "\r", "中文", "𠀀😀"]
ANY_TEXT = st.lists(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from(PIECES), max_size=30
).map("".join)


@settings(max_examples=40, deadline=None)
@given(text=ANY_TEXT)
@example(text="第一段。\r\n第二段。")
@example(text="_x005F_x0041_ _x0041_ a\x00b\x1f\ufffe\uffff")
def test_property_any_text_survives_fill_check_convert(form_2021: Form, text: str) -> None:
    form = form_2021  # about cell text, not a form: once
    source = json.dumps(nest(form, {**valid_values_for(form, 3), INTRO: text}), ensure_ascii=False)
    from_json = check_bytes(source.encode(), "in.json", form)
    filled = check_bytes(workbook(form, from_json.values), "filled.xlsx", form)
    assert (filled.raw[INTRO] or "") == text  # exactly as typed (an empty cell reads as None)
    converted = canonical_document(form, filled)
    assert converted["overview"]["intro"] == normalise_text(text).value  # the text policy only


def test_cli_fill_check_convert_round_trip(form_2021: Form, tmp_path: Path) -> None:
    form = form_2021  # the CLI's default form; about cell text, not a form
    typed = "第一段_x0041_。\r\n第二段\x01。"
    doc = nest(form, {**valid_values_for(form, 5), INTRO: typed})
    (tmp_path / "in.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    fill = xlcheck("fill", str(tmp_path / "in.json"), "-o", str(tmp_path / "r.xlsx"))
    assert fill.returncode == 0, fill.stderr
    convert = xlcheck(
        "convert", str(tmp_path / "r.xlsx"), "--to", "json", "--out-dir", str(tmp_path)
    )
    assert "Traceback" not in convert.stderr
    out = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert out["overview"]["intro"] == "第一段_x0041_。\n第二段\x01。"


def _docx_text(form: Form, values: dict) -> str:
    buffer = io.BytesIO()
    write_report(form, nest(form, values), buffer)
    with zipfile.ZipFile(buffer) as archive:
        return archive.read("word/document.xml").decode()


def test_word_report_shows_a_line_break_not_the_escape(form: Form) -> None:
    result = check_bytes(workbook(form, {**valid_values_for(form, 7), INTRO: TWO_LINES}), "r", form)
    xml = _docx_text(form, result.values)
    assert "_x000D_" not in xml
    assert '<w:t xml:space="preserve">第一段。</w:t>' in xml
    assert '<w:t xml:space="preserve">第二段。</w:t>' in xml


def test_control_characters_are_reported_and_the_word_report_is_written(form: Form) -> None:
    values = {**valid_values_for(form, 7), INTRO: "甲\x00乙\x1f丙"}
    result = check_bytes(workbook(form, values), "r.xlsx", form)
    found = [f for f in result.findings if f.code == "S17"]
    assert len(found) == 1 and found[0].cell is not None
    assert "U+0000" in found[0].message.zh and "U+001F" in found[0].message.en
    assert result.values[INTRO] == "甲\x00乙\x1f丙"  # the data is not changed behind anyone's back
    assert "甲乙丙" in _docx_text(form, result.values)


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_resaved_multiline_prose_comes_back_as_typed(
    form_2021: Form, tmp_path: Path
) -> None:
    form = form_2021  # about cell text, not a form: LibreOffice once
    filled = tmp_path / "filled.xlsx"
    typed = {INTRO: TWO_LINES, "other_matters": "甲_x0041_乙\n丙\x01丁"}
    filled.write_bytes(workbook(form, {**valid_values_for(form, 9), **typed}))
    resaved = recalc_and_resave(filled, tmp_path / "resaved.xlsx")
    result = check_path(resaved, form)
    # LibreOffice keeps a line break inside a cell as LF: it stores CR LF as a plain LF.
    assert result.raw[INTRO] == "第一段。\n第二段。"
    assert result.raw["other_matters"] == "甲_x0041_乙\n丙\x01丁"
    assert result.values[INTRO] == "第一段。\n第二段。"


def test_a_lone_surrogate_in_json_is_a_located_error_not_a_crash(
    form_2021: Form, tmp_path: Path
) -> None:
    """`"\\ud800"` is JSON syntax but no character (RFC 8259 §8.2): no file can store it."""
    form = form_2021  # the CLI's default form; about JSON text, not a form
    doc = nest(form, {**valid_values_for(form, 5), INTRO: "甲\ud800乙"})
    text = json.dumps(doc, indent=1)  # ASCII: the surrogate is written as the escape \ud800
    (tmp_path / "in.json").write_text(text, encoding="utf-8")
    line = text[: text.index("\\ud800")].count("\n") + 1
    fill = xlcheck("fill", str(tmp_path / "in.json"), "-o", "r.xlsx", cwd=tmp_path)
    assert fill.returncode == 1 and "Traceback" not in fill.stderr, fill.stderr
    assert f"不是有效的 JSON（第 {line} 行" in fill.stdout and "U+D800" in fill.stdout
    assert not (tmp_path / "r.xlsx").exists()

"""PDF reports read by content: Word reports rendered by LibreOffice and HTML printed by headless
Chromium give back the document; a scan, a password, damage, size and page count each give one
located finding; a PDF in an inbox is a submission."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cli_run import HANG_GUARD, xlcheck
from docs_fixtures import report_document
from import_fixtures import html_table, prose_lines, sheet_grid, title
from xlcheck.canonical import flatten
from xlcheck.form.model import Form
from xlcheck.importers import MAX_BYTES, import_report

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "某县市场监督管理局-2024.xlsx"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# what a published report cannot carry back: where the document came from
NOT_PRINTED = ("provenance.", "source")


def printed(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    values = flatten(form, doc)
    return {k: v for k, v in values.items() if not k.startswith(NOT_PRINTED) and v is not None}


def word_pdf(form: Form, doc: dict[str, Any], folder: Path) -> tuple[bytes, bytes]:
    """The Word report of `doc` and the PDF LibreOffice makes of it."""
    from xlcheck.render.docx_report import write_report
    from xlcheck.render.pdf import docx_to_pdf

    buffer = io.BytesIO()
    write_report(form, copy.deepcopy(doc), buffer)
    return buffer.getvalue(), docx_to_pdf(buffer.getvalue())


@pytest.fixture(scope="module")
def bureau(form_2021: Form, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
    return word_pdf(form_2021, report_document(), tmp_path_factory.mktemp("bureau"))


# ---- (a) Word → PDF (LibreOffice) → import ---------------------------------------------------


@pytest.mark.libreoffice
def test_word_report_through_libreoffice_pdf_gives_back_every_value(
    form_2021: Form, bureau: tuple[bytes, bytes]
) -> None:
    docx, pdf = bureau
    from_pdf = import_report(pdf, "report.pdf", form_2021)
    from_word = import_report(docx, "report.docx", form_2021)
    assert from_pdf.readable
    # the PDF gives exactly what the Word file gives (prose re-joined where lines were wrapped,
    # the table that runs over a page break read once) ...
    assert flatten(form_2021, from_pdf.doc) == flatten(form_2021, from_word.doc)
    # ... which is every value the report prints (the credit code and tier are not printed)
    expected = printed(form_2021, report_document())
    got = printed(form_2021, from_pdf.doc)
    assert {k: v for k, v in expected.items() if k in got} == got
    assert set(expected) - set(got) <= {"agency.credit_code", "agency.tier"}
    assert [f.code for f in from_pdf.findings] == [f.code for f in from_word.findings]


@pytest.mark.libreoffice
def test_each_value_says_its_page_and_table_row(
    form_2021: Form, bureau: tuple[bytes, bytes]
) -> None:
    result = import_report(bureau[1], "report.pdf", form_2021)
    places = {r.key: r.place for r in result.readings}
    assert places["proactive.licensing"].startswith("page ")
    assert " table " in places["proactive.licensing"] and " row " in places["proactive.licensing"]
    assert places["agency.name"] == "page 1 line 1"
    # a value on a later page of a table that runs over a page break says that page
    assert len({p.split(" table")[0] for p in places.values() if " table " in p}) >= 2


@pytest.mark.libreoffice
def test_cli_import_of_the_pdf_matches_convert_to_json(tmp_path: Path) -> None:
    assert (
        xlcheck(
            "convert", str(EXAMPLE), "--to", "json", "--out-dir", str(tmp_path / "j")
        ).returncode
        == 0
    )
    assert (
        xlcheck("convert", str(EXAMPLE), "--to", "pdf", "--out-dir", str(tmp_path / "p")).returncode
        == 0
    )
    pdf = next((tmp_path / "p").glob("*.pdf"))
    run = xlcheck("import", str(pdf), "-o", str(tmp_path / "i"))
    assert "Traceback" not in run.stderr
    source = json.loads(next((tmp_path / "j").glob("*.json")).read_text(encoding="utf-8"))
    imported = json.loads((tmp_path / "i" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
    for part in ("year", "overview", "proactive", "applications", "review_litigation"):
        assert imported[part] == source[part], part
    for part in ("problems_and_improvements", "other_matters"):
        assert imported[part] == source[part], part
    assert imported["agency"]["name"] == source["agency"]["name"]


# ---- (b) HTML printed by headless Chromium -------------------------------------------------


def chromium_pdf(html: bytes, folder: Path) -> bytes:
    page, out = folder / "report.html", folder / "report.pdf"
    page.write_bytes(html)
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=HANG_GUARD,
        check=True,
    )
    return out.read_bytes()


def report_html(form: Form, values: dict[str, Any], collapse: bool) -> bytes:
    """A plain web page of the report: headings as paragraphs, tables as <table border=1>."""
    prose = prose_lines(form, values, inline_topics=False)
    body = [f"<h1>{title(values)}</h1>"]
    for section in form.sections:
        body.append(f"<p>{section.heading}</p>")
        if section.content == "table":
            body.append(html_table(sheet_grid(form, section.sheet or "", values)))
        else:
            body += [f"<p>{p}</p>" for p in prose[section.field or "overview"]]
    style = "table { border-collapse: collapse }" if collapse else ""
    head = f'<meta charset="utf-8"><title>{title(values)}</title><style>{style}</style>'
    return f"<!DOCTYPE html><html><head>{head}</head><body>{''.join(body)}</body></html>".encode()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
@pytest.mark.parametrize("collapse", [True, False], ids=["collapsed", "separate-borders"])
def test_html_printed_by_chromium_reads_every_table_value(
    form_2021: Form, tmp_path: Path, collapse: bool
) -> None:
    from import_fixtures import build_values

    values = build_values(form_2021, seed=3)
    pdf = chromium_pdf(report_html(form_2021, values, collapse), tmp_path)
    result = import_report(pdf, "report.pdf", form_2021)
    got = flatten(form_2021, result.doc)
    expected = {k: v for k, v in values.items() if isinstance(v, int | float)}
    # every figure of the three tables, including rows cut by a page break (Chromium splits a
    # tall row and leaves its bottom unruled) and a table whose next page has fewer columns
    assert {k: got.get(k) for k in expected} == expected
    assert not [f for f in result.findings if f.code in ("A06", "A07", "A08")]


# ---- (c) a scan: no text layer --------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_scanned_pdf_gets_one_clear_finding(
    form_2021: Form, bureau: tuple[bytes, bytes], tmp_path: Path
) -> None:
    from PIL import Image

    (tmp_path / "word.pdf").write_bytes(bureau[1])
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(tmp_path / "word.pdf"), str(tmp_path / "scan")],
        check=True,
        timeout=HANG_GUARD,
    )
    images = [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob("scan*.png"))]
    scan = io.BytesIO()
    images[0].save(scan, "PDF", save_all=True, append_images=images[1:])
    result = import_report(scan.getvalue(), "扫描件.pdf", form_2021)
    assert [f.code for f in result.findings] == ["A50"]
    assert not result.readable
    message = result.findings[0].message
    assert "扫描件.pdf" in message.zh and "文字识别" in message.zh and "OCR" in message.en
    assert f"{len(images)} 页" in message.zh


# ---- hostile ------------------------------------------------------------------------------


def blank_pdf(pages: int) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def test_pdf_with_5000_pages_is_refused_with_its_count(form_2021: Form) -> None:
    result = import_report(blank_pdf(5000), "厚.pdf", form_2021)
    assert [f.code for f in result.findings] == ["A51"]
    assert "5000 页" in result.findings[0].message.zh and "50" in result.findings[0].message.zh


def test_broken_pdf_is_damaged_not_a_traceback(form_2021: Form) -> None:
    result = import_report(b"%PDF-1.7\n" + bytes(range(256)) * 40, "坏.pdf", form_2021)
    assert [f.code for f in result.findings] == ["F06"]
    assert "坏.pdf" in result.findings[0].message.zh


def test_pdf_over_the_size_cap_is_refused_before_reading(form_2021: Form, tmp_path: Path) -> None:
    big = tmp_path / "大.pdf"
    big.write_bytes(blank_pdf(1) + b"%" * (MAX_BYTES + 1))
    result = import_report(big, "大.pdf", form_2021)
    assert [f.code for f in result.findings] == ["F07"]


@pytest.mark.libreoffice
def test_password_protected_pdf_says_so(form_2021: Form, tmp_path: Path) -> None:
    from xlcheck.render.pdf import find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    (tmp_path / "in.txt").write_text("某县2024年政府信息公开工作年度报告", encoding="utf-8")
    options = (
        'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
        '"DocumentOpenPassword":{"type":"string","value":"secret"}}'
    )
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            options,
            "--outdir",
            str(tmp_path),
            str(tmp_path / "in.txt"),
        ],
        capture_output=True,
        timeout=HANG_GUARD,
        check=True,
    )
    data = (tmp_path / "in.pdf").read_bytes()
    assert b"/Encrypt" in data
    result = import_report(data, "密.pdf", form_2021)
    assert [f.code for f in result.findings] == ["A52"]
    assert "密.pdf" in result.findings[0].message.zh


# ---- check and batch: a PDF decided by content ------------------------------------------------


@pytest.mark.libreoffice
def test_check_reads_a_pdf_whatever_its_name(bureau: tuple[bytes, bytes], tmp_path: Path) -> None:
    odd = tmp_path / "下载文件"
    odd.write_bytes(bureau[1])
    run = xlcheck("check", str(odd), "--format", "json")
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    codes = [f["code"] for f in report["files"][0]["findings"]]
    assert "F02" not in codes and "A07" not in codes


@pytest.mark.libreoffice
def test_pdf_in_an_inbox_is_checked_and_gets_a_row(
    bureau: tuple[bytes, bytes], tmp_path: Path
) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "某某县市场监督管理局.pdf").write_bytes(bureau[1])
    run = xlcheck("batch", str(inbox), "-o", str(out))
    assert "Traceback" not in run.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    text = json.dumps(summary, ensure_ascii=False)
    assert "某某县市场监督管理局" in text and "not_a_workbook" not in text


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_an_unreadable_value_names_its_page_in_chinese(form_2021: Form, tmp_path: Path) -> None:
    from import_fixtures import build_values

    values = build_values(form_2021, seed=4)
    page = report_html(form_2021, values, True).replace(b"<td", b"<td", 1)
    licensing = str(values["proactive.licensing"]).encode()
    page = page.replace(
        b">" + licensing + b"</td>", b">\xe5\x8d\x81\xe4\xba\x8c\xe4\xb8\x87</td>", 1
    )
    result = import_report(chromium_pdf(page, tmp_path), "report.pdf", form_2021)
    unread = [f for f in result.findings if f.code == "A06"]
    assert unread and unread[0].values["place"].startswith("page 1 table ")
    assert "第 1 页第 " in unread[0].message.zh and "个表格第 " in unread[0].message.zh
    assert "page 1 table " in unread[0].message.en


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
@pytest.mark.parametrize("seed", [2, 4])
def test_rows_either_side_of_a_page_break_are_never_joined_into_one_number(
    form_2021: Form, tmp_path: Path, seed: int
) -> None:
    """Chromium rules the border between two rows on the page before the break: the first row
    of the next page is a row of its own (4 above 0 was once read as 40)."""
    from import_fixtures import build_values

    values = build_values(form_2021, seed=seed)
    result = import_report(
        chromium_pdf(report_html(form_2021, values, True), tmp_path), "r.pdf", form_2021
    )
    got = flatten(form_2021, result.doc)
    expected = {k: v for k, v in values.items() if isinstance(v, int | float)}
    assert {k: got.get(k) for k in expected} == expected

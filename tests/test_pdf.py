"""convert --to pdf: the Word report made into PDF by LibreOffice, fonts embedded, the tables
kept; without LibreOffice one clear line and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_run import HANG_GUARD, xlcheck

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "某县市场监督管理局-2024.xlsx"

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed"),
]


def poppler(tool: str, *args: str) -> str:
    return subprocess.run(
        [tool, *args], capture_output=True, text=True, check=True, timeout=HANG_GUARD
    ).stdout


def test_convert_to_pdf_embeds_every_font_and_keeps_the_report(tmp_path: Path) -> None:
    run = xlcheck("convert", str(EXAMPLE), "--to", "pdf", "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    pdf = tmp_path / "某县市场监督管理局-2024.pdf"
    fonts = poppler("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # the "emb" column
    # the GB/T 9704 faces drawn with their stand-ins: serif for body and title, sans for 黑体
    assert any("NotoSerifCJK" in line for line in fonts)
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    assert "某县市场监督管理局2024年政府信息公开工作年度报告" in text.replace(" ", "").replace(
        "\n", ""
    )
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"):
        assert heading in text
    # the table's rows stay whole: 行政许可's figure on its own line with its label
    assert any("行政许可" in line and "456" in line for line in text.splitlines())


def test_without_libreoffice_pdf_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}  # no soffice on this PATH
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlcheck",
            "convert",
            str(EXAMPLE),
            "--to",
            "pdf",
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
    )
    assert run.returncode == 2
    assert "LibreOffice" in run.stderr and "Traceback" not in run.stderr
    assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1
    assert not list(
        (tmp_path / "out").glob("*.pdf")
    )  # nothing written (a missing folder globs empty)


def test_batch_pdf_puts_a_pdf_beside_each_valid_word_report_once(tmp_path: Path) -> None:
    examples = EXAMPLE.parent
    out = tmp_path / "out"
    run = xlcheck("batch", str(examples), "-o", str(out), "--pdf")
    assert run.returncode == 1, run.stderr  # two examples carry errors on purpose
    reports = sorted(out.glob("*/*.docx"))
    pdfs = sorted(out.glob("*/*.pdf"))
    assert reports and [p.with_suffix(".docx") for p in pdfs] == reports
    assert "已生成 PDF 3 份" in run.stdout
    stamps = {p: p.stat().st_mtime_ns for p in pdfs}
    again = xlcheck("batch", str(examples), "-o", str(out), "--pdf")
    assert "已生成 PDF 0 份" in again.stdout  # unchanged reports are not converted again
    assert {p: p.stat().st_mtime_ns for p in pdfs} == stamps

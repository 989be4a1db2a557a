"""PDF beside Word: the Word report made into PDF by LibreOffice headless, when it is installed.

Portals publish PDF. LibreOffice lays the Word report out as Writer does and embeds the fonts it
used (subsets), so the PDF shows the same pages on a machine without them. Each call runs
soffice with a throwaway user profile (no clash with a LibreOffice the clerk has open) in its own
process group, killed whole on timeout; many files go through one soffice process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

TIMEOUT_BASE = 60.0  # seconds for soffice to start, plus TIMEOUT_PER_FILE for each document
TIMEOUT_PER_FILE = 10.0


# The GB/T 9704 fonts the Word report names, and what to draw them with where they are missing
# (a Linux server rarely has them): Noto CJK SC, serif for the Song and Kai faces, sans for 黑体.
# Without them LibreOffice fell back to a Japanese sans face for everything. Given to soffice as
# fontconfig aliases (LibreOffice on Linux finds fonts through fontconfig).
STAND_INS = {
    "方正小标宋简体": "Noto Serif CJK SC",
    "仿宋_GB2312": "Noto Serif CJK SC",
    "仿宋": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "楷体": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
}


def _fonts_conf() -> str:
    """A fontconfig file: the system's, plus each GB/T 9704 font accepted as its stand-in. An
    <accept> alias ranks after the named family, so a machine that has the real font uses it."""
    aliases = "".join(
        f'<alias binding="same"><family>{font}</family>'
        f"<accept><family>{stand_in}</family></accept></alias>"
        for font, stand_in in STAND_INS.items()
    )
    return (
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"{aliases}</fontconfig>"
    )


class PdfError(Exception):
    """No PDF could be made; str() is one clear line (Chinese, with the English after it)."""


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    found = find_soffice()
    if found is None:
        raise PdfError(
            "生成 PDF 需要 LibreOffice，但找不到 soffice。请安装 LibreOffice"
            "（Debian/Ubuntu：apt install libreoffice-writer）后重试。"
            " / PDF needs LibreOffice; soffice was not found."
        )
    return found


def convert_to_pdf(sources: Sequence[Path], outdir: Path) -> list[Path]:
    """PDFs of `sources` (.docx) in `outdir`, named after each source's stem, in one soffice run."""
    soffice = require_soffice()
    timeout = TIMEOUT_BASE + TIMEOUT_PER_FILE * len(sources)
    with tempfile.TemporaryDirectory(prefix="xlcheck-lo-") as profile:
        fonts = Path(profile) / "fonts.conf"
        fonts.write_text(_fonts_conf(), encoding="utf-8")
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(outdir),
            *(str(s) for s in sources),
        ]
        run_soffice(command, timeout, {**os.environ, "FONTCONFIG_FILE": str(fonts)})
    produced = [outdir / f"{Path(s).stem}.pdf" for s in sources]
    missing = [p.name for p in produced if not p.is_file() or p.stat().st_size == 0]
    if missing:
        raise PdfError(f"LibreOffice 没有生成 PDF：{'、'.join(missing)} / LibreOffice made no PDF")
    return produced


def docx_to_pdf(data: bytes) -> bytes:
    """One Word document (bytes) as PDF (bytes)."""
    with tempfile.TemporaryDirectory(prefix="xlcheck-pdf-") as work:
        source = Path(work) / "report.docx"
        source.write_bytes(data)
        (pdf,) = convert_to_pdf([source], Path(work))
        return pdf.read_bytes()


def run_soffice(command: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
    """Run soffice in its own process group; PdfError when it fails or outlives `timeout` (then
    the whole group is killed: soffice starts helpers that would otherwise linger)."""
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: the helper processes soffice starts die with it
    )
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfError(f"LibreOffice 超过 {timeout:.0f} 秒仍未完成，已停止 / timed out") from exc
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    if process.returncode != 0:
        detail = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise PdfError(f"LibreOffice 出错（退出码 {process.returncode}）：{detail[0][:200]}")

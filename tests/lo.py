"""LibreOffice headless helpers for tests: recalculate and re-save, convert to other formats.

`soffice --convert-to xlsx` keeps cached formula values by default; a throwaway user profile whose
registrymodifications.xcu sets Calc's OOXMLRecalcMode to 0 ("always recalculate") makes it
recalculate every formula on load, so the re-saved file carries LibreOffice's own results.
Each call uses a fresh profile (no clash with a running LibreOffice) and is killed on timeout.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TIMEOUT = 120
_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """soffice failed, timed out or produced no output."""


def _run(src: Path, fmt: str, outdir: Path, *, recalc: bool) -> Path:
    if SOFFICE is None:
        raise LibreOfficeError("soffice is not installed")
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        if recalc:
            user = Path(profile) / "user"
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
        command = [
            SOFFICE,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ]
        _call(command)
    produced = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    if not produced.exists():
        raise LibreOfficeError(f"soffice produced no {fmt} for {src.name}")
    return produced


def _call(command: list[str]) -> None:
    """soffice in its own process group, killed whole on timeout: the product's own runner."""
    from xlcheck.render.pdf import PdfError, run_soffice

    try:
        run_soffice(command, TIMEOUT)
    except PdfError as exc:
        raise LibreOfficeError(str(exc)) from exc


def recalc_and_resave(src: Path, dest: Path) -> Path:
    """Open `src` in LibreOffice, recalculate every formula, and save it as xlsx at `dest`."""
    with tempfile.TemporaryDirectory(prefix="lo-out-") as out:
        produced = _run(src, "xlsx", Path(out), recalc=True)
        shutil.move(produced, dest)
    return dest


def convert(src: Path, fmt: str, outdir: Path | None = None) -> Path:
    """Convert `src` to `fmt` (pdf, xlsx, ods, …) next to it or in `outdir`; returns the file."""
    return _run(src, fmt, outdir or src.parent, recalc=False)

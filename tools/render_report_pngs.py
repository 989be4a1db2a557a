"""Render a report to docs/img/<name>-page-N.png (Word report → LibreOffice PDF → PNG).

Run from the repository root: PYTHONPATH=src python tools/render_report_pngs.py [--pages 4] [--dpi 70]
  default: the test fixture's report (docs/img/report-page-N.png);
  --workbook examples/X.xlsx --name example: the report of a bundled example, as `convert` makes it.
Needs LibreOffice (soffice) and poppler-utils (pdftoppm). Pages larger than 250 KB are redone at a
lower resolution.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from docs_fixtures import report_document  # noqa: E402
from xlcheck.form import load_form  # noqa: E402
from xlcheck.render.docx_report import write_report  # noqa: E402

MAX_BYTES = 250_000


def to_pdf(docx: Path, workdir: Path) -> Path:
    profile = f"-env:UserInstallation=file://{workdir}/lo-profile"
    command = ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(workdir)]
    subprocess.run([*command, str(docx)], check=True, capture_output=True, timeout=120)
    return workdir / (docx.stem + ".pdf")


def to_pngs(pdf: Path, pages: int, dpi: int, out: Path) -> list[Path]:
    prefix = out / "page"
    command = ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", str(pages), str(pdf)]
    subprocess.run([*command, str(prefix)], check=True, timeout=120)
    return sorted(out.glob("page-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, default=70)
    parser.add_argument("--workbook", type=Path, help="a filled template (e.g. one of examples/)")
    parser.add_argument("--name", default="report", help="file name prefix under docs/img")
    args = parser.parse_args()
    target = ROOT / "docs" / "img"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "report.docx"
        write_report(load_form(), document(args.workbook), source)
        pdf = to_pdf(source, work)
        dpi = args.dpi
        while True:
            pngs = to_pngs(pdf, args.pages, dpi, work)
            if all(p.stat().st_size < MAX_BYTES for p in pngs) or dpi <= 30:
                break
            for png in pngs:
                png.unlink()
            dpi -= 10
        for old in target.glob(f"{args.name}-page-*.png"):
            old.unlink()
        for number, png in enumerate(pngs, start=1):
            shutil.copyfile(png, target / f"{args.name}-page-{number}.png")
            print(
                f"docs/img/{args.name}-page-{number}.png  {png.stat().st_size // 1024} KB  ({dpi} dpi)"
            )


def document(workbook: Path | None) -> dict[str, object]:
    """The fixture report, or the canonical document of a valid workbook (as `convert` writes it)."""
    if workbook is None:
        return report_document()
    from xlcheck.check import check_path
    from xlcheck.outputs import canonical_document

    form = load_form()
    result = check_path(workbook, form)
    if not result.valid:
        raise SystemExit(f"{workbook} is not valid: run xlcheck check on it")
    return canonical_document(form, result)


if __name__ == "__main__":
    main()

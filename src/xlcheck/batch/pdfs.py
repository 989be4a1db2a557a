"""PDF beside each current valid Word report of a batch (batch --pdf), through LibreOffice.

Runs after the batch, from summary.json: each 通过 row's Word report gets a .pdf next to it. The
reports go through soffice CHUNK at a time (one process starts in seconds; a document then takes
a fraction of that); a PDF newer than its Word report is kept, so a re-run converts only what
changed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .finish import PASSED

CHUNK = 25


def pdf_targets(out_dir: Path, summary_json: Path) -> Iterator[tuple[Path, Path]]:
    """(Word report, PDF to write) for each current valid submission whose PDF is missing or old."""
    with summary_json.open(encoding="utf-8") as fh:
        summary = json.load(fh)
    for row in summary.get("rows", []):
        docx = (row.get("outputs") or {}).get("docx")
        if row.get("status") != PASSED or not docx:
            continue
        source = out_dir / docx
        target = source.with_suffix(".pdf")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        yield source, target


def add_pdfs(out_dir: Path, summary_json: Path) -> int:
    """Write the PDFs; the number written. Raises render.pdf.PdfError (no LibreOffice, a failure)."""
    from xlcheck.render.pdf import convert_to_pdf

    targets = list(pdf_targets(out_dir, summary_json))
    for start in range(0, len(targets), CHUNK):
        chunk = targets[start : start + CHUNK]
        with tempfile.TemporaryDirectory(prefix=".xlcheck-pdf-", dir=out_dir) as work:
            # numbered copies: two offices' reports may share a file name in different folders
            sources = []
            for index, (docx, _) in enumerate(chunk):
                copy = Path(work) / f"{index}.docx"
                shutil.copyfile(docx, copy)
                sources.append(copy)
            for made, (_, target) in zip(convert_to_pdf(sources, Path(work)), chunk, strict=True):
                os.replace(made, target)  # same file system: the PDF appears whole or not at all
    return len(targets)

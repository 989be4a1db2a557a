"""Writers of the outputs; the Word report is `docx_report` (python-docx is imported only by render/docx*)."""

from __future__ import annotations

from typing import Any

__all__ = ["write_report"]


def __getattr__(name: str) -> Any:
    """Import the Word writer on first use, so other writers do not load python-docx."""
    if name == "write_report":
        from xlcheck.render.docx_report import write_report

        return write_report
    raise AttributeError(name)

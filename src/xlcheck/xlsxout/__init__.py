"""Spreadsheet outputs written with xlsxwriter: the locked template, filled copies, error workbooks.

The names below are imported on first use: the rule-kind registry imports the live-check formulas
from this package on every form load, and a `check` must not pay for xlsxwriter (~70 ms) unless
it writes a workbook.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlcheck.xlsxout.errors import write_error_workbook
    from xlcheck.xlsxout.metadata import TEMPLATE_PASSWORD, template_properties
    from xlcheck.xlsxout.safe_text import needs_guard, neutralise
    from xlcheck.xlsxout.template import write_template

_HOMES = {
    "TEMPLATE_PASSWORD": "metadata",
    "needs_guard": "safe_text",
    "neutralise": "safe_text",
    "template_properties": "metadata",
    "write_error_workbook": "errors",
    "write_template": "template",
}
__all__ = [
    "TEMPLATE_PASSWORD",
    "needs_guard",
    "neutralise",
    "template_properties",
    "write_error_workbook",
    "write_template",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)

"""Spreadsheet outputs written with xlsxwriter: the locked template, filled copies, error workbooks."""

from xlcheck.xlsxout.errors import write_error_workbook
from xlcheck.xlsxout.metadata import TEMPLATE_PASSWORD, template_properties
from xlcheck.xlsxout.safe_text import needs_guard, neutralise
from xlcheck.xlsxout.template import write_template

__all__ = [
    "TEMPLATE_PASSWORD",
    "needs_guard",
    "neutralise",
    "template_properties",
    "write_error_workbook",
    "write_template",
]

"""Cell formats by role (labels, inputs, formulas, checks, marks), created once per workbook."""

from __future__ import annotations

import math
import unicodedata
from typing import Any

FONT = "宋体"
FONT_SIZE = 11
LINE_HEIGHT = 15.0  # points per wrapped line of 11 pt SimSun, with leading
INPUT_FILL = "#FFF2CC"
FORMULA_FILL = "#E7E6E6"
HEADER_FILL = "#DDEBF7"
ERROR_FILL = "#FF8B8B"
WARNING_FILL = "#FFC000"
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True}
AMBER = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}

_BASE: dict[str, Any] = {
    "font_name": FONT,
    "font_size": FONT_SIZE,
    "text_wrap": True,
    "valign": "vcenter",
}
_BOX: dict[str, Any] = {"border": 1}
ROLES: dict[str, dict[str, Any]] = {
    "plain": {},
    "title": {"bold": True, "font_size": 16, "align": "center"},
    "header": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "band": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "row": {**_BOX, "align": "left"},
    "note": {**_BOX, "align": "left", "font_size": 9},
    "hint": {"italic": True, "font_color": "#808080", "align": "left"},
    "check": {**_BOX, "bold": True, "align": "left", "font_color": "#1F4E79"},
    "paragraph": {"align": "left", "valign": "top"},
    "input": {**_BOX, "bg_color": INPUT_FILL, "locked": False, "align": "right"},
    "input_text": {
        **_BOX,
        "bg_color": INPUT_FILL,
        "locked": False,
        "align": "left",
        "valign": "top",
    },
    "input_code": {**_BOX, "bg_color": INPUT_FILL, "locked": False, "num_format": "@"},
    "input_choice": {**_BOX, "bg_color": INPUT_FILL, "locked": False, "align": "left"},
    "formula": {**_BOX, "bg_color": FORMULA_FILL, "bold": True, "align": "right"},
    "live": {**_BOX, "align": "center", "bold": True},
    "list_header": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "list_cell": {**_BOX, "align": "left"},
    "link": {**_BOX, "align": "left", "font_color": "#0563C1", "underline": 1},
    "summary": {"bold": True, "font_size": 13, "align": "left"},
}
MARKS = {"error": {"bg_color": ERROR_FILL}, "warning": {"bg_color": WARNING_FILL}}


class Styles:
    """Formats of one workbook, keyed by role plus an optional mark and quote prefix."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[str, str | None, bool], Any] = {}

    def get(self, role: str, mark: str | None = None, quote: bool = False) -> Any:
        key = (role, mark, quote)
        if key not in self._cache:
            props = {**_BASE, **ROLES[role], **(MARKS[mark] if mark else {})}
            if quote:
                props["quote_prefix"] = True
            self._cache[key] = self._workbook.add_format(props)
        return self._cache[key]

    def register_all(self) -> None:
        """Put every role × mark × quote format into styles.xml, used or not, so that a copy of
        the package can restyle any cell (xlsxwriter writes only formats given an index)."""
        for role in ROLES:
            for mark in (None, *MARKS):
                for quote in (False, True):
                    self.get(role, mark, quote)._get_xf_index()

    def xf_indices(self) -> dict[tuple[str, str | None, bool], int]:
        """(role, mark, quote) -> index in styles.xml (formats equal to an earlier one share it)."""
        return {key: fmt._get_xf_index() for key, fmt in self._cache.items()}

    def conditional(self, props: dict[str, Any]) -> Any:
        """A differential format for conditional formatting (fill and font only)."""
        return self._workbook.add_format(props)


def display_width(text: str) -> int:
    """Width in column units: CJK and full-width characters count two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines_needed(text: str, width: float) -> int:
    """How many wrapped lines the text takes in a column span of the given width."""
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))

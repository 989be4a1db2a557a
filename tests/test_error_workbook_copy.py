"""The error workbook written from the form's package built once (errorbook.py) reads, cell for
cell, like the full xlsxwriter rebuild: values, cached totals, formulas, styles, comments,
merged blocks, links, row heights, protection, names. And the package is built once per form."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest

from documents import valid_values_for
from xlcheck.findings import Finding
from xlcheck.form import Form
from xlcheck.form.model import Text
from xlcheck.xlsxout import write_error_workbook
from xlcheck.xlsxout.errors import rebuild_error_workbook

# A finding inside a merged block gets a comment there (both writers): openpyxl warns and drops it.
pytestmark = pytest.mark.filterwarnings("ignore:Cell .* is part of a merged range")
T3 = "三、依申请公开"
BASIC = "基本信息"


def finding(
    cell: str | None, sheet: str | None = T3, severity: str = "error", **kw: Any
) -> Finding:
    code = "R1" if severity == "error" else "W1"
    text = kw.pop("text", f"{sheet} {cell} 有误")
    return Finding(code, severity, Text(text, f"{cell} is wrong"), sheet=sheet, cell=cell, **kw)


def hostile_cells(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = valid_values_for(form, 3)
    values["agency.name"] = '=HYPERLINK("http://x.invalid","点我")_x0041_\x01&<b>'
    values["contact.person"] = "  张三 \u202e反向 "
    values["contact.phone"] = "@SUM(1)"
    values["applications.new.natural_person"] = "十二"  # text where a count goes
    values["applications.new.commercial_enterprise"] = 10**20 + 1  # beyond a double's digits
    values["applications.new.research_institution"] = 2.5
    values["applications.new.social_welfare_organization"] = True
    values["applications.new.legal_service_agency"] = None
    assert {k for k in values if k.startswith("applications.new.")} <= set(form.fields)
    return values


FINDINGS = [
    finding(
        "D4",
        table=Text("表三", "Table 3"),
        row_label=Text("新收", "new"),
        col_label=Text("自然人", "p"),
    ),
    finding("D4", severity="warning", text="=cmd|' /C calc'!A0 同一格的提示"),
    finding("J4"),  # a computed total
    finding("A1", sheet=BASIC),  # the anchor of the merged title label A1:C1
    finding("B2", sheet=BASIC, severity="warning"),  # an input text cell
    finding("D30"),  # a live check cell
    finding("Z99"),  # a cell nothing wrote
    finding("C7", sheet="二、主动公开"),  # inside a merged input block, not its anchor
    finding("B7", sheet="二、主动公开", severity="warning"),  # a merged input's anchor
    finding(None, sheet=None, text="缺少「四、复议诉讼」表。"),
    finding("A1", sheet="没有这张表"),
    finding("D5", text="\u202e反向文字 _x0041_ \x02 <&>"),
]


def both(
    form: Form, cells: dict[str, Any], findings: list[Finding], lang: str
) -> tuple[bytes, bytes]:
    fast, slow = io.BytesIO(), io.BytesIO()
    write_error_workbook(
        form, fast, cells=cells, findings=findings, source_name="=报表.xlsx", lang=lang
    )
    rebuild_error_workbook(
        form, slow, cells=cells, findings=findings, source_name="=报表.xlsx", lang=lang
    )
    return fast.getvalue(), slow.getvalue()


def cell_facts(cell: Any) -> tuple[Any, ...]:
    return (
        cell.value,
        type(cell.value).__name__,
        cell.font.b,
        cell.font.i,
        cell.font.u,
        cell.font.sz,
        cell.font.color.rgb if cell.font.color is not None else None,
        cell.fill.fill_type,
        cell.fill.fgColor.rgb,
        cell.border.left.style,
        cell.alignment.horizontal,
        cell.alignment.vertical,
        cell.alignment.wrap_text,
        cell.protection.locked,
        cell.number_format,
        cell.quotePrefix,
        cell.comment.text if cell.comment else None,
        cell.comment.author if cell.comment else None,
        cell.hyperlink.location if cell.hyperlink else None,
    )


def sheet_facts(ws: Any) -> dict[str, Any]:
    cells = {c.coordinate: cell_facts(c) for row in ws.iter_rows() for c in row}
    return {
        "cells": {
            k: v for k, v in cells.items() if v[0] is not None or v[8] != "00000000" or v[16]
        },
        "all_styles": cells,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
        "widths": {c: d.width for c, d in ws.column_dimensions.items()},
        "freeze": ws.freeze_panes,
        "protected": ws.protection.sheet,
        "validations": len(ws.data_validations.dataValidation),
        "conditional": sorted(str(r.sqref) for r in ws.conditional_formatting),
        "state": ws.sheet_state,
        "setup": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToHeight),
        "dimensions": ws.dimensions,
    }


def book_facts(data: bytes, data_only: bool) -> dict[str, Any]:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
    return {
        "sheets": book.sheetnames,
        "active": book.active.title,
        "names": sorted(book.defined_names),
        "protected": book.security.lockStructure if book.security else None,
        **{name: sheet_facts(book[name]) for name in book.sheetnames},
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_copy_reads_like_the_rebuild(form: Form, lang: str) -> None:
    fast, slow = both(form, hostile_cells(form), FINDINGS, lang)
    for data_only in (False, True):
        assert book_facts(fast, data_only) == book_facts(slow, data_only)


def test_copy_without_findings_and_with_empty_cells(form: Form) -> None:
    fast, slow = both(form, {}, [], "zh")
    for data_only in (False, True):
        assert book_facts(fast, data_only) == book_facts(slow, data_only)


def test_comment_boxes_sit_where_xlsxwriter_puts_them(form: Form) -> None:
    fast, slow = both(form, hostile_cells(form), FINDINGS, "zh")
    read = [zipfile.ZipFile(io.BytesIO(data)) for data in (fast, slow)]
    names = [sorted(n for n in z.namelist() if "vml" in n or "comments" in n) for z in read]
    assert names[0] == names[1] and names[0]
    for name in names[0]:
        if name.endswith(".vml"):
            assert read[0].read(name) == read[1].read(name)


def test_package_is_built_once_per_form_and_language(form: Form) -> None:
    from xlcheck.xlsxout.errorbook import base_package

    first = base_package(form, "zh")
    for _ in range(3):
        write_error_workbook(form, io.BytesIO(), cells={}, findings=FINDINGS, source_name="a.xlsx")
    assert base_package(form, "zh") is first
    assert base_package(form, "en") is not first

"""Word files: body paragraphs and tables in document order; gridSpan/vMerge expanded into a grid."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.importers.model import MAX_SPAN, Cell, Item, Page, Para, Row, Unreadable
from xlcheck.importers.norm import read_count

MAX_UNPACKED = 200 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, filename: str) -> Page:
    document = open_docx(data, filename)
    items: list[Item] = []
    tables = 0
    for element in document.element.body.iterchildren():
        if element.tag == _W + "p":
            text = paragraph_text(element).strip()
            if text:
                n = len(items) + 1
                items.append(Para(text, f"paragraph {n}", -n))
        elif element.tag == _W + "tbl":
            tables += 1
            for number, cells in enumerate(table_grid(element), start=1):
                items.append(Row(cells, f"table {tables} row {number}", tables))
    return Page(tuple(items), "docx")


def open_docx(data: bytes, filename: str) -> Any:
    """python-docx Document, or Unreadable for anything that is not a sound .docx."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if sum(info.file_size for info in package.infolist()) > MAX_UNPACKED:
                raise Unreadable(make_finding("F07", file=filename, detail="> 200 MB unpacked"))
        return docx.Document(io.BytesIO(data))
    except Unreadable:
        raise
    except Exception as exc:  # python-docx/lxml/zipfile raise many types on damaged input
        raise Unreadable(make_finding("F06", file=filename)) from exc


def paragraph_text(p: Any) -> str:
    parts = []
    for node in p.iter(_W + "t", _W + "tab", _W + "br"):
        if node.tag == _W + "t":
            parts.append(node.text or "")
        else:
            parts.append("\t" if node.tag == _W + "tab" else "\n")
    return "".join(parts)


def cell_text(tc: Any) -> str:
    lines = (paragraph_text(p).strip() for p in tc.iter(_W + "p"))
    return "\n".join(line for line in lines if line)


def table_grid(tbl: Any) -> list[tuple[Cell, ...]]:
    """Each w:tc fills gridSpan columns; a vMerge continuation copies the text above it."""
    grid: list[tuple[Cell, ...]] = []
    for tr in tbl.iterchildren(_W + "tr"):
        row: list[Cell] = []
        for tc in tr.iterchildren(_W + "tc"):
            span, merge = _tc_props(tc)
            col = len(row)
            if merge == "continue" and grid and col < len(grid[-1]):
                first = Cell(grid[-1][col].text, origin=False)
            else:
                first = Cell(cell_text(tc))
            row.append(first)
            row.extend(Cell(first.text, origin=False) for _ in range(span - 1))
        grid.append(tuple(row))
    return grid


def _tc_props(tc: Any) -> tuple[int, str | None]:
    span, merge = 1, None
    pr = tc.find(_W + "tcPr")
    if pr is not None:
        grid_span = pr.find(_W + "gridSpan")
        if grid_span is not None:
            span = read_count(grid_span.get(_W + "val"), MAX_SPAN)
        v_merge = pr.find(_W + "vMerge")
        if v_merge is not None:
            merge = v_merge.get(_W + "val") or "continue"
    return span, merge

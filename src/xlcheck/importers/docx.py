"""Word files: body paragraphs and tables in document order; gridSpan/vMerge expanded into a grid."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.importers.model import MAX_SPAN, Cell, Item, Page, Para, Row, Unreadable, add_item
from xlcheck.importers.norm import read_count

MAX_UNPACKED = 200 * 1024 * 1024  # images make real reports large; they are never inflated
MAX_DOCUMENT = 20 * 1024 * 1024  # word/document.xml of a real report: well under 1 MB
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
                add_item(items, Para(text, f"paragraph {n}", -n))
        elif element.tag == _W + "tbl":
            tables += 1
            for number, cells in enumerate(table_grid(element), start=1):
                add_item(items, Row(cells, f"table {tables} row {number}", tables))
    return Page(tuple(items), "docx")


def open_docx(data: bytes, filename: str) -> Any:
    """python-docx Document, or Unreadable for anything that is not a sound .docx."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_sizes(package.infolist(), filename)
        return docx.Document(io.BytesIO(data))
    except Unreadable:
        raise
    except Exception as exc:  # python-docx/lxml/zipfile raise many types on damaged input
        technical = f"{type(exc).__name__}: {exc}"[:200]
        raise Unreadable(make_finding("F06", file=filename, values={"detail": technical})) from exc


def check_sizes(infos: list[zipfile.ZipInfo], filename: str) -> None:
    """Declared sizes, before anything is inflated: the whole package and the document part
    (lxml builds the whole tree of word/document.xml)."""
    total = sum(info.file_size for info in infos)
    body = max((i.file_size for i in infos if i.filename == "word/document.xml"), default=0)
    for size, limit in ((total, MAX_UNPACKED), (body, MAX_DOCUMENT)):
        if size > limit:
            text = detail("unpacked_size", size=size_mb(size), limit=size_mb(limit))
            raise Unreadable(make_finding("F07", file=filename, detail=text))


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
            col = len(row)
            if col >= MAX_SPAN:
                break
            span, merge = _tc_props(tc)
            if merge == "continue" and grid and col < len(grid[-1]):
                first = Cell(grid[-1][col].text, origin=False)
            else:
                first = Cell(cell_text(tc))
            row.append(first)
            copies = min(span, MAX_SPAN - col) - 1
            row.extend(Cell(first.text, origin=False) for _ in range(copies))
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

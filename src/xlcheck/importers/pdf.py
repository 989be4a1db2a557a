"""PDF reports: the text layer with positions (PDFium through pypdfium2), table cells from the
drawn ruling lines, lines re-joined into the paragraphs they were wrapped from. No OCR: a file
whose pages carry no text is said to be a scan.

Places are "page 2 line 14" for text and "page 2 table 1 row 5" for table rows; a table that runs
on over a page break stays one table (one block), its repeated header rows dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from xlcheck.codes import make_finding
from xlcheck.importers.model import MAX_SPAN, Cell, Item, Page, Para, Row, Unreadable, add_item
from xlcheck.importers.pdfgrid import MIN_LEN, Grid, Segment, find_grids

# A published report has 3-20 pages; a file of more is no report, and reading stays bounded.
MAX_PAGES = 50
MAX_CHARS = 200_000  # per page: a page of a report holds about 1,500 characters
MAX_PATHS = 3_000  # per page: a table page draws about 500 rulings (grouping them is quadratic)
THIN = 3.0  # points: a path this thin in one direction is a ruling line
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－·]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／共]\s*\d{1,4}\s*页?)?[\s\-—–－·]*$"
)
_DIGIT = re.compile(r"[0-9０-９]")
_WIDE = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    glyphs: list[Glyph]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1

    @property
    def size(self) -> float:
        return max(g.size for g in self.glyphs)

    def text(self) -> str:
        return "".join(g.text for g in self.glyphs).strip()


@dataclass
class Table:
    grid: Grid
    rows: list[list[Cell]]


@dataclass
class Layout:
    """One page: its free text lines and its tables, each with its top for document order."""

    number: int
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    glyphs: int = 0


def read_pdf(data: bytes, filename: str) -> Page:
    document = open_pdf(data, filename)
    try:
        count = len(document)
        if count > MAX_PAGES:
            raise Unreadable(make_finding("A51", file=filename, pages=count, limit=MAX_PAGES))
        layouts = [read_layout(document, n) for n in range(count)]
    finally:
        document.close()
    if not any(layout.glyphs for layout in layouts):
        raise Unreadable(make_finding("A50", file=filename, pages=count))
    return Page(tuple(assemble(layouts)), "pdf")


def open_pdf(data: bytes, filename: str) -> Any:
    """A pypdfium2 document, or Unreadable: A52 for a password, F06 for anything damaged."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise Unreadable(make_finding("A52", file=filename)) from None
        technical = f"PdfiumError: {exc}"[:200]
        raise Unreadable(make_finding("F06", file=filename, values={"detail": technical})) from None


def read_layout(document: Any, index: int) -> Layout:
    page = document[index]
    try:
        height = page.get_height()
        glyphs = read_glyphs(page, height)
        grids = find_grids(list(read_rulings(page, height)))
        layout = Layout(index + 1, height, glyphs=len(glyphs))
        free = place_glyphs(glyphs, grids, layout)
        layout.lines = [ln for ln in group_lines(free) if not is_page_number(ln, height)]
    finally:
        page.close()
    return layout


def read_glyphs(page: Any, height: float) -> list[Glyph]:
    """Characters drawn on the page, in top-down points; PDFium's own guessed spaces and line
    breaks are dropped (a gap between cells is not a space), real space glyphs kept."""
    import pypdfium2.raw as pdfium_c

    text_page = page.get_textpage()
    try:
        handle = text_page.raw
        glyphs = []
        for i in range(min(text_page.count_chars(), MAX_CHARS)):
            code = pdfium_c.FPDFText_GetUnicode(handle, i)
            if pdfium_c.FPDFText_IsGenerated(handle, i) == 1 or code in (0, 10, 13, 0xFFFE):
                continue
            left, bottom, right, top = text_page.get_charbox(i, loose=True)
            size = pdfium_c.FPDFText_GetFontSize(handle, i) or (top - bottom)
            text = unicodedata.normalize("NFC", chr(code)) if code < 0x110000 else ""
            glyphs.append(Glyph(text, left, right, height - top, height - bottom, size))
        return glyphs
    finally:
        text_page.close()


def read_rulings(page: Any, height: float) -> Iterator[Segment]:
    """Stroked lines, thin filled bars and the edges of stroked boxes, as axis-aligned segments."""
    import pypdfium2.raw as pdfium_c

    for count, obj in enumerate(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2)):
        if count >= MAX_PATHS:
            return
        left, bottom, right, top = obj.get_bounds()
        box = (left, height - top, right, height - bottom)
        if min(right - left, top - bottom) <= THIN:
            yield from edges_of(box, stroked(obj))
        else:  # one path may hold many rectangles (Chromium draws a table's borders so)
            for part in subpath_boxes(obj, height):
                yield from edges_of(part, stroked(obj))


MAX_SEGMENTS = 3_000  # per path: a table's borders in one path are a few hundred segments


def subpath_boxes(obj: Any, height: float) -> Iterator[tuple[float, float, float, float]]:
    """The bounding box of each subpath (page points, top-down): a rectangle or a single line."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    matrix = obj.get_matrix()
    points: list[tuple[float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(min(pdfium_c.FPDFPath_CountSegments(obj.raw), MAX_SEGMENTS)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO and points:
            yield box_of(points, height)
            points = []
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        px = matrix.a * x.value + matrix.c * y.value + matrix.e
        py = matrix.b * x.value + matrix.d * y.value + matrix.f
        points.append((px, py))
    if points:
        yield box_of(points, height)


def box_of(points: list[tuple[float, float]], height: float) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), height - max(ys), max(xs), height - min(ys)


def stroked(obj: Any) -> bool:
    import ctypes

    import pypdfium2.raw as pdfium_c

    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke))
    return bool(stroke.value)


def edges_of(box: tuple[float, float, float, float], is_stroked: bool) -> Iterator[Segment]:
    """A thin path is one ruling; a stroked box gives its four edges; a filled area (shading) none."""
    x0, top, x1, bottom = box
    width, tall = x1 - x0, bottom - top
    if tall <= THIN and width >= MIN_LEN:
        yield Segment(False, (top + bottom) / 2, x0, x1)
    elif width <= THIN and tall >= MIN_LEN:
        yield Segment(True, (x0 + x1) / 2, top, bottom)
    elif is_stroked and width >= MIN_LEN and tall >= MIN_LEN:
        yield Segment(False, top, x0, x1)
        yield Segment(False, bottom, x0, x1)
        yield Segment(True, x0, top, bottom)
        yield Segment(True, x1, top, bottom)


def place_glyphs(glyphs: list[Glyph], grids: list[Grid], layout: Layout) -> list[Glyph]:
    """Glyphs inside a table go to their cell (by the glyph's centre); the rest are free text."""
    inside: list[dict[tuple[int, int], list[Glyph]]] = [{} for _ in grids]
    free = []
    for glyph in glyphs:
        for grid, cells in zip(grids, inside, strict=True):
            box = grid.locate(glyph.cx, glyph.cy)
            if box is not None:
                cells.setdefault(grid.owner[box], []).append(glyph)
                break
        else:
            free.append(glyph)
    layout.tables = [table_of(grid, cells) for grid, cells in zip(grids, inside, strict=True)]
    return free


def table_of(grid: Grid, cells: dict[tuple[int, int], list[Glyph]]) -> Table:
    """Rows of the grid, each box holding its cell's text; spanned boxes carry copies."""
    texts = {owner: cell_text(glyphs) for owner, glyphs in cells.items()}
    rows = []
    for r in range(len(grid.ys) - 1):
        row = []
        for c in range(min(len(grid.xs) - 1, MAX_SPAN)):
            owner = grid.owner[(r, c)]
            row.append(Cell(texts.get(owner, ""), origin=owner == (r, c)))
        rows.append(row)
    return Table(grid, rows)


def cell_text(glyphs: list[Glyph]) -> str:
    return "\n".join(filter(None, (line.text() for line in group_lines(glyphs))))


def group_lines(glyphs: list[Glyph]) -> list[Line]:
    """Glyphs whose vertical centres fall within one band are a line, read left to right."""
    lines: list[Line] = []
    for glyph in sorted(glyphs, key=lambda g: g.cy):
        if lines and glyph.cy <= lines[-1].bottom and glyph.text.strip():
            line = lines[-1]
            line.glyphs.append(glyph)
            line.top, line.bottom = min(line.top, glyph.top), max(line.bottom, glyph.bottom)
        elif lines and not glyph.text.strip() and glyph.cy <= lines[-1].bottom:
            lines[-1].glyphs.append(glyph)
        else:
            lines.append(Line([glyph], glyph.top, glyph.bottom))
    for line in lines:
        line.glyphs.sort(key=lambda g: g.x0)
        while line.glyphs and not line.glyphs[-1].text.strip():
            line.glyphs.pop()
        while line.glyphs and not line.glyphs[0].text.strip():
            line.glyphs.pop(0)
    return [line for line in lines if line.glyphs]


def is_page_number(line: Line, height: float) -> bool:
    """A folio in the top or bottom eighth of the page (— 3 —, 第 3 页, 3/12) is no content."""
    edge = line.bottom < height / 8 or line.top > height * 7 / 8
    return edge and bool(_PAGE_NUMBER.match(line.text()))


def split_gaps(line: Line) -> list[str]:
    """A free line cut where text stands apart by more than two characters (a borderless row)."""
    parts: list[list[Glyph]] = [[line.glyphs[0]]]
    for glyph in line.glyphs[1:]:
        if glyph.x0 - parts[-1][-1].x1 > 2 * max(glyph.size, 1.0):
            parts.append([])
        parts[-1].append(glyph)
    return ["".join(g.text for g in part).strip() for part in parts]


# ---- the document: pages in order, paragraphs re-joined, tables continued ----------------------


@dataclass
class Assembly:
    items: list[Item] = field(default_factory=list)
    left: float = 0.0
    right: float = 0.0  # where justified lines end (a hanging comma may end past it)
    size: float = 0.0  # the body text's type size
    para: tuple[Line, Para] | None = None  # the paragraph still open and its last line
    tables: int = 0
    last_table: Running | None = None


def assemble(layouts: list[Layout]) -> list[Item]:
    everything = [line for layout in layouts for line in layout.lines]
    margins = Assembly(
        left=min((ln.x0 for ln in everything), default=0.0),
        right=right_margin(layouts),
        size=usual([ln.size for ln in everything]),
    )
    for layout in layouts:
        add_page(margins, layout)
    return margins.items


def usual(values: list[float]) -> float:
    """The most common value (in 2-point bins; the largest of equals): the body's margin or size."""
    bins: dict[int, list[float]] = {}
    for value in values:
        bins.setdefault(round(value / 2), []).append(value)
    if not bins:
        return 0.0
    best = max(bins.values(), key=lambda run: (len(run), max(run)))
    return sum(best) / len(best)


def right_margin(layouts: list[Layout]) -> float:
    """The furthest right edge that lines or tables share (2-point bins, at least two): a lone
    hanging comma past the margin is not the margin."""
    edges = [ln.x1 for layout in layouts for ln in layout.lines]
    edges += [t.grid.xs[-1] for layout in layouts for t in layout.tables]
    bins: dict[int, list[float]] = {}
    for edge in edges:
        bins.setdefault(round(edge / 2), []).append(edge)
    shared = [max(run) for run in bins.values() if len(run) >= 2]
    return max(shared or edges or [0.0])


def add_page(state: Assembly, layout: Layout) -> None:
    blocks: list[tuple[float, Line | Table]] = [(ln.top, ln) for ln in layout.lines]
    blocks += [(t.grid.ys[0], t) for t in layout.tables]
    blocks.sort(key=lambda b: b[0])
    number = 0
    for position, (_, block) in enumerate(blocks):
        if isinstance(block, Table):
            add_table(state, layout, block, first=position == 0)
            state.para = None
            continue
        number += 1
        add_line(state, block, f"page {layout.number} line {number}")
    if blocks and isinstance(blocks[-1][1], Line):
        state.last_table = None


def add_line(state: Assembly, line: Line, place: str) -> None:
    parts = split_gaps(line)
    if len(parts) > 1:
        add_item(
            state.items, Row(tuple(Cell(p) for p in parts[:MAX_SPAN]), place, -len(state.items) - 1)
        )
        state.para = None
        return
    state.last_table = None
    text = parts[0]
    if state.para is not None and continues(state, state.para[0], line):
        previous = state.para[1]
        joined = Para(join_wrapped(previous.text, text), previous.place, previous.block)
        state.items[-1] = joined
        state.para = (line, joined)
        return
    para = Para(text, place, -len(state.items) - 1)
    add_item(state.items, para)
    state.para = (line, para)


def continues(state: Assembly, above: Line, line: Line) -> bool:
    """A line wrapped from the one above: that one runs to the right margin, this one starts at
    the left margin (a paragraph's first line is indented), in the same type size."""
    em = max(line.size, 1.0)
    if abs(above.size - line.size) > 0.5:
        return False
    if line.size > state.size * 1.2 and centred(state, above, em) and centred(state, line, em):
        return above.x1 - above.x0 >= 0.7 * (state.right - state.left)  # a title on two lines
    full = above.x1 >= state.right - 1.5 * em
    flush = line.x0 <= state.left + 0.5 * em
    return full and flush


def centred(state: Assembly, line: Line, em: float) -> bool:
    middle = (state.left + state.right) / 2
    return abs((line.x0 + line.x1) / 2 - middle) <= em / 4


def join_wrapped(text: str, more: str) -> str:
    """Wide (CJK) text wraps anywhere; Latin text wraps at a space."""
    if _WIDE.match(text[-1:]) or _WIDE.match(more[:1]):
        return text + more
    return f"{text} {more}"


@dataclass
class Running:
    """The table last written, for a piece on the next page that carries it on."""

    xs: list[float]
    head: list[list[Cell]]  # its first rows (heading rows repeated on each page)
    last: list[Cell]  # the last row written
    block: int
    count: int  # rows written
    open_bottom: frozenset[int] = frozenset()  # columns (of xs) the page end cut


def add_table(state: Assembly, layout: Layout, table: Table, *, first: bool) -> None:
    running = state.last_table if first else None
    rows = table.rows
    if running is not None and fits(running.xs, table.grid.xs):
        rows = regrid(rows, table.grid.xs, running.xs)
        rows = drop_repeated_header(running.head, rows)
        top = table.grid.open_top
        open_top = {c for c in running.open_bottom if opens(top, table.grid.xs, running.xs, c)}
        rows = carry_on(state, running, rows, open_top)
        block = running.block
    else:
        state.tables += 1
        block = state.tables
        running = Running(table.grid.xs, rows, [], block, 0)
    for row in rows:
        running.count += 1
        place = f"page {layout.number} table {block} row {running.count}"
        add_item(state.items, Row(tuple(row), place, block))
    running.last = rows[-1] if rows else running.last
    bottom = table.grid.open_bottom
    columns = range(len(running.xs) - 1)
    running.open_bottom = frozenset(
        c for c in columns if opens(bottom, table.grid.xs, running.xs, c)
    )
    state.last_table = running


def fits(xs: list[float], piece: list[float]) -> bool:
    """A piece continues a table when it has the same outer edges and no column edge of its own
    (a page may hold only rows with fewer columns)."""
    near = [any(abs(x - y) <= 3.0 for y in xs) for x in piece]
    return abs(xs[0] - piece[0]) <= 3.0 and abs(xs[-1] - piece[-1]) <= 3.0 and all(near)


def regrid(rows: list[list[Cell]], piece: list[float], xs: list[float]) -> list[list[Cell]]:
    """Rows of a piece laid on the whole table's columns: a wider box fills several, as copies."""
    if len(piece) == len(xs):
        return rows
    out = []
    for row in rows:
        cells: list[Cell] = []
        for c, cell in enumerate(row):
            span = sum(1 for x in xs[:-1] if piece[c] - 3.0 <= x < piece[c + 1] - 3.0)
            cells.append(cell)
            cells.extend(Cell(cell.text, origin=False) for _ in range(max(span, 1) - 1))
        out.append(cells[:MAX_SPAN])
    return out


def opens(edge: frozenset[int], piece: list[float], xs: list[float], c: int) -> bool:
    """Column c of the whole table is open (unruled) on a piece's edge."""
    middle = (xs[c] + xs[c + 1]) / 2
    pc = max(i for i, x in enumerate(piece[:-1]) if x <= middle + 3.0)
    return pc in edge


def carry_on(
    state: Assembly, running: Running, rows: list[list[Cell]], open_top: set[int]
) -> list[list[Cell]]:
    """A row cut by the page break (no ruling over any of its cells) is the rest of the last row
    written; a cell cut so (a rowspan) carries the text above it on, as copies."""
    if not rows or not open_top or not running.last:
        return rows
    if len(open_top) == len(rows[0]) and len(rows[0]) == len(running.last):
        joined = [join_cut(a, b) for a, b in zip(running.last, rows[0], strict=True)]
        previous = state.items[-1]
        if isinstance(previous, Row):
            state.items[-1] = Row(tuple(joined), previous.place, previous.block)
            running.last = joined
        return rows[1:]
    out = [list(row) for row in rows]
    for c in open_top:
        if c < len(running.last) and c < len(out[0]) and not out[0][c].text:
            text = running.last[c].text
            for row in out:
                if c >= len(row) or (row is not out[0] and row[c].origin):
                    break
                row[c] = Cell(text, origin=False)
    return out


def join_cut(above: Cell, below: Cell) -> Cell:
    """Two halves of a cell cut by the page end: a label goes on; two runs of digits are never
    made one number (the cell is kept apart so that reading it fails, located)."""
    if not below.text or not above.text:
        return Cell(above.text or below.text, above.origin)
    if _DIGIT.search(above.text) and _DIGIT.search(below.text):
        return Cell(f"{above.text} | {below.text}", above.origin)
    return Cell(f"{above.text}\n{below.text}", above.origin)


def drop_repeated_header(head: list[list[Cell]], rows: list[list[Cell]]) -> list[list[Cell]]:
    """LibreOffice and browsers repeat a table's heading rows on each page; they are read once."""
    skip = 0
    while skip < len(rows) and skip < len(head) and texts(rows[skip]) == texts(head[skip]):
        skip += 1
    return rows[skip:] if skip < len(rows) else rows


def texts(row: list[Cell]) -> list[str]:
    return [c.text for c in row]

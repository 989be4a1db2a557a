"""Tables of a PDF page from its drawn ruling lines: segments → cell boxes (merged cells kept whole).

Word/LibreOffice stroke each border as a line; Chromium fills thin rectangles (two edges each, a
hair apart, merged here by the tolerance). A cell is a run of grid boxes with no ruling between
them, so a colspan or rowspan comes back as one box spanning several grid columns or rows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

TOL = 2.5  # points: borders of one grid drawn by different cells differ by half a line width
MIN_LEN = 4.0  # shorter segments are the ends of a thin rectangle, not a ruling


@dataclass(frozen=True)
class Segment:
    """An axis-aligned ruling in top-down page points: at `pos` from `start` to `end`."""

    vertical: bool
    pos: float
    start: float
    end: float


@dataclass
class Grid:
    """One table: column edges xs, row edges ys, and for each grid box the cell it belongs to."""

    xs: list[float]
    ys: list[float]
    owner: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    # columns with no ruling on top (a cell run on from the page before) and under (cut by the
    # page end)
    open_top: frozenset[int] = frozenset()
    open_bottom: frozenset[int] = frozenset()

    def locate(self, x: float, y: float) -> tuple[int, int] | None:
        """The grid box (row, column) holding a point, or None outside the table."""
        if not (self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]):
            return None
        col = min(bisect_right(self.xs, x) - 1, len(self.xs) - 2)
        row = min(bisect_right(self.ys, y) - 1, len(self.ys) - 2)
        return row, col

    @property
    def cells(self) -> int:
        return len(set(self.owner.values()))


def find_grids(segments: list[Segment]) -> list[Grid]:
    """Each group of touching rulings that forms at least two cells, top to bottom."""
    grids = [build_grid(group) for group in connected(segments)]
    found = [g for g in grids if g is not None and g.cells >= 2]
    return sorted(found, key=lambda g: g.ys[0])


def connected(segments: list[Segment]) -> list[list[Segment]]:
    """Rulings grouped by touching (a vertical meets a horizontal within TOL)."""
    parent = list(range(len(segments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(segments)), key=lambda i: (segments[i].pos, segments[i].start))
    horizontal = [i for i in order if not segments[i].vertical]
    vertical = [i for i in order if segments[i].vertical]
    at = [segments[v].pos for v in vertical]  # sorted: only verticals within a ruling's span
    for h in horizontal:
        first = bisect_left(at, segments[h].start - TOL)
        last = bisect_right(at, segments[h].end + TOL)
        for v in vertical[first:last]:
            if touches(segments[h], segments[v]):
                parent[find(h)] = find(v)
    for same in (horizontal, vertical):  # a border drawn cell by cell is one ruling
        for line in runs(segments, same):
            reach = segments[line[0]].end
            for a, b in zip(line, line[1:], strict=False):
                if segments[b].start <= reach + TOL:
                    parent[find(a)] = find(b)
                reach = (
                    max(reach, segments[b].end)
                    if segments[b].start <= reach + TOL
                    else segments[b].end
                )
    groups: dict[int, list[Segment]] = {}
    for i, segment in enumerate(segments):
        groups.setdefault(find(i), []).append(segment)
    return list(groups.values())


def runs(segments: list[Segment], indices: list[int]) -> list[list[int]]:
    """Segments (sorted by position) on one line within TOL, each run ordered along the line."""
    out: list[list[int]] = []
    for i in indices:
        if out and segments[i].pos - segments[out[-1][-1]].pos <= TOL:
            out[-1].append(i)
        else:
            out.append([i])
    return [sorted(run, key=lambda i: segments[i].start) for run in out]


def touches(h: Segment, v: Segment) -> bool:
    return h.start - TOL <= v.pos <= h.end + TOL and v.start - TOL <= h.pos <= v.end + TOL


def build_grid(group: list[Segment]) -> Grid | None:
    xs = cluster([s.pos for s in group if s.vertical])
    ys = cluster([s.pos for s in group if not s.vertical])
    if ys:  # a row cut by a page break has its side rulings but no ruling under (or over) it
        ys = close_ends(ys, [s for s in group if s.vertical])
    if len(xs) < 2 or len(ys) < 2:
        return None
    grid = Grid(xs, ys)
    rulings = merged_rulings(group, xs, ys)
    join_boxes(grid, rulings)
    grid.open_top = open_columns(rulings, xs, 0)
    grid.open_bottom = open_columns(rulings, xs, len(ys) - 1)
    return grid


def open_columns(rulings: Spans, xs: list[float], edge: int) -> frozenset[int]:
    return frozenset(
        c for c in range(len(xs) - 1) if not covered(rulings, (False, edge), xs[c], xs[c + 1])
    )


def close_ends(ys: list[float], vertical: list[Segment]) -> list[float]:
    low = min((s.start for s in vertical), default=ys[0])
    high = max((s.end for s in vertical), default=ys[-1])
    return [low] * (low < ys[0] - TOL) + ys + [high] * (high > ys[-1] + TOL)


def cluster(values: list[float]) -> list[float]:
    """Positions within TOL of each other are one edge (the mean of the run)."""
    edges: list[list[float]] = []
    for value in sorted(values):
        if edges and value - edges[-1][-1] <= TOL:
            edges[-1].append(value)
        else:
            edges.append([value])
    return [sum(run) / len(run) for run in edges]


Spans = dict[tuple[bool, int], list[tuple[float, float]]]


def merged_rulings(group: list[Segment], xs: list[float], ys: list[float]) -> Spans:
    """For each edge (vertical?, index): the covered intervals, touching pieces joined."""
    spans: Spans = {}
    for s in group:
        edges = xs if s.vertical else ys
        index = min(range(len(edges)), key=lambda i: abs(edges[i] - s.pos))
        spans.setdefault((s.vertical, index), []).append((s.start, s.end))
    for key, pieces in spans.items():
        joined: list[tuple[float, float]] = []
        for start, end in sorted(pieces):
            if joined and start <= joined[-1][1] + TOL:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        spans[key] = joined
    return spans


def covered(spans: Spans, key: tuple[bool, int], start: float, end: float) -> bool:
    return any(a - TOL <= start and end <= b + TOL for a, b in spans.get(key, []))


def join_boxes(grid: Grid, spans: Spans) -> None:
    """Union of neighbouring grid boxes with no ruling between them; owner = top-left box."""
    rows, cols = len(grid.ys) - 1, len(grid.xs) - 1
    parent = {(r, c): (r, c) for r in range(rows) for c in range(cols)}

    def find(box: tuple[int, int]) -> tuple[int, int]:
        while parent[box] != box:
            box = parent[box]
        return box

    def union(a: tuple[int, int], b: tuple[int, int]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the top-left box stays the owner

    for r in range(rows):
        for c in range(cols):
            top, bottom, left, right = grid.ys[r], grid.ys[r + 1], grid.xs[c], grid.xs[c + 1]
            if c + 1 < cols and not covered(spans, (True, c + 1), top, bottom):
                union((r, c), (r, c + 1))
            if r + 1 < rows and not covered(spans, (False, r + 1), left, right):
                union((r, c), (r + 1, c))
    grid.owner = {box: find(box) for box in parent}

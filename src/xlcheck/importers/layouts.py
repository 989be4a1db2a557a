"""Rows of the text layouts published reports arrive in: pipe rows and Markdown tables, lines copied
out of a PDF (cells separated by spaces, a label wrapped onto two lines, a number split across two
lines), and text with a blank line between any two lines. This module splits and joins only where
the layout says so; which column a value goes to is decided in `tables` (confirmed by totals)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import combinations

from xlcheck.importers.model import MAX_SPAN, Cell, Row
from xlcheck.importers.norm import norm, read_value

_PIPE = re.compile(r"[|｜]")
# A Markdown rule under a table's first row: |---|:--:|---|
_RULE = re.compile(r"^\s*[|｜]?\s*:?-{3,}:?\s*(?:[|｜]\s*:?-{3,}:?\s*)*[|｜]?\s*$")
_UNITS = frozenset({"元", "万元", "亿元"})
_DIGITS = re.compile(r"[0-9]+")
# A row of a report has at most 15 values; more places to join a number than this is not a copy
# of a report, and trying each combination would not stay small.
MAX_JOINTS = 8
# Double spacing: most lines followed by one blank line (a copy from a web page or a PDF reader).
DOUBLE_SPACED = 0.8
MIN_LINES = 10


def is_rule(line: str) -> bool:
    """A Markdown table rule (|---|---|): no cell, nothing to read."""
    return bool(_RULE.match(line))


def pipe_cells(line: str) -> tuple[Cell, ...] | None:
    """The cells of a pipe row (`a | 1 | 2`, `| a | 1 |`), blank cells kept in their place; None
    for a line without a pipe. A pipe at either end of the line is an edge, not a blank cell."""
    if not _PIPE.search(line):
        return None
    parts = _PIPE.split(line.strip(), maxsplit=MAX_SPAN + 1)
    if len(parts) > 1 and not parts[0].strip():
        parts.pop(0)
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()
    return tuple(Cell(part.strip()) for part in parts[:MAX_SPAN])


def spaced_cells(text: str) -> tuple[Cell, ...]:
    """A line copied out of a PDF: the words of its label, then each value its spaces separate (a
    unit after a number stays with it). Values are never joined here: `5 1 25` is three cells."""
    tokens = text.split()[: MAX_SPAN * 2]
    values: list[str] = []
    end = len(tokens)
    while end > 0:
        token = tokens[end - 1]
        if token in _UNITS and end > 1 and read_value(tokens[end - 2]).kind == "number":
            values.insert(0, tokens[end - 2] + token)
            end -= 2
        elif read_value(token).kind != "text":
            values.insert(0, token)
            end -= 1
        else:
            break
    # Words of the label are cells too: a header line of several labels shows each of them.
    labels = [Cell(word) for word in tokens[:end]]
    cells = [Cell(v, wrap=not labels and i == 0) for i, v in enumerate(values)]
    return tuple([*labels, *cells][:MAX_SPAN])


def double_spaced(lines: Iterable[str]) -> bool:
    """Most text lines are followed by exactly one blank line: blank lines do not end blocks."""
    texts = spaced = 0
    blanks = 0
    for line in lines:
        if line.strip():
            texts += 1
            spaced += blanks == 1
            blanks = 0
        else:
            blanks += 1
    return texts >= MIN_LINES and spaced >= DOUBLE_SPACED * (texts - 1)


def join_wrapped_labels(rows: list[Row], names: Callable[[str], bool]) -> list[Row]:
    """A label wrapped onto two lines: a row of text only, followed by a row of values whose label
    names no data row, becomes one row when the two labels joined name one (`names` takes normed
    text). The first line may name the row by its start; the values are on the second."""
    out: list[Row] = []
    for row in rows:
        prev = out[-1] if out else None
        if prev is not None and wrapped_label(prev, row, names):
            joined = Cell(prev.cells[0].text + row.cells[0].text)
            out[-1] = Row((joined, *row.cells[1:]), row.place, row.block)
        else:
            out.append(row)
    return out


def wrapped_label(prev: Row, row: Row, names: Callable[[str], bool]) -> bool:
    if len(prev.cells) != 1 or not row.cells or prev.block != row.block:
        return False
    head, label = norm(prev.cells[0].text), norm(row.cells[0].text)
    if read_value(head).kind != "text" or read_value(label).kind != "text":
        return False
    return len(row.cells) > 1 and not names(label) and names(head + label)


Check = Callable[[list[Cell | None]], bool]


def join_split_numbers(
    cells: list[Cell], count: int, holds: Check | None
) -> tuple[list[Cell], list[tuple[str, str]]] | None:
    """More values than columns where a number may have been split across two lines: the one way
    of joining at line ends that the row's totals confirm, with the parts joined; else None."""
    extra = len(cells) - count
    joints = [i for i in range(1, len(cells)) if may_continue(cells[i - 1], cells[i])]
    if holds is None or extra <= 0 or extra > len(joints) or len(joints) > MAX_JOINTS:
        return None
    confirmed = []
    for chosen in combinations(joints, extra):
        joined, parts = join_at(cells, set(chosen))
        if holds(list(joined)):
            confirmed.append((joined, parts))
    return confirmed[0] if len(confirmed) == 1 else None


def may_continue(before: Cell, cell: Cell) -> bool:
    """Digits that begin a line after digits that ended the line before, on a line of its own
    values (one value per line, as a web copy prints cells, is never a split number)."""
    digits = _DIGITS.fullmatch(before.text) and _DIGITS.fullmatch(cell.text)
    return bool(digits) and cell.wrap and not before.wrap


def join_at(cells: list[Cell], joints: set[int]) -> tuple[list[Cell], list[tuple[str, str]]]:
    out: list[Cell] = []
    parts = []
    for i, cell in enumerate(cells):
        if i in joints:
            parts.append((out[-1].text, cell.text))
            out[-1] = Cell(out[-1].text + cell.text)
        else:
            out.append(cell)
    return out, parts

"""Text layouts of published reports rendered FROM a canonical document, as real copies show them:
pipe rows and Markdown tables, one cell per line with blank lines between, text copied out of a
PDF (cells separated by spaces, values on the line after their label, wrapped labels, a number
split across two lines), and pipe rows with cells left blank."""

from __future__ import annotations

import random
from typing import Any

from import_fixtures import render_text, sheet_grid, table_sheets
from xlcheck.form import Form
from xlcheck.importers.norm import is_value

Grid = list[list[tuple[str, int, int]]]


def pipe_line(texts: list[str], *, edges: bool) -> str:
    inner = " | ".join(texts)
    return f"| {inner} |" if edges else inner


def pipe_table(grid: Grid, *, edges: bool, markdown: bool) -> list[str]:
    """One pipe row per table row; a Markdown table rules off its first row with |---|."""
    lines = [pipe_line([text for text, _, _ in row], edges=edges) for row in grid]
    if markdown:
        width = len(grid[0])
        lines.insert(1, "|" + "---|" * width)
    return lines


def render_pipes(form: Form, v: dict[str, Any], *, edges: bool, markdown: bool = False) -> str:
    tables = {
        t: pipe_table(sheet_grid(form, t, v), edges=edges, markdown=markdown)
        for t in table_sheets(form)
    }
    return render_text(form, v, tables, inline=False)


def render_spaced_cells(form: Form, v: dict[str, Any]) -> str:
    """One cell per line and a blank line between any two lines, tables and prose alike."""
    tables = {
        t: [text for row in sheet_grid(form, t, v) for text, _, _ in row if text]
        for t in table_sheets(form)
    }
    text = render_text(form, v, tables, inline=False)
    return "\n\n".join(line for line in text.split("\n") if line.strip())


def is_number(text: str) -> bool:
    return is_value(text)


def pdf_row(texts: list[str], rng: random.Random, wrap_digits: bool) -> tuple[list[str], str]:
    """A table row as a PDF's text layer copies it; the second item names what was done."""
    label = " ".join(t for t in texts if not is_number(t))
    values = [t for t in texts if is_number(t)]
    if not values:
        return [label], ""
    splittable = [i for i, t in enumerate(values) if len(t) >= 2 and t.isdigit()]
    if wrap_digits and splittable:
        i = rng.choice(splittable)
        cut = rng.randint(1, len(values[i]) - 1)
        head = " ".join([label, *values[:i], values[i][:cut]]).strip()
        tail = " ".join([values[i][cut:], *values[i + 1 :]])
        return [head, tail], "digits"
    choice = rng.random()
    if label and len(label) > 12 and " " not in label and choice < 0.3:
        cut = len(label) // 2
        return [label[:cut], " ".join([label[cut:], *values])], "label"
    if label and choice < 0.6:
        return [label, " ".join(values)], "next_line"
    return [" ".join([label, *values]).strip()], ""


def pdf_table(grid: Grid, rng: random.Random, digits: bool) -> tuple[list[str], list[str]]:
    """Lines of a table copied out of a PDF, and the lines where a number was split in two."""
    lines: list[str] = []
    split: list[str] = []
    for row in grid:
        texts = [text for text, _, _ in row if text]
        totalled = len([t for t in texts if is_number(t)]) == 7  # a row of table 三
        wrap = digits and totalled and (not split or rng.random() < 0.3)  # at least one
        out, what = pdf_row(texts, rng, wrap)
        if what == "digits":
            split.append(out[0])
        lines += out
    return lines, split


def render_pdf_copy(
    form: Form, v: dict[str, Any], seed: int, *, digits: bool = True
) -> tuple[str, list[str]]:
    """The report as text copied out of a PDF; also the lines that end in half a number."""
    rng = random.Random(seed)
    tables: dict[str, list[str]] = {}
    split: list[str] = []
    for t in table_sheets(form):
        tables[t], cut = pdf_table(sheet_grid(form, t, v), rng, digits)
        split += cut
    return render_text(form, v, tables, inline=False), split


def render_blank_pipes(form: Form, v: dict[str, Any], blank: list[str]) -> str:
    """Pipe rows (no edge pipes) where the fields in `blank` are printed as empty cells."""
    shown = {**v, **dict.fromkeys(blank, "")}
    return render_pipes(form, shown, edges=False)

"""The engine is generic: a tiny second form (tests/forms/mini.json) gets its template, its schema
and its checks from data alone — the same reader, rules and findings, no code for this form."""

from __future__ import annotations

import io
import json
from pathlib import Path

from xlcheck.check import check_bytes
from xlcheck.checks.schema import build_schema
from xlcheck.form import load_form
from xlcheck.xlsxout import write_template

MINI = Path(__file__).parent / "forms" / "mini.json"


def mini_workbook(values: dict) -> bytes:
    buffer = io.BytesIO()
    write_template(load_form(str(MINI)), buffer, values=values)
    return buffer.getvalue()


def test_mini_form_round_trips_and_passes_when_balanced() -> None:
    form = load_form(str(MINI))
    values = {
        "org.name": "某单位",
        "grid.a.x": 1,
        "grid.a.y": 2,
        "grid.b.x": 3,
        "grid.b.y": 4,
        "grid.c.x": 4,
        "grid.c.y": 6,
    }
    kind = form.fields["org.kind"]
    if kind.choices:
        values["org.kind"] = kind.choices[0].value
    result = check_bytes(mini_workbook(values), "mini.xlsx", form)
    assert result.valid, [f.text() for f in result.findings]
    assert result.values["grid.c.total"] == 10  # the formula total, recomputed from the inputs
    assert set(build_schema(form)["properties"]) >= {"org", "grid"}


def test_mini_form_rule_fires_at_its_cell_with_its_own_message() -> None:
    form = load_form(str(MINI))
    values = {
        "org.name": "某单位",
        "grid.a.x": 1,
        "grid.a.y": 0,
        "grid.b.x": 1,
        "grid.b.y": 0,
        "grid.c.x": 5,
        "grid.c.y": 0,
    }
    if form.fields["org.kind"].choices:
        values["org.kind"] = form.fields["org.kind"].choices[0].value
    result = check_bytes(mini_workbook(values), "mini.xlsx", form)
    e1 = [f for f in result.findings if f.rule == "E1"]
    assert {f.cell for f in e1} == {form.fields["grid.a.x"].cell, form.fields["grid.a.total"].cell}
    assert all(f.text() == "不平" for f in e1)


def test_mini_form_json_is_checked_against_its_own_schema() -> None:
    form = load_form(str(MINI))
    doc = {"form": form.id, "form_version": form.form_version, "org": {"name": 7}}
    result = check_bytes(json.dumps(doc).encode(), "mini.json", form)
    assert not result.valid and all(f.cell is None for f in result.findings)
    assert "/org/name" in {f.pointer for f in result.findings}

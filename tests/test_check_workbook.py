"""Checking returned workbooks: real files written by our template and altered as offices do."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents import (
    first_sum,
    input_counts,
    role_field,
    set_at,
    sum_input,
    sum_target,
    valid_values_for,
)
from xlcheck.canonical import nest
from xlcheck.check import check_bytes, check_path
from xlcheck.form import Form
from xlcheck.xlsxout import write_template


def workbook(form: Form, values: dict) -> bytes:
    buffer = io.BytesIO()
    write_template(form, buffer, values=values)
    return buffer.getvalue()


def codes(result) -> set[tuple[str, str | None]]:
    return {(f.code, f.cell) for f in result.findings}


def test_a_valid_filled_template_reads_back_to_the_same_document(form: Form) -> None:
    values = valid_values_for(form, 2)
    result = check_bytes(workbook(form, values), "a.xlsx", form)
    assert result.valid, [f.text() for f in result.findings]
    assert result.document(form) == nest(form, values)
    assert result.template["template_id"] == form.id


def test_office_quirks_are_normalised_or_reported(form: Form) -> None:
    values = valid_values_for(form, 4)
    wide, text, empty, grouped = input_counts(form)[:4]
    values[wide.key] = "１" + "２"  # full-width 12 typed as text
    values[text.key] = "无"
    values[grouped.key] = " 1,234 "
    result = check_bytes(workbook(form, {**values, empty.key: ""}), "q.xlsx", form)
    assert result.values[wide.key] == 12
    assert "fullwidth" in result.sources[wide.key].steps
    assert result.values[grouped.key] == 1234
    found = codes(result)
    assert ("V02", text.cell) in found and ("V01", empty.cell) in found


def test_unbalanced_column_names_labels_values_and_the_culprit(form: Form) -> None:
    values = valid_values_for(form, 5)
    new, leaf = sum_input(form, "R2"), sum_input(form, "R3")  # one column: first row, first result
    values[new.key] = 30
    values[leaf.key] += 30  # the column no longer balances
    data = workbook(form, values)
    result = check_bytes(data, "x.xlsx", form)
    r1 = [f for f in result.findings if f.rule == "R1"]
    assert new.col_label is not None
    assert r1 and r1[0].cell == new.cell and f"表三「{new.col_label.zh}」列" in r1[0].text()
    assert {"left", "right", "diff"} <= set(r1[0].values) and len(r1[0].operands) == 4


def test_a_digit_swap_is_named_as_the_culprit(form: Form) -> None:
    from xlcheck.checks.derive import recompute

    values = valid_values_for(form, 8)
    new, leaf = sum_input(form, "R2"), sum_input(form, "R3")
    values[new.key] += 12 - values[leaf.key]
    values[leaf.key] = 12
    doc = nest(form, recompute(form, values))
    set_at(doc, leaf.key, 21)  # typed 21 instead of 12
    result = check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "d.json", form)
    culprits = {f.culprit.pointer for f in result.findings if f.culprit}
    assert culprits == {leaf.pointer}
    assert any("改为 12" in f.text() for f in result.findings)


def test_tampering_is_reported_not_crashed(form: Form, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(workbook(form, valid_values_for(form, 6)))
    total, count = sum_target(form), sum_input(form)
    book = openpyxl.load_workbook(path)
    ws = book[form.sheet_of(total.key).name]
    ws[total.cell] = 999  # a formula overwritten by a constant
    book[form.sheet_of(count.key).name][count.cell] = "=1+1"  # a formula typed into an input
    ws.protection.sheet = False
    book.create_sheet("我的草稿")
    book.save(path)
    found = {f.code for f in check_path(path, form).findings}
    assert {"S04", "S05", "S06", "S02"} <= found


def test_names_lost_fall_back_to_template_cells(form: Form, tmp_path: Path) -> None:
    path = tmp_path / "n.xlsx"
    path.write_bytes(workbook(form, valid_values_for(form, 9)))
    book = openpyxl.load_workbook(path)
    for name in list(book.defined_names):
        del book.defined_names[name]
    book.save(path)
    result = check_path(path, form)
    assert "S11" in {f.code for f in result.findings}
    key = sum_input(form).key
    assert result.values[key] == valid_values_for(form, 9)[key]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "F13"),
        # a PDF is now read as a published report (issue 14), so a damaged one is F06, not F02
        (b"%PDF-1.4 not a workbook", "F06"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "F03"),
        (b"PK\x03\x04truncated", "F06"),
    ],
)
def test_unreadable_files_get_one_clear_finding(
    form: Form, tmp_path: Path, payload: bytes, code: str
) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(payload)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = check_path(path, form)
    assert not result.readable and [f.code for f in result.findings] == [code]
    assert "bad.xlsx" in result.findings[0].text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_doctype_in_a_sheet_is_refused(form: Form) -> None:
    source = zipfile.ZipFile(io.BytesIO(workbook(form, valid_values_for(form, 1))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet3.xml":
                data = data.replace(
                    b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1
                )
            target.writestr(info, data)
    result = check_bytes(out.getvalue(), "xxe.xlsx", form)
    assert [f.code for f in result.findings] == ["F08"]


def test_another_template_is_not_ours(form: Form) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "别的表"
    buffer = io.BytesIO()
    book.save(buffer)
    result = check_bytes(buffer.getvalue(), "other.xlsx", form)
    assert [f.code for f in result.findings] == ["F09"]


def test_json_input_findings_point_to_json_pointers(form: Form) -> None:
    count = sum_input(form)
    doc = nest(form, {**valid_values_for(form, 3), count.key: "三"})
    doc["surprise"] = True
    result = check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "r.json", form)
    pointers = {f.pointer for f in result.findings}
    assert {count.pointer, "/surprise"} <= pointers
    assert all(f.cell is None for f in result.findings)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 10_000), delta=st.integers(1, 9))
def test_properties_valid_documents_pass_and_one_changed_cell_is_found(
    form: Form, seed: int, pick: int, delta: int
) -> None:
    values = valid_values_for(form, seed)
    data = workbook(form, values)
    result = check_bytes(data, "p.xlsx", form)
    assert result.valid and result.document(form) == nest(form, values)
    table = sum_input(form).sheet  # the table whose every input some total adds up
    inputs = [k for k, f in form.fields.items() if f.is_input and f.sheet == table]
    key = inputs[pick % len(inputs)]
    changed = check_bytes(workbook(form, {**values, key: values[key] + delta}), "p2.xlsx", form)
    errors = [f for f in changed.findings if f.is_error]
    assert errors and any(key in inputs_behind(form, f) for f in errors)


def inputs_behind(form: Form, finding) -> set[str]:
    """The input cells a finding's operands stand for (a formula total stands for its parts)."""
    keys = [o.pointer.strip("/").replace("/", ".") for o in finding.operands]
    found: set[str] = set()
    while keys:
        key = keys.pop()
        rule = form.fields[key].computed_by
        if rule:
            keys.extend(t.key for t in form.rule_by_instance(rule).params["operands"])
        else:
            found.add(key)
    return found


PROSE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
    )
    | st.just("\n"),
    max_size=60,
).map(str.strip)


@settings(max_examples=int(os.environ.get("XLCHECK_EXAMPLES", "15")), deadline=None)
@given(seed=st.integers(0, 10_000), intro=PROSE, other=PROSE, name=PROSE.filter(bool))
def test_property_fill_check_convert_gives_back_the_document(
    form: Form, seed: int, intro: str, other: str, name: str
) -> None:
    from xlcheck.outputs import canonical_document

    first, *_, last = form.roles.prose
    values = {
        **valid_values_for(form, seed),
        first: intro,
        last: other,
        role_field(form, "name").key: name[:100],
    }
    result = check_bytes(workbook(form, values), "r.xlsx", form)
    converted = canonical_document(form, result)
    converted.pop("provenance")
    assert converted == nest(form, values)


def test_template_identity_lost_or_altered_is_said(form: Form, tmp_path: Path) -> None:

    data = workbook(form, valid_values_for(form, 13))
    source = zipfile.ZipFile(io.BytesIO(data))

    def rewrite(change) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                target.writestr(info, change(info.filename, source.read(info)))
        return out.getvalue()

    altered = rewrite(
        lambda name, body: (
            body.replace(form.compiled.layout_fingerprint.encode(), b"0123456789abcdef")
            if name == "docProps/custom.xml"
            else body
        )
    )
    result = check_bytes(altered, "altered.xlsx", form)
    assert result.valid and {f.code for f in result.findings} == {"S14"}
    book = openpyxl.load_workbook(io.BytesIO(data))
    book.custom_doc_props.props.clear()
    del book["_xlcheck"]
    stripped = io.BytesIO()
    book.save(stripped)
    result = check_bytes(stripped.getvalue(), "stripped.xlsx", form)
    assert result.readable and "S15" in {f.code for f in result.findings}
    total = sum_target(form).key
    assert result.values[total] == valid_values_for(form, 13)[total]


def test_culprit_in_a_workbook_where_totals_are_formulas(form: Form) -> None:
    """Swapped digits in one leaf: every failed column names the same cell and the value it needs."""
    values = valid_values_for(form, 3)
    new, total = sum_input(form, "R2"), sum_target(form, "R2")  # row 一: a column and its total
    leaf = form.fields[first_sum(form, "R3").params["operands"][4].key]  # a result row mid-table
    values[new.key] += 12 - values[leaf.key]
    values[leaf.key] = 21  # should be 12
    result = check_bytes(workbook(form, values), "swap.xlsx", form)
    culprits = {(f.culprit.cell, f.culprit.suggested) for f in result.findings if f.culprit}
    assert culprits == {(leaf.cell, 12)}
    assert {f.cell for f in result.findings if f.rule == "R1"} == {new.cell, total.cell}

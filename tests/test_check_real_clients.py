"""Files saved by a real spreadsheet program: LibreOffice fills in nothing but re-saves, recalculates
and rewrites everything its own way; the checker must read it exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents import sum_target, valid_values_for
from lo import SOFFICE, recalc_and_resave
from xlcheck.check import check_path
from xlcheck.form import Form
from xlcheck.xlsxout import write_template

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed"),
]


def test_a_template_resaved_by_libreoffice_checks_the_same(form: Form, tmp_path: Path) -> None:
    values = valid_values_for(form, 21)
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    row = next(r for r in form.rules if r.id == "R2")  # row 一 of table 三 and its total
    typed, total = form.fields[row.params["operands"][1].key], sum_target(form, "R2")
    values[typed.key] = str(values[typed.key]).translate(full_width)
    source = tmp_path / "filled.xlsx"
    write_template(form, source, values=values)
    saved = recalc_and_resave(source, tmp_path / "resaved.xlsx")
    result = check_path(saved, form)
    assert result.valid, [f.text() for f in result.findings if f.is_error]
    expected = check_path(source, form)
    assert result.document(form) == expected.document(form)
    assert result.template["template_id"] == form.id
    assert "LibreOffice" in result.template.get("application", "")
    # LibreOffice drops the structure lock when it re-saves: reported, not fatal. Its SUM skips the
    # number typed as text, so its own total disagrees with ours: both are said, at their cells.
    found = {(f.code, f.cell) for f in result.findings}
    assert found == {("S07", None), ("V12", typed.cell), ("S12", total.cell)}


@pytest.mark.form_2021  # the layout is covered above for every form: LibreOffice once here
def test_an_unbalanced_column_resaved_by_libreoffice_is_found_at_its_cell(
    form: Form, tmp_path: Path
) -> None:
    values = valid_values_for(form, 22)
    values["applications.handled.not_processed.repeated.research_institution"] += 2
    source = tmp_path / "bad.xlsx"
    write_template(form, source, values=values)
    saved = recalc_and_resave(source, tmp_path / "resaved.xlsx")
    result = check_path(saved, form)
    r1 = {(f.rule, f.cell) for f in result.findings if f.rule == "R1"}
    assert r1 == {("R1", "F4"), ("R1", "J4")}
    assert not any(
        f.code == "S12" for f in result.findings
    )  # LibreOffice's recalculated totals agree

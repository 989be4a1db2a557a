"""A template read and written back by pandas (`pd.read_excel(header=None, sheet_name=None)` then
`df.to_excel`) has a header row of column numbers and an index column added: every cell moves by
one row and one column, the names and the protection are gone. That is one finding naming the
sheets that moved (S16, with the offset), not a hundred findings about cells that are merely
elsewhere."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from documents import sum_input, valid_values_for
from xlcheck.check import check_bytes
from xlcheck.form import Form
from xlcheck.xlsxout import write_template


def filled(form: Form) -> bytes:
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values_for(form, 11))
    return buffer.getvalue()


def rewritten_like_pandas(data: bytes, *, header: bool, index: bool) -> bytes:
    """What pandas writes back: values only (cached results for formulas), every sheet moved by
    the header row and index column it adds, no names, no protection, no document properties."""
    source = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    target = openpyxl.Workbook()
    target.remove(target.active)
    for ws in source.worksheets:
        out = target.create_sheet(ws.title)
        rows: list[tuple[Any, ...]] = list(ws.iter_rows(values_only=True))
        width = max((len(r) for r in rows), default=0)
        if header:
            out.append(([None] if index else []) + list(range(width)))
        for number, row in enumerate(rows):
            out.append(([number] if index else []) + list(row))
    buffer = io.BytesIO()
    target.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("header", "index", "zh", "en"),
    [
        (True, True, "下移了 1 行、右移了 1 列", "down 1 row and right 1 column"),
        (True, False, "下移了 1 行", "down 1 row"),
    ],
)
def test_a_sheet_rewritten_by_pandas_is_one_finding_per_sheet(
    form: Form, header: bool, index: bool, zh: str, en: str
) -> None:
    data = rewritten_like_pandas(filled(form), header=header, index=index)
    result = check_bytes(data, "pandas.xlsx", form)
    [shifted] = [f for f in result.findings if f.code == "S16"]
    assert shifted.sheet == form.sheets[0].name
    tables = "、".join(f"「{s.short.zh}」" for s in form.sheets)
    assert shifted.message.zh.startswith(f"{tables}的内容整体{zh}（可能是被其他程序另存过）")
    assert "请把数据复制回原模板后再报送" in shifted.message.zh
    assert f"“Table 3”, “Table 4”, “Sections 5 and 6” moved {en}" in shifted.message.en
    assert not result.valid
    errors = [f for f in result.findings if f.is_error]
    assert errors == [shifted]  # no flood of per-cell errors for cells that are merely elsewhere
    assert len(result.findings) < 12


def test_names_lost_without_a_shift_is_read_by_position(form: Form) -> None:
    """The same rewrite without header and index moves nothing: no S16, the values are read
    (and the totals that became plain numbers are reported as such, S04)."""
    data = rewritten_like_pandas(filled(form), header=False, index=False)
    result = check_bytes(data, "copy.xlsx", form)
    assert "S16" not in {f.code for f in result.findings}
    assert "S04" in {f.code for f in result.findings}
    key = sum_input(form).key
    assert result.values[key] == valid_values_for(form, 11)[key]

"""Rule arithmetic: counts as exact ints, amounts as Decimals to the 分, never binary floats."""

from __future__ import annotations

from decimal import Decimal

from xlcheck.checks.kinds import RuleInput, number, plain, total
from xlcheck.form.model import Term


def test_counts_stay_ints_and_amounts_add_exactly() -> None:
    assert number(12) == 12 and type(number(12)) is int
    assert number(True) is None and number("12") is None and number(None) is None
    data = RuleInput({"a": 0.1, "b": 0.2, "c": 0.3, "n": 3})
    assert total((Term("a"), Term("b")), data) == total((Term("c"),), data) == Decimal("0.3")
    assert total((Term("n"), Term("a", sign=-1)), data) == Decimal("2.9")
    assert plain(Decimal("2.0")) == 2 and type(plain(Decimal("2.0"))) is int
    assert plain(Decimal("5949.088667")) == 5949.088667


def test_a_missing_or_text_operand_makes_the_sum_unknown() -> None:
    data = RuleInput({"a": 1, "b": "无"})
    assert total((Term("a"), Term("b")), data) is None
    assert total((Term("a"), Term("zzz")), data) is None
    assert total((Term(None, constant=10000.0),), data) == 10000

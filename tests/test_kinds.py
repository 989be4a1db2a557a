"""Rule arithmetic: counts as exact ints, amounts as Decimals to the 分, never binary floats."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

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


def _exact_total(terms: tuple[Term, ...], values: dict[str, object]) -> object:
    """The sum term by term, as the rules define it (the reference for the fast int path)."""
    acc: object = 0
    for term in terms:
        value = number(values.get(term.key or ""))
        if value is None:
            return None
        acc = acc + (value if term.sign == 1 else -value)  # type: ignore[operator]
    return acc


_VALUE = st.one_of(
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "无", "12", "—"]),
    st.lists(st.integers(), max_size=2),
)


@example(values={"a": True, "b": 2}, terms=[("a", 1), ("b", 1)])
@example(values={"a": 1, "b": 0.5}, terms=[("a", 1), ("b", -1)])
@example(values={"a": 10**30, "b": 1}, terms=[("a", 1), ("b", -1)])
@example(values={"a": 1}, terms=[("a", 1), ("z", 1)])
@given(
    values=st.dictionaries(st.sampled_from("abcdef"), _VALUE, max_size=6),
    terms=st.lists(st.tuples(st.sampled_from("abcdefg"), st.sampled_from([1, -1])), max_size=8),
)
def test_the_fast_int_sum_equals_the_exact_sum(
    values: dict[str, object], terms: list[tuple[str, int]]
) -> None:
    """Whatever the cells hold (bools, floats, text, lists, missing), the C-speed int path gives
    what adding term by term gives, including None and the type of the result."""
    operands = tuple(Term(key, sign=sign) for key, sign in terms)
    got, want = total(operands, RuleInput(values)), _exact_total(operands, values)
    assert repr(got) == repr(want)  # same value and type (and NaN equals NaN here)
    assert repr(total(operands, RuleInput(values))) == repr(want)  # now from the stored plan

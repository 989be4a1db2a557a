"""The value policy: what offices type, what it becomes, and what is recorded."""

from __future__ import annotations

import pytest

from xlcheck.normalise import normalise, normalise_number

CASES = [
    ("１２", 12, {"fullwidth"}),
    (" 3 ", 3, {"spaces"}),
    ("3\u3000", 3, {"spaces"}),
    ("12,345", 12345, {"thousands_separator"}),
    ("3.0", 3, {"integral_float"}),
    (274.65999999999997, 274.66, {"float_noise"}),
    ("１２．５", 12.5, {"fullwidth"}),
    (7, 7, set()),
]


@pytest.mark.parametrize(("raw", "value", "steps"), CASES)
def test_numbers_are_normalised_and_recorded(raw: object, value: object, steps: set[str]) -> None:
    result = normalise_number(raw, amount=False)
    assert result.value == value and type(result.value) is type(value)
    assert steps <= set(result.steps)


@pytest.mark.parametrize("raw", ["—", "无", "/", "-", "－", "n/a", "1,2", "三"])
def test_placeholders_are_never_zero(raw: str) -> None:
    assert normalise_number(raw, amount=False).value == raw


def test_blank_text_is_empty_not_zero() -> None:
    assert normalise_number("  ", amount=False).value is None


def test_choices_accept_labels_and_short_forms(form) -> None:
    tier = form.fields["agency.tier"]
    assert normalise(tier, "乡级（乡、镇、街道）").value == "township"
    assert normalise(tier, "县级").value == "county"
    assert normalise(tier, "区级").value == "区级"


def test_year_and_credit_code(form) -> None:
    assert normalise(form.fields["year"], "2025年").value == 2025
    code = normalise(form.fields["agency.credit_code"], " 11411700mb1234567x ")
    assert code.value == "11411700MB1234567X"

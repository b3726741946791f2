"""Rounding once, exactly, whatever the size of the numbers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commission.money import cents_text, format_cents, format_money, mul_round, to_cents


@st.composite
def ratios(draw: st.DrawFn) -> tuple[int, int]:
    """Exact ratios up to 1,000 with numerators and denominators far beyond 64 bits."""
    den = draw(st.integers(1, 10**30))
    return draw(st.integers(0, min(10**30, den * 1000))), den


@settings(max_examples=500)
@given(cents=st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=20),
       ratio=ratios(), mode=st.sampled_from(["half_up", "half_even"]))
def test_mul_round_is_exact_for_any_size(cents, ratio, mode):
    num, den = ratio
    got = mul_round(np.array(cents, dtype=np.int64), np.array([num] * len(cents), dtype=object),
                    np.array([den] * len(cents), dtype=object), mode)
    for c, g in zip(cents, got, strict=True):
        exact = Fraction(c * num, den)
        floor = exact.numerator // exact.denominator
        rest = exact - floor
        if rest > Fraction(1, 2):
            want = floor + 1
        elif rest < Fraction(1, 2):
            want = floor
        elif mode == "half_even":
            want = floor + (floor % 2)
        else:  # half away from zero
            want = floor + 1 if exact > 0 else floor
        assert g == want


def test_half_up_rounds_ties_away_from_zero_and_half_even_to_even():
    cents = np.array([5, 15, 25, -5, -15], dtype=np.int64)  # × 1/10 -> 0.5, 1.5, 2.5, ...
    assert mul_round(cents, 1, 10, "half_up").tolist() == [1, 2, 3, -1, -2]
    assert mul_round(cents, 1, 10, "half_even").tolist() == [0, 2, 2, 0, -2]


def test_a_column_of_modes_rounds_each_row_its_own_way():
    got = mul_round(np.array([5, 5]), 1, 10, np.array(["half_up", "half_even"], dtype=object))
    assert got.tolist() == [1, 0]


def test_money_text_vectorised_matches_the_scalar_forms():
    values = [0, 1, -1, 99, 100, 123456, -123456789, 100000000000, 99999]
    assert cents_text(np.array(values)).to_pylist() == [format_money(v) for v in values]
    assert cents_text(np.array(values), thousands=False).to_pylist() == [
        format_cents(v) for v in values]


def test_to_cents_refuses_more_than_two_decimals():
    assert to_cents("12.3") == 1230
    with pytest.raises(ValueError):
        to_cents("0.001")

"""Exact money: integer cents, exact ratios, and the only place money is rounded.

Money is held as int64 cents. A rate, share or haircut is an exact ratio
``num / den`` of integers (a decimal ``0.05`` is ``5 / 100``, a blended marginal
rate is whatever fraction it is). A line's money is the exact product
``cents * num / den`` rounded once, here, with the plan's rounding mode.

Columns are int64 while the products provably fit; rows whose product could
overflow fall back to Python integers (numpy ``object``), which are exact at any
size. Floats never carry money or rates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Rounding = Literal["half_up", "half_even"]
DECIMAL_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

# |a * b| below this fits int64 with room for the "2 * remainder" of rounding.
_SAFE = 2**61


def to_cents(value: Decimal | int | str) -> int:
    """Exact cents of a decimal amount with at most 2 decimals (ValueError otherwise)."""
    d = Decimal(str(value))
    cents = d * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than 2 decimals")
    return int(cents)


def format_cents(cents: int) -> str:
    """``-12345`` -> ``'-123.45'``: the plain two-decimal form used in CSV files."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def format_money(cents: int) -> str:
    """``1234567`` -> ``'12,345.67'``: the form people read on statements."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def cents_text(cents: np.ndarray, thousands: bool = True) -> pa.Array:
    """A column of cents as text, '-12,345.67' (or '-12345.67'), with Arrow kernels.

    The vectorised twin of :func:`format_money` / :func:`format_cents`, for millions of
    rows: the cents are viewed as Arrow decimals with two places (their 128-bit
    integers are the cents, sign-extended), which Arrow casts to text in one pass; each
    thousands separator is then inserted at a fixed distance from the end, only on the
    rows long enough to have one. No per-row formatting.
    """
    cents = np.asarray(cents, dtype=np.int64)
    text = _two_places(cents)
    if thousands:  # ',' before each group of 3 whole digits: 6, 10, 14, ... from the end
        a = np.abs(cents).view(np.uint64)  # exact, even for the most negative int64
        limit, at = 100_000, 6
        while len(a) and (rows := a >= limit).any():
            text = pc.if_else(pa.array(rows), pc.binary_replace_slice(
                text, start=-at, stop=-at, replacement=","), text)
            limit, at = limit * 1000, at + 4
    return text


def _two_places(cents: np.ndarray) -> pa.Array:
    """int64 cents as Arrow's text of decimal(38, 2): '-0.05', '0.00', '12345.67'."""
    wide = np.empty((len(cents), 2), dtype=np.int64)  # little-endian 128-bit integers
    wide[:, 0] = cents
    wide[:, 1] = cents >> 63  # the sign, extended
    values = pa.Array.from_buffers(pa.decimal128(38, 2), len(cents),
                                   [None, pa.py_buffer(wide)])
    return values.cast(pa.string())


def cents_group_text(whole: np.ndarray) -> pa.Array:
    """Whole numbers with thousands separators ('1,234,567'), vectorised."""
    text = cents_text(np.asarray(whole, dtype=np.int64) * 100)
    return pc.utf8_slice_codeunits(text, 0, -3)


def ratio_to_decimal_str(num: int, den: int, places: int = 10) -> str:
    """A ratio as a decimal string: exact when it terminates within ``places``, else rounded."""
    num, den = int(num), int(den)
    q = (Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(q, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _as_obj(a: np.ndarray) -> np.ndarray:
    return a.astype(object) if a.dtype != object else a


def _reduce(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return num // g, den // g


def ratio_mul(
    a_num: np.ndarray, a_den: np.ndarray, b_num: np.ndarray, b_den: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact product of two ratio columns, reduced; int64 where it fits, else Python ints."""
    a_num, a_den = _reduce(np.asarray(a_num), np.asarray(a_den))
    b_num, b_den = _reduce(np.asarray(b_num), np.asarray(b_den))
    # cross-reduce so the products stay small
    g1 = np.gcd(a_num, b_den)
    g1 = np.where(g1 == 0, 1, g1)
    g2 = np.gcd(b_num, a_den)
    g2 = np.where(g2 == 0, 1, g2)
    a_num, b_den = a_num // g1, b_den // g1
    b_num, a_den = b_num // g2, a_den // g2
    if _fits(a_num, b_num) and _fits(a_den, b_den):
        return (a_num.astype(np.int64) * b_num.astype(np.int64),
                a_den.astype(np.int64) * b_den.astype(np.int64))
    return _as_obj(a_num) * _as_obj(b_num), _as_obj(a_den) * _as_obj(b_den)


def _max_abs(a: np.ndarray) -> int:
    if a.size == 0:
        return 0
    if a.dtype == object:
        return int(max(abs(int(v)) for v in (a.max(), a.min())))
    return max(abs(int(a.max())), abs(int(a.min())))


def _fits(a: np.ndarray, b: np.ndarray) -> bool:
    return _max_abs(a) * _max_abs(b) < _SAFE


def _round_div(num: np.ndarray, den: np.ndarray, half_even: np.ndarray | bool) -> np.ndarray:
    """Round ``num / den`` (den > 0) to an integer, elementwise, exactly.

    Ties go away from zero (half_up) or to the even neighbour (half_even), per row.
    """
    q = num // den  # floor division: 0 <= r < den
    twice = 2 * (num - q * den)
    out = q + (twice > den)
    tie = twice == den
    if tie.any():  # ties are few: their rule is applied to them alone
        even = np.broadcast_to(half_even, np.shape(num))[tie]
        out[tie] += np.where(even, q[tie] % 2 != 0, num[tie] >= 0)
    return out


def _half_even(mode: Rounding | np.ndarray, n: int) -> np.ndarray:
    """Rounding modes as one boolean per row (True: half_even)."""
    if isinstance(mode, str):
        if mode not in DECIMAL_ROUNDING:
            raise ValueError(f"unknown rounding mode {mode!r}")
        return np.full(n, mode == "half_even")
    mode = np.asarray(mode)
    if mode.dtype == bool:
        return np.broadcast_to(mode, (n,))
    codes, uniq = pd.factorize(mode)
    unknown = set(uniq) - set(DECIMAL_ROUNDING)
    if unknown:
        raise ValueError(f"unknown rounding mode {sorted(unknown)!r}")
    return np.asarray([u == "half_even" for u in uniq], dtype=bool)[codes]


def mul_round(
    cents: np.ndarray, num: np.ndarray, den: np.ndarray, mode: Rounding | np.ndarray
) -> np.ndarray:
    """``round(cents * num / den)`` per row, rounded once with ``mode``; int64 cents.

    ``mode`` is one rounding mode, a column of them, or a boolean column
    (True: half_even), one per row from each row's plan. Rows whose exact product
    might not fit int64 are computed with Python integers, so the result is exact
    for any inputs.
    """
    cents = np.asarray(cents, dtype=np.int64)
    num = np.asarray(num)
    den = np.asarray(den)
    n = cents.shape[0]
    num = np.broadcast_to(num, (n,)) if num.ndim == 0 else num
    den = np.broadcast_to(den, (n,)) if den.ndim == 0 else den
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    half_even = _half_even(mode, n)
    out = np.zeros(n, dtype=np.int64)
    # rows that fit int64: |cents| * |num| < 2**61 and den < 2**61
    if num.dtype == object or den.dtype == object:
        small = (np.abs(num) < _SAFE).astype(bool) & (den < _SAFE).astype(bool)
        num_i = np.where(small, num, 0).astype(np.int64)
        den_i = np.where(small, den, 1).astype(np.int64)
    else:
        num_i, den_i = num.astype(np.int64, copy=False), den.astype(np.int64, copy=False)
        if _max_abs(cents) * _max_abs(num_i) < _SAFE:  # every row fits: no per-row test
            return _round_div(cents * num_i, den_i, half_even)
        small = np.ones(n, dtype=bool)
    abs_c = np.abs(cents)
    small &= np.abs(num_i) < _SAFE // np.maximum(abs_c, 1)
    if small.all():
        return _round_div(cents * num_i, den_i, half_even)
    out[small] = _round_div(cents[small] * num_i[small], den_i[small], half_even[small])
    big = ~small
    prod = _as_obj(cents[big]) * _as_obj(num[big])
    out[big] = _round_div(prod, _as_obj(den[big]), half_even[big]).astype(np.int64)
    return out

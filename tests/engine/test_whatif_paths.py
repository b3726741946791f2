"""What-if's shortcuts give the answers of the plain computation (issue 14, item 3).

Totals without lines against the sums of the full lines (random inputs, parts 1
and 2), figures shared across plans against fresh inputs, the comparison's sums by
integer codes against plain groupbys, and the numeric shortcuts (dense numbering,
exact float sums, int64 rounding with ties, dispute pauses worked out per payment)
against the straightforward computations they replace.
"""

from __future__ import annotations

import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import inputs_and_plans

from commission.engine import calculate
from commission.engine.common import exact_sum, factorize_rows, unique_keys
from commission.money import mul_round
from commission.periods import day_numbers
from commission.plans import PlanTable, days_late, merged_disputes, paused_days
from commission.reports.compare import compare, data_periods, run_plan

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["period", "rep_id", "line_kind"]
MONEY = ["gross", "haircut", "amount"]


def _sums_of_lines(lines: pd.DataFrame) -> pd.DataFrame:
    return (lines.groupby(KEYS, sort=True)[MONEY].sum().astype(np.int64).reset_index()
            .astype(dict.fromkeys(KEYS, object)))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame.astype(dict.fromkeys(KEYS, object)).sort_values(KEYS)
            .reset_index(drop=True))


def _totals_agree(inputs, plans, through) -> None:
    full = calculate(inputs, plans, through=through)
    quick = calculate(inputs, plans, through=through, totals_only=True)
    pd.testing.assert_frame_equal(quick.payouts, full.payouts)
    assert quick.periods == full.periods
    want = _sums_of_lines(full.lines)
    pd.testing.assert_frame_equal(_sorted(quick.line_totals()), want)
    for kinds in (["penalty"], ["collection", "manual"]):
        part = quick.line_totals(kinds=kinds)
        assert set(part["line_kind"]) <= set(kinds)
        pd.testing.assert_frame_equal(
            _sorted(part), want[want["line_kind"].isin(kinds)].reset_index(drop=True))
        pd.testing.assert_frame_equal(_sorted(full.line_totals(kinds=kinds)), _sorted(part))
    with pytest.raises(ValueError, match="totals-only"):
        _ = quick.lines
    again = pickle.loads(pickle.dumps(quick))
    pd.testing.assert_frame_equal(again.payouts, quick.payouts)
    pd.testing.assert_frame_equal(again.line_totals(), quick.line_totals())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans())
def test_totals_only_equal_the_sums_of_the_full_lines(case):
    _totals_agree(*case)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans(part2=True))
def test_totals_only_equal_the_sums_of_the_full_lines_with_part2_features(case):
    """Assignments, attainment, draws, overrides, reinstatements and manual lines too."""
    _totals_agree(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans(), st.data())
def test_plans_run_one_after_another_on_shared_inputs_pay_as_on_fresh_ones(case, data):
    """Credited reps, pauses and positions are kept per inputs: runs through other
    months and under other plans in between never leak into a later run."""
    inputs, plans, through = case
    months = data_periods(inputs)
    order = data.draw(st.permutations(sorted(plans)))
    shared = []
    for pid in order:  # over the plans of the case
        early = data.draw(st.sampled_from(months))
        calculate(inputs, plans, through=early, plan_override=pid, totals_only=True)
        shared.append(calculate(inputs, plans, through=through, plan_override=pid,
                                totals_only=True))
    for pid, got in zip(order, shared, strict=True):
        fresh = inputs.replace(**{name: frame.copy() for name, frame in inputs.tables().items()})
        want = calculate(fresh, plans, through=through, plan_override=pid)
        pd.testing.assert_frame_equal(got.payouts, want.payouts)
        pd.testing.assert_frame_equal(_sorted(got.line_totals()), _sums_of_lines(want.lines))


def _plain_tables(runs) -> dict[str, dict]:
    """The comparison's per-rep and per-month sums by plain groupbys on text."""
    pay = pd.concat([r.payouts.assign(plan_id=r.plan_id) for r in runs], ignore_index=True)
    pen = pd.concat([r.penalties.assign(plan_id=r.plan_id) for r in runs], ignore_index=True)
    out = {}
    for by in ("rep_id", "period"):
        per = pay.groupby(["plan_id", by])[["gross", "haircuts", "clawbacks", "net",
                                            "payout"]].sum()
        p = pen.groupby(["plan_id", by])["penalties"].sum().reindex(per.index, fill_value=0)
        per["penalties"] = p
        per["clawbacks"] -= p
        out[by] = {k: tuple(int(v) for v in row) for k, row in
                   zip(per.index, per[["gross", "haircuts", "clawbacks", "penalties", "net",
                                       "payout"]].to_numpy(), strict=True)}
    return out


@pytest.mark.parametrize("ids", [
    ["collected-40day", "collected-stepped", "invoiced-traditional", "advance-marginal"],
    ["advance-marginal", "manager-override", "new-rep-draw"],
])
def test_comparison_sums_by_codes_equal_plain_groupbys(sample, ids):
    inputs, plans = sample
    months = data_periods(inputs)
    first, last = months[len(months) // 3], months[-1]
    result = compare(inputs, plans, ids, first, last)
    runs = [run_plan(inputs, plans[p], first, last) for p in ids]
    plain = _plain_tables(runs)
    cols = ["gross", "haircuts", "clawbacks", "penalties", "net", "payout"]
    for by, frame in (("rep_id", result.per_rep), ("period", result.per_month)):
        got = {(r["plan_id"], r[by]): tuple(int(r[c]) for c in cols)
               for r in frame.to_dict("records")}
        assert got == plain[by]
        assert list(frame["plan_id"].drop_duplicates()) == ids  # plans in the given order
    for pid in ids:
        row = result.summary[result.summary["plan_id"] == pid].iloc[0]
        mine = [v for (p, _), v in plain["rep_id"].items() if p == pid]
        assert int(row["payout"]) == sum(v[5] for v in mine)
        assert int(row["penalties"]) == sum(v[3] for v in mine)


# --------------------------------------------------------------------------- numeric shortcuts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5000), max_size=300), st.lists(st.integers(0, 5000), max_size=50),
       st.integers(5001, 400_000))
def test_unique_keys_number_as_np_unique(a, b, space):
    a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    uniq, (ca, cb) = unique_keys([a, b], space)  # dense table or sort: both paths
    want, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    assert uniq.tolist() == want.tolist()
    assert np.concatenate([ca, cb]).tolist() == inverse.reshape(-1).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(-2**62, 2**62)), max_size=60),
       st.booleans())
def test_exact_sum_is_exact_in_float_range_and_beyond(rows, small):
    key = np.array([k for k, _ in rows], dtype=np.int64)
    values = np.array([v if not small else v % 10**9 - 5 * 10**8 for _, v in rows],
                      dtype=np.int64)
    want = [sum(int(v) for k2, v in zip(key, values, strict=True) if k2 == k) for k in range(10)]
    if all(abs(w) < 2**63 for w in want):
        assert exact_sum(key, values, 10).tolist() == want


def test_factorize_rows_dense_and_hashed_numberings_agree():
    rng = np.random.default_rng(8)
    for n, high in ((5000, 4), (5000, 10**6)):  # few combinations (dense), many (hashed)
        cols = [rng.integers(0, 3, n), rng.integers(0, high, n), rng.integers(0, 5, n)]
        codes, first = factorize_rows(*cols)
        rows = list(zip(*cols, strict=True))
        assert len(first) == len(set(rows))
        for i in range(n):
            assert rows[first[codes[i]]] == rows[i]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**9, 10**9), st.integers(-10**6, 10**6),
                          st.integers(1, 10**6), st.booleans()), min_size=1, max_size=40))
def test_mul_round_int64_path_rounds_ties_per_row_mode(rows):
    cents = np.array([r[0] for r in rows], dtype=np.int64)
    num = np.array([r[1] for r in rows], dtype=np.int64)
    den = np.array([r[2] for r in rows], dtype=np.int64)
    even = np.array([r[3] for r in rows], dtype=bool)
    cents[::3] = den[::3] // 2 if len(cents) else cents[::3]  # ties, some of them
    num[::3] = 1
    got = mul_round(cents, num, den, even)
    for c, n, d, e, g in zip(cents, num, den, even, got, strict=True):
        exact = Fraction(int(c) * int(n), int(d))
        floor = exact.numerator // exact.denominator
        rest = exact - floor
        up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (floor % 2 != 0 if e
                                                                  else exact >= 0))
        assert int(g) == floor + up


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans())
def test_pauses_worked_out_per_payment_equal_those_per_row(case):
    inputs, plans, _ = case
    table = PlanTable.build(plans)
    pay = inputs.payments
    inv_pos = inputs.positions("payments", "invoice_id", "invoices", "invoice_id")
    inv_day = day_numbers(inputs.invoices["invoice_date"])[inv_pos]
    due_day = day_numbers(inputs.invoices["due_date"])[inv_pos]
    pay_day = day_numbers(pay["payment_date"])
    merged = merged_disputes(inputs.disputes.assign(invoice_id=inputs.positions(
        "disputes", "invoice_id", "invoices", "invoice_id")))
    codes = np.arange(len(pay)) % len(table.plans)
    plain = days_late(codes, table, inv_day, due_day, pay_day, inv_pos, merged)
    ahead = (paused_days(inv_pos, inv_day, pay_day, merged),
             paused_days(inv_pos, due_day, pay_day, merged))
    shared = days_late(codes, table, inv_day, due_day, pay_day, inv_pos, merged, paused=ahead)
    assert shared.tolist() == plain.tolist()

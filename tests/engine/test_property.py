"""The columnar engine against a plain row-by-row Decimal/Fraction reading of the contract."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
from hypothesis import HealthCheck, given, settings
from reference import PAYOUT_KEYS, reference_calculate
from strategies import inputs_and_plans

from commission.engine import calculate

LINE_KEY = ("period", "rep_id", "line_kind", "event_id")


def _engine_lines(result) -> list[dict]:
    rows = []
    for r in result.lines.itertuples(index=False):
        rows.append({
            "period": r.period, "rep_id": r.rep_id, "plan_id": r.plan_id,
            "line_kind": r.line_kind, "event_id": r.event_id, "invoice_id": r.invoice_id,
            "gross": int(r.gross), "haircut": int(r.haircut), "amount": int(r.amount),
            "rate": (None if r.line_kind == "manual"
                     else Fraction(int(r.rate_num), int(r.rate_den))),
            "days_late": None if pd.isna(r.days_late) else int(r.days_late),
            "haircut_pct": None if r.haircut_num < 0 else Fraction(int(r.haircut_num), 10**9),
        })
    return rows


def _key(line: dict) -> tuple:
    return tuple(str(line[k]) for k in LINE_KEY)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans())
def test_engine_matches_the_decimal_reference_to_the_cent(case):
    _agree(*case)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans(part2=True))
def test_engine_matches_the_reference_with_plans_over_time(case):
    """Assignments, quotas and attainment, draws, overrides, reinstatements, manual lines."""
    _agree(*case)


def _agree(inputs, plans, through):
    expected_lines, expected_payouts = reference_calculate(inputs, plans, through=through)
    result = calculate(inputs, plans, through=through)

    got = sorted(_engine_lines(result), key=_key)
    want = sorted(expected_lines, key=_key)
    assert [_key(x) for x in got] == [_key(x) for x in want]
    for g, w in zip(got, want, strict=True):
        assert {k: g[k] for k in w} == w, (g, w)

    got_p = sorted(tuple(x if isinstance(x, str) else int(x) for x in row)
                   for row in result.payouts[list(PAYOUT_KEYS)].itertuples(index=False))
    want_p = sorted(tuple("" if p[k] is None else str(p[k]) if k == "attainment" else p[k]
                          for k in PAYOUT_KEYS) for p in expected_payouts)
    assert got_p == want_p

"""Plan terms computed from PlanTable columns agree with the plan as written."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from commission.money import to_cents
from commission.plans import (
    SCALE,
    VOLUME_PER_CENT,
    PlanTable,
    haircut,
    load_plans,
    next_step,
    opening_rate,
    rate_over_volume,
)

RULES = Path(__file__).resolve().parents[2] / "rules"
PLANS, _, _ = load_plans(RULES)
TABLE = PlanTable.build(PLANS)
VOLUMES_CENTS = [-500, 0, 1, 999_999, 1_000_000, 2_500_000, 7_000_000, 150_000_000]
DAYS = [0, 1, 14, 15, 16, 29, 30, 31, 45, 60, 61, 90, 91, 200]


def _rate(plan, cents: int) -> Fraction:
    """The plan's rate over a volume, straight from the contract."""
    if plan.rate is not None:
        return Fraction(plan.rate)
    brackets = plan.tiers.brackets
    if cents <= 0:
        return Fraction(brackets[0].rate)
    if plan.tiers.mode == "retroactive":
        return Fraction(max((b for b in brackets if to_cents(b.from_) <= cents),
                            key=lambda b: b.from_).rate)
    total = Fraction(0)
    for i, b in enumerate(brackets):
        hi = to_cents(brackets[i + 1].from_) if i + 1 < len(brackets) else cents
        total += max(min(cents, hi) - to_cents(b.from_), 0) * Fraction(b.rate)
    return total / cents


def _haircut(plan, days: int) -> Fraction:
    lp = plan.late_payment
    if lp is None:
        return Fraction(0)
    if lp.steps is not None:
        passed = [s for s in lp.steps if s.after_days < days]
        return Fraction(passed[-1].haircut) if passed else Fraction(0)
    lin = lp.linear
    return min(Fraction(lin.max), Fraction(lin.per_day) * max(days - lin.start_after_days, 0))


@pytest.mark.parametrize("plan_id", sorted(PLANS))
def test_rate_over_volume_matches_the_plan(plan_id):
    code = TABLE.codes(np.array([plan_id] * len(VOLUMES_CENTS), dtype=object))
    volume = np.array([c * VOLUME_PER_CENT for c in VOLUMES_CENTS], dtype=object)
    num, den = rate_over_volume(code, volume, TABLE)
    got = [Fraction(int(n), int(d)) for n, d in zip(num, den, strict=True)]
    assert got == [_rate(PLANS[plan_id], c) for c in VOLUMES_CENTS]
    assert Fraction(int(opening_rate(code[:1], TABLE)[0]), SCALE) == _rate(PLANS[plan_id], 0)


@pytest.mark.parametrize("plan_id", sorted(PLANS))
def test_haircut_and_next_step_match_the_schedule(plan_id):
    plan = PLANS[plan_id]
    days = np.array(DAYS, dtype=np.int64)
    code = TABLE.codes(np.array([plan_id] * len(DAYS), dtype=object))
    h = haircut(code, TABLE, days)
    assert [Fraction(int(x), SCALE) for x in h] == [_haircut(plan, d) for d in DAYS]
    wait, then = next_step(code, TABLE, days)
    for d, w, t in zip(DAYS, wait, then, strict=True):
        if w < 0:  # the haircut grows no more
            assert all(_haircut(plan, d + k) == _haircut(plan, d) for k in range(1, 400))
        else:  # unchanged until the wait is over, then the step's haircut
            assert all(_haircut(plan, d + k) == _haircut(plan, d) for k in range(int(w)))
            assert Fraction(int(t), SCALE) == _haircut(plan, d + int(w))

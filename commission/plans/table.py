"""Plans turned into integer columns the engine can index by plan code.

Every decimal of a plan (rates, shares, haircuts) has at most ``MAX_PLACES``
decimals, so ``value * SCALE`` is an exact integer: ``0.05`` becomes
``50_000_000`` over ``SCALE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from commission.money import to_cents
from commission.plans.language import MAX_PLACES, Plan

SCALE = 10**MAX_PLACES


def scaled(d: Decimal) -> int:
    """An exact plan decimal as an integer over SCALE."""
    v = d * SCALE
    if v != v.to_integral_value():  # pragma: no cover - plans refuse it
        raise ValueError(f"{d} has more than {MAX_PLACES} decimals")
    return int(v)


@dataclass(frozen=True)
class PlanTable:
    """One row per plan; codes are positions in ``ids``."""

    plans: tuple[Plan, ...]
    ids: np.ndarray  # plan_id per code (object)
    p_num: np.ndarray  # prepaid share p, over SCALE
    has_late: np.ndarray  # bool: a late_payment section exists
    clock_due: np.ndarray  # bool: clock is due_date (else invoice_date)
    grace: np.ndarray  # int64 grace days
    pause: np.ndarray  # bool: pause during disputes
    window: np.ndarray  # int64 window_days, -1 for "always"
    penalty_num: np.ndarray  # penalty rate over SCALE
    min_payout: np.ndarray  # cents
    cap: np.ndarray  # cents, -1 for no cap
    carry_negative: np.ndarray  # bool
    half_even: np.ndarray  # bool: the plan rounds half to even (else half up)

    @classmethod
    def build(cls, plans: Mapping[str, Plan]) -> PlanTable:
        ps = tuple(plans[k] for k in sorted(plans))
        return cls(
            plans=ps,
            ids=np.array([p.id for p in ps], dtype=object),
            p_num=np.array([scaled(p.prepaid_share) for p in ps], dtype=np.int64),
            has_late=np.array([p.late_payment is not None for p in ps], dtype=bool),
            clock_due=np.array(
                [p.late_payment is None or p.late_payment.clock == "due_date" for p in ps],
                dtype=bool,
            ),
            grace=np.array([p.late_payment.grace_days if p.late_payment else 0 for p in ps],
                           dtype=np.int64),
            pause=np.array(
                [bool(p.late_payment and p.late_payment.pause_during_disputes) for p in ps],
                dtype=bool,
            ),
            window=np.array(
                [-1 if p.bad_debt.window_days is None else p.bad_debt.window_days for p in ps],
                dtype=np.int64,
            ),
            penalty_num=np.array([scaled(p.bad_debt.penalty_rate) for p in ps], dtype=np.int64),
            min_payout=np.array([to_cents(p.payout.min_payout) for p in ps], dtype=np.int64),
            cap=np.array([-1 if p.payout.cap is None else to_cents(p.payout.cap) for p in ps],
                         dtype=np.int64),
            carry_negative=np.array([p.payout.carry_forward_negative for p in ps], dtype=bool),
            half_even=np.array([p.rounding == "half_even" for p in ps], dtype=bool),
        )

    def codes(self, plan_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Plan code of each plan id (all ids must be known)."""
        index = pd.Index(self.ids)
        codes = index.get_indexer(np.asarray(plan_ids, dtype=object))
        if (codes < 0).any():
            missing = sorted(set(np.asarray(plan_ids, dtype=object)[codes < 0]))
            raise KeyError(f"unknown plan(s): {', '.join(map(str, missing))}")
        return codes

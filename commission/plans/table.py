"""Plans turned into integer columns the engine can index by plan code.

Every decimal of a plan (rates, shares, haircuts) has at most ``MAX_PLACES``
decimals, so ``value * SCALE`` is an exact integer: ``0.05`` becomes
``50_000_000`` over ``SCALE``.

Lists inside a plan (tier brackets, haircut steps) become 2-D columns, one row
per plan and one column per position, padded after the plan's last entry; a
flat rate is a single bracket from 0. So every term is computed from columns
alone: :mod:`commission.plans.rates` and :mod:`commission.plans.lateness` never
go back to the pydantic plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from commission.money import to_cents
from commission.periods import QUOTA_FORMS
from commission.plans.language import MAX_PLACES, LatePayment, Plan

SCALE = 10**MAX_PLACES

#: padding of an unused bracket or step position (never reached by a volume or a day)
NO_ENTRY = np.iinfo(np.int64).max

#: haircut schedule kinds (``PlanTable.schedule``)
NO_SCHEDULE, STEPS, LINEAR = 0, 1, 2

#: a plan's basis as a code (``PlanTable.basis``)
BASES = ("collected", "invoiced", "advance")


def scaled(d: Decimal) -> int:
    """An exact plan decimal as an integer over SCALE."""
    v = d * SCALE
    if v != v.to_integral_value():  # pragma: no cover - plans refuse it
        raise ValueError(f"{d} has more than {MAX_PLACES} decimals")
    return int(v)


def _padded(rows: list[list[int]], pad: int) -> np.ndarray:
    """Lists of ints as a 2-D int64 array, each row padded with ``pad`` (at least 1 wide)."""
    width = max([1, *(len(r) for r in rows)])
    out = np.full((len(rows), width), pad, dtype=np.int64)
    for i, r in enumerate(rows):  # one row per plan
        out[i, :len(r)] = r
    return out


@dataclass(frozen=True)
class Tiers:
    """The rate of each plan over a volume: brackets as columns.

    ``start[code, j]`` is bracket j's ``from`` in cents (NO_ENTRY past the last),
    ``rate[code, j]`` its rate over SCALE; a flat rate is one bracket from 0. Under
    ``measure: attainment`` ``from`` is a share of the quota: ``start`` holds it in
    hundredths (1.25 -> 125), the same integer ``to_cents`` makes of it.
    """

    start: np.ndarray  # int64 cents, (plans, brackets)
    rate: np.ndarray  # int64 over SCALE, (plans, brackets)
    count: np.ndarray  # brackets per plan
    tiered: np.ndarray  # bool: the plan has tiers (else a flat rate)
    marginal: np.ndarray  # bool: each bracket's rate on its slice (else retroactive)

    @classmethod
    def build(cls, plans: tuple[Plan, ...]) -> Tiers:
        starts: list[list[int]] = []
        rates: list[list[int]] = []
        for p in plans:
            if p.tiers is None:
                assert p.rate is not None
                starts.append([0])
                rates.append([scaled(p.rate)])
            else:
                starts.append([to_cents(b.from_) for b in p.tiers.brackets])
                rates.append([scaled(b.rate) for b in p.tiers.brackets])
        return cls(
            start=_padded(starts, NO_ENTRY),
            rate=_padded(rates, 0),
            count=np.array([len(s) for s in starts], dtype=np.int64),
            tiered=np.array([p.tiers is not None for p in plans], dtype=bool),
            marginal=np.array([p.tiers is not None and p.tiers.mode == "marginal"
                               for p in plans], dtype=bool),
        )


@dataclass(frozen=True)
class Schedule:
    """Each plan's haircut schedule (``late_payment.steps`` or ``.linear``) as columns."""

    kind: np.ndarray  # NO_SCHEDULE, STEPS or LINEAR
    step_after: np.ndarray  # int64 days, (plans, steps), NO_ENTRY past the last
    step_cut: np.ndarray  # int64 haircut over SCALE, (plans, steps)
    step_count: np.ndarray  # steps per plan
    start_after: np.ndarray  # linear: days before the slope starts
    per_day: np.ndarray  # linear: haircut per day over SCALE
    most: np.ndarray  # linear: the haircut's ceiling over SCALE

    @classmethod
    def build(cls, plans: tuple[Plan, ...]) -> Schedule:
        lates: list[LatePayment | None] = [p.late_payment for p in plans]
        steps = [list(lp.steps) if lp is not None and lp.steps is not None else []
                 for lp in lates]
        lin = [lp.linear if lp is not None else None for lp in lates]
        return cls(
            kind=np.array([NO_SCHEDULE if lp is None else STEPS if lp.steps is not None
                           else LINEAR for lp in lates], dtype=np.int64),
            step_after=_padded([[s.after_days for s in st] for st in steps], NO_ENTRY),
            step_cut=_padded([[scaled(s.haircut) for s in st] for st in steps], 0),
            step_count=np.array([len(st) for st in steps], dtype=np.int64),
            start_after=np.array([0 if x is None else x.start_after_days for x in lin],
                                 dtype=np.int64),
            per_day=np.array([0 if x is None else scaled(x.per_day) for x in lin],
                             dtype=np.int64),
            most=np.array([0 if x is None else scaled(x.max) for x in lin], dtype=np.int64),
        )


@dataclass(frozen=True)
class PlanTable:
    """One row per plan; codes are positions in ``ids``."""

    plans: tuple[Plan, ...]
    ids: np.ndarray  # plan_id per code (object)
    basis: np.ndarray  # index into BASES
    p_num: np.ndarray  # prepaid share p, over SCALE
    tiers: Tiers  # the rate over a volume
    schedule: Schedule  # the haircut over days late
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
    attainment: np.ndarray  # bool: tiers measure attainment of a quota
    quota_form: np.ndarray  # index into periods.QUOTA_FORMS, -1 without a quota
    draw: np.ndarray  # cents, -1 without a draw
    draw_recoverable: np.ndarray  # bool
    override_num: np.ndarray  # override rate over SCALE, -1 without an override

    @classmethod
    def build(cls, plans: Mapping[str, Plan]) -> PlanTable:
        ps = tuple(plans[k] for k in sorted(plans))
        lates = [p.late_payment for p in ps]
        return cls(
            plans=ps,
            ids=np.array([p.id for p in ps], dtype=object),
            basis=np.array([BASES.index(p.basis) for p in ps], dtype=np.int64),
            p_num=np.array([scaled(p.prepaid_share) for p in ps], dtype=np.int64),
            tiers=Tiers.build(ps),
            schedule=Schedule.build(ps),
            has_late=np.array([lp is not None for lp in lates], dtype=bool),
            clock_due=np.array([lp is None or lp.clock == "due_date" for lp in lates],
                               dtype=bool),
            grace=np.array([lp.grace_days if lp else 0 for lp in lates], dtype=np.int64),
            pause=np.array([bool(lp and lp.pause_during_disputes) for lp in lates], dtype=bool),
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
            attainment=np.array([p.measures_attainment for p in ps], dtype=bool),
            quota_form=np.array([-1 if p.quota is None else QUOTA_FORMS.index(p.quota.period)
                                 for p in ps], dtype=np.int64),
            draw=np.array([-1 if p.payout.draw is None else to_cents(p.payout.draw.amount)
                           for p in ps], dtype=np.int64),
            draw_recoverable=np.array([p.payout.draw is not None and p.payout.draw.recoverable
                                       for p in ps], dtype=bool),
            override_num=np.array([-1 if p.override is None else scaled(p.override.rate)
                                   for p in ps], dtype=np.int64),
        )

    def codes(self, plan_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Plan code of each plan id (all ids must be known)."""
        index = pd.Index(self.ids)
        codes = index.get_indexer(np.asarray(plan_ids, dtype=object))
        if (codes < 0).any():
            missing = sorted(set(np.asarray(plan_ids, dtype=object)[codes < 0]))
            raise KeyError(f"unknown plan(s): {', '.join(map(str, missing))}")
        return codes

    def basis_is(self, codes: np.ndarray, basis: str) -> np.ndarray:
        """Whether each code's plan has ``basis`` ('collected', 'invoiced' or 'advance')."""
        return self.basis[codes] == BASES.index(basis)

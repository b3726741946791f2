"""Per rep and period: totals of the lines, then payout, draw and carry-forward.

The payout rules (min_payout, cap, carry_forward_negative, draw) are those of the
plan in force on the last day of the period; ``attainment`` is (V₀ + v) ÷ Q of
that plan when it measures attainment (empty otherwise).
"""

from __future__ import annotations

import numpy as np

from commission.engine.attainment import Volumes
from commission.engine.common import EARNING_KINDS, K_COLLECTION, K_MANUAL, KINDS
from commission.engine.credited import Ledger
from commission.engine.totals import LineTotals
from commission.money import format_money


def payouts(sums: LineTotals, ledger: Ledger, volumes: Volumes, periods: np.ndarray,
            carry_in: np.ndarray) -> dict[str, np.ndarray]:
    """One row per (period, rep), periods in order, carry flowing month to month.

    ``sums`` are the lines' totals per kind; ``carry_in`` (cents per rep) is the
    carry-out of the last locked batch. The loop runs over periods, each step over
    all reps at once.
    """
    n_reps, n_per, table = ledger.n_reps, len(periods), ledger.table
    settling = tuple(k for k in range(len(KINDS)) if k not in EARNING_KINDS and k != K_MANUAL)
    gain = sums.grid((K_MANUAL,), "gain", periods)
    loss = sums.grid((K_MANUAL,), "amount", periods) - gain  # Σ of the negative manual lines
    gross = sums.grid(EARNING_KINDS, "gross", periods) + gain
    haircuts = sums.grid((K_COLLECTION,), "haircut", periods)
    clawbacks = -sums.grid(settling, "amount", periods) - loss
    net = gross - haircuts - clawbacks

    rep = np.tile(np.arange(n_reps), n_per)
    period = np.repeat(periods, n_reps)
    plan = ledger.plan_at_end(rep, period).reshape(n_per, n_reps)
    c_in = np.zeros((n_per, n_reps), dtype=np.int64)
    pay = np.zeros((n_per, n_reps), dtype=np.int64)
    c_out = np.zeros((n_per, n_reps), dtype=np.int64)
    top_up = np.zeros((n_per, n_reps), dtype=np.int64)
    lost = np.zeros((n_per, n_reps), dtype=np.int64)
    carry = np.asarray(carry_in, dtype=np.int64).copy()
    for i in range(n_per):  # over periods
        code = plan[i]
        c_in[i] = carry
        balance = net[i] + carry
        negative = balance < 0
        small = ~negative & (balance < table.min_payout[code])
        paid = ~negative & ~small
        cap = table.cap[code]
        pay[i] = np.where(paid, np.where(cap >= 0, np.minimum(balance, cap), balance), 0)
        carry = np.where(negative, np.where(table.carry_negative[code], balance, 0),
                         np.where(small, balance, 0))
        draw = table.draw[code]
        top_up[i] = np.where((draw >= 0) & (pay[i] < draw), draw - pay[i], 0)
        pay[i] += top_up[i]
        recoverable = table.draw_recoverable[code]
        carry = carry - np.where(recoverable, top_up[i], 0)
        c_out[i] = carry
        lost[i] = _forfeited(np.where(paid, balance - (pay[i] - top_up[i]), 0),
                             np.where(negative & ~table.carry_negative[code], balance, 0),
                             np.where(recoverable, 0, top_up[i]))
    return {
        "period": period, "rep": rep, "plan": plan.ravel(),
        "gross": gross.ravel(), "haircuts": haircuts.ravel(), "clawbacks": clawbacks.ravel(),
        "net": net.ravel(), "carry_in": c_in.ravel(), "payout": pay.ravel(),
        "carry_out": c_out.ravel(),
        "attainment": volumes.attainment(rep, plan.ravel(), period),
        "draw": top_up.ravel(), "note": _draw_notes(top_up.ravel(), plan.ravel(), ledger),
        "forfeited": lost.ravel(),
    }


def _forfeited(above_cap: np.ndarray, dropped: np.ndarray, granted: np.ndarray) -> np.ndarray:
    """What the payout rules took from (or gave to) the balance, so that
    net + carry_in − carry_out − forfeited = payout holds for every row.

    Positive: the balance above the cap (paid out nowhere). Negative: a negative
    balance not carried forward (``carry_forward_negative: false``) and a draw top-up
    that is never recovered; both are money the plan gives up on. Computed from the
    rules' parts, not as the difference, so the identity is a check.
    """
    return above_cap + dropped - granted


def _draw_notes(top_up: np.ndarray, plan: np.ndarray, ledger: Ledger) -> np.ndarray:
    """'draw top-up 1,500.00, recoverable from future commission' where a draw topped up."""
    out = np.full(len(top_up), "", dtype=object)
    rows = np.flatnonzero(top_up > 0)
    recoverable = ledger.table.draw_recoverable[plan[rows]]
    out[rows] = [f"draw top-up {format_money(int(t))}, " + (
        "recoverable from future commission" if r else "not recoverable")
        for t, r in zip(top_up[rows], recoverable, strict=True)]  # rows with a draw only
    return out

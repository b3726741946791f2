"""Per rep and period: totals of the lines, then payout and carry-forward."""

from __future__ import annotations

import numpy as np

from commission.engine.assemble import RawLines
from commission.engine.common import K_COLLECTION, K_INVOICE
from commission.plans import PlanTable


def payouts(lines: RawLines, n_reps: int, rep_plan: np.ndarray, table: PlanTable,
            periods: np.ndarray, carry_in: np.ndarray) -> dict[str, np.ndarray]:
    """One row per (period, rep), periods in order, carry flowing month to month.

    ``carry_in`` (cents per rep) is the carry-out of the last locked batch.
    The loop runs over periods, each step over all reps at once.
    """
    n_per = len(periods)
    pos = np.searchsorted(periods, lines.period)
    key = pos * n_reps + lines.rep
    size = n_per * n_reps
    kind = lines.kind
    earning = (kind == K_INVOICE) | (kind == K_COLLECTION)

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return _sum(key[mask], values[mask], size)

    gross = total(lines.gross, earning).reshape(n_per, n_reps)
    haircuts = total(lines.haircut, kind == K_COLLECTION).reshape(n_per, n_reps)
    clawbacks = -total(lines.amount, ~earning).reshape(n_per, n_reps)
    net = gross - haircuts - clawbacks

    min_payout = table.min_payout[rep_plan]
    cap = table.cap[rep_plan]
    carry_negative = table.carry_negative[rep_plan]
    c_in = np.zeros((n_per, n_reps), dtype=np.int64)
    pay = np.zeros((n_per, n_reps), dtype=np.int64)
    c_out = np.zeros((n_per, n_reps), dtype=np.int64)
    carry = np.asarray(carry_in, dtype=np.int64).copy()
    for i in range(n_per):
        c_in[i] = carry
        balance = net[i] + carry
        negative = balance < 0
        small = ~negative & (balance < min_payout)
        paid = ~negative & ~small
        pay[i] = np.where(paid, np.where(cap >= 0, np.minimum(balance, cap), balance), 0)
        carry = np.where(negative, np.where(carry_negative, balance, 0),
                         np.where(small, balance, 0))
        c_out[i] = carry
    return {
        "period": np.repeat(periods, n_reps),
        "rep": np.tile(np.arange(n_reps), n_per),
        "plan": np.tile(rep_plan, n_per),
        "gross": gross.ravel(), "haircuts": haircuts.ravel(), "clawbacks": clawbacks.ravel(),
        "net": net.ravel(), "carry_in": c_in.ravel(), "payout": pay.ravel(),
        "carry_out": c_out.ravel(),
    }


def _sum(key: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums by key (np.add.at keeps integers; bincount would go through floats)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, key, values.astype(np.int64))
    return out

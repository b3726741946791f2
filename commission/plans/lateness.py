"""Days late and the haircut schedule: the one place each is computed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.plans.table import SCALE, PlanTable, scaled

_OPEN = np.iinfo(np.int64).max // 4  # an unresolved dispute's end, before clipping


def day_numbers(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (NaT as _OPEN)."""
    d = np.asarray(dates).astype("datetime64[D]")
    out = d.astype(np.int64)
    return np.where(np.isnat(d), _OPEN, out)


def merged_disputes(disputes: pd.DataFrame) -> pd.DataFrame:
    """Each invoice's disputes merged into disjoint [start, end) day ranges.

    Overlapping disputes pause a day once, so they are merged before counting.
    An unresolved dispute ends at _OPEN (clipped to the payment date later).
    """
    if disputes.empty:
        return pd.DataFrame({"invoice_id": pd.Series([], dtype=object),
                             "start": pd.Series([], dtype=np.int64),
                             "end": pd.Series([], dtype=np.int64)})
    ids = disputes["invoice_id"].to_numpy()
    d = pd.DataFrame({
        "invoice_id": ids if np.issubdtype(ids.dtype, np.integer) else ids.astype(object),
        "start": day_numbers(disputes["opened_date"]),
        "end": day_numbers(disputes["resolved_date"]),
    }).sort_values(["invoice_id", "start"], kind="stable", ignore_index=True)
    reach = d.groupby("invoice_id", sort=False)["end"].cummax()
    prev_reach = reach.groupby(d["invoice_id"], sort=False).shift(1)
    new_run = prev_reach.isna() | (d["start"] > prev_reach)
    run = new_run.cumsum()
    merged = d.assign(run=run, end=reach).groupby("run", sort=False).agg(
        invoice_id=("invoice_id", "first"), start=("start", "min"), end=("end", "max"))
    return merged.reset_index(drop=True)


def paused_days(row_invoice: np.ndarray, clock: np.ndarray, pay: np.ndarray,
                merged: pd.DataFrame) -> np.ndarray:
    """Days in [clock, pay) covered by a dispute of the row's invoice (invoice positions)."""
    n = len(row_invoice)
    out = np.zeros(n, dtype=np.int64)
    if merged.empty or n == 0:
        return out
    m_inv = merged["invoice_id"].to_numpy()
    if not np.issubdtype(m_inv.dtype, np.integer) or not np.issubdtype(
            np.asarray(row_invoice).dtype, np.integer):  # ids given as text: number them
        codes, _ = pd.factorize(np.concatenate([np.asarray(row_invoice, dtype=object),
                                                m_inv.astype(object)]))
        row_invoice, m_inv = codes[:n], codes[n:]
    m_inv = m_inv.astype(np.int64)
    order = np.argsort(m_inv, kind="stable")
    m_inv = m_inv[order]
    start, end = merged["start"].to_numpy()[order], merged["end"].to_numpy()[order]
    size = max(int(m_inv.max()), int(row_invoice.max())) + 1
    counts = np.bincount(m_inv, minlength=size)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_per_row = counts[row_invoice]
    rows = np.flatnonzero(n_per_row)  # only rows of disputed invoices
    if len(rows) == 0:
        return out
    reps = n_per_row[rows]
    r = np.repeat(rows, reps)
    k = np.repeat(first[row_invoice[rows]], reps) + (
        np.arange(len(r)) - np.repeat(np.cumsum(reps) - reps, reps))
    lo = np.maximum(start[k], clock[r])
    hi = np.minimum(end[k], pay[r])
    np.add.at(out, r, np.maximum(hi - lo, 0))
    return out


def days_late(codes: np.ndarray, table: PlanTable, invoice_days: np.ndarray,
              due_days: np.ndarray, pay_days: np.ndarray, row_invoice: np.ndarray,
              merged: pd.DataFrame) -> np.ndarray:
    """days_late = (payment − clock) − paused − grace, never below 0, per the row's plan."""
    clock = np.where(table.clock_due[codes], due_days, invoice_days)
    paused = paused_days(row_invoice, clock, pay_days, merged)
    paused = np.where(table.pause[codes], paused, 0)
    return np.maximum(pay_days - clock - paused - table.grace[codes], 0)


def haircut_num(codes: np.ndarray, table: PlanTable, late: np.ndarray) -> np.ndarray:
    """Haircut h over SCALE: the step whose after_days late exceeds, or the linear slope."""
    h = np.zeros(len(codes), dtype=np.int64)
    for code, plan in enumerate(table.plans):
        lp = plan.late_payment
        if lp is None:
            continue
        rows = codes == code
        if not rows.any():
            continue
        d = late[rows]
        if lp.steps is not None:
            after = np.array([s.after_days for s in lp.steps], dtype=np.int64)
            cuts = np.array([0] + [scaled(s.haircut) for s in lp.steps], dtype=np.int64)
            # number of steps whose after_days is strictly less than days late
            h[rows] = cuts[np.searchsorted(after, d, side="left")]
        else:
            lin = lp.linear
            assert lin is not None
            h[rows] = np.minimum(scaled(lin.max),
                                 scaled(lin.per_day) * np.maximum(d - lin.start_after_days, 0))
    return h


def next_step(plan_late, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For reps: days until the haircut next grows, and the haircut then (over SCALE).

    Returns (-1, current) where the haircut can grow no more.
    """
    n = len(days)
    if plan_late is None:
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if plan_late.steps is not None:
        after = np.array([s.after_days for s in plan_late.steps], dtype=np.int64)
        cuts = np.array([scaled(s.haircut) for s in plan_late.steps] + [0], dtype=np.int64)
        i = np.searchsorted(after, days, side="left")  # next step index
        has = i < len(after)
        wait = np.where(has, after[np.minimum(i, len(after) - 1)] + 1 - days, -1)
        return wait, np.where(has, cuts[i], cuts[len(after) - 1])
    lin = plan_late.linear
    start = lin.start_after_days
    current = np.minimum(scaled(lin.max), scaled(lin.per_day) * np.maximum(days - start, 0))
    grows = current < scaled(lin.max)
    wait = np.where(grows, np.maximum(start - days, 0) + 1, -1)
    nxt = np.minimum(scaled(lin.max), scaled(lin.per_day) * np.maximum(days + wait - start, 0))
    return wait, np.where(grows, nxt, current)


__all__ = ["SCALE", "day_numbers", "days_late", "haircut_num", "merged_disputes", "next_step"]

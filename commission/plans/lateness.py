"""The lateness clock and the haircut schedule: the one place each is computed.

Days late run from the plan's clock date (due or invoice date) to the payment,
less grace days and the days an open dispute paused the clock; the haircut is
the plan's step passed last, or its linear slope. Every function works on plan
codes and the columns of :class:`~commission.plans.table.PlanTable`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.periods import day_numbers
from commission.plans.table import LINEAR, NO_SCHEDULE, STEPS, PlanTable, Schedule

OPEN = np.iinfo(np.int64).max // 4  # an unresolved dispute's end, before clipping


def merged_disputes(disputes: pd.DataFrame) -> pd.DataFrame:
    """Each invoice's disputes merged into disjoint [start, end) day ranges.

    Overlapping disputes pause a day once, so they are merged before counting.
    An unresolved dispute ends at OPEN (clipped to the payment date later).
    """
    if disputes.empty:
        return pd.DataFrame({"invoice_id": pd.Series([], dtype=object),
                             "start": pd.Series([], dtype=np.int64),
                             "end": pd.Series([], dtype=np.int64)})
    ids = disputes["invoice_id"].to_numpy()
    d = pd.DataFrame({
        "invoice_id": ids if np.issubdtype(ids.dtype, np.integer) else ids.astype(object),
        "start": day_numbers(disputes["opened_date"], missing=OPEN),
        "end": day_numbers(disputes["resolved_date"], missing=OPEN),
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
              merged: pd.DataFrame,
              paused: tuple[np.ndarray | None, np.ndarray | None] | None = None
              ) -> np.ndarray:
    """days_late = (payment − clock) − paused − grace, never below 0, per the row's plan.

    ``paused``, when given, is each row's :func:`paused_days` from the invoice date and
    from the due date (None for a clock no row's plan pauses), worked out once for
    every plan of a what-if.
    """
    clock_due = table.clock_due[codes]
    clock = np.where(clock_due, due_days, invoice_days)
    if paused is None:
        stopped = paused_days(row_invoice, clock, pay_days, merged)
    else:
        zero = np.zeros(len(codes), dtype=np.int64)
        from_invoice, from_due = (zero if p is None else p for p in paused)
        stopped = np.where(clock_due, from_due, from_invoice)
    stopped = np.where(table.pause[codes], stopped, 0)
    return np.maximum(pay_days - clock - stopped - table.grace[codes], 0)


def _linear(codes: np.ndarray, s: Schedule, days: np.ndarray) -> np.ndarray:
    """The linear schedule's haircut after ``days`` late: the slope, up to its ceiling."""
    return np.minimum(s.most[codes], s.per_day[codes] * np.maximum(days - s.start_after[codes], 0))


def _steps_passed(codes: np.ndarray, s: Schedule, days: np.ndarray) -> np.ndarray:
    """How many of the plan's steps ``days`` late has passed (after_days strictly less)."""
    passed = np.zeros(len(codes), dtype=np.int64)
    for j in range(s.step_after.shape[1]):  # over step positions, never rows
        passed += s.step_after[codes, j] < days
    return passed


def haircut(codes: np.ndarray, table: PlanTable, late: np.ndarray) -> np.ndarray:
    """Haircut h over SCALE after ``late`` days: the step passed last, or the linear slope.

    0 under a plan without a ``late_payment`` section.
    """
    s = table.schedule
    kind = s.kind[codes]
    passed = _steps_passed(codes, s, late)
    step = np.where(passed > 0, s.step_cut[codes, np.maximum(passed - 1, 0)], 0)
    return np.select([kind == STEPS, kind == LINEAR], [step, _linear(codes, s, late)], 0)


def next_step(codes: np.ndarray, table: PlanTable, days: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Days until the haircut next changes step, and the haircut then (over SCALE).

    Returns (-1, current) where the haircut can grow no more, (-1, 0) without a schedule.
    """
    s = table.schedule
    kind = s.kind[codes]
    # steps: the next step is the first whose after_days is not below days
    i = _steps_passed(codes, s, days)
    count = s.step_count[codes]
    has = i < count
    at = np.minimum(i, np.maximum(count - 1, 0))
    after = np.where(has, s.step_after[codes, at], days)  # no arithmetic on the padding
    s_wait = np.where(has, after + 1 - days, -1)
    s_cut = s.step_cut[codes, at]
    # linear: grows every day from start_after + 1 until the ceiling
    current = _linear(codes, s, days)
    grows = current < s.most[codes]
    l_wait = np.where(grows, np.maximum(s.start_after[codes] - days, 0) + 1, -1)
    l_next = _linear(codes, s, days + l_wait)
    wait = np.select([kind == STEPS, kind == LINEAR], [s_wait, l_wait], -1)
    then = np.select([kind == STEPS, kind == LINEAR], [s_cut, np.where(grows, l_next, current)], 0)
    return wait, then


def next_growth(codes: np.ndarray, table: PlanTable, late: np.ndarray, h_now: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(days of lateness until the haircut first exceeds ``h_now``, that haircut), -1 if never.

    ``next_step`` names the next step; a step that keeps the same haircut is skipped by
    asking again from it (a loop over the few steps of a plan, never over rows).
    """
    s = table.schedule
    wait = np.full(len(codes), -1, dtype=np.int64)
    h_next = np.asarray(h_now).copy()
    days = np.asarray(late, dtype=np.int64).copy()
    total = np.zeros(len(codes), dtype=np.int64)
    searching = s.kind[codes] != NO_SCHEDULE
    limit = s.step_count[codes] + 2  # asks per plan: one per step, and two more
    for ask in range(int(limit.max()) if len(codes) else 0):
        searching &= ask < limit
        w, h = next_step(codes, table, days)
        found = searching & (w >= 0) & (h > h_now)
        wait[found] = total[found] + w[found]
        h_next[found] = h[found]
        searching &= ~found & (w >= 0)
        if not searching.any():
            break
        days = np.where(searching, days + np.maximum(w, 0), days)
        total = np.where(searching, total + np.maximum(w, 0), total)
    return wait, h_next


__all__ = ["OPEN", "days_late", "haircut", "merged_disputes", "next_growth", "next_step",
           "paused_days"]

"""What the ladder buys: collection performance by rep and by step, over time.

From :func:`~commission.collections.history.invoice_history` on a date, every
invoice due by then counts in the quarter of its due date, for each rep credited
on it (splits count once per rep):

- ``days_to_collect``: average days from invoice to settlement, settled invoices;
- ``share_within_terms``: settled by the due date, of the invoices due;
- ``rep_stepped_in``: invoices that reached the first rep-owned ladder step
  (days late, dispute days paused, at settlement or on the date);
- ``share_collected_after_rep``: of those, the share settled in full since.

By step: settled invoices by the ladder step they had reached when they were
paid (``-`` before the first step), with their count, amount and days to collect.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from commission.collections.history import invoice_history
from commission.collections.ladder import Ladder
from commission.inputs.tables import Inputs
from commission.reports.outlook import as_day, credited


def _due_history(inputs: Inputs, ladder: Ladder, as_of: dt.date | str) -> pd.DataFrame:
    day = as_day(as_of)
    h = invoice_history(inputs, day, ladder)
    h = h[h["due_date"].to_numpy().astype("datetime64[D]") <= day]
    return h.assign(quarter=pd.PeriodIndex(pd.to_datetime(h["due_date"]), freq="Q").astype(str))


def by_rep(inputs: Inputs, ladder: Ladder, as_of: dt.date | str) -> pd.DataFrame:
    """One row per (rep, quarter due): invoices, collection speed and the rep's effect."""
    h = _due_history(inputs, ladder, as_of).merge(credited(inputs)[["invoice_id", "rep_id"]],
                                                  on="invoice_id")
    h = h.assign(collected_days=h["days_to_collect"].where(h["settled"]),
                 after_rep=h["settled"] & h["rep_stepped_in"])
    g = h.groupby(["rep_id", "quarter"], sort=True)
    out = pd.DataFrame({
        "invoices": g.size(), "settled": g["settled"].sum(),
        "days_to_collect": g["collected_days"].mean().round(1),
        "share_within_terms": g["within_terms"].mean().round(3),
        "rep_stepped_in": g["rep_stepped_in"].sum(), "collected_after_rep": g["after_rep"].sum(),
    }).reset_index()
    reached = out["rep_stepped_in"].to_numpy()
    out["share_collected_after_rep"] = np.where(
        reached > 0, out["collected_after_rep"] / np.maximum(reached, 1), np.nan).round(3)
    return out


def by_step(inputs: Inputs, ladder: Ladder, as_of: dt.date | str) -> pd.DataFrame:
    """One row per (quarter due, ladder step reached when paid) of the settled invoices."""
    h = _due_history(inputs, ladder, as_of)
    h = h[h["settled"]]
    names = np.array([*(s.name for s in ladder.steps), "-"], dtype=object)
    step = names[np.where(h["step_index"] >= 0, h["step_index"], len(ladder.steps))]
    g = h.assign(step=step, order=h["step_index"]).groupby(["quarter", "order", "step"],
                                                          sort=True)
    out = pd.DataFrame({"invoices": g.size(), "amount": g["amount"].sum(),
                        "days_to_collect": g["days_to_collect"].mean().round(1)}).reset_index()
    return out.drop(columns="order")


__all__ = ["by_rep", "by_step"]

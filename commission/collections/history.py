"""Payment history per invoice: when it was settled, how late, and how far up the ladder.

Columnar over all invoices. An invoice is *settled* on the date of the payment that
brought its open balance to 0 (the last payment on or before the date, when nothing
is open then); *written off* when a write-off is dated on or before the date. Days
late at settlement are counted from the due date with the days inside its disputes
paused (a disputed invoice is not the customer's fault), never below 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from commission.collections.ladder import Ladder
from commission.collections.worklist import paused_days
from commission.inputs.tables import Inputs
from commission.plans import merged_disputes
from commission.reports.outlook import as_day, known_disputes, open_balances


def _days(col: pd.Series) -> np.ndarray:
    return col.to_numpy().astype("datetime64[D]").astype(np.int64)


def invoice_history(inputs: Inputs, as_of: dt.date | str, ladder: Ladder | None = None
                    ) -> pd.DataFrame:
    """One row per invoice issued by ``as_of``: settled, settle_date, days_late, written_off,
    days_to_collect, within_terms, and (with a ladder) step_index reached by settlement or
    by ``as_of`` and whether a rep-owned step was reached."""
    day = as_day(as_of)
    bal = open_balances(inputs, day)
    pay = inputs.payments[_days(inputs.payments["payment_date"]) <= int(day.astype(np.int64))]
    last_pay = pay.groupby("invoice_id")["payment_date"].max()
    adj = inputs.adjustments
    wo = adj[(adj["kind"] == "write_off") & (_days(adj["adjustment_date"])
                                             <= int(day.astype(np.int64)))]
    ids = bal["invoice_id"].to_numpy(dtype=object)
    settled = (bal["open_amount"].to_numpy() == 0) & (bal["paid"].to_numpy() > 0) & \
        ~pd.Index(ids).isin(wo["invoice_id"])
    end = np.where(settled, _days(last_pay.reindex(ids)).clip(min=0),
                   int(day.astype(np.int64)))
    due = _days(bal["due_date"])
    merged = merged_disputes(known_disputes(inputs.disputes, day))
    late = np.maximum(end - due - paused_days(ids, due, end, merged), 0)
    out = pd.DataFrame({
        "invoice_id": ids, "customer_id": bal["customer_id"].to_numpy(dtype=object),
        "amount": bal["amount"].to_numpy(dtype=np.int64),
        "due_date": bal["due_date"].to_numpy(), "settled": settled,
        "settle_date": np.where(settled, end, 0).astype("datetime64[D]"),
        "days_late": late, "written_off": pd.Index(ids).isin(wo["invoice_id"]),
        "days_to_collect": np.where(settled, end - _days(bal["invoice_date"]), -1),
        "within_terms": settled & (end <= due),
    })
    out.loc[~settled, "settle_date"] = np.datetime64("NaT")
    if ladder is not None:
        at = np.array(ladder.day_array(), dtype=np.int64)
        out["step_index"] = np.searchsorted(at, late, side="right") - 1
        rep_days = [s.days for s in ladder.steps if s.owner == "rep"]
        out["rep_stepped_in"] = late >= (rep_days[0] if rep_days else np.iinfo(np.int64).max)
    return out


__all__ = ["invoice_history"]

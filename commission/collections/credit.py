"""The customer credit signal for sales: how a customer pays, and whether to sell on credit.

Per customer, from :func:`~commission.collections.history.invoice_history` on a date:
paid invoices, average days late and share paid late (settled invoices; days late
from the due date, dispute days paused), open disputes, write-offs (count and
amount), the average days late of the invoices settled in each of the last
quarters (trend), and a flag with its reason, from the ladder file's
``credit_signal`` thresholds:

- ``cash in advance`` when the write-offs reach ``cash_in_advance_write_offs``, or
  with at least ``min_paid_invoices`` paid the average days late is above
  ``cash_in_advance_avg_days_late``;
- else ``credit review`` when, with at least ``min_paid_invoices`` paid, the
  average days late is above ``review_avg_days_late`` or the share paid late
  above ``review_share_late``; or an open dispute is older than 60 days;
- else ``ok``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from commission.collections.history import invoice_history
from commission.collections.ladder import CreditThresholds
from commission.inputs.tables import Inputs
from commission.reports.outlook import as_day, known_disputes

CASH_IN_ADVANCE = "cash in advance"
CREDIT_REVIEW = "credit review"
OK = "ok"
OLD_DISPUTE_DAYS = 60


def _quarter(days: pd.Series) -> pd.Series:
    return pd.PeriodIndex(pd.to_datetime(days), freq="Q").astype(str).to_series(index=days.index)


def credit_signal(inputs: Inputs, as_of: dt.date | str, terms: CreditThresholds,
                  customer_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per customer (or those in ``customer_ids``) with the signal and its reason."""
    day = as_day(as_of)
    h = invoice_history(inputs, day)
    paid = h[h["settled"]]
    g = paid.groupby("customer_id")
    late = (paid["days_late"] > 0).groupby(paid["customer_id"])
    out = pd.DataFrame({"paid_invoices": g.size(), "avg_days_late": g["days_late"].mean(),
                        "share_paid_late": late.mean()})
    wo = h[h["written_off"]].groupby("customer_id")
    out = out.join(pd.DataFrame({"write_offs": wo.size()}), how="outer")
    adj = inputs.adjustments[inputs.adjustments["kind"] == "write_off"]
    adj = adj[adj["adjustment_date"].to_numpy().astype("datetime64[D]") <= day]
    amounts = adj.merge(inputs.invoices[["invoice_id", "customer_id"]], on="invoice_id")
    out["write_off_amount"] = amounts.groupby("customer_id")["amount"].sum()
    out = out.join(_disputes(inputs, day), how="outer")
    out = out.join(_trend(paid, day, terms.quarters), how="left")
    customers = inputs.customers.set_index("customer_id")["name"]
    out = out.reindex(customers.index if customer_ids is None else customer_ids)
    out = _fill(out)
    out.insert(0, "customer_name", customers.reindex(out.index).fillna("").to_numpy())
    flag, reason = _flag(out, terms)
    out["flag"], out["reason"] = flag, reason
    return out.rename_axis("customer_id").reset_index()


def _fill(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("paid_invoices", "write_offs", "write_off_amount", "open_disputes",
              "oldest_open_dispute_days"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["avg_days_late"] = out["avg_days_late"].astype(float).round(1)
    out["share_paid_late"] = out["share_paid_late"].astype(float).round(3)
    return out


def _disputes(inputs: Inputs, day: np.datetime64) -> pd.DataFrame:
    d = known_disputes(inputs.disputes, day)
    d = d[d["resolved_date"].isna()].merge(inputs.invoices[["invoice_id", "customer_id"]],
                                           on="invoice_id")
    age = (day - d["opened_date"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    g = d.assign(age=age).groupby("customer_id")
    return pd.DataFrame({"open_disputes": g.size(), "oldest_open_dispute_days": g["age"].max()})


def _trend(paid: pd.DataFrame, day: np.datetime64, quarters: int) -> pd.DataFrame:
    last = pd.Period(pd.Timestamp(day), freq="Q")
    wanted = [str(last - k) for k in range(quarters - 1, -1, -1)]
    q = _quarter(paid["settle_date"])
    table = paid.assign(q=q).pivot_table(index="customer_id", columns="q", values="days_late",
                                         aggfunc="mean")
    table = table.reindex(columns=wanted).round(1)
    return table.rename(columns=lambda c: f"late_{c}")


def _flag(out: pd.DataFrame, t: CreditThresholds) -> tuple[np.ndarray, np.ndarray]:
    enough = out["paid_invoices"] >= t.min_paid_invoices
    avg, share = out["avg_days_late"].fillna(0), out["share_paid_late"].fillna(0)
    cia_wo = out["write_offs"] >= t.cash_in_advance_write_offs
    cia_late = enough & (avg > t.cash_in_advance_avg_days_late)
    rev_late = enough & ((avg > t.review_avg_days_late) | (share > float(t.review_share_late)))
    rev_disp = out["oldest_open_dispute_days"] > OLD_DISPUTE_DAYS
    flag = np.select([cia_wo | cia_late, rev_late | rev_disp], [CASH_IN_ADVANCE, CREDIT_REVIEW],
                     OK)
    reason = np.select(
        [cia_wo, cia_late, rev_late, rev_disp],
        [f"{t.cash_in_advance_write_offs}+ written-off invoice(s)",
         f"pays {t.cash_in_advance_avg_days_late}+ days late on average",
         f"pays late: average over {t.review_avg_days_late} days or over "
         f"{float(t.review_share_late):.0%} of invoices late",
         f"a dispute open over {OLD_DISPUTE_DAYS} days"], "")
    return flag.astype(object), reason.astype(object)


__all__ = ["CASH_IN_ADVANCE", "CREDIT_REVIEW", "OK", "credit_signal"]

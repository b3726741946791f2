"""Aging: each rep's customers' open balances by how long they are past due."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from commission.inputs import Inputs
from commission.money import cents_text
from commission.reports.outlook import as_day, open_by_rep

#: the buckets of days past due, in order: (column, lowest day, highest day)
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("over 90", 91, None),
)
BUCKET_COLUMNS = [b[0] for b in AGING_BUCKETS]
TOTAL = "TOTAL"
AGING_COLUMNS = ["rep_id", "rep_name", "customer_id", "customer_name", "invoices",
                 *BUCKET_COLUMNS, "total"]


def bucket_of(days_past_due: np.ndarray) -> np.ndarray:
    """Index into :data:`AGING_BUCKETS` of each number of days past due."""
    edges = np.array([b[2] for b in AGING_BUCKETS[:-1]], dtype=np.int64)  # 0, 30, 60, 90
    return np.searchsorted(edges, np.asarray(days_past_due, dtype=np.int64), side="left")


def aging(inputs: Inputs, as_of: dt.date | str, rep_id: str | None = None) -> pd.DataFrame:
    """Open balances by days past due, one row per (rep, customer) and a total per rep.

    As of ``as_of`` (only events dated on or before it count), an invoice's open
    balance is amount − payments (net of reversals) − credit notes − discounts −
    write-offs; invoices with nothing open, or issued after ``as_of``, are left out.
    Days past due = as_of − due_date: ``current`` is 0 or less (not yet due, or due
    today), then ``1-30``, ``31-60``, ``61-90`` and ``over 90``; money is int64 cents.

    Credited reps are the invoice's splits if it has any, else ``invoices.rep_id``.
    A split invoice shows its **whole** open balance under every credited rep, not
    the rep's share of it: aging tells a rep what the customer still owes (what to
    chase), not what the rep will earn (``outlook.open_invoices`` does that). So
    the reps' totals of a split invoice add up to more than the ledger, and there
    is no grand total across reps.

    Rows are sorted by rep_id then customer_id; after each rep's customers comes a
    row with customer_id ``'TOTAL'`` summing them. ``invoices`` counts open invoices.
    """
    day = as_day(as_of)
    return aging_of(open_by_rep(inputs, day, rep_id), day, inputs.reps, inputs.customers)


def aging_of(rows: pd.DataFrame, as_of: dt.date | str, reps: pd.DataFrame,
             customers: pd.DataFrame) -> pd.DataFrame:
    """:func:`aging` from the credited open invoices ``rows`` (one per (invoice, rep):
    rep_id, customer_id, due_date, open_amount > 0, as :func:`open_by_rep` gives them,
    in any order), so a store can find those rows in the database; ``reps`` and
    ``customers`` give the names."""
    day = as_day(as_of)
    if rows.empty:
        return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in BUCKET_COLUMNS
                                          or c in ("invoices", "total") else object)
                             for c in AGING_COLUMNS})
    past_due = (day - rows["due_date"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    bucket = bucket_of(past_due)
    open_cents = rows["open_amount"].to_numpy(dtype=np.int64)
    data = {"rep_id": rows["rep_id"].to_numpy(dtype=object),
            "customer_id": rows["customer_id"].to_numpy(dtype=object),
            "invoices": np.ones(len(rows), dtype=np.int64)}
    for i, name in enumerate(BUCKET_COLUMNS):
        data[name] = np.where(bucket == i, open_cents, 0)
    money = [*BUCKET_COLUMNS, "invoices"]
    per_customer = (pd.DataFrame(data).groupby(["rep_id", "customer_id"], sort=True)[money]
                    .sum().reset_index())
    per_rep = per_customer.groupby("rep_id", sort=True)[money].sum().reset_index()
    per_rep["customer_id"] = TOTAL
    per_customer["_order"] = 0
    per_rep["_order"] = 1
    out = pd.concat([per_customer, per_rep], ignore_index=True).sort_values(
        ["rep_id", "_order", "customer_id"], kind="stable", ignore_index=True)
    out["total"] = out[BUCKET_COLUMNS].sum(axis=1).astype(np.int64)
    for c in [*BUCKET_COLUMNS, "invoices"]:
        out[c] = out[c].astype(np.int64)
    rep_names = pd.Series(reps["name"].to_numpy(dtype=object),
                          index=reps["rep_id"].to_numpy(dtype=object))
    cust_names = pd.Series(customers["name"].to_numpy(dtype=object),
                           index=customers["customer_id"].to_numpy(dtype=object))
    out["rep_name"] = rep_names.reindex(out["rep_id"]).fillna("").to_numpy(dtype=object)
    out["customer_name"] = np.where(
        out["customer_id"] == TOTAL, "Total",
        cust_names.reindex(out["customer_id"]).fillna("").to_numpy(dtype=object)).astype(object)
    return out[AGING_COLUMNS]


def aging_text(frame: pd.DataFrame) -> str:
    """The aging frame as a fixed-width table for the terminal, one block per rep.

    Cells are formatted a column at a time (:func:`cents_text`) and lines joined as
    plain strings: a year of a large company has tens of thousands of rows.
    """
    if frame.empty:
        return "No open invoices.\n"
    money_cols = [*BUCKET_COLUMNS, "total"]
    cells = {c: cents_text(frame[c].to_numpy(dtype=np.int64)).to_pylist() for c in money_cols}
    names = [
        TOTAL if cid == TOTAL else (f"{cid} {cname}".strip() if cname else str(cid))
        for cid, cname in zip(frame["customer_id"], frame["customer_name"], strict=True)
    ]
    counts = [str(v) for v in frame["invoices"].tolist()]
    name_w = max(len("Customer"), *(len(s) for s in names))
    widths = {c: max(len(c), *(len(s) for s in cells[c])) for c in money_cols}
    count_w = max(len("Inv"), *(len(s) for s in counts))
    header = ("  " + "Customer".ljust(name_w) + "  " + "Inv".rjust(count_w) + "  "
              + "  ".join(c.rjust(widths[c]) for c in money_cols))
    rule = "  " + "-" * (len(header) - 2)
    rows = ["  " + names[k].ljust(name_w) + "  " + counts[k].rjust(count_w) + "  "
            + "  ".join(cells[c][k].rjust(widths[c]) for c in money_cols)
            for k in range(len(frame))]
    reps = frame["rep_id"].to_numpy(dtype=object)
    rep_names = frame["rep_name"].to_numpy(dtype=object)
    code = pd.factorize(reps)[0]  # blocks in order of each rep's first row, as groupby
    out: list[str] = []
    for i, block in enumerate(np.split(np.argsort(code, kind="stable"),
                                       np.flatnonzero(np.diff(np.sort(code))) + 1)):
        if i:
            out.append("")
        first = block[0]
        out.append(f"{reps[first]} {rep_names[first]}".strip())
        out.append(header)
        out.append(rule)
        for k in block:
            if names[k] == TOTAL:
                out.append(rule)
            out.append(rows[k])
    return "\n".join(out) + "\n"


__all__ = ["AGING_BUCKETS", "AGING_COLUMNS", "BUCKET_COLUMNS", "TOTAL", "aging", "aging_of",
           "aging_text",
           "bucket_of"]

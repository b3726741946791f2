"""Aging: each rep's customers' open balances by how long they are past due."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from commission.inputs import Inputs
from commission.money import cents_text
from commission.reports.outlook import as_day, open_by_rep

if TYPE_CHECKING:
    from commission.store import Store

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


def stored_aging(store: Store, as_of: dt.date | str, rep_id: str | None = None
                 ) -> pd.DataFrame:
    """:func:`aging` of the store's data, the open balances summed in the database
    (:meth:`Store.aging_sums`): a million invoices never leave it."""
    day = as_day(as_of).astype(dt.date)
    sums = store.aging_sums(day, [(low, high) for _name, low, high in AGING_BUCKETS], rep_id)
    return aging_of_sums(sums.rename(columns={f"b{i}": b[0] for i, b in
                                              enumerate(AGING_BUCKETS)}))


def aging_of(rows: pd.DataFrame, as_of: dt.date | str, reps: pd.DataFrame,
             customers: pd.DataFrame) -> pd.DataFrame:
    """:func:`aging` from the credited open invoices ``rows`` (one per (invoice, rep):
    rep_id, customer_id, due_date, open_amount > 0, as :func:`open_by_rep` gives them,
    in any order); ``reps`` and ``customers`` give the names."""
    day = as_day(as_of)
    if rows.empty:
        return aging_of_sums(pd.DataFrame({c: [] for c in AGING_COLUMNS if c != "total"}))
    past_due = (day - rows["due_date"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    bucket = bucket_of(past_due)
    open_cents = rows["open_amount"].to_numpy(dtype=np.int64)
    data = {"rep_id": rows["rep_id"].to_numpy(dtype=object),
            "customer_id": rows["customer_id"].to_numpy(dtype=object),
            "invoices": np.ones(len(rows), dtype=np.int64)}
    for i, name in enumerate(BUCKET_COLUMNS):
        data[name] = np.where(bucket == i, open_cents, 0)
    sums = (pd.DataFrame(data).groupby(["rep_id", "customer_id"], sort=False)
            [["invoices", *BUCKET_COLUMNS]].sum().reset_index())
    rep_names = pd.Series(reps["name"].to_numpy(dtype=object),
                          index=reps["rep_id"].to_numpy(dtype=object))
    cust_names = pd.Series(customers["name"].to_numpy(dtype=object),
                           index=customers["customer_id"].to_numpy(dtype=object))
    sums["rep_name"] = rep_names.reindex(sums["rep_id"]).fillna("").to_numpy(dtype=object)
    sums["customer_name"] = cust_names.reindex(sums["customer_id"]).fillna("").to_numpy(
        dtype=object)
    return aging_of_sums(sums)


def aging_of_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """:func:`aging` from each (rep, customer)'s figures ``sums`` (rep_id, rep_name,
    customer_id, customer_name, invoices and the bucket columns, one row per pair, in
    any order), as the store sums them in the database: the rows sorted, a total per
    rep after its customers, and ``total``."""
    money = [*BUCKET_COLUMNS, "invoices"]
    if sums.empty:
        return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in money or c == "total"
                                          else object) for c in AGING_COLUMNS})
    per_customer = sums[["rep_id", "rep_name", "customer_id", "customer_name", *money]]
    per_rep = per_customer.groupby("rep_id", sort=True).agg(
        {"rep_name": "first", **{c: "sum" for c in money}}).reset_index()
    per_rep["customer_id"] = TOTAL
    per_rep["customer_name"] = ""
    out = pd.concat([per_customer.assign(_order=0), per_rep.assign(_order=1)],
                    ignore_index=True).sort_values(["rep_id", "_order", "customer_id"],
                                                   kind="stable", ignore_index=True)
    for c in money:
        out[c] = out[c].astype(np.int64)
    out["total"] = out[BUCKET_COLUMNS].sum(axis=1).astype(np.int64)
    out["rep_name"] = out["rep_name"].to_numpy(dtype=object)
    out["customer_name"] = np.where(out["customer_id"] == TOTAL, "Total",
                                    out["customer_name"].to_numpy(dtype=object)).astype(object)
    return out[AGING_COLUMNS]


def aging_text(frame: pd.DataFrame) -> str:
    """The aging frame as a fixed-width table for the terminal, one block per rep.

    Cells are formatted and padded a column at a time (:func:`cents_text`, Arrow's
    padding kernels) and each row joined by one kernel; the lines of the blocks are
    put in place by position: a year of a large company has tens of thousands of rows.
    """
    if frame.empty:
        return "No open invoices.\n"
    money_cols = [*BUCKET_COLUMNS, "total"]
    names = [
        TOTAL if cid == TOTAL else (f"{cid} {cname}".strip() if cname else str(cid))
        for cid, cname in zip(frame["customer_id"].to_numpy(dtype=object).tolist(),
                              frame["customer_name"].to_numpy(dtype=object).tolist(),
                              strict=True)
    ]
    columns = [("Customer", pa.array(names, type=pa.string()), pc.utf8_rpad),
               ("Inv", pc.cast(pa.array(frame["invoices"].to_numpy(dtype=np.int64)),
                               pa.string()), pc.utf8_lpad),
               *((c, cents_text(frame[c].to_numpy(dtype=np.int64)), pc.utf8_lpad)
                 for c in money_cols)]
    heads, cells = [], []
    for title, text, pad in columns:
        width = max(len(title), pc.max(pc.utf8_length(text)).as_py())
        heads.append(title.ljust(width) if pad is pc.utf8_rpad else title.rjust(width))
        cells.append(pad(text, width=width))
    header = "  " + "  ".join(heads)
    rule = "  " + "-" * (len(header) - 2)
    rows = np.array(pc.binary_join_element_wise("", *cells, "  ").to_pylist(), dtype=object)
    return "\n".join(_blocks(frame, rows, np.array(names, dtype=object) == TOTAL,
                             header, rule).tolist()) + "\n"


def _blocks(frame: pd.DataFrame, rows: np.ndarray, total: np.ndarray, header: str,
            rule: str) -> np.ndarray:
    """Every line of the table: per rep (in order of its first row, as groupby) a blank
    line between blocks, its title, the header and a rule, then its rows, a rule above
    each total row. Lines are placed by position, not appended one by one."""
    reps = frame["rep_id"].to_numpy(dtype=object)
    rep_names = frame["rep_name"].to_numpy(dtype=object)
    code = pd.factorize(reps)[0]
    order = np.argsort(code, kind="stable")
    start = np.r_[True, code[order][1:] != code[order][:-1]]
    is_total = total[order]
    before = start * 4 - (np.arange(len(order)) == 0) + is_total  # lines above each row
    at = np.cumsum(before + 1) - 1
    out = np.empty(at[-1] + 1, dtype=object)
    out[at] = rows[order]
    out[at[is_total] - 1] = rule
    top = at[start] - is_total[start]  # the line under a block's header rule
    firsts = order[start]
    out[top - 1] = rule
    out[top - 2] = header
    out[top - 3] = [f"{r} {n}".strip() for r, n in zip(reps[firsts].tolist(),
                                                     rep_names[firsts].tolist(), strict=True)]
    out[top[1:] - 4] = ""
    return out


__all__ = ["AGING_BUCKETS", "AGING_COLUMNS", "BUCKET_COLUMNS", "TOTAL", "aging", "aging_of",
           "aging_of_sums", "aging_text", "bucket_of", "stored_aging"]

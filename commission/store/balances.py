"""Open balances computed in the database: what aging reads, without reading the ledger.

An invoice's open balance on a day is its amount less its payments (net of
reversals) and adjustments dated on or before that day (as
:func:`commission.reports.outlook.open_balances`). Summing them for a million
invoices on every question costs seconds, yet on any one day only a tenth of the
invoices are open. So the store keeps, for each invoice, the span of days on which it
*can* be open (table ``open_spans``, migration 0017): from its invoice date up to
``settled_on``, the first day from which its balance stays at or below zero on every
later day given the events it has (NULL: still open after its last event). The span
is a function of the invoice and its events only, recomputed by every load for the
invoices whose rows or events it writes (:func:`open_spans`, from the loaded data in
memory) and checkable against the ledger at any time (:func:`stale_spans`).

Aging on a day then reads only the invoices whose span holds that day, and for each
one sums its events up to that day exactly as before (the span only narrows which
invoices are looked at; an invoice in its span but settled that day drops out). The
sums per (rep, customer) and age bucket are made in the database too; what comes
out is one row per row of the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from commission.store.bulk import fetch_rows, mark, read_frame, write_frame
from commission.store.models import Adjustment, Invoice, OpenSpan, Payment

SPANS: Table = OpenSpan.__table__  # type: ignore[attr-defined]
#: the dated events that move an invoice's balance: (model, date column)
EVENTS = ((Payment, "payment_date"), (Adjustment, "adjustment_date"))

# ----------------------------------------------------------------------------- spans


def _days(values) -> np.ndarray:
    return np.asarray(values).astype("datetime64[D]").astype(np.int64)


def open_spans(invoices: pd.DataFrame, payments: pd.DataFrame,
               adjustments: pd.DataFrame) -> pd.DataFrame:
    """invoice_id, invoice_date and settled_on (``datetime64[s]``, NaT: still open after
    its last event) of every invoice of ``invoices``, from all of its events.

    ``invoices`` needs invoice_id, invoice_date and amount; ``payments`` and
    ``adjustments`` invoice_id, their date and amount (events of other invoices are
    ignored, so callers may pass whole tables). The balance after a day is amount less
    every event dated on or before it (an event dated before the invoice counts from the
    invoice date); ``settled_on`` is the day after the last day with a balance above
    zero (the invoice date if there is none), i.e. the first day of the last stretch
    at or below zero. Whole columns, one sort: no Python loop over invoices.
    """
    from commission.keys import lookup  # Arrow: only loads and migrations come here

    n = len(invoices)
    if n == 0:
        return pd.DataFrame({"invoice_id": np.empty(0, dtype=object),
                             "invoice_date": np.empty(0, dtype="datetime64[s]"),
                             "settled_on": np.empty(0, dtype="datetime64[s]")})
    issued = _days(invoices["invoice_date"].to_numpy())
    amount = invoices["amount"].to_numpy(dtype=np.int64)
    ids = invoices["invoice_id"].to_numpy(dtype=object)
    codes, days, cents = [np.arange(n)], [issued], [np.zeros(n, dtype=np.int64)]
    for frame, date_col in ((payments, "payment_date"), (adjustments, "adjustment_date")):
        at = lookup(frame["invoice_id"], ids) if len(frame) else np.zeros(0, np.int64)
        mine = at >= 0
        codes.append(at[mine])
        days.append(np.maximum(_days(frame[date_col].to_numpy())[mine], issued[at[mine]]))
        cents.append(frame["amount"].to_numpy(dtype=np.int64)[mine])
    code, day, cent = (np.concatenate(x) for x in (codes, days, cents))
    order = np.lexsort((day, code))
    code, day, cent = code[order], day[order], cent[order]
    # one point per (invoice, day): the balance at the end of that day
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])])
    code, day, moved = code[starts], day[starts], np.add.reduceat(cent, starts)
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])  # every invoice has a point
    ran = np.cumsum(moved)
    before = np.repeat(ran[first] - moved[first], np.diff(np.r_[first, len(code)]))
    balance = amount[code] - (ran - before)
    last_open = np.maximum.reduceat(np.where(balance > 0, np.arange(len(code)), -1), first)
    last = np.r_[first[1:], len(code)] - 1
    following = np.r_[day[1:], 0]  # the next point's day (only read within an invoice)
    settled = np.where(last_open < 0, issued, following[np.maximum(last_open, 0)])
    settled_on = settled.astype("datetime64[D]").astype("datetime64[s]")
    settled_on[last_open == last] = np.datetime64("NaT")
    return pd.DataFrame({"invoice_id": ids,
                         "invoice_date": issued.astype("datetime64[D]").astype("datetime64[s]"),
                         "settled_on": settled_on})


def write_spans(conn: Connection, spans: pd.DataFrame) -> None:
    """Store ``spans`` (:func:`open_spans`), replacing those of the same invoices."""
    write_frame(conn, SPANS, spans, key=["invoice_id"])


def _ledger(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The columns spans are computed from: every invoice and its dated events."""
    inv = read_frame(conn, Invoice.__table__,  # type: ignore[attr-defined]
                     ["invoice_id", "invoice_date", "amount"])
    events = [read_frame(conn, model.__table__,  # type: ignore[attr-defined]
                         ["invoice_id", date_col, "amount"]) for model, date_col in EVENTS]
    return inv, events[0], events[1]


def rebuild_spans(conn: Connection) -> int:
    """Every invoice's span computed from the ledger again (migration 0017); returns how
    many invoices have one."""
    spans = open_spans(*_ledger(conn))
    conn.exec_driver_sql(f"DELETE FROM {SPANS.name}")
    write_frame(conn, SPANS, spans)
    return len(spans)


def stale_spans(conn: Connection) -> list[str]:
    """The invoices whose stored span differs from the ledger's (missing, extra or
    different), sorted: empty when every span is what :func:`open_spans` computes now."""
    want = open_spans(*_ledger(conn))
    have = read_frame(conn, SPANS)
    both = want.merge(have, on="invoice_id", how="outer", suffixes=("", "_stored"),
                      indicator=True)
    same = (both["_merge"] == "both") & (both["invoice_date"] == both["invoice_date_stored"]) & (
        (both["settled_on"] == both["settled_on_stored"])
        | (both["settled_on"].isna() & both["settled_on_stored"].isna()))
    return sorted(both.loc[~same, "invoice_id"].astype(str))


# ----------------------------------------------------------------------------- aging


def _bucket_sums(m: str, buckets: Sequence[tuple[int | None, int | None]], day: dt.date
                 ) -> tuple[list[str], list[object]]:
    """One ``SUM(...) AS b<i>`` of the open balances per age bucket (lowest, highest days
    past due; None: unbounded) and its parameters, in order."""
    sums: list[str] = []
    params: list[object] = []
    for i, (low, high) in enumerate(buckets):
        tests = []
        if high is not None:  # days past due <= high: due on or after day - high
            tests.append(f"o.due_date >= {m}")
            params.append(day - dt.timedelta(days=high))
        if low is not None:  # days past due >= low: due on or before day - low
            tests.append(f"o.due_date <= {m}")
            params.append(day - dt.timedelta(days=low))
        when = " AND ".join(tests) or "1 = 1"
        sums.append(f"CAST(SUM(CASE WHEN {when} THEN o.open_amount ELSE 0 END) AS BIGINT) "
                    f"AS b{i}")
    return sums, params


def _open_sql(m: str, fence: str, rep: bool) -> str:
    """The invoices open on the day (one row per credited rep, ``rep``'s only if set).

    Only invoices whose span holds the day are looked at; their events up to the day
    are summed through the invoice_id indexes. ``fence`` keeps the database from
    copying the per-invoice sums into each expression that reads them (it would sum
    them again for each).
    """
    mine = (f" AND i.invoice_id IN (SELECT invoice_id FROM invoices WHERE rep_id = {m} "
            f"UNION SELECT invoice_id FROM splits WHERE rep_id = {m})") if rep else ""
    return f"""
SELECT COALESCE(sp.rep_id, o.rep_id) AS rep_id, o.customer_id, o.due_date, o.open_amount
FROM (SELECT i.invoice_id, i.rep_id, i.customer_id, i.due_date, i.amount
        - COALESCE((SELECT SUM(p.amount) FROM payments p
                    WHERE p.invoice_id = i.invoice_id AND p.payment_date <= {m}), 0)
        - COALESCE((SELECT SUM(a.amount) FROM adjustments a
                    WHERE a.invoice_id = i.invoice_id AND a.adjustment_date <= {m}), 0)
        AS open_amount
      FROM {SPANS.name} s JOIN invoices i ON i.invoice_id = s.invoice_id
      WHERE s.invoice_date <= {m} AND (s.settled_on IS NULL OR s.settled_on > {m}){mine}
      {fence}) o
LEFT JOIN splits sp ON sp.invoice_id = o.invoice_id
WHERE o.open_amount > 0""" + (f" AND COALESCE(sp.rep_id, o.rep_id) = {m}" if rep else "")


def aging_sums(conn: Connection, day: dt.date,
               buckets: Sequence[tuple[int | None, int | None]],
               rep_id: str | None = None) -> pd.DataFrame:
    """Per (credited rep, customer) with an invoice open on ``day``: rep_id, rep_name,
    customer_id, customer_name ('' when unknown), invoices (how many are open) and one
    int64 column ``b0``, ``b1``, ... per bucket of ``buckets`` ((lowest, highest) days
    past due, None: unbounded) summing their open balances; ``rep_id``'s only if given.

    A split invoice counts under each credited rep with its whole balance. Rows come in
    no particular order (the caller sorts: the database's collation is not Python's).
    """
    sqlite = conn.dialect.name == "sqlite"
    m = mark(conn)
    sums, params = _bucket_sums(m, buckets, day)
    names = [f"b{i}" for i in range(len(buckets))]
    params = [*params, day, day, day, day, *([rep_id] * 3 if rep_id is not None else [])]
    if sqlite:  # dates are ISO text there
        params = [p.isoformat() if isinstance(p, dt.date) else p for p in params]
    sql = f"""
SELECT c.rep_id, COALESCE(r.name, ''), c.customer_id, COALESCE(cu.name, ''), c.invoices,
       {", ".join(f"c.{n}" for n in names)}
FROM (SELECT o.rep_id, o.customer_id, COUNT(*) AS invoices, {", ".join(sums)}
      FROM ({_open_sql(m, "LIMIT -1" if sqlite else "OFFSET 0", rep_id is not None)}) o
      GROUP BY o.rep_id, o.customer_id) c
LEFT JOIN reps r ON r.rep_id = c.rep_id
LEFT JOIN customers cu ON cu.customer_id = c.customer_id"""
    rows = fetch_rows(conn, sql, params)
    cols = list(zip(*rows, strict=True)) if rows else [()] * (5 + len(names))
    text = ["rep_id", "rep_name", "customer_id", "customer_name"]
    frame = {name: _objects(cols[i]) for i, name in enumerate(text)}
    for i, name in enumerate(["invoices", *names]):
        frame[name] = np.array(cols[4 + i], dtype=np.int64)
    return pd.DataFrame(frame)


def _objects(values: Sequence[object]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr

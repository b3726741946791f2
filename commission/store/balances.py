"""Open balances kept in the database: what aging reads, without reading the ledger.

An invoice's open balance on a day is its amount less its payments (net of
reversals) and adjustments dated on or before that day (as
:func:`commission.reports.outlook.open_balances`). Summing a million invoices' events
on every question costs seconds, yet on any one day only a tenth of the invoices are
open. So the store keeps each invoice's open balance over time (table
``open_balances``, migration 0018): one row per stretch of days on which the balance
is above zero and constant, ``open_from`` (its first day) up to ``open_until``
(excluded; NULL: still open after the invoice's last event), with ``open_amount`` and
the invoice's rep, customer and due date (aging reads nothing else of the ledger).
The rows are a function of the invoice and its events only (:func:`open_pieces`):
every load rewrites those of the invoices whose rows or events it writes, from the
loaded data in memory, and :func:`stale_balances` checks them against the ledger.

Aging on a day is then one range read of that table (the index on ``open_until``):
the invoices open that day with their exact balances, summed per (rep, customer) and
age bucket in the database; what comes out is one row per row of the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from commission.store.bulk import fetch_rows, mark, read_frame, text_array, write_frame
from commission.store.models import Adjustment, Invoice, OpenBalance, Payment

BALANCES: Table = OpenBalance.__table__  # type: ignore[attr-defined]
WRITE_CHUNK = 250_000  # rows of open balances turned into tuples at once
AGING_WORK_MEM = "64MB"  # PostgreSQL: aging's groups hashed in memory, not sorted on disk
#: the dated events that move an invoice's balance: (table, date column)
EVENTS: tuple[tuple[Table, str], ...] = (
    (Payment.__table__, "payment_date"),  # type: ignore[attr-defined]
    (Adjustment.__table__, "adjustment_date"))  # type: ignore[attr-defined]
PIECE_COLUMNS = ["invoice_id", "open_from", "open_until", "open_amount", "rep_id",
                 "customer_id", "due_date"]
#: what a row copies of its invoice
INVOICE_COLUMNS = ["invoice_id", "invoice_date", "amount", "rep_id", "customer_id", "due_date"]


@dataclass
class Rebalance:
    """What a load rewrites in ``open_balances``: every row of ``invoices`` (None: of
    every invoice) replaced by ``pieces`` (:func:`open_pieces`)."""

    invoices: np.ndarray | None
    pieces: pd.DataFrame


# ----------------------------------------------------------------------------- computing


def _days(values) -> np.ndarray:
    return np.asarray(values).astype("datetime64[D]").astype(np.int64)


def _points(invoices: pd.DataFrame, payments: pd.DataFrame, adjustments: pd.DataFrame
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(invoice position, day, amount moved that day) sorted by invoice then day: each
    invoice's issue day (0 moved) and every day with events (dated before the invoice:
    counted on its issue day). Events of invoices not in ``invoices`` are left out."""
    from commission.keys import lookup  # Arrow: only loads and migrations come here

    n = len(invoices)
    issued = _days(invoices["invoice_date"].to_numpy())
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
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])])
    return code[starts], day[starts], np.add.reduceat(cent, starts)


def open_pieces(invoices: pd.DataFrame, payments: pd.DataFrame,
                adjustments: pd.DataFrame) -> pd.DataFrame:
    """The ``open_balances`` rows of every invoice of ``invoices``, from all its events.

    ``invoices`` needs :data:`INVOICE_COLUMNS`; ``payments`` and ``adjustments``
    invoice_id, their date and amount (events of other invoices are ignored, so callers
    may pass whole tables). The balance at the end of a day is amount less every event
    dated on or before it; each stretch from one day with events (or the issue day) to
    the next on which it is above zero is a row: invoice_id, open_from, open_until
    (``datetime64[s]``, NaT: no later event), open_amount (int64 cents) and the
    invoice's rep_id, customer_id and due_date. Whole columns, one sort: no Python loop
    over invoices.
    """
    if len(invoices) == 0:
        return pd.DataFrame({"invoice_id": np.empty(0, dtype=object),
                             "open_from": np.empty(0, dtype="datetime64[s]"),
                             "open_until": np.empty(0, dtype="datetime64[s]"),
                             "open_amount": np.empty(0, dtype=np.int64),
                             "rep_id": np.empty(0, dtype=object),
                             "customer_id": np.empty(0, dtype=object),
                             "due_date": np.empty(0, dtype="datetime64[s]")})
    code, day, moved = _points(invoices, payments, adjustments)
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])  # every invoice has a point
    ran = np.cumsum(moved)
    before = np.repeat(ran[first] - moved[first], np.diff(np.r_[first, len(code)]))
    balance = invoices["amount"].to_numpy(dtype=np.int64)[code] - (ran - before)
    until = np.r_[day[1:], 0].astype("datetime64[D]").astype("datetime64[s]")
    until[np.r_[code[1:] != code[:-1], True]] = np.datetime64("NaT")  # an invoice's last
    keep = balance > 0
    at = code[keep]
    return pd.DataFrame({
        "invoice_id": invoices["invoice_id"].to_numpy(dtype=object)[at],
        "open_from": day[keep].astype("datetime64[D]").astype("datetime64[s]"),
        "open_until": until[keep], "open_amount": balance[keep],
        "rep_id": invoices["rep_id"].to_numpy(dtype=object)[at],
        "customer_id": invoices["customer_id"].to_numpy(dtype=object)[at],
        "due_date": invoices["due_date"].to_numpy().astype("datetime64[D]")[at].astype(
            "datetime64[s]")})


# ----------------------------------------------------------------------------- writing


def write_balances(conn: Connection, change: Rebalance) -> None:
    """Replace the ``open_balances`` rows of ``change.invoices`` (all: None) with its pieces."""
    if change.invoices is None:
        conn.exec_driver_sql(f"DELETE FROM {BALANCES.name}")
    elif len(change.invoices):
        ids = [str(v) for v in change.invoices.tolist()]
        if conn.dialect.name == "postgresql":  # one statement, the ids as one array
            conn.exec_driver_sql(f"DELETE FROM {BALANCES.name} WHERE invoice_id = "
                                 "ANY(CAST(%s AS text[]))", (text_array(ids),))
        else:  # in-process: one prepared statement run per id through the primary key
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cur.executemany(f"DELETE FROM {BALANCES.name} WHERE invoice_id = ?",
                                [(i,) for i in ids])
            finally:
                cur.close()
    for start in range(0, len(change.pieces), WRITE_CHUNK):  # bounded row tuples at a time
        write_frame(conn, BALANCES, change.pieces.iloc[start:start + WRITE_CHUNK])


def _ledger(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The columns open balances are computed from: every invoice and its dated events."""
    inv = read_frame(conn, Invoice.__table__, INVOICE_COLUMNS)  # type: ignore[attr-defined]
    events = [read_frame(conn, t, ["invoice_id", date_col, "amount"]) for t, date_col in EVENTS]
    return inv, events[0], events[1]


def rebuild_balances(conn: Connection) -> int:
    """Every invoice's open balances computed from the ledger again (migration 0018);
    returns how many rows that makes."""
    pieces = open_pieces(*_ledger(conn))
    write_balances(conn, Rebalance(None, pieces))
    return len(pieces)


def stale_balances(conn: Connection) -> list[str]:
    """The invoices whose stored open balances differ from the ledger's (a row missing,
    extra or different), sorted: empty when the table is what :func:`open_pieces`
    computes from the store's invoices, payments and adjustments now."""
    want = open_pieces(*_ledger(conn)).assign(_want=1)
    have = read_frame(conn, BALANCES, PIECE_COLUMNS).assign(_have=1)
    both = want.merge(have, on=PIECE_COLUMNS, how="outer")
    return sorted({str(i) for i in both.loc[both["_want"].isna() | both["_have"].isna(),
                                            "invoice_id"]})


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
            tests.append(f"b.due_date >= {m}")
            params.append(day - dt.timedelta(days=high))
        if low is not None:  # days past due >= low: due on or before day - low
            tests.append(f"b.due_date <= {m}")
            params.append(day - dt.timedelta(days=low))
        when = " AND ".join(tests) or "1 = 1"
        sums.append(f"CAST(SUM(CASE WHEN {when} THEN b.open_amount ELSE 0 END) AS BIGINT) "
                    f"AS b{i}")
    return sums, params


def aging_sums(conn: Connection, day: dt.date,
               buckets: Sequence[tuple[int | None, int | None]],
               rep_id: str | None = None) -> pd.DataFrame:
    """Per (credited rep, customer) with an invoice open on ``day``: rep_id, rep_name,
    customer_id, customer_name ('' when unknown), invoices (how many are open) and one
    int64 column ``b0``, ``b1``, ... per bucket of ``buckets`` ((lowest, highest) days
    past due, None: unbounded) summing their open balances; ``rep_id``'s only if given.

    Credited reps are the invoice's splits if it has any, else its own rep; a split
    invoice counts under each with its whole balance. Rows come in no particular order
    (the caller sorts: the database's collation need not be Python's).
    """
    m = mark(conn)
    sums, params = _bucket_sums(m, buckets, day)
    names = [f"b{i}" for i in range(len(buckets))]
    mine = ""
    params += [day, day]
    if rep_id is not None:  # the rep's invoices first, through the rep_id indexes
        mine = (f" AND b.invoice_id IN (SELECT invoice_id FROM invoices WHERE rep_id = {m} "
                f"UNION SELECT invoice_id FROM splits WHERE rep_id = {m}) "
                f"AND COALESCE(sp.rep_id, b.rep_id) = {m}")
        params += [rep_id] * 3
    if conn.dialect.name == "sqlite":  # dates are ISO text there
        params = [p.isoformat() if isinstance(p, dt.date) else p for p in params]
    else:  # a short query: compiling it (JIT) costs more than it saves; group in memory
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{AGING_WORK_MEM}'")
    sql = f"""
SELECT c.rep_id, COALESCE(r.name, ''), c.customer_id, COALESCE(cu.name, ''), c.invoices,
       {", ".join(f"c.{n}" for n in names)}
FROM (SELECT COALESCE(sp.rep_id, b.rep_id) AS rep_id, b.customer_id, COUNT(*) AS invoices,
             {", ".join(sums)}
      FROM {BALANCES.name} b LEFT JOIN splits sp ON sp.invoice_id = b.invoice_id
      WHERE b.open_from <= {m} AND (b.open_until > {m} OR b.open_until IS NULL){mine}
      GROUP BY COALESCE(sp.rep_id, b.rep_id), b.customer_id) c
LEFT JOIN reps r ON r.rep_id = c.rep_id
LEFT JOIN customers cu ON cu.customer_id = c.customer_id"""
    rows = fetch_rows(conn, sql, params)
    cols = list(zip(*rows, strict=True)) if rows else [()] * (5 + len(names))
    frame = {name: _objects(cols[i])
             for i, name in enumerate(["rep_id", "rep_name", "customer_id", "customer_name"])}
    for i, name in enumerate(["invoices", *names]):
        frame[name] = np.array(cols[4 + i], dtype=np.int64)
    return pd.DataFrame(frame)


def _objects(values: Sequence[object]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr

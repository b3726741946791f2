"""Open balances computed in the database: what aging reads, without reading the ledger.

An invoice's open balance on a day is its amount less its payments (net of
reversals) and adjustments dated on or before that day (as
:func:`commission.reports.outlook.open_balances`); the database sums them per
invoice and hands back only the open ones, one row per credited rep (the
invoice's splits if it has any, else its own rep, as
:func:`commission.reports.outlook.credited`). A million invoices stay in the
database; a few thousand rows come out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

_OPEN = """
WITH paid AS (SELECT invoice_id, SUM(amount) AS s FROM payments
              WHERE payment_date <= {m} GROUP BY invoice_id),
adjusted AS (SELECT invoice_id, SUM(amount) AS s FROM adjustments
             WHERE adjustment_date <= {m} GROUP BY invoice_id),
open_ AS (SELECT i.invoice_id, i.customer_id, i.rep_id, i.due_date,
                 i.amount - COALESCE(p.s, 0) - COALESCE(a.s, 0) AS open_amount
          FROM invoices i LEFT JOIN paid p ON p.invoice_id = i.invoice_id
          LEFT JOIN adjusted a ON a.invoice_id = i.invoice_id
          WHERE i.invoice_date <= {m})
SELECT c.rep_id, c.customer_id, c.due_date, CAST(c.open_amount AS BIGINT) FROM (
  SELECT COALESCE(s.rep_id, o.rep_id) AS rep_id, o.customer_id, o.due_date, o.open_amount
  FROM open_ o LEFT JOIN splits s ON s.invoice_id = o.invoice_id
  WHERE o.open_amount > 0) c {where}
"""


def open_credited(conn: Connection, day: dt.date, rep_id: str | None = None) -> pd.DataFrame:
    """rep_id, customer_id, due_date (datetime64[s]) and open_amount (int64 cents) of every
    invoice open on ``day``, once per credited rep (``rep_id``'s only, if given)."""
    sqlite = conn.dialect.name == "sqlite"
    m = "?" if sqlite else "%s"
    value: object = day.isoformat() if sqlite else day
    where, params = ("", (value,) * 3) if rep_id is None else (
        f"WHERE c.rep_id = {m}", (value,) * 3 + (rep_id,))
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(_OPEN.format(m=m, where=where), params)
        rows = cur.fetchall()
    finally:
        cur.close()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 4

    def obj(values) -> np.ndarray:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr

    return pd.DataFrame({
        "rep_id": obj(cols[0]), "customer_id": obj(cols[1]),
        "due_date": np.array(cols[2], dtype="datetime64[D]").astype("datetime64[s]"),
        "open_amount": np.array(cols[3], dtype=np.int64),
    })

"""What a batch after a locked one reads: the open events and the history they need.

A batch pays the events no locked batch paid. After a locked batch of period P
(the base), such an event is either dated after P or was written by a load after
the base's run (its ``load_id`` is above the base's ``data_version``): every
other event existed when the base ran and was due, so the base or an earlier
batch paid it. The database finds those few candidates by a scan on dates and
load ids and keeps the ones ``paid_events`` does not hold.

The engine computes per invoice (an invoice's lines depend on its own events,
splits, disputes and customer, and on the rep's plan, quota and earlier
volume), so a batch needs only the invoices with an open event, with **every**
event of them (paid ones too, marked unpaid by the caller's masks), the reps,
assignments, quotas and manual lines, and of earlier batches' lines only those
of these invoices (the rates reversals and credits take back) and the volume of
each (rep, plan, period) (V₀, summed in the database). A month's run then reads
a month of data, not the store.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from commission.inputs.tables import Inputs
from commission.keys import lookup
from commission.store import batchdb
from commission.store.bulk import fetch_rows, ids_subquery
from commission.store.records import EVENTS, _inputs_of_invoices

#: kinds of locked lines whose rates later events take again (see ``PriorLines``)
RATE_KINDS = ("invoice", "collection", "reversal", "clawback", "penalty")


def _first_after(conn: Connection, period: str) -> object:
    """The first day after ``period`` as the driver compares it with a DATE column."""
    year, month = int(period[:4]), int(period[5:7])
    day = dt.date(year + month // 12, month % 12 + 1, 1)
    return day.isoformat() if conn.dialect.name == "sqlite" else day



def open_events(conn: Connection, base: dict) -> dict[str, np.ndarray]:
    """Ids of the events (by table) that no locked batch paid, given the last locked
    batch ``base``; with ``"_invoices"`` the invoice of each (for
    :func:`commission.store.bulk.ids_subquery`).

    Two reads per table: the candidates (a scan on dates and load ids), then those of
    them a locked batch paid, by id through the paid events' index. One query joining
    the two let PostgreSQL hash every paid event of the store to keep 37k candidates
    (0.55 s of a month's run at a million invoices; the probes take 0.07 s).
    """
    m = "?" if conn.dialect.name == "sqlite" else "%s"
    after, version = _first_after(conn, base["period"]), int(base["data_version"] or 0)
    out: dict[str, np.ndarray] = {}
    invoices: list[np.ndarray] = []
    for table, (kind, id_col, date_col) in EVENTS.items():
        rows = fetch_rows(conn, (
            f"SELECT {id_col}, invoice_id FROM {table} "
            f"WHERE {date_col} >= {m} OR load_id > {version}"), (after,))
        ids, of = _obj([r[0] for r in rows]), _obj([r[1] for r in rows])
        paid = batchdb.paid_among(conn, kind, ids)["event_id"] if len(ids) else ids
        keep = lookup(ids, paid) < 0  # none, unless a paid event was written again
        out[table] = ids[keep]
        invoices.append(of[keep])
    out["_invoices"] = np.array(sorted(set(np.concatenate(invoices).tolist())), dtype=object)
    return out


def read_open_inputs(conn: Connection, base: dict) -> tuple[Inputs, pd.DataFrame, np.ndarray]:
    """(inputs of the invoices with an open event, every manual line; the (event_kind,
    event_id) of their events a locked batch paid; those invoices' ids)."""
    open_ = open_events(conn, base)
    sub, params = ids_subquery(conn, open_["_invoices"])
    inputs = _inputs_of_invoices(conn, sub, params, ("", ()))
    paid = []
    for table, (kind, id_col, _date) in EVENTS.items():
        ids = getattr(inputs, table)[id_col].to_numpy(dtype=object)
        done = ids[lookup(ids, open_[table]) < 0]
        paid.append(pd.DataFrame({"event_kind": np.full(len(done), kind, dtype=object),
                                  "event_id": done}))
    manual = fetch_rows(conn, (
        "SELECT DISTINCT 'manual', l.event_id FROM batch_lines l JOIN batches b "
        "ON b.batch_id = l.batch_id WHERE b.status = 'locked' AND l.line_kind = 'manual'"), ())
    paid.append(pd.DataFrame(manual, columns=["event_kind", "event_id"]).astype(object))
    return inputs, pd.concat(paid, ignore_index=True), open_["_invoices"]


def _obj(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def prior_lines_of(conn: Connection, invoices: np.ndarray) -> pd.DataFrame:
    """Locked lines of ``invoices`` whose rates later events take (the columns of
    ``batchdb.prior_lines`` but period, plan_id, base_amount and share)."""
    sub, params = ids_subquery(conn, invoices)
    kinds = ", ".join(f"'{k}'" for k in RATE_KINDS)
    rows = fetch_rows(conn, (
        "SELECT l.line_kind, l.event_id, l.rep_id, l.rate_num, l.rate_den, l.haircut_num, "
        "l.days_late FROM batch_lines l JOIN batches b ON b.batch_id = l.batch_id "
        f"WHERE b.status = 'locked' AND l.line_kind IN ({kinds}) AND l.invoice_id IN ({sub}) "
        "ORDER BY b.period, l.line_no"), params)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    return pd.DataFrame({
        "line_kind": _obj(cols[0]), "event_id": _obj(cols[1]), "rep_id": _obj(cols[2]),
        "rate_num": _obj([int(v) for v in cols[3]]), "rate_den": _obj([int(v) for v in cols[4]]),
        "haircut_num": np.array([-1 if v is None else v for v in cols[5]], dtype=np.int64),
        "days_late": np.array([-1 if v is None else v for v in cols[6]], dtype=np.int64),
    })


def prior_volume(conn: Connection) -> pd.DataFrame:
    """Earning lines of locked batches summed by (kind, rep, plan, period, share): the
    volume Σ base_amount × share they count toward V₀, in a few rows (the product
    is taken per group in Python: it may pass 64 bits). From the sums each run keeps
    (``batch_volumes``, migration 0020), not from every locked line."""
    rows = fetch_rows(conn, (
        "SELECT v.line_kind, v.rep_id, v.plan_id, v.period, v.share, SUM(v.base_amount) "
        "FROM batch_volumes v JOIN batches b ON b.batch_id = v.batch_id "
        "WHERE b.status = 'locked' "
        "GROUP BY v.line_kind, v.rep_id, v.plan_id, v.period, v.share "
        "ORDER BY v.line_kind, v.rep_id, v.plan_id, v.period, v.share"), ())
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return pd.DataFrame({
        "line_kind": _obj(cols[0]), "rep_id": _obj(cols[1]), "plan_id": _obj(cols[2]),
        "period": _obj(cols[3]), "share": _obj([int(v) for v in cols[4]]),
        "base_amount": _obj([int(v) for v in cols[5]]),
    })

"""The rows a batch's diff compares, found in the database instead of reading the store.

A load stamps every row it writes with its ``load_id``, and a batch keeps the
last load it saw (``data_version``). So an event whose ``load_id`` is not above
it is exactly as the batch saw it: only the newer rows can have been added or
changed. Besides those, a diff needs the batch's events that are gone (an
anti-join) and, for a draft, those a batch locked since has paid (only batches
after the draft's base can have). :func:`diff_rows` returns just these rows, in
the shapes :func:`commission.payroll.changes.describe` reads, so the words are
the same as when every event was compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from commission.store import batchdb
from commission.store.bulk import fetch_rows, ids_subquery, read_frame
from commission.store.records import EVENTS, read_table

_THEN = ["event_kind", "event_id", "event_date", "amount", "row_hash"]
_PAID = ["event_kind", "event_id", "batch_id", "period"]



def _paid_frame(rows: list[tuple]) -> pd.DataFrame:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 4
    out = {}
    for name, values in zip(_PAID, cols, strict=True):
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        out[name] = arr
    return pd.DataFrame(out)


def _moved(conn: Connection, b: dict[str, Any], base_period: str) -> pd.DataFrame:
    """The draft's events a batch locked after its base has paid (kind, id, batch, period)."""
    m = "?" if conn.dialect.name == "sqlite" else "%s"
    batch = int(b["batch_id"])
    return _paid_frame(fetch_rows(conn, (
        "SELECT p.event_kind, p.event_id, p.batch_id, o.period FROM paid_events p "
        "JOIN batches o ON o.batch_id = p.batch_id "
        f"WHERE o.status = 'locked' AND p.batch_id <> {batch} AND o.period > {m} "
        "AND EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = "
        f"{batch} AND e.event_kind = p.event_kind AND e.event_id = p.event_id)"),
        (base_period,)))


def _gone(conn: Connection, batch: int) -> pd.DataFrame:
    """The batch's events whose record is no longer in the store.

    One lookup per event of the batch (2.87M for a catch-up at a million invoices):
    only a draft's need it. A locked batch's events are paid, and the database refuses
    to delete or change a paid event (migration 0001's guards, reading the paid events
    of 0021), so none of them can be gone.
    """
    missing = " AND ".join(
        f"NOT (e.event_kind = '{kind}' AND EXISTS (SELECT 1 FROM {table} t "
        f"WHERE t.{id_col} = e.event_id))" for table, (kind, id_col, _d) in EVENTS.items())
    return read_frame(conn, batchdb.EVENTS, _THEN, f"e WHERE e.batch_id = {batch} AND {missing}")


def diff_rows(conn: Connection, b: dict[str, Any]) -> dict[str, Any]:
    """``now`` (event tables: rows newer than the batch, and the rows of events paid
    elsewhere since), ``then`` (the batch's events among those, and the gone ones),
    ``paid`` (who else paid any of them) and the splits and disputes recorded since."""
    batch, version = int(b["batch_id"]), int(b["data_version"] or 0)
    moved = pd.DataFrame(columns=_PAID)
    if b["status"] != "locked":
        base = batchdb.get(conn, b["base_batch_id"]) if b["base_batch_id"] else None
        moved = _moved(conn, b, base["period"] if base else "")
    now: dict[str, pd.DataFrame] = {}
    then = [] if b["status"] == "locked" else [_gone(conn, batch)]
    paid = [moved]
    for table, (kind, id_col, _date) in EVENTS.items():
        ids = moved.loc[moved["event_kind"] == kind, "event_id"].to_numpy(dtype=object)
        sub, params = ids_subquery(conn, ids)
        newer = f"SELECT {id_col} FROM {table} WHERE load_id > {version}"
        # without rows paid elsewhere no OR: PostgreSQL then scans the whole table
        either = f" OR {id_col} IN ({sub})" if len(ids) else ""
        now[table] = read_table(conn, table, None, f"WHERE load_id > {version}{either}",
                                params if len(ids) else ())
        then.append(read_frame(conn, batchdb.EVENTS, _THEN, (  # one list: key lookups
            f"WHERE batch_id = {batch} AND event_kind = '{kind}' AND event_id IN ({newer} "
            f"UNION ALL {sub})"), params))  # (with OR, SQLite reads every event of the batch)
        paid.append(_paid_frame(fetch_rows(conn, (
            "SELECT p.event_kind, p.event_id, p.batch_id, o.period FROM paid_events p "
            f"JOIN batches o ON o.batch_id = p.batch_id WHERE p.event_kind = '{kind}' "
            f"AND p.batch_id <> {batch} AND p.event_id IN ({newer})"))))
    then_rows = pd.concat([t for t in then if len(t)] or [then[0]], ignore_index=True)
    then_rows = then_rows.drop_duplicates(["event_kind", "event_id"]).sort_values(
        ["event_kind", "event_id"], kind="stable", ignore_index=True)
    return {"events_now": now, "then": then_rows,
            "paid": pd.concat(paid, ignore_index=True).drop_duplicates(
                ["event_kind", "event_id"], ignore_index=True),
            "recorded": {n: read_table(conn, n, ["load_id"], f"WHERE load_id > {version}")
                         for n in ("splits", "disputes")}}

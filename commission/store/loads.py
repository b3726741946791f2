"""Loads in the store: one transaction writes a load's rows, stamped with its ``load_id``.

What a load changes (merging new rows over the store's, the history rule) is
decided in :mod:`commission.payroll.loading`; this module only writes the result.
New keys are a plain INSERT (the fast path: a key that appeared meanwhile fails
the load rather than being overwritten); changed rows are an upsert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.store import planstore
from commission.store.balances import BALANCES, Rebalance, write_balances
from commission.store.bulk import (
    delete_keys,
    foreign_keys_checked_once,
    indexes_built_after,
    statistics_refreshed,
    worth_rebuilding,
    write_frame,
)
from commission.store.db import utcnow
from commission.store.models import Load
from commission.store.records import KEYS, data_version, table

BULK_ROWS = 200_000  # from this many rows, PostgreSQL checks references once, not per row
LOADS: Table = Load.__table__  # type: ignore[attr-defined]


@dataclass
class TableRows:
    """The rows one load writes to one input table (contract columns)."""

    new: pd.DataFrame  # keys not in the store
    changed: pd.DataFrame  # keys in the store whose row differs
    deleted: pd.DataFrame = field(default_factory=pd.DataFrame)  # keys to remove

    def __len__(self) -> int:
        return len(self.new) + len(self.changed)


def stamp(conn: Connection) -> tuple[int, int]:
    """(last load, locked batches): changes whenever a load or a lock commits (a lock is
    what pays events, and a locked batch stays locked)."""
    return data_version(conn), locked_batches(conn)


def locked_batches(conn: Connection) -> int:
    """How many batches are locked (a few rows: cheaper than counting what they paid)."""
    return int(conn.exec_driver_sql(
        "SELECT COUNT(*) FROM batches WHERE status = 'locked'").scalar_one())


def write_load(conn: Connection, source: str, by: str | None, rows: dict[str, TableRows],
               plan_versions: dict[str, tuple[int, str, str]], summary: dict,
               balances: Rebalance | None = None) -> int:
    """Write one load (already validated) and its new plan versions; returns its load_id.

    ``balances``: the open balances (:func:`commission.store.balances.open_pieces`) of
    every invoice the load writes or whose events it writes, from the data after it.
    """
    now = utcnow()
    load_id = conn.execute(
        insert(LOADS).values(loaded_at=now, loaded_by=by, source=source,
                             summary=json.dumps(summary, sort_keys=True))
        .returning(LOADS.c.load_id)).scalar_one()
    planstore.write_versions(conn, plan_versions)
    stamp_cols = {"recorded_at": now, "load_id": load_id}
    written = [name for name in COLUMNS if name in rows]
    bulk = [table(n) for n in written] if sum(len(rows[n]) for n in written) >= BULK_ROWS else []
    rebuilt = [table(n) for n in written if worth_rebuilding(conn, table(n), len(rows[n]))]
    if balances is not None and worth_rebuilding(conn, BALANCES, len(balances.pieces)):
        rebuilt.append(BALANCES)
    with foreign_keys_checked_once(conn, bulk), indexes_built_after(conn, rebuilt):
        for name in written:
            r = rows[name]
            if len(r.deleted):
                delete_keys(conn, table(name), r.deleted)
            write_frame(conn, table(name), r.new, constants=stamp_cols)
            write_frame(conn, table(name), r.changed, key=KEYS[name], constants=stamp_cols)
        if balances is not None:
            write_balances(conn, balances)
    grown = {table(n): len(rows[n].new) + len(rows[n].changed) for n in written}
    if balances is not None:
        grown[BALANCES] = len(balances.pieces)
    statistics_refreshed(conn, grown)
    return int(load_id)

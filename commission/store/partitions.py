"""The stored inputs cut by rep, for workers that read the store themselves.

With the store as the system of record, a partitioned ``calculate`` needs no copy
of the data in files: each worker opens the store and reads the part its reps need
(:meth:`StoredPartitions.inputs`), found by the indexes on ``rep_id`` and
``invoice_id``. The object holds only the database URL, so it travels to a worker
as a few bytes and every worker opens its own connection.

Rows come back in key order (:func:`records.read_table`), as the one-process read
gives them, so a partition's rows are a subsequence of the whole in the same order
and the engine derives the same orders from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection

from commission.inputs.tables import STORED_COLUMNS, Inputs
from commission.store.bulk import fetch_rows, mark
from commission.store.records import read_table

#: read whole by every partition (one row per rep, customer, quota, manual line)
WHOLE = ("reps", "customers", "plan_assignments", "quotas", "commission_adjustments")
#: event dates whose months the run spans
EVENT_DATES = {"invoices": "invoice_date", "payments": "payment_date",
               "adjustments": "adjustment_date", "commission_adjustments": "adjustment_date"}


@dataclass(frozen=True)
class StoredPartitions:
    """Reads of one store for a partitioned run: the driver's small tables, a worker's part."""

    url: str

    def _read(self):
        from commission.store.db import open_store

        return open_store(self.url)

    def small(self) -> dict[str, pd.DataFrame]:
        """``reps`` and ``plan_assignments`` (the driver cuts partitions from them)."""
        with self._read() as store, store.read() as conn:
            return {name: read_table(conn, name) for name in ("reps", "plan_assignments")}

    def sizes(self) -> tuple[int, str | None, str | None]:
        """(invoices, first month, last month) of the stored events ('YYYY-MM')."""
        with self._read() as store, store.read() as conn:
            n = int(fetch_rows(conn, "SELECT COUNT(*) FROM invoices")[0][0])
            spans = [fetch_rows(conn, f"SELECT MIN({col}), MAX({col}) FROM {name}")[0]
                     for name, col in EVENT_DATES.items()]
        firsts = [str(lo)[:7] for lo, _hi in spans if lo is not None]
        lasts = [str(hi)[:7] for _lo, hi in spans if hi is not None]
        return n, min(firsts, default=None), max(lasts, default=None)

    def inputs(self, rep_ids: Sequence[str]) -> Inputs:
        """What the reps ``rep_ids`` need: every invoice crediting one of them (its own or
        split to them) with all of its splits, payments, adjustments and disputes, and
        every rep, customer, plan assignment, quota and manual line."""
        with self._read() as store, store.read() as conn:
            return _inputs_of_reps(conn, list(rep_ids))


def _inputs_of_reps(conn: Connection, rep_ids: list[str]) -> Inputs:
    m = mark(conn)
    marks = ", ".join([m] * len(rep_ids)) or "NULL"
    invoices = (f"SELECT invoice_id FROM invoices WHERE rep_id IN ({marks}) UNION "
                f"SELECT invoice_id FROM splits WHERE rep_id IN ({marks})")
    by_invoice = (f"WHERE invoice_id IN ({invoices})", (*rep_ids, *rep_ids))
    tables = {name: read_table(conn, name, None, *by_invoice)
              for name in STORED_COLUMNS if name not in WHOLE}
    tables |= {name: read_table(conn, name) for name in WHOLE}
    return Inputs(**tables)

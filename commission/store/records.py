"""The input tables in the store, read back as the engine's typed :class:`Inputs`.

Rows come back sorted by their key in code-point order (the same on SQLite and
PostgreSQL, whatever the database collation), so the same data always gives the
engine the same rows in the same order, and a re-run gives identical lines.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.inputs.tables import Inputs
from commission.store.bulk import read_frame
from commission.store.models import INPUT_MODELS, Load

#: key columns of each input table (a split is keyed by invoice and rep)
KEYS: dict[str, list[str]] = {
    "reps": ["rep_id"], "customers": ["customer_id"], "invoices": ["invoice_id"],
    "splits": ["invoice_id", "rep_id"], "payments": ["payment_id"],
    "adjustments": ["adjustment_id"], "disputes": ["dispute_id"],
    "plan_assignments": ["rep_id", "effective_from"], "quotas": ["rep_id", "quota_period"],
    "commission_adjustments": ["commission_adjustment_id"],
}
#: event tables: table -> (event kind, id column, date column)
EVENTS: dict[str, tuple[str, str, str]] = {
    "invoices": ("invoice", "invoice_id", "invoice_date"),
    "payments": ("payment", "payment_id", "payment_date"),
    "adjustments": ("adjustment", "adjustment_id", "adjustment_date"),
}


def table(name: str) -> Table:
    return INPUT_MODELS[name].__table__  # type: ignore[attr-defined]


def read_table(conn: Connection, name: str, extra: list[str] | None = None) -> pd.DataFrame:
    """One input table, typed, in key order; ``extra`` adds store columns (e.g. load_id)."""
    frame = read_frame(conn, table(name), [*COLUMNS[name], *(extra or [])])
    return frame.sort_values(KEYS[name], kind="stable", ignore_index=True)


def read_stored_inputs(conn: Connection) -> Inputs:
    """Every input table in the store as the engine's typed Inputs (already validated)."""
    return Inputs(**{name: read_table(conn, name) for name in COLUMNS})


def data_version(conn: Connection) -> int:
    """The last load that changed anything (0 for an empty store)."""
    t = Load.__table__  # type: ignore[attr-defined]
    return int(conn.execute(select(func.coalesce(func.max(t.c.load_id), 0))).scalar_one())

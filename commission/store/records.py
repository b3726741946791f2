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
from commission.store.bulk import fetch_rows, ids_subquery, mark, read_frame
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


def read_table(conn: Connection, name: str, extra: list[str] | None = None,
               where: str = "", params: tuple = ()) -> pd.DataFrame:
    """One input table, typed, in key order; ``extra`` adds store columns (e.g. load_id);
    ``where``/``params`` keep some rows (see :func:`read_rep_inputs`)."""
    frame = read_frame(conn, table(name), [*COLUMNS[name], *(extra or [])], where, params)
    return frame.sort_values(KEYS[name], kind="stable", ignore_index=True)


def read_stored_inputs(conn: Connection) -> Inputs:
    """Every input table in the store as the engine's typed Inputs (already validated)."""
    return Inputs(**{name: read_table(conn, name) for name in COLUMNS})


def read_rep_inputs(conn: Connection, rep_id: str, batch_id: int | None = None) -> Inputs:
    """The part of the store one rep's statement reads, as :class:`Inputs`.

    The rep's invoices (their own, split to them, or named by their lines in batch
    ``batch_id``) with every split, payment, adjustment and dispute of those
    invoices and their customers; the rep's manual lines; every rep, plan assignment
    and quota (small tables). What :func:`read_stored_inputs` gives, minus rows that
    cannot change a figure about this rep (each report computes per invoice); found
    by the indexes of migration 0011. The rep's invoice ids are found once and handed
    to each table's query as one array parameter (the union of three lookups, run
    once per table, was most of a statement's time in PostgreSQL).
    """
    m = mark(conn)
    mine = (f"SELECT invoice_id FROM invoices WHERE rep_id = {m} UNION "
            f"SELECT invoice_id FROM splits WHERE rep_id = {m}")
    params: tuple = (rep_id, rep_id)
    if batch_id is not None:
        mine += f" UNION SELECT invoice_id FROM batch_lines WHERE batch_id = {int(batch_id)} " \
                f"AND rep_id = {m}"
        params += (rep_id,)
    ids = [str(r[0]) for r in fetch_rows(conn, mine, params)]
    return _inputs_of_invoices(conn, *ids_subquery(conn, ids), (f"WHERE rep_id = {m}", (rep_id,)))


def _inputs_of_invoices(conn: Connection, invoices: str, params: tuple,
                        manual: tuple[str, tuple]) -> Inputs:
    """Inputs holding the invoices of the query ``invoices`` (with ``params``) and every
    row of those invoices, their customers, the manual lines ``manual`` keeps, and
    every rep, plan assignment and quota.

    The query runs once per table it narrows (each found by an index): only those
    rows leave the database.
    """
    by_invoice = (f"WHERE invoice_id IN ({invoices})", params)
    where = {"invoices": by_invoice, "payments": by_invoice, "adjustments": by_invoice,
             "splits": by_invoice, "disputes": by_invoice, "commission_adjustments": manual}
    tables = {name: read_table(conn, name, None, *where.get(name, ("", ())))
              for name in COLUMNS if name != "customers"}
    # the customers of the invoices just read, by their ids (not the invoices again:
    # on PostgreSQL that join was a quarter of a month's reading)
    customers = tables["invoices"]["customer_id"].drop_duplicates().astype(str).tolist()
    ids, id_params = ids_subquery(conn, customers)
    tables["customers"] = read_table(conn, "customers", None,
                                     f"WHERE customer_id IN ({ids})", id_params)
    return Inputs(**{name: tables[name] for name in COLUMNS})


def data_version(conn: Connection) -> int:
    """The last load that changed anything (0 for an empty store)."""
    t = Load.__table__  # type: ignore[attr-defined]
    return int(conn.execute(select(func.coalesce(func.max(t.c.load_id), 0))).scalar_one())

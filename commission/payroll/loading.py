"""What a load changes: a folder of new rows merged over the store's current rows.

A load is computed in memory first: the new rows are merged over a snapshot of
the store by id (a splits file replaces the splits of the invoices it names), the
caller validates the merged data as a whole, and only then are the rows that are
new or different written (:func:`commission.store.loads.write_load`), in one
transaction with the load's ``recorded_at`` and ``load_id``. Loading the same
folder twice therefore writes nothing at all.

History is never edited: an invoice, payment or adjustment already paid by a
locked batch cannot change (a correction is a new reversal or adjustment); such a
change is reported as an input problem, and triggers refuse it in the database too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.inputs.tables import Inputs, empty_table
from commission.keys import lookup
from commission.periods import month_index, parse_period, period_span
from commission.problems import Problem
from commission.store import balances, batchdb, planstore
from commission.store.loads import TableRows, locked_batches
from commission.store.records import EVENTS, KEYS, data_version, read_stored_inputs


@dataclass
class TableChange:
    """What a load does to one table."""

    upserts: pd.DataFrame  # rows to insert or update (contract columns; _fresh: a new key)
    inserted: int = 0
    updated: int = 0
    deleted: pd.DataFrame = field(default_factory=pd.DataFrame)  # keys of splits removed
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or len(self.deleted))


@dataclass
class Snapshot:
    """The store as one load saw it."""

    inputs: Inputs
    version: int  # last load_id
    plans: dict[str, tuple[int, str, str]]  # newest version of each plan: version, text, sha
    locked: int  # how many batches are locked

    @property
    def stamp(self) -> tuple[int, int]:
        """Changes when a load or a lock commits (the load must then be recomputed):
        :func:`commission.store.loads.stamp` as this snapshot saw it."""
        return self.version, self.locked


def snapshot(conn: Connection) -> Snapshot:
    """The store as a load sees it, read in one transaction."""
    return Snapshot(read_stored_inputs(conn), data_version(conn), planstore.latest(conn),
                    locked_batches(conn))


# ----------------------------------------------------------------------------- merging


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Null-safe equality, element by element."""
    a_na, b_na = a.isna().to_numpy(), b.isna().to_numpy()
    eq = (a.to_numpy() == b.to_numpy()) if len(a) else np.zeros(0, bool)
    return (np.asarray(eq, dtype=bool) & ~a_na & ~b_na) | (a_na & b_na)


def _lines(frame: pd.DataFrame) -> np.ndarray:
    """Source line numbers as Python ints (None where unknown), as validation reports them."""
    if "_line" not in frame:
        return np.full(len(frame), None, dtype=object)
    line = frame["_line"]
    missing = line.isna().to_numpy()
    out = line.fillna(0).to_numpy(dtype=np.int64).astype(object)
    out[missing] = None
    return out


def _positions(cur: pd.DataFrame, rows: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Row of ``cur`` holding each key of ``rows`` (-1 for a new key)."""
    if len(key) == 1:
        return lookup(rows[key[0]], cur[key[0]])
    index = pd.MultiIndex.from_frame(cur[key])
    return index.get_indexer(pd.MultiIndex.from_frame(rows[key]))


def _diff(name: str, cur: pd.DataFrame, new: pd.DataFrame) -> TableChange:
    """Rows of ``new`` that are not in ``cur`` or differ from it (by key)."""
    key, cols = KEYS[name], COLUMNS[name]
    body = new[cols].drop_duplicates(key, keep="last")
    pos = _positions(cur, body, key) if len(cur) else np.full(len(body), -1)
    fresh = pos < 0
    same = ~fresh
    at = np.where(fresh, 0, pos)
    for c in cols:
        if c in key or not same.any():
            continue
        old = cur[c].iloc[at].reset_index(drop=True)
        same &= _same(body[c].reset_index(drop=True), old)
    changed = ~fresh & ~same
    upserts = body.assign(_fresh=fresh)[fresh | changed].reset_index(drop=True)
    return TableChange(upserts=upserts,
                       inserted=int(fresh.sum()), updated=int(changed.sum()),
                       unchanged=int(same.sum()))


def merge(current: Inputs, new: dict[str, pd.DataFrame]
          ) -> tuple[Inputs, dict[str, TableChange]]:
    """The data set after the load (each table keeps a ``_line`` column) and its changes.

    New rows keep their source line in ``_line``; rows already in the store have
    None there. Duplicate ids in the new rows are kept, so validation sees them.
    """
    merged: dict[str, pd.DataFrame] = {}
    changes: dict[str, TableChange] = {}
    for name in COLUMNS:
        cur = getattr(current, name)
        if name not in new:
            merged[name] = cur.assign(_line=np.full(len(cur), None, dtype=object))
            continue
        add = new[name]
        missing = [c for c in COLUMNS[name] if c not in add]  # an older file's columns
        if missing:
            add = add.assign(**{c: pd.Series([None] * len(add), dtype=object, index=add.index)
                                for c in missing})
        key = KEYS[name]
        change = _diff(name, cur, add)
        if name == "splits":  # a splits file replaces the splits of the invoices it names
            keep = lookup(cur["invoice_id"], add["invoice_id"]) < 0
            gone = cur.loc[~keep, key].merge(add[key], how="left", indicator=True)
            change.deleted = gone.loc[gone["_merge"] == "left_only", key].reset_index(
                drop=True)
        else:
            keep = (_positions(add, cur, key) < 0) if len(add) else np.ones(len(cur), bool)
        old = cur[keep]
        cols = COLUMNS[name]
        frame = pd.concat([old[cols], add[cols]], ignore_index=True)
        if frame.empty:
            frame = empty_table(name)
        frame["_line"] = np.concatenate([np.full(len(old), None, dtype=object), _lines(add)])
        merged[name] = frame
        changes[name] = change
    return Inputs(**merged), changes


#: manual lines: paid once, by the batch of their period (or the next one)
MANUAL = ("commission_adjustments", ("manual", "commission_adjustment_id", "adjustment_date"))
#: tables in force from a date: (date or period column, how to read its first month)
IN_FORCE: dict[str, tuple[str, str]] = {"plan_assignments": ("effective_from", "date"),
                                        "quotas": ("quota_period", "span")}


def history_problems(conn: Connection, new: dict[str, pd.DataFrame],
                     changes: dict[str, TableChange]) -> list[Problem]:
    """A change to a record a locked batch already paid or used: refused, history is never
    edited. Events and manual lines paid by a locked batch, assignments and quotas in
    force in a locked period, and the splits of an invoice with paid events keep what
    they were.

    Asked of the store (in the snapshot's transaction) for the rows this load changes
    only: a later load need not read every event ever paid.
    """
    return [*_paid_problems(conn, new, changes), *_in_force_problems(conn, new, changes),
            *_split_problems(conn, new, changes)]


def _paid_problems(conn: Connection, new: dict[str, pd.DataFrame],
                   changes: dict[str, TableChange]) -> list[Problem]:
    """Events and manual lines a locked batch paid, changed by this load."""
    problems: list[Problem] = []
    for name, (kind, id_col, _date) in [*EVENTS.items(), MANUAL]:
        change = changes.get(name)
        if change is None or not change.updated:
            continue
        edited = change.upserts.loc[~change.upserts["_fresh"].to_numpy(dtype=bool), id_col]
        ids = edited.astype(str)
        was = batchdb.paid_among(conn, kind, ids.tolist()).drop_duplicates(
            "event_id").set_index("event_id")
        for event_id in ids[ids.isin(was.index)]:  # in the order of the load's rows
            batch, period = was.at[event_id, "batch_id"], was.at[event_id, "period"]
            problems.append(_refused(name, new[name], id_col, event_id,
                                     f"{kind} {event_id} was paid by locked batch {batch} "
                                     f"({period})"))
    return problems


def _refused(name: str, frame: pd.DataFrame, id_col: str | list[str], key: object,
             what: str) -> Problem:
    cols = [id_col] if isinstance(id_col, str) else id_col
    keys = frame[cols].astype(str).agg("|".join, axis=1) if len(frame) else pd.Series([])
    at = np.flatnonzero(keys.to_numpy() == str(key))
    line = frame["_line"].iloc[at[-1]] if len(at) and "_line" in frame else None
    return Problem(f"{name}.csv", None if line is None or pd.isna(line) else int(line), None,
                   str(key).split("|")[0], f"{what} and cannot change",
                   "the record as it was; a correction is a new reversal, credit note or "
                   "adjustment")


def _in_force_problems(conn: Connection, new: dict[str, pd.DataFrame],
                       changes: dict[str, TableChange]) -> list[Problem]:
    """Assignments and quotas changed for a month up to the latest locked period (the
    month the database's own guards protect, migration 0013)."""
    edits = {name: c for name in IN_FORCE if (c := changes.get(name)) is not None and c.updated}
    last = batchdb.last_locked(conn) if edits else None
    if last is None:
        return []
    locked_through = parse_period(str(last["period"]))
    problems: list[Problem] = []
    for name, change in edits.items():
        col, form = IN_FORCE[name]
        edited = change.upserts[~change.upserts["_fresh"].to_numpy(dtype=bool)]
        for row in edited.itertuples(index=False):  # few rows: a correction, not a load
            value = getattr(row, col)
            first = (int(month_index(np.array([value], dtype="datetime64[s]"))[0])
                     if form == "date" else period_span(str(value))[0])
            if first <= locked_through:
                key = f"{row.rep_id}|{_text(value)}"
                problems.append(_refused(name, _keyed(new[name], col), ["rep_id", col], key,
                                         f"{name[:-1].replace('_', ' ')} {row.rep_id} "
                                         f"{_text(value)} is in force in a locked period"))
    return problems


def _split_problems(conn: Connection, new: dict[str, pd.DataFrame],
                    changes: dict[str, TableChange]) -> list[Problem]:
    """A change to the splits of an invoice with paid events: refused like a changed payment.

    A later reversal claws back at the split it was paid at; new shares would make it
    claw back at the new ones. Splits of such an invoice are history.
    """
    change = changes.get("splits")
    if change is None or not change.changed:
        return []
    touched = pd.concat([change.upserts["invoice_id"], change.deleted.get(
        "invoice_id", pd.Series([], dtype=object))], ignore_index=True)
    if touched.empty:
        return []
    locked = batchdb.invoices_paid(conn, touched.astype(str).unique().tolist())
    lines = new["splits"].drop_duplicates("invoice_id").set_index("invoice_id")["_line"] \
        if "_line" in new.get("splits", {}) else pd.Series(dtype=object)
    problems = []
    for invoice in sorted(locked):
        line = lines.get(invoice)
        problems.append(Problem(
            "splits.csv", None if line is None or pd.isna(line) else int(line), "share",
            invoice, f"invoice {invoice} has events paid by locked batch {locked[invoice]}: "
                     "its splits are history and cannot change",
            "the splits as they were; a correction is a reversal or an adjustment"))
    return problems


def _text(value: object) -> str:
    return str(value)[:10] if isinstance(value, pd.Timestamp | np.datetime64) else str(value)


def _keyed(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    return frame.assign(**{col: frame[col].map(_text)}) if len(frame) else frame


# ----------------------------------------------------------------------------- writing


def table_rows(changes: dict[str, TableChange]) -> dict[str, TableRows]:
    """What the store writes for each changed table: new rows, changed rows, removed keys."""
    out: dict[str, TableRows] = {}
    for name, change in changes.items():
        fresh = change.upserts["_fresh"].to_numpy()
        body = change.upserts.drop(columns="_fresh")
        out[name] = TableRows(body[fresh], body[~fresh], change.deleted)
    return out


def touched_invoices(changes: dict[str, TableChange], current: Inputs) -> np.ndarray:
    """The invoices whose balance a load can move: those it writes, and those of the
    payments and adjustments it writes (a changed event's invoice before and after)."""
    found = []
    for name in ("invoices", "payments", "adjustments"):
        change = changes.get(name)
        if change is None or change.upserts.empty:
            continue
        found.append(change.upserts["invoice_id"].to_numpy(dtype=object))
        if name != "invoices" and not change.upserts["_fresh"].all():
            cur = getattr(current, name)
            key = KEYS[name][0]
            was = lookup(cur[key], change.upserts.loc[~change.upserts["_fresh"], key]) >= 0
            found.append(cur.loc[was, "invoice_id"].to_numpy(dtype=object))
    return pd.unique(np.concatenate(found)) if found else np.empty(0, dtype=object)


def open_balances(merged: Inputs, changes: dict[str, TableChange], current: Inputs
                  ) -> balances.Rebalance:
    """The open balances (:func:`commission.store.balances.open_pieces`) of the invoices
    the load touches (:func:`touched_invoices`), from the data after the load
    (``merged``); all of them (``invoices`` None) when it touches every invoice."""
    touched = touched_invoices(changes, current)
    inv = merged.invoices
    if len(touched) >= len(inv):  # touched ⊆ invoices: every one
        return balances.Rebalance(None, balances.open_pieces(inv, merged.payments,
                                                             merged.adjustments))
    mine = inv[lookup(inv["invoice_id"], touched) >= 0]
    return balances.Rebalance(touched, balances.open_pieces(mine, merged.payments,
                                                            merged.adjustments))

"""Batches in the store: their rows, runs, plans, events, lines and payouts.

Persistence only; the lifecycle rules live in :mod:`commission.payroll`. The
database has the last word on what may not happen twice: a second batch for a
period, a second run with the same number, an event paid twice, or any change to
a locked batch all fail with an ``IntegrityError`` raised by a constraint or a
trigger, whichever program tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from commission.keys import as_arrow
from commission.store import draftseal
from commission.store.bulk import (
    fetch_frame,
    fetch_rows,
    foreign_keys_checked_once,
    ids_subquery,
    indexes_built_after,
    mark,
    read_frame,
    statistics_refreshed,
    worth_rebuilding,
    write_frame,
)
from commission.store.models import (
    EVENT_KINDS,
    Batch,
    BatchCount,
    BatchDigest,
    BatchEvent,
    BatchLine,
    BatchPayout,
    BatchPlan,
    BatchRun,
    BatchVolume,
)
from commission.store.records import EVENTS as EVENT_TABLES
from commission.vocabulary import PAYOUT_COLUMNS, PAYOUT_MONEY_COLUMNS, RESULT_LINE_COLUMNS

BATCHES: Table = Batch.__table__  # type: ignore[attr-defined]
RUNS: Table = BatchRun.__table__  # type: ignore[attr-defined]
PLANS: Table = BatchPlan.__table__  # type: ignore[attr-defined]
EVENTS: Table = BatchEvent.__table__  # type: ignore[attr-defined]
LINES: Table = BatchLine.__table__  # type: ignore[attr-defined]
PAYOUTS: Table = BatchPayout.__table__  # type: ignore[attr-defined]
DIGESTS: Table = BatchDigest.__table__  # type: ignore[attr-defined]
VOLUMES: Table = BatchVolume.__table__  # type: ignore[attr-defined]
COUNTS: Table = BatchCount.__table__  # type: ignore[attr-defined]

#: what ``batch_counts`` keeps of a batch (0023)
COUNT_COLUMNS = ["lines", "prior_lines", *(f"{k}s" for k in EVENT_KINDS), "first_event_date"]
LINE_COLUMNS = RESULT_LINE_COLUMNS  # a batch stores the engine's lines as they are
LINE_SEALED_COLUMNS = ["line_no", *RESULT_LINE_COLUMNS]  # what a seal covers of a line


# ----------------------------------------------------------------------------- batch rows


def get(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(BATCHES).where(BATCHES.c.batch_id == batch_id)).mappings().first()
    return dict(row) if row else None


def by_period(conn: Connection, period: str) -> dict[str, Any] | None:
    row = conn.execute(select(BATCHES).where(BATCHES.c.period == period)).mappings().first()
    return dict(row) if row else None


def last_locked(conn: Connection) -> dict[str, Any] | None:
    """The locked batch of the latest period (its carry-out is the next carry-in)."""
    row = conn.execute(select(BATCHES).where(BATCHES.c.status == "locked")
                       .order_by(BATCHES.c.period.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def all_batches(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(BATCHES).order_by(BATCHES.c.period)).mappings()]


def create(conn: Connection, fields: dict[str, Any], plans: str | None = None) -> int:
    """A new draft (UNIQUE(period): a concurrent run of the period fails here).

    ``plans``: JSON of the plan versions the run used, kept with the run.
    """
    batch_id = conn.execute(insert(BATCHES).values(status="draft", run_no=1, **fields)
                            .returning(BATCHES.c.batch_id)).scalar_one()
    conn.execute(insert(RUNS).values(batch_id=batch_id, run_no=1, run_by=fields["run_by"],
                                     run_at=fields["run_at"],
                                     fingerprint=fields["fingerprint"], plans=plans))
    return int(batch_id)


def rerun(conn: Connection, batch_id: int, run_no: int, fields: dict[str, Any],
          plans: str | None = None) -> None:
    """Run ``run_no`` of an existing batch (PK(batch_id, run_no): a concurrent re-run fails)."""
    conn.execute(insert(RUNS).values(batch_id=batch_id, run_no=run_no, run_by=fields["run_by"],
                                     run_at=fields["run_at"],
                                     fingerprint=fields["fingerprint"], plans=plans))
    conn.execute(update(BATCHES).where(BATCHES.c.batch_id == batch_id).values(
        status="draft", run_no=run_no, approved_by=None, approved_at=None, **fields))


def set_status(conn: Connection, batch_id: int, status: str, by: str, at) -> None:
    """A batch's new status. Locking it is what pays its events: ``paid_events`` is the
    events of locked batches (a view, migration 0021), and the database refuses a lock
    that would pay an event a locked batch already paid."""
    conn.execute(update(BATCHES).where(BATCHES.c.batch_id == batch_id).values(
        status=status, **{f"{status}_by": by, f"{status}_at": at}))


# ----------------------------------------------------------------------------- contents


def clear(conn: Connection, batch_id: int) -> None:
    """Remove a draft's lines, payouts, events, plans, seal digests and volumes (triggers
    refuse it when locked)."""
    for t in (LINES, PAYOUTS, EVENTS, PLANS, DIGESTS, VOLUMES, COUNTS):
        conn.execute(t.delete().where(t.c.batch_id == batch_id))


def write_contents(conn: Connection, batch_id: int, lines: pd.DataFrame,
                   payouts: pd.DataFrame, events: pd.DataFrame,
                   plans: dict[str, tuple[int, str]]) -> None:
    const = {"batch_id": batch_id}
    stored = _lines_out(lines)
    bulk = [t for t, rows in ((LINES, len(lines)), (EVENTS, len(events)))
            if worth_rebuilding(conn, t, rows)]
    # a store's first catch-up: PostgreSQL checks the batch of 4.8M rows in one query, not
    # one trigger per row (12 s at 1M invoices); ``batches`` stays locked until it commits
    with foreign_keys_checked_once(conn, bulk), indexes_built_after(conn, bulk):
        write_frame(conn, LINES, stored, constants=const)
        write_frame(conn, EVENTS, events, constants=const)
    write_frame(conn, PAYOUTS, payouts, constants=const)
    write_frame(conn, VOLUMES, volumes(stored), constants=const)
    conn.execute(insert(COUNTS).values(batch_id=batch_id, **counts(stored, events)))
    write_digests(conn, batch_id, stored, events)
    statistics_refreshed(conn, {LINES: len(stored), EVENTS: len(events)})
    if plans:
        conn.execute(insert(PLANS), [
            {"batch_id": batch_id, "plan_id": pid, "version": v, "sha256": sha}
            for pid, (v, sha) in sorted(plans.items())])


#: the line kinds whose base amounts count toward a later batch's tier volume (V₀)
VOLUME_KINDS = ("invoice", "collection", "reversal")
VOLUME_KEY = ["line_kind", "rep_id", "plan_id", "period", "share"]


def volumes(lines: pd.DataFrame) -> pd.DataFrame:
    """Σ base_amount of the lines of :data:`VOLUME_KINDS` per (kind, rep, plan, period,
    share): what ``batch_volumes`` keeps of a batch for the runs after it."""
    earning = lines[lines["line_kind"].isin(VOLUME_KINDS)]
    return (earning.groupby(VOLUME_KEY, sort=True)["base_amount"].sum()
            .astype(np.int64).reset_index())


def counts(lines: pd.DataFrame, events: pd.DataFrame) -> dict[str, Any]:
    """What ``batch_counts`` keeps of a batch (its lines as stored, its events)."""
    kinds = events["event_kind"].to_numpy(dtype=object)
    dates = events["event_date"].to_numpy(dtype="datetime64[D]")
    first = pd.Timestamp(dates.min()).date() if len(dates) else None
    return {"lines": len(lines), "prior_lines": int(lines["prior_period"].notna().sum()),
            **{f"{k}s": int((kinds == k).sum()) for k in EVENT_KINDS}, "first_event_date": first}


#: the counts of a batch, counted in its stored lines and events (``batch verify``)
_COUNTED = ("SELECT (SELECT COUNT(*) FROM batch_lines WHERE batch_id = {b}), "
            "(SELECT COUNT(*) FROM batch_lines WHERE batch_id = {b} AND prior_period IS NOT "
            "NULL), " + ", ".join(
                f"(SELECT COUNT(*) FROM batch_events WHERE batch_id = {{b}} AND event_kind = "
                f"'{k}')" for k in EVENT_KINDS)
            + ", (SELECT MIN(event_date) FROM batch_events WHERE batch_id = {b})")


def counts_differ(conn: Connection, batch_id: int) -> bool:
    """Whether a batch's kept counts (0023) are not those of its stored rows."""
    kept = conn.execute(select(*(COUNTS.c[c] for c in COUNT_COLUMNS))
                        .where(COUNTS.c.batch_id == int(batch_id))).first()
    now = conn.exec_driver_sql(_COUNTED.format(b=int(batch_id))).one()
    return kept is None or [_plain(v) for v in kept] != [_plain(v) for v in now]


def _plain(value: Any) -> Any:
    """A count as an int, a date as ISO text (SQLite hands MIN(date) back as text)."""
    return None if value is None else str(value) if not isinstance(value, int) else value


def volumes_differ(conn: Connection, batch_id: int) -> int:
    """How many of a batch's kept volumes are not the sums of its lines (0: they agree;
    `batch verify` asks, since later months' tiers are read from them)."""
    kinds = ", ".join(f"'{k}'" for k in VOLUME_KINDS)
    key, b = ", ".join(VOLUME_KEY), int(batch_id)
    summed = (f"SELECT {key}, SUM(base_amount) AS base_amount FROM batch_lines WHERE "
              f"batch_id = {b} AND line_kind IN ({kinds}) GROUP BY {key}")
    kept = f"SELECT {key}, base_amount FROM batch_volumes WHERE batch_id = {b}"
    return int(conn.exec_driver_sql(
        f"SELECT (SELECT COUNT(*) FROM ({summed} EXCEPT {kept}) AS a) "
        f"+ (SELECT COUNT(*) FROM ({kept} EXCEPT {summed}) AS b)").scalar_one())


def write_digests(conn: Connection, batch_id: int, lines: pd.DataFrame,
                  events: pd.DataFrame) -> None:
    """Keep the seal digests of the rows just written (lines as stored), for the lock.

    The paid events section only where the database orders text as the digest does.
    """
    rows = [{"batch_id": batch_id, "section": "lines", "rep_id": rep, "sha256": hexd}
            for rep, hexd in draftseal.line_digests(lines, LINE_SEALED_COLUMNS).items()]
    if draftseal.orders_by_code_point(conn):
        rows.append({"batch_id": batch_id, "section": "paid_events", "rep_id": "",
                     "sha256": draftseal.events_digest(events)})
    if rows:
        conn.execute(insert(DIGESTS), rows)


def read_digests(conn: Connection, batch_id: int) -> tuple[dict[str, str], str | None]:
    """(rep_id -> lines digest, paid events digest or None) a run kept for a batch
    (({}, None) for a draft run before migration 0017)."""
    got = conn.execute(select(DIGESTS.c.section, DIGESTS.c.rep_id, DIGESTS.c.sha256)
                       .where(DIGESTS.c.batch_id == int(batch_id))).all()
    lines = {str(r.rep_id): str(r.sha256) for r in got if r.section == "lines"}
    paid = [str(r.sha256) for r in got if r.section == "paid_events"]
    return lines, (paid[0] if paid else None)


def _lines_out(lines: pd.DataFrame) -> pd.DataFrame:
    """Engine lines as stored: NULL for 'none' (no haircut, no prior period)."""
    out = lines.copy()
    out["line_no"] = np.arange(1, len(out) + 1)
    h = out["haircut_num"].to_numpy()
    out["haircut_num"] = pd.array(np.where(h < 0, None, h), dtype="Int64")
    for c in ("haircut_pct", "prior_period"):
        v = out[c].to_numpy(dtype=object)
        out[c] = np.where(v == "", None, v)
    return out


def _where(batch_id: int, order: str = "") -> str:
    return f"WHERE batch_id = {int(batch_id)}" + (f" ORDER BY {order}" if order else "")


def read_lines(conn: Connection, batch_id: int, rep_id: str | None = None) -> pd.DataFrame:
    """A batch's lines (of ``rep_id`` only, if given: an index finds them) with the columns
    and types of the engine's ``Result.lines``."""
    where, params = f"{_where(batch_id)} ORDER BY line_no", ()
    if rep_id is not None:  # found by the (batch_id, rep_id) index, sorted below: an ORDER
        # BY here makes SQLite walk the whole batch in line_no order instead
        where, params = f"{_where(batch_id)} AND rep_id = {mark(conn)}", (rep_id,)
    f = read_frame(conn, LINES, ["line_no", *LINE_COLUMNS], where, params)
    f = f.sort_values("line_no", kind="stable", ignore_index=True)
    data: dict[str, Any] = {}
    for c in LINE_COLUMNS:
        v = f[c]
        if c in ("rate_num", "rate_den"):
            data[c] = exact_ints(v)
        elif c == "days_late":
            data[c] = pd.array(v, dtype="Int64")
        elif c == "haircut_num":
            data[c] = v.fillna(-1).to_numpy(dtype=np.int64)
        elif c in ("haircut_pct", "prior_period"):
            data[c] = np.where(v.isna().to_numpy(), "", v.to_numpy(dtype=object)).astype(object)
        else:
            data[c] = v.to_numpy()
    return pd.DataFrame(data)  # text columns take pandas' default string dtype, as the engine


def exact_ints(text: pd.Series) -> np.ndarray:
    """A column of integers kept as text (a rate's numerator or denominator, which may
    pass 64 bits) as Python ints: by Arrow when every one fits in 64 bits (1.9M lines:
    1.3 s -> 0.07 s a column), else one by one."""
    if not len(text):
        return np.zeros(0, dtype=object)
    try:
        return pc.cast(as_arrow(text), pa.int64()).to_numpy().astype(object)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # past 64 bits (or not digits)
        return np.array([int(x) for x in text], dtype=object)


def line_sums(conn: Connection, batch_id: int, period: str) -> pd.DataFrame:
    """A batch's lines of ``period`` summed in the database by rep and kind (manual lines
    split by sign): columns period, rep_id, line_kind, gross, haircut, amount (int64).

    Every figure :func:`commission.reports.export.line_totals` takes from lines is a
    sum over such groups, so it gives the same totals from these few rows as from
    the lines themselves (a million lines are never fetched to reconcile 400 payouts).
    """
    cur = conn.connection.driver_connection.cursor()
    m = mark(conn)
    try:
        cur.execute(
            "SELECT period, rep_id, line_kind, SUM(gross), SUM(haircut), SUM(amount) "
            f"FROM batch_lines WHERE batch_id = {int(batch_id)} AND period = {m} "
            "GROUP BY period, rep_id, line_kind, "
            "CASE WHEN line_kind = 'manual' AND amount > 0 THEN 1 ELSE 0 END", (period,))
        rows = cur.fetchall()
    finally:
        cur.close()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return pd.DataFrame({
        **{c: np.array(v, dtype=object) for c, v in zip(
            ("period", "rep_id", "line_kind"), cols[:3], strict=True)},
        **{c: np.array([int(x) for x in v], dtype=np.int64) for c, v in zip(
            ("gross", "haircut", "amount"), cols[3:], strict=True)},
    })


def read_payouts(conn: Connection, batch_id: int) -> pd.DataFrame:
    """A batch's payouts with the columns and types of the engine's ``Result.payouts``."""
    f = read_frame(conn, PAYOUTS, PAYOUT_COLUMNS, _where(batch_id))
    f = f.sort_values("rep_id", kind="stable", ignore_index=True)
    f["attainment"] = f["attainment"].fillna("").to_numpy(dtype=object)  # NULL: before part 2
    return f[PAYOUT_COLUMNS]


def read_payout_extras(conn: Connection, batch_id: int) -> pd.DataFrame:
    """rep_id, draw and forfeited (cents) of a batch's payouts, by rep_id.

    Payouts written before migration 0013 hold NULL: the top-up is unknown (0) and
    forfeited is what the identity net + carry_in − carry_out − forfeited = payout
    leaves.
    """
    f = read_frame(conn, PAYOUTS, ["rep_id", "draw", "forfeited", "net", "carry_in",
                                   "carry_out", "payout"], _where(batch_id))
    f = f.sort_values("rep_id", kind="stable", ignore_index=True)
    residual = (f["net"].astype(np.int64) + f["carry_in"].astype(np.int64)
                - f["carry_out"].astype(np.int64) - f["payout"].astype(np.int64))
    return pd.DataFrame({
        "rep_id": f["rep_id"].to_numpy(dtype=object),
        "draw": f["draw"].fillna(0).to_numpy(dtype=np.int64),
        "forfeited": np.where(f["forfeited"].isna().to_numpy(), residual.to_numpy(np.int64),
                              f["forfeited"].fillna(0).to_numpy(dtype=np.int64)),
    })


def first_event_month(conn: Connection, batch_id: int) -> str | None:
    """'YYYY-MM' of the earliest event a batch pays (None when it pays none), as kept."""
    value = conn.execute(select(COUNTS.c.first_event_date)
                         .where(COUNTS.c.batch_id == batch_id)).scalar_one_or_none()
    return None if value is None else str(np.datetime64(pd.Timestamp(value), "M"))


#: a batch's manual lines, by the partial index ``ix_batch_lines_manual``
_MANUAL_LINES = ("SELECT line_no, event_id, amount FROM batch_lines WHERE batch_id = {batch} "
                 "AND line_kind = 'manual'")


def manual_lines(conn: Connection, batch_id: int) -> pd.DataFrame:
    """event_id (the commission_adjustment_id) and amount of a batch's manual lines.

    Found by their partial index and put in line order here: asked to return them in
    line order, SQLite walks every line of the batch by its key instead (0.24 s at a
    million invoices, a quarter of a lock).
    """
    rows = conn.exec_driver_sql(_MANUAL_LINES.format(batch=int(batch_id))).fetchall()
    line_no, event_id, amount = (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 3
    order = np.argsort(np.array(line_no, dtype=np.int64), kind="stable")
    return pd.DataFrame({"event_id": np.array(event_id, dtype=object)[order],
                         "amount": np.array(amount, dtype=np.int64)[order]})


def read_events(conn: Connection, batch_id: int) -> pd.DataFrame:
    cols = ["event_kind", "event_id", "event_date", "amount", "row_hash"]
    return read_frame(conn, EVENTS, cols, _where(batch_id))


def read_plans(conn: Connection, batch_id: int) -> dict[str, tuple[int, str]]:
    rows = conn.execute(select(PLANS.c.plan_id, PLANS.c.version, PLANS.c.sha256)
                        .where(PLANS.c.batch_id == batch_id).order_by(PLANS.c.plan_id))
    return {r.plan_id: (int(r.version), r.sha256) for r in rows}


def run_plans(conn: Connection, batch_id: int) -> list[tuple[int, str | None]]:
    """(run_no, JSON of the plan versions it used or None before 0006) of every run."""
    return [(int(r.run_no), r.plans) for r in conn.execute(
        select(RUNS.c.run_no, RUNS.c.plans).where(RUNS.c.batch_id == batch_id)
        .order_by(RUNS.c.run_no))]


def runs(conn: Connection, batch_id: int) -> pd.DataFrame:
    """Every run of a batch: run_no, run_by, run_at, fingerprint, in run order."""
    rows = conn.execute(select(RUNS.c.run_no, RUNS.c.run_by, RUNS.c.run_at, RUNS.c.fingerprint)
                        .where(RUNS.c.batch_id == batch_id).order_by(RUNS.c.run_no)).fetchall()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["run_no", "run_by", "run_at", "fingerprint"])


def line_counts(conn: Connection) -> dict[int, int]:
    """batch_id -> number of lines, for every batch that has any."""
    return {int(b): int(n) for b, n in conn.exec_driver_sql(
        "SELECT batch_id, COUNT(*) FROM batch_lines GROUP BY batch_id").fetchall()}


def payout_sums(conn: Connection) -> dict[int, int]:
    """batch_id -> total payout (cents), for every batch that has payouts."""
    return {int(b): int(n or 0) for b, n in conn.exec_driver_sql(
        "SELECT batch_id, SUM(payout) FROM batch_payouts GROUP BY batch_id").fetchall()}


#: manual lines a locked batch paid (their batch_lines): paid once, as events are
PAID_COLUMNS = ["event_kind", "event_id", "batch_id", "period"]
_PAID_MANUAL = ("SELECT 'manual', l.event_id, l.batch_id, b.period FROM batch_lines l "
                "JOIN batches b ON b.batch_id = l.batch_id "
                "WHERE b.status = 'locked' AND l.line_kind = 'manual'")


def paid_events(conn: Connection) -> pd.DataFrame:
    """event_kind, event_id, batch_id and period of every event a locked batch paid."""
    return fetch_frame(conn, "SELECT p.event_kind, p.event_id, p.batch_id, b.period FROM "
                       "paid_events p JOIN batches b ON b.batch_id = p.batch_id UNION ALL "
                       + _PAID_MANUAL, PAID_COLUMNS, ["batch_id"])


def paid_among(conn: Connection, kind: str, ids: Sequence[str]) -> pd.DataFrame:
    """event_id, batch_id and period of those of ``ids`` a locked batch paid, as events of
    ``kind`` (as manual lines for 'manual'), earliest batch first.

    What a load asks of the rows it changes, by an index, instead of reading every paid
    event of the store (millions of rows, most of a later load's reading).
    """
    sub, params = ids_subquery(conn, ids)
    if kind == "manual":
        sql = f"{_PAID_MANUAL} AND l.event_id IN ({sub}) ORDER BY l.batch_id, l.event_id"
    else:
        sql = ("SELECT p.event_kind, p.event_id, p.batch_id, b.period FROM paid_events p "
               f"JOIN batches b ON b.batch_id = p.batch_id WHERE p.event_kind = {mark(conn)} "
               f"AND p.event_id IN ({sub}) ORDER BY p.batch_id, p.event_id")
        params = (kind, *params)
    return fetch_frame(conn, sql, PAID_COLUMNS, ["batch_id"], params)[PAID_COLUMNS[1:]]


def invoices_paid(conn: Connection, invoice_ids: Sequence[str]) -> dict[str, int]:
    """invoice_id -> the first locked batch that paid an event of it (the invoice, a
    payment or an adjustment), for those of ``invoice_ids`` that have one."""
    sub, params = ids_subquery(conn, invoice_ids)
    parts = []
    for table, (kind, id_col, _date) in EVENT_TABLES.items():
        # from the invoices' own rows (an index on invoice_id) to their paid events;
        # CROSS JOIN keeps SQLite in that order (PostgreSQL plans it as an inner join)
        parts.append(f"SELECT t.invoice_id, p.batch_id FROM {table} t CROSS JOIN paid_events p "
                     f"WHERE t.invoice_id IN (SELECT id FROM wanted) AND p.event_kind = "
                     f"'{kind}' AND p.event_id = t.{id_col}")
    sql = (f"WITH wanted (id) AS ({sub}) SELECT invoice_id, MIN(batch_id) FROM ("
           + " UNION ALL ".join(parts) + ") AS paid GROUP BY invoice_id")
    return {str(i): int(b) for i, b in fetch_rows(conn, sql, params)}


def paid_manual(conn: Connection) -> pd.DataFrame:
    """:func:`paid_events` of kind 'manual' only (a locked batch's manual lines)."""
    return fetch_frame(conn, _PAID_MANUAL, PAID_COLUMNS, ["batch_id"])


def paid_keys(conn: Connection) -> pd.DataFrame:
    """(event_kind, event_id) of every event (and manual line) a locked batch paid."""
    paid = fetch_frame(conn, "SELECT event_kind, event_id FROM paid_events",
                       ["event_kind", "event_id"])
    manual = pd.DataFrame(conn.exec_driver_sql(
        "SELECT DISTINCT 'manual', l.event_id FROM batch_lines l JOIN batches b "
        "ON b.batch_id = l.batch_id WHERE b.status = 'locked' AND l.line_kind = 'manual'"
    ).fetchall(), columns=["event_kind", "event_id"])
    return pd.concat([paid, manual.astype(object)], ignore_index=True) if len(manual) else paid


def prior_lines(conn: Connection) -> pd.DataFrame:
    """Lines of locked batches the engine reads again: the r₀, h₀ and rᵢ later events
    need (invoice, collection, clawback, penalty) and the volume earlier batches of a
    quota period paid (the earning lines' period, plan_id, base_amount, share: V₀)."""
    rows = conn.exec_driver_sql(
        "SELECT l.line_kind, l.event_id, l.rep_id, l.rate_num, l.rate_den, l.haircut_num, "
        "l.days_late, l.period, l.plan_id, l.base_amount, l.share FROM batch_lines l "
        "JOIN batches b ON b.batch_id = l.batch_id WHERE b.status = 'locked' AND l.line_kind "
        "IN ('invoice', 'collection', 'reversal', 'clawback', 'penalty') "
        "ORDER BY b.period, l.line_no").fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 11

    def obj(values) -> np.ndarray:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr

    return pd.DataFrame({
        "line_kind": obj(cols[0]), "event_id": obj(cols[1]), "rep_id": obj(cols[2]),
        "rate_num": obj([int(v) for v in cols[3]]), "rate_den": obj([int(v) for v in cols[4]]),
        "haircut_num": np.array([-1 if v is None else v for v in cols[5]], dtype=np.int64),
        "days_late": np.array([-1 if v is None else v for v in cols[6]], dtype=np.int64),
        "period": obj(cols[7]), "plan_id": obj(cols[8]),
        "base_amount": np.array(cols[9], dtype=np.int64),
        "share": np.array(cols[10], dtype=np.int64),
    })


def carry_out(conn: Connection, batch_id: int) -> dict[str, int]:
    rows = conn.execute(select(PAYOUTS.c.rep_id, PAYOUTS.c.carry_out)
                        .where(PAYOUTS.c.batch_id == batch_id))
    return {r.rep_id: int(r.carry_out) for r in rows}


def totals(conn: Connection, batch_id: int) -> dict[str, int]:
    """Sums of a batch's payouts; its numbers of lines, late (prior-period) lines and
    events of each kind, as kept (``batch_counts``: counting them is seconds at scale)."""
    money = PAYOUT_MONEY_COLUMNS
    row = conn.exec_driver_sql(
        "SELECT COUNT(*), " + ", ".join(f"COALESCE(SUM({c}), 0)" for c in money)
        + f" FROM batch_payouts {_where(batch_id)}").one()
    out = {"reps": int(row[0]), **{c: int(v) for c, v in zip(money, row[1:], strict=True)}}
    numbers = COUNT_COLUMNS[:-1]  # all but the first event's date
    kept = conn.execute(select(*(COUNTS.c[c] for c in numbers))
                        .where(COUNTS.c.batch_id == int(batch_id))).one()
    return out | {c: int(v) for c, v in zip(numbers, kept, strict=True)}

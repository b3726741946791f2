"""Tamper evidence for locked batches: a digest of what a batch paid, fixed at lock.

At lock, the store computes SHA-256 digests over a canonical serialization of the
batch's lines, payouts, plan texts and paid events (one digest per section and one
over the four) and keeps them in ``batch_seals``. :func:`sections` recomputes the
section digests from the rows as they are now, so anyone can check that a locked
batch is what was locked: a row changed behind the triggers' back (with them
dropped or disabled), a row added to its paid events, or a stored plan text edited
shows as a difference in that section.

Canonical serialization of rows (both methods): each row is the JSON array of its
values (``null``; integers as JSON numbers; dates ``YYYY-MM-DD``; text as is, UTF-8,
no ASCII escaping), one row per line, ``\\n``-terminated, in an explicit total order;
a digest over rows is the SHA-256 of those bytes. The same rows give the same bytes on
SQLite and PostgreSQL. The batch digest is the SHA-256 of
``lines:<hex>\\npayouts:<hex>\\nplans:<hex>\\npaid_events:<hex>\\n``.

- ``sha256-v1`` (batches locked before migration 0015): the lines section is the digest
  over every line in ``line_no`` order, the payouts section over every payout by rep.
- ``sha256-v2``: lines and payouts are sealed *per rep* (``batch_seal_reps``): a rep's
  lines digest is over their lines in ``line_no`` order, their payout digest over their
  payout row(s); the lines section is then the digest over the rows
  ``["<rep_id>","<lines hex>"]`` of every rep in code-point order (the payouts section
  likewise). Plans and paid events are as in v1. A statement checks one rep's section
  and the batch-level sections above it without reading the other reps' lines; a full
  verify recomputes everything.

Where the digests come from at lock (migration 0017): the batch's run computed each
rep's lines digest and the paid events section from the frames it wrote
(:mod:`commission.store.draftseal`, byte-identical to what this module computes from
the rows) and kept them with the draft; :func:`write` seals with them, so a row changed
behind the app's back between run and lock fails verification instead of being
sealed. Verification (:func:`sections`, :func:`rep_digests`) always reads the rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import TableClause

from commission.store.models import (
    PAID_EVENTS,
    BatchLine,
    BatchPayout,
    BatchPlan,
    BatchSeal,
    BatchSealRep,
    PlanVersion,
)
from commission.vocabulary import PAYOUT_COLUMNS, RESULT_LINE_COLUMNS

V1, V2 = "sha256-v1", "sha256-v2"
METHOD = V2  # what a lock writes now
SECTIONS = ("lines", "payouts", "plans", "paid_events")
REP_SECTIONS = ("lines", "payouts")  # sealed per rep from sha256-v2
#: the payout columns a seal covers: the money and who, as sealed since sha256-v1
#: (``attainment``, added later, is informational and recomputable from the lines)
SEALED_PAYOUT_COLUMNS = [c for c in PAYOUT_COLUMNS if c != "attainment"]
LINE_SEALED_COLUMNS = ["line_no", *RESULT_LINE_COLUMNS]
EMPTY = hashlib.sha256(b"").hexdigest()

LINES: Table = BatchLine.__table__  # type: ignore[attr-defined]
PAYOUTS: Table = BatchPayout.__table__  # type: ignore[attr-defined]
BATCH_PLANS: Table = BatchPlan.__table__  # type: ignore[attr-defined]
PLANS: Table = PlanVersion.__table__  # type: ignore[attr-defined]
PAID = PAID_EVENTS  # a view (migration 0021)
SEALS: Table = BatchSeal.__table__  # type: ignore[attr-defined]
SEAL_REPS: Table = BatchSealRep.__table__  # type: ignore[attr-defined]


def _cell(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _row_json(row: Iterable[Any]) -> str:
    return json.dumps([_cell(v) for v in row], ensure_ascii=False, separators=(",", ":"))


def _digest(conn: Connection, query) -> str:
    """The section digest, row by row in Python (the reference; small sections use it)."""
    h = hashlib.sha256()
    for row in conn.execute(query):
        h.update(_row_json(row).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


#: a string with every character JSON escapes, and some it must not
_PROBE = "".join(chr(i) for i in range(0x80)) + "é…€\u2028\U0001f600"
_CHUNK = 100_000  # rows fetched at a time (bounds the memory of a million-row section)


def _json_cell(name: str, dialect: str) -> str:
    """SQL for one value as its JSON text, as ``json.dumps`` writes it (see the docstring)."""
    if dialect == "sqlite":
        return f"json_quote({name})"
    return f"COALESCE(to_json({name})::text, 'null')"


def _database_json_agrees(conn: Connection) -> bool:
    """Does this database's JSON quoting give ``json.dumps``'s bytes? (else: Python path)"""
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return False
    probe = _PROBE if dialect == "sqlite" else _PROBE[1:]  # PostgreSQL text holds no NUL
    big = -(2**62)
    if dialect == "sqlite":
        sql = (f"SELECT {_json_cell('?', dialect)}, {_json_cell('NULL', dialect)}, "
               f"{_json_cell('?', dialect)}, json_array(?, NULL, ?)")
        params: tuple = (probe, big, probe, big)
    else:
        sql = (f"SELECT {_json_cell('CAST(%s AS TEXT)', dialect)}, "
               f"{_json_cell('CAST(NULL AS TEXT)', dialect)}, "
               f"{_json_cell('CAST(%s AS BIGINT)', dialect)}")
        params = (probe, big)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, params)
        got = list(cur.fetchone())
    finally:
        cur.close()
    want = [json.dumps(probe, ensure_ascii=False), "null", str(big)]
    return got == want + ([f"[{want[0]},null,{want[2]}]"] if dialect == "sqlite" else [])


def _row_sql(columns: list[str], dialect: str) -> str:
    """SQL for a row's JSON text (the serialization above), made by the database."""
    if dialect == "sqlite":
        return f"json_array({', '.join(columns)})"  # one call: fastest
    return "'[' || " + " || ',' || ".join(_json_cell(c, dialect) for c in columns) + " || ']'"


def _digest_in_database(conn: Connection, table: TableClause, columns: list[str], where: str,
                        order: str, params: tuple = ()) -> str:
    """The same digest as :func:`_digest`, each row's JSON text made by the database.

    Python then only joins the rows' texts a chunk at a time and hashes them: no
    per-cell Python work, so a million-line batch verifies in seconds.
    """
    cur = conn.connection.driver_connection.cursor()
    h = hashlib.sha256()
    try:
        cur.execute(f"SELECT {_row_sql(columns, conn.dialect.name)} FROM {table.name} "
                    f"WHERE {where} ORDER BY {order}", params)
        while chunk := cur.fetchmany(_CHUNK):
            h.update("\n".join([r[0] for r in chunk]).encode("utf-8"))
            h.update(b"\n")
    finally:
        cur.close()
    return h.hexdigest()


def _rep_digests_sqlite(conn: Connection, columns: list[str], where: str, order: str,
                        params: tuple) -> dict[str, str]:
    """rep_id -> digest of that rep's rows, from one pass in (rep_id, ``order``) order.

    The index on (batch_id, rep_id) gives the reps in order, so SQLite sorts only within
    a rep; a count per rep (an index-only scan, same snapshot) says where each rep's
    rows end, so Python only joins each rep's texts and hashes them: no per-row work.
    """
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f"SELECT rep_id, COUNT(*) FROM {LINES.name} WHERE {where} "
                    "GROUP BY rep_id ORDER BY rep_id", params)
        counts = cur.fetchall()
        # INDEXED BY: for one rep, SQLite would rather walk the batch in line_no order
        cur.execute(f"SELECT {_row_sql(columns, 'sqlite')} FROM {LINES.name} INDEXED BY "
                    f"ix_batch_lines_batch_id WHERE {where} ORDER BY rep_id, {order}", params)
        out = {}
        for rep, n in counts:  # once per rep (hundreds), not per row
            h = hashlib.sha256()
            for start in range(0, int(n), _CHUNK):
                chunk = cur.fetchmany(min(_CHUNK, int(n) - start))
                h.update("\n".join([r[0] for r in chunk]).encode("utf-8"))
                h.update(b"\n")
            out[str(rep)] = h.hexdigest()
    finally:
        cur.close()
    return out


def _rep_digests_postgres(conn: Connection, columns: list[str], where: str, order: str,
                          params: tuple) -> dict[str, str]:
    """rep_id -> digest of that rep's rows, computed by PostgreSQL (``sha256`` over the
    rows' JSON texts joined in ``order``): only one row per rep comes back."""
    body = (f"string_agg({_row_sql(columns, 'postgresql')}, E'\\n' ORDER BY {order}) "
            "|| E'\\n'")
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f"SELECT rep_id, encode(sha256(convert_to({body}, 'UTF8')), 'hex') "
                    f"FROM {LINES.name} WHERE {where} GROUP BY rep_id", params)
        return {str(rep): str(hexd) for rep, hexd in cur.fetchall()}
    finally:
        cur.close()


def _rep_digests_python(conn: Connection, query) -> dict[str, str]:
    """The reference: rows of ``query`` (rep_id first, then the sealed columns) hashed
    row by row in Python, per rep (payouts, and lines when the database's JSON differs)."""
    hashers: dict[str, Any] = {}
    for row in conn.execute(query):
        h = hashers.setdefault(str(row[0]), hashlib.sha256())
        h.update(_row_json(row[1:]).encode("utf-8"))
        h.update(b"\n")
    return {rep: h.hexdigest() for rep, h in hashers.items()}


def _line_digests(conn: Connection, batch_id: int, rep_id: str | None) -> dict[str, str]:
    """rep_id -> digest of the rep's lines in ``line_no`` order (every rep, or ``rep_id``)."""
    where, params = f"batch_id = {int(batch_id)}", ()
    if rep_id is not None:
        where, params = f"{where} AND rep_id = {'?' if conn.dialect.name == 'sqlite' else '%s'}", (
            rep_id,)
    if not _database_json_agrees(conn):
        q = select(LINES.c.rep_id, *(LINES.c[c] for c in LINE_SEALED_COLUMNS)).where(
            LINES.c.batch_id == int(batch_id)).order_by(LINES.c.line_no)
        if rep_id is not None:
            q = q.where(LINES.c.rep_id == rep_id)
        return _rep_digests_python(conn, q)
    compute = (_rep_digests_sqlite if conn.dialect.name == "sqlite"
               else _rep_digests_postgres)
    return compute(conn, LINE_SEALED_COLUMNS, where, "line_no", params)


def payout_digests(conn: Connection, batch_id: int, rep_id: str | None = None
                   ) -> dict[str, str]:
    """rep_id -> digest of the rep's payout row(s) (a few hundred rows: in Python)."""
    q = select(PAYOUTS.c.rep_id, *(PAYOUTS.c[c] for c in SEALED_PAYOUT_COLUMNS)).where(
        PAYOUTS.c.batch_id == int(batch_id)).order_by(PAYOUTS.c.rep_id)
    if rep_id is not None:
        q = q.where(PAYOUTS.c.rep_id == rep_id)
    return _rep_digests_python(conn, q)


def rep_digests(conn: Connection, batch_id: int, rep_id: str | None = None
                ) -> dict[str, tuple[str, str]]:
    """rep_id -> (lines digest, payouts digest) from the rows as they are now, for every
    rep with lines or a payout in the batch, or for ``rep_id`` alone (always present:
    a rep without rows has the digests of nothing)."""
    lines = _line_digests(conn, batch_id, rep_id)
    payouts = payout_digests(conn, batch_id, rep_id)
    reps = {rep_id} if rep_id is not None else set(lines) | set(payouts)
    return {r: (lines.get(r, EMPTY), payouts.get(r, EMPTY)) for r in sorted(reps)}


def combine_reps(per_rep: dict[str, str]) -> str:
    """A section's digest over its reps' digests: rows ``["rep_id","hex"]`` in rep order."""
    h = hashlib.sha256()
    for rep in sorted(per_rep):
        h.update(_row_json([rep, per_rep[rep]]).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _queries(batch_id: int) -> dict[str, Any]:
    line_cols = [LINES.c.line_no, *(LINES.c[c] for c in RESULT_LINE_COLUMNS)]
    return {
        "lines": select(*line_cols).where(LINES.c.batch_id == batch_id)
        .order_by(LINES.c.line_no),
        "payouts": select(*(PAYOUTS.c[c] for c in SEALED_PAYOUT_COLUMNS))
        .where(PAYOUTS.c.batch_id == batch_id).order_by(PAYOUTS.c.rep_id),
        # the plan texts themselves, not only the hashes the batch recorded
        "plans": select(BATCH_PLANS.c.plan_id, BATCH_PLANS.c.version, BATCH_PLANS.c.sha256,
                        PLANS.c.yaml_text)
        .select_from(BATCH_PLANS.outerjoin(PLANS, (PLANS.c.plan_id == BATCH_PLANS.c.plan_id)
                                           & (PLANS.c.version == BATCH_PLANS.c.version)))
        .where(BATCH_PLANS.c.batch_id == batch_id).order_by(BATCH_PLANS.c.plan_id),
        "paid_events": select(PAID.c.event_kind, PAID.c.event_id)
        .where(PAID.c.batch_id == batch_id).order_by(PAID.c.event_kind, PAID.c.event_id),
    }


def plans_section(conn: Connection, batch_id: int) -> str:
    """The plans section's digest (the same in both methods; a few rows)."""
    return _digest(conn, _queries(int(batch_id))["plans"])


def paid_events_section(conn: Connection, batch_id: int) -> str:
    """The paid events section's digest (the same in both methods)."""
    batch_id = int(batch_id)
    if not _database_json_agrees(conn):
        return _digest(conn, _queries(batch_id)["paid_events"])
    return _digest_in_database(conn, PAID, ["event_kind", "event_id"],
                               f"batch_id = {batch_id}", "event_kind, event_id")


def _sections_v1(conn: Connection, batch_id: int) -> dict[str, str]:
    queries = _queries(batch_id)
    if not _database_json_agrees(conn):
        return {name: _digest(conn, q) for name, q in queries.items()}
    return {
        "lines": _digest_in_database(conn, LINES, LINE_SEALED_COLUMNS,
                                     f"batch_id = {batch_id}", "line_no"),
        "payouts": _digest(conn, queries["payouts"]),
        "plans": _digest(conn, queries["plans"]),
        "paid_events": paid_events_section(conn, batch_id),
    }


def sections(conn: Connection, batch_id: int, method: str = METHOD,
             reps: dict[str, tuple[str, str]] | None = None,
             paid_events: str | None = None) -> dict[str, str]:
    """The digest of each section of a batch, computed from its rows as they are now.

    ``method``: the seal's (``sha256-v1`` or ``-v2``); ``reps``: the per-rep digests of
    :func:`rep_digests` when the caller already computed them (v2); ``paid_events``:
    that section's digest, likewise.
    """
    batch_id = int(batch_id)
    if method == V1:
        return _sections_v1(conn, batch_id)
    if method != V2:
        raise ValueError(f"unknown seal method {method!r}")
    reps = rep_digests(conn, batch_id) if reps is None else reps
    return {
        **{name: combine_reps({r: d[i] for r, d in reps.items()})
           for i, name in enumerate(REP_SECTIONS)},
        "plans": plans_section(conn, batch_id),
        "paid_events": paid_events or paid_events_section(conn, batch_id),
    }


def combine(parts: dict[str, str]) -> str:
    """The batch digest over its four section digests."""
    text = "".join(f"{name}:{parts[name]}\n" for name in SECTIONS)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _drafted_reps(conn: Connection, batch_id: int, lines: dict[str, str]
                  ) -> dict[str, tuple[str, str]]:
    """:func:`rep_digests` with the lines digests a run kept (payouts: from the rows)."""
    payouts = payout_digests(conn, batch_id)
    return {r: (lines.get(r, EMPTY), payouts.get(r, EMPTY))
            for r in sorted(set(lines) | set(payouts))}


def write(conn: Connection, batch_id: int, by: str, at: dt.datetime,
          method: str = METHOD,
          drafted: tuple[dict[str, str], str | None] | None = None) -> str:
    """Seal a (just locked) batch: store its digests. A batch is sealed once (PK).

    ``sha256-v2`` first stores each rep's digests (``batch_seal_reps``), then the seal;
    migration 0006 seals with ``sha256-v1`` (the table of rep digests comes later).
    ``drafted``: (rep_id -> lines digest, paid events digest) its run computed from
    the rows it wrote (:mod:`commission.store.draftseal`); what is missing there
    (a run before migration 0017) is computed from the rows now.
    """
    batch_id = int(batch_id)
    lines, paid = drafted if drafted is not None and method == V2 else ({}, None)
    reps = None
    if method == V2:
        reps = _drafted_reps(conn, batch_id, lines) if lines else rep_digests(conn, batch_id)
    parts = sections(conn, batch_id, method, reps, paid_events=paid)
    if reps:
        conn.execute(insert(SEAL_REPS), [
            {"batch_id": batch_id, "rep_id": r, "lines_sha256": d[0], "payouts_sha256": d[1]}
            for r, d in reps.items()])
    digest = combine(parts)
    conn.execute(insert(SEALS).values(
        batch_id=batch_id, method=method, digest=digest, sealed_by=by, sealed_at=at,
        **{f"{name}_sha256": parts[name] for name in SECTIONS}))
    return digest


def read(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(SEALS).where(SEALS.c.batch_id == int(batch_id))).mappings().first()
    return dict(row) if row else None


def read_reps(conn: Connection, batch_id: int) -> dict[str, tuple[str, str]]:
    """The per-rep digests sealed for a batch (empty for a ``sha256-v1`` seal)."""
    rows = conn.execute(select(SEAL_REPS.c.rep_id, SEAL_REPS.c.lines_sha256,
                               SEAL_REPS.c.payouts_sha256)
                        .where(SEAL_REPS.c.batch_id == int(batch_id)))
    return {str(r.rep_id): (str(r.lines_sha256), str(r.payouts_sha256)) for r in rows}


__all__ = ["EMPTY", "METHOD", "REP_SECTIONS", "SECTIONS", "V1", "V2", "combine",
           "combine_reps", "paid_events_section", "payout_digests", "plans_section", "read",
           "read_reps", "rep_digests", "sections", "write"]

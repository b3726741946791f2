"""Tamper evidence for locked batches: a digest of what a batch paid, fixed at lock.

At lock, the store computes a SHA-256 digest over a canonical serialization of the
batch's lines, payouts, plan texts and paid events (one digest per section and one
over the four) and keeps it in ``batch_seals``. :func:`sections` recomputes the
four section digests from the rows as they are now, so anyone can check that a
locked batch is what was locked: a row changed behind the triggers' back (with
them dropped or disabled), a row added to its paid events, or a stored plan text
edited shows as a difference in that section.

Canonical serialization (method ``sha256-v1``): each section is the rows of one
query with an explicit column list and a total order, each row the JSON array of
its values (``null``; integers as JSON numbers; dates ``YYYY-MM-DD``; text as is,
UTF-8, no ASCII escaping), one row per line, ``\\n``-terminated; the section digest
is the SHA-256 of those bytes, and the batch digest is the SHA-256 of
``lines:<hex>\\npayouts:<hex>\\nplans:<hex>\\npaid_events:<hex>\\n``. The same rows give
the same bytes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from commission.store.models import (
    BatchLine,
    BatchPayout,
    BatchPlan,
    BatchSeal,
    PaidEvent,
    PlanVersion,
)
from commission.vocabulary import PAYOUT_COLUMNS, RESULT_LINE_COLUMNS

METHOD = "sha256-v1"
SECTIONS = ("lines", "payouts", "plans", "paid_events")
#: the payout columns a seal covers: the money and who, as sealed since sha256-v1
#: (``attainment``, added later, is informational and recomputable from the lines)
SEALED_PAYOUT_COLUMNS = [c for c in PAYOUT_COLUMNS if c != "attainment"]

LINES: Table = BatchLine.__table__  # type: ignore[attr-defined]
PAYOUTS: Table = BatchPayout.__table__  # type: ignore[attr-defined]
BATCH_PLANS: Table = BatchPlan.__table__  # type: ignore[attr-defined]
PLANS: Table = PlanVersion.__table__  # type: ignore[attr-defined]
PAID: Table = PaidEvent.__table__  # type: ignore[attr-defined]
SEALS: Table = BatchSeal.__table__  # type: ignore[attr-defined]


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


def _digest(conn: Connection, query) -> str:
    """The section digest, row by row in Python (the reference; small sections use it)."""
    h = hashlib.sha256()
    for row in conn.execute(query):
        h.update(json.dumps([_cell(v) for v in row], ensure_ascii=False,
                            separators=(",", ":")).encode("utf-8"))
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


def _digest_in_database(conn: Connection, table: Table, columns: list[str], where: str,
                        order: str) -> str:
    """The same digest as :func:`_digest`, each row's JSON text made by the database.

    Python then only joins the rows' texts a chunk at a time and hashes them: no
    per-cell Python work, so a million-line batch verifies in seconds.
    """
    dialect = conn.dialect.name
    row = (f"json_array({', '.join(columns)})" if dialect == "sqlite"  # one call: fastest
           else "'[' || " + " || ',' || ".join(_json_cell(c, dialect) for c in columns) + " || ']'")
    cur = conn.connection.driver_connection.cursor()
    h = hashlib.sha256()
    try:
        cur.execute(f"SELECT {row} FROM {table.name} WHERE {where} "
                    f"ORDER BY {order}")
        while chunk := cur.fetchmany(_CHUNK):
            h.update("\n".join([r[0] for r in chunk]).encode("utf-8"))
            h.update(b"\n")
    finally:
        cur.close()
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


def sections(conn: Connection, batch_id: int) -> dict[str, str]:
    """The digest of each section of a batch, computed from its rows as they are now.

    The two large sections (lines, paid events) are serialized by the database when
    its JSON quoting agrees with ``json.dumps`` (checked on a probe each time).
    """
    batch_id = int(batch_id)
    queries = _queries(batch_id)
    if not _database_json_agrees(conn):
        return {name: _digest(conn, q) for name, q in queries.items()}
    where = f"batch_id = {batch_id}"
    return {
        "lines": _digest_in_database(conn, LINES, ["line_no", *RESULT_LINE_COLUMNS], where,
                                     "line_no"),
        "payouts": _digest(conn, queries["payouts"]),
        "plans": _digest(conn, queries["plans"]),
        "paid_events": _digest_in_database(conn, PAID, ["event_kind", "event_id"], where,
                                           "event_kind, event_id"),
    }


def combine(parts: dict[str, str]) -> str:
    """The batch digest over its four section digests."""
    text = "".join(f"{name}:{parts[name]}\n" for name in SECTIONS)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def write(conn: Connection, batch_id: int, by: str, at: dt.datetime) -> str:
    """Seal a (just locked) batch: store its digests. A batch is sealed once (PK)."""
    parts = sections(conn, batch_id)
    digest = combine(parts)
    conn.execute(insert(SEALS).values(
        batch_id=int(batch_id), method=METHOD, digest=digest, sealed_by=by, sealed_at=at,
        **{f"{name}_sha256": parts[name] for name in SECTIONS}))
    return digest


def read(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(SEALS).where(SEALS.c.batch_id == int(batch_id))).mappings().first()
    return dict(row) if row else None


__all__ = ["METHOD", "SECTIONS", "combine", "read", "sections", "write"]

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
    h = hashlib.sha256()
    for row in conn.execute(query):
        h.update(json.dumps([_cell(v) for v in row], ensure_ascii=False,
                            separators=(",", ":")).encode("utf-8"))
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


def sections(conn: Connection, batch_id: int) -> dict[str, str]:
    """The digest of each section of a batch, computed from its rows as they are now."""
    return {name: _digest(conn, q) for name, q in _queries(int(batch_id)).items()}


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

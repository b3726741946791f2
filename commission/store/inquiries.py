"""Inquiries on draft statements: a rep's question about a line, finance's answer, corrections.

Same metadata and base as :mod:`commission.store.models` (revision 0008 creates
these tables). ``inquiries`` holds one row per question, its current state and
answer; ``inquiry_events`` every step of it (opened, answered, resolved, declined,
rolled to the next period), with who and when; ``inquiry_corrections`` the
correction a resolution makes: a manual line for the rep (part 2's
``commission_adjustments``), whose id is the inquiry's reference.
Persistence only: the rules are in :mod:`commission.payroll.inquiries`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlmodel import Field

from commission.store.models import StoreModel, _ref
from commission.vocabulary import INQUIRY_REASONS, INQUIRY_STATUSES

#: the reasons a rep may give, with the words the pages show
REASONS = INQUIRY_REASONS
STATUSES = INQUIRY_STATUSES
ACTIONS = ("open", "answer", "resolve", "decline", "roll")


def _pk() -> Column:
    return Column(Integer, primary_key=True, autoincrement=True)


def _text(nullable: bool = False) -> Column:
    return Column(Text, nullable=nullable)


def _stamp(nullable: bool = False) -> Column:
    return Column(DateTime, nullable=nullable)


def _inquiry_ref() -> Column:
    return Column(Integer, _ref("inquiries.inquiry_id"), nullable=False)


class Inquiry(StoreModel, table=True):
    """A rep's question about a line of a draft statement (or the statement as a whole)."""

    __tablename__ = "inquiries"
    __table_args__ = (
        CheckConstraint(f"reason IN {tuple(REASONS)!r}", name="reason"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    )
    inquiry_id: int | None = Field(default=None, sa_column=_pk())
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), nullable=False))
    period: str = Field(sa_column=Column(String(7), nullable=False))
    opened_period: str = Field(sa_column=Column(String(7), nullable=False))
    batch_id: int | None = Field(default=None, sa_column=Column(
        Integer, _ref("batches.batch_id"), nullable=True))
    line_kind: str | None = Field(default=None, sa_column=_text(nullable=True))
    event_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    invoice_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    reason: str = Field(sa_column=Column(String(20), nullable=False))
    comment: str = Field(sa_column=_text())
    status: str = Field(sa_column=Column(String(10), nullable=False))
    opened_by: str = Field(sa_column=_text())
    opened_at: dt.datetime = Field(sa_column=_stamp())
    answer: str | None = Field(default=None, sa_column=_text(nullable=True))
    answered_by: str | None = Field(default=None, sa_column=_text(nullable=True))
    answered_at: dt.datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    rolled: int = Field(sa_column=Column(Integer, nullable=False))


class InquiryEvent(StoreModel, table=True):
    """One step of an inquiry: who did what, when (append-only)."""

    __tablename__ = "inquiry_events"
    __table_args__ = (CheckConstraint(f"action IN {ACTIONS!r}", name="action"),)
    event_no: int | None = Field(default=None, sa_column=_pk())
    inquiry_id: int = Field(sa_column=_inquiry_ref())
    at: dt.datetime = Field(sa_column=_stamp())
    actor: str = Field(sa_column=_text())
    action: str = Field(sa_column=Column(String(10), nullable=False))
    details: str = Field(sa_column=_text())


class InquiryCorrection(StoreModel, table=True):
    """The manual line a resolved inquiry makes: a commission_adjustments row of part 2."""

    __tablename__ = "inquiry_corrections"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount"),)
    commission_adjustment_id: str = Field(sa_column=Column(Text, primary_key=True))
    inquiry_id: int = Field(sa_column=Column(Integer, _ref("inquiries.inquiry_id"),
                                             nullable=False, unique=True))
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), nullable=False))
    adjustment_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(sa_column=_text())
    recorded_by: str = Field(sa_column=_text())
    recorded_at: dt.datetime = Field(sa_column=_stamp())


INQUIRY_TABLES = ("inquiries", "inquiry_events", "inquiry_corrections")
INQUIRIES = Inquiry.__table__  # type: ignore[attr-defined]
EVENTS = InquiryEvent.__table__  # type: ignore[attr-defined]
CORRECTIONS = InquiryCorrection.__table__  # type: ignore[attr-defined]
#: the columns of part 2's commission_adjustments table
ADJUSTMENT_COLUMNS = ["commission_adjustment_id", "rep_id", "adjustment_date", "amount", "reason"]


def reference(inquiry_id: int) -> str:
    """The reference a rep and finance quote, and the id of the correction's manual line."""
    return f"INQ-{int(inquiry_id):06d}"


def add(conn: Connection, fields: dict[str, Any], at: dt.datetime) -> int:
    row = {"status": "open", "rolled": 0, "opened_at": at, **fields}
    inquiry_id = conn.execute(insert(INQUIRIES).values(**row)
                              .returning(INQUIRIES.c.inquiry_id)).scalar_one()
    log(conn, inquiry_id, fields["opened_by"], "open", at,
        {"period": fields["period"], "reason": fields["reason"]})
    return int(inquiry_id)


def log(conn: Connection, inquiry_id: int, actor: str, action: str, at: dt.datetime,
        details: dict[str, Any]) -> None:
    conn.execute(insert(EVENTS).values(inquiry_id=inquiry_id, at=at, actor=actor, action=action,
                                       details=json.dumps(details, sort_keys=True, default=str)))


def get(conn: Connection, inquiry_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(INQUIRIES).where(INQUIRIES.c.inquiry_id == int(inquiry_id))
                       ).mappings().first()
    return dict(row) if row else None


def set_answer(conn: Connection, inquiry_id: int, status: str, answer: str, by: str,
               at: dt.datetime) -> None:
    conn.execute(update(INQUIRIES).where(INQUIRIES.c.inquiry_id == int(inquiry_id)).values(
        status=status, answer=answer, answered_by=by, answered_at=at))


def add_correction(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(CORRECTIONS).values(**row))


def find(conn: Connection, **where: Any) -> pd.DataFrame:
    """Inquiries matching every given column (None values are ignored), oldest first."""
    query = select(INQUIRIES).order_by(INQUIRIES.c.inquiry_id)
    for column, value in where.items():
        if value is not None:
            query = query.where(INQUIRIES.c[column] == value)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return pd.DataFrame(rows, columns=[c.name for c in INQUIRIES.columns])


def events(conn: Connection, inquiry_id: int | None = None) -> pd.DataFrame:
    query = select(EVENTS).order_by(EVENTS.c.event_no)
    if inquiry_id is not None:
        query = query.where(EVENTS.c.inquiry_id == int(inquiry_id))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return pd.DataFrame(rows, columns=[c.name for c in EVENTS.columns])


def open_in(conn: Connection, period: str) -> int:
    """How many inquiries of ``period`` are still open."""
    return len(find(conn, period=period, status="open"))


def roll(conn: Connection, period: str, to_period: str, by: str, at: dt.datetime) -> list[int]:
    """Move the open inquiries of ``period`` to ``to_period`` (its batch was locked)."""
    ids = [int(i) for i in find(conn, period=period, status="open")["inquiry_id"]]
    if ids:
        conn.execute(update(INQUIRIES).where(INQUIRIES.c.inquiry_id.in_(ids)).values(
            period=to_period, batch_id=None, rolled=INQUIRIES.c.rolled + 1))
    for inquiry_id in ids:
        log(conn, inquiry_id, by, "roll", at, {"from": period, "to": to_period})
    return ids


def corrections(conn: Connection, rep_id: str | None = None) -> pd.DataFrame:
    query = select(CORRECTIONS).order_by(CORRECTIONS.c.commission_adjustment_id)
    if rep_id is not None:
        query = query.where(CORRECTIONS.c.rep_id == rep_id)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return pd.DataFrame(rows, columns=[c.name for c in CORRECTIONS.columns])


__all__ = ["ACTIONS", "ADJUSTMENT_COLUMNS", "INQUIRY_TABLES", "REASONS", "STATUSES", "Inquiry",
           "InquiryCorrection", "InquiryEvent", "add", "add_correction", "corrections", "events",
           "find", "get", "log", "open_in", "reference", "roll", "set_answer"]

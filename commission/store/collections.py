"""The collections desk's tables: contacts and promises, dispute actions, arrangements, messages.

Same metadata and base as :mod:`commission.store.models` (so one set of migrations
creates both; revision 0005 creates these). Money is BigInteger cents, dates are
Date, timestamps naive UTC. Disputes opened and resolved from the desk are rows of
the contract's ``disputes`` table (so the next batch pauses the lateness clock);
``collection_dispute_actions`` records who opened or resolved each, and when.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Integer, String, Text
from sqlmodel import Field

from commission.store.models import StoreModel, _ref

CHANNELS = ("phone", "email", "visit", "letter", "meeting", "other")
DISPUTE_ACTIONS = ("open", "resolve")
MESSAGE_KINDS = ("summary", "ladder")
MESSAGE_STATUSES = ("sending", "sent")


def _pk() -> Column:
    return Column(Integer, primary_key=True, autoincrement=True)


def _invoice() -> Column:
    return Column(Text, _ref("invoices.invoice_id"), nullable=False)


def _text(nullable: bool = False) -> Column:
    return Column(Text, nullable=nullable)


def _date(nullable: bool = False) -> Column:
    return Column(Date, nullable=nullable)


def _stamp(nullable: bool = False) -> Column:
    return Column(DateTime, nullable=nullable)


class CollectionContact(StoreModel, table=True):
    """A contact with the customer about an invoice, and any promise to pay it got."""

    __tablename__ = "collection_contacts"
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS!r}", name="channel"),
        CheckConstraint("(promise_amount IS NULL) = (promise_date IS NULL)", name="promise"),
        CheckConstraint("promise_amount IS NULL OR promise_amount > 0", name="promise_amount"),
    )
    contact_id: int | None = Field(default=None, sa_column=_pk())
    invoice_id: str = Field(sa_column=_invoice())
    contact_date: dt.date = Field(sa_column=_date())
    actor: str = Field(sa_column=_text())
    actor_role: str = Field(sa_column=_text())
    channel: str = Field(sa_column=Column(String(10), nullable=False))
    outcome: str = Field(sa_column=_text())
    promise_amount: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    promise_date: dt.date | None = Field(default=None, sa_column=_date(nullable=True))
    recorded_at: dt.datetime = Field(sa_column=_stamp())


class CollectionDisputeAction(StoreModel, table=True):
    """Who opened or resolved a dispute from the desk, and when (the dispute is in disputes)."""

    __tablename__ = "collection_dispute_actions"
    __table_args__ = (CheckConstraint(f"action IN {DISPUTE_ACTIONS!r}", name="action"),)
    action_id: int | None = Field(default=None, sa_column=_pk())
    dispute_id: str = Field(sa_column=Column(Text, _ref("disputes.dispute_id"), nullable=False))
    invoice_id: str = Field(sa_column=_invoice())
    action: str = Field(sa_column=Column(String(10), nullable=False))
    action_date: dt.date = Field(sa_column=_date())
    actor: str = Field(sa_column=_text())
    actor_role: str = Field(sa_column=_text())
    note: str = Field(sa_column=_text())
    load_id: int = Field(sa_column=Column(Integer, _ref("loads.load_id"), nullable=False))
    recorded_at: dt.datetime = Field(sa_column=_stamp())


class CollectionArrangement(StoreModel, table=True):
    """A payment arrangement agreed by credit or finance: equal installments at an interval."""

    __tablename__ = "collection_arrangements"
    __table_args__ = (
        CheckConstraint("actor_role IN ('credit', 'finance')", name="actor_role"),
        CheckConstraint("installments > 0 AND installment_amount > 0 AND interval_days > 0",
                        name="terms"),
    )
    arrangement_id: int | None = Field(default=None, sa_column=_pk())
    invoice_id: str = Field(sa_column=_invoice())
    agreed_date: dt.date = Field(sa_column=_date())
    actor: str = Field(sa_column=_text())
    actor_role: str = Field(sa_column=_text())
    installments: int = Field(sa_column=Column(Integer, nullable=False))
    installment_amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_due_date: dt.date = Field(sa_column=_date())
    interval_days: int = Field(sa_column=Column(Integer, nullable=False))
    note: str = Field(sa_column=_text())
    recorded_at: dt.datetime = Field(sa_column=_stamp())


class CollectionMessage(StoreModel, table=True):
    """A message the desk sends, by idempotency key: a key once claimed is never sent again."""

    __tablename__ = "collection_messages"
    __table_args__ = (
        CheckConstraint(f"kind IN {MESSAGE_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {MESSAGE_STATUSES!r}", name="status"),
    )
    message_key: str = Field(sa_column=Column(Text, primary_key=True))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    recipient: str = Field(sa_column=_text())
    subject: str = Field(sa_column=_text())
    body: str = Field(sa_column=_text())
    rep_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    invoice_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    created_at: dt.datetime = Field(sa_column=_stamp())
    sent_at: dt.datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


COLLECTION_TABLES = ("collection_contacts", "collection_dispute_actions",
                     "collection_arrangements", "collection_messages")

__all__ = ["CHANNELS", "COLLECTION_TABLES", "CollectionArrangement", "CollectionContact",
           "CollectionDisputeAction", "CollectionMessage"]

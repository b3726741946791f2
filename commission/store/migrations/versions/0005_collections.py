"""The collections desk: contacts and promises, dispute actions, arrangements, messages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("collection_contacts", "collection_dispute_actions", "collection_arrangements",
          "collection_messages")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other, _key = target.split(".")
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{other}",
                                   deferrable=True, initially="DEFERRED")


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), autoincrement=True, nullable=False)


def _who() -> list[sa.Column]:
    return [sa.Column("actor", sa.Text(), nullable=False),
            sa.Column("actor_role", sa.Text(), nullable=False)]


def _contacts() -> None:
    t = "collection_contacts"
    op.create_table(
        t, _id("contact_id"),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("contact_date", sa.Date(), nullable=False), *_who(),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("promise_amount", sa.BigInteger(), nullable=True),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("channel IN ('phone', 'email', 'visit', 'letter', 'meeting', "
                           "'other')", name=f"ck_{t}_channel"),
        sa.CheckConstraint("(promise_amount IS NULL) = (promise_date IS NULL)",
                           name=f"ck_{t}_promise"),
        sa.CheckConstraint("promise_amount IS NULL OR promise_amount > 0",
                           name=f"ck_{t}_promise_amount"),
        _fk(t, "invoice_id", "invoices.invoice_id"),
        sa.PrimaryKeyConstraint("contact_id", name=f"pk_{t}"),
    )


def _dispute_actions() -> None:
    t = "collection_dispute_actions"
    op.create_table(
        t, _id("action_id"),
        sa.Column("dispute_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("action_date", sa.Date(), nullable=False), *_who(),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("action IN ('open', 'resolve')", name=f"ck_{t}_action"),
        _fk(t, "dispute_id", "disputes.dispute_id"),
        _fk(t, "invoice_id", "invoices.invoice_id"),
        _fk(t, "load_id", "loads.load_id"),
        sa.PrimaryKeyConstraint("action_id", name=f"pk_{t}"),
    )


def _arrangements() -> None:
    t = "collection_arrangements"
    op.create_table(
        t, _id("arrangement_id"),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("agreed_date", sa.Date(), nullable=False), *_who(),
        sa.Column("installments", sa.Integer(), nullable=False),
        sa.Column("installment_amount", sa.BigInteger(), nullable=False),
        sa.Column("first_due_date", sa.Date(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("actor_role IN ('credit', 'finance')", name=f"ck_{t}_actor_role"),
        sa.CheckConstraint("installments > 0 AND installment_amount > 0 AND interval_days > 0",
                           name=f"ck_{t}_terms"),
        _fk(t, "invoice_id", "invoices.invoice_id"),
        sa.PrimaryKeyConstraint("arrangement_id", name=f"pk_{t}"),
    )


def _messages() -> None:
    t = "collection_messages"
    op.create_table(
        t,
        sa.Column("message_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=True),
        sa.Column("invoice_id", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('summary', 'ladder')", name=f"ck_{t}_kind"),
        sa.CheckConstraint("status IN ('sending', 'sent')", name=f"ck_{t}_status"),
        sa.PrimaryKeyConstraint("message_key", name=f"pk_{t}"),
    )


def upgrade() -> None:
    _contacts()
    _dispute_actions()
    _arrangements()
    _messages()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)

"""Inquiries on draft statements: questions, their steps, and the corrections they make.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("inquiries", "inquiry_events", "inquiry_corrections")
REASONS = "('missing_payment', 'wrong_split', 'wrong_rate', 'wrong_haircut', 'other')"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other, _key = target.split(".")
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{other}",
                                   deferrable=True, initially="DEFERRED")


def _inquiries() -> None:
    t = "inquiries"
    op.create_table(
        t,
        sa.Column("inquiry_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("opened_period", sa.String(length=7), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("line_kind", sa.Text(), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("invoice_id", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("rolled", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"reason IN {REASONS}", name=f"ck_{t}_reason"),
        sa.CheckConstraint("status IN ('open', 'resolved', 'declined')", name=f"ck_{t}_status"),
        _fk(t, "rep_id", "reps.rep_id"),
        _fk(t, "batch_id", "batches.batch_id"),
        sa.PrimaryKeyConstraint("inquiry_id", name=f"pk_{t}"),
    )


def _events() -> None:
    t = "inquiry_events"
    op.create_table(
        t,
        sa.Column("event_no", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('open', 'answer', 'resolve', 'decline', 'roll')",
                           name=f"ck_{t}_action"),
        _fk(t, "inquiry_id", "inquiries.inquiry_id"),
        sa.PrimaryKeyConstraint("event_no", name=f"pk_{t}"),
    )


def _corrections() -> None:
    t = "inquiry_corrections"
    op.create_table(
        t,
        sa.Column("commission_adjustment_id", sa.Text(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("adjustment_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=f"ck_{t}_amount"),
        _fk(t, "inquiry_id", "inquiries.inquiry_id"),
        _fk(t, "rep_id", "reps.rep_id"),
        sa.PrimaryKeyConstraint("commission_adjustment_id", name=f"pk_{t}"),
        sa.UniqueConstraint("inquiry_id", name=f"uq_{t}_inquiry_id"),
    )


def upgrade() -> None:
    _inquiries()
    _events()
    _corrections()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)

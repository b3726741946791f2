"""Plans over time (part 2): plan assignments, quotas, manual commission lines, and
``adjustments.reverses_adjustment_id`` (a write-off reversal names its write-off).

A database at the previous head upgrades in place: the new tables start empty, the
new column is null on every existing adjustment, and locked batches are untouched.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("plan_assignments", "quotas", "commission_adjustments")


def _deferred(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other, _key = target.split(".")
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{other}",
                                   deferrable=True, initially="DEFERRED")


def _recorded(table: str) -> list:
    return [
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        _deferred(table, "load_id", "loads.load_id"),
    ]


def upgrade() -> None:
    t = "plan_assignments"
    op.create_table(
        t,
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        *_recorded(t),
        _deferred(t, "rep_id", "reps.rep_id"),
        sa.PrimaryKeyConstraint("rep_id", "effective_from", name=f"pk_{t}"),
    )
    t = "quotas"
    op.create_table(
        t,
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("quota_period", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_recorded(t),
        _deferred(t, "rep_id", "reps.rep_id"),
        sa.PrimaryKeyConstraint("rep_id", "quota_period", name=f"pk_{t}"),
    )
    t = "commission_adjustments"
    op.create_table(
        t,
        sa.Column("commission_adjustment_id", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("adjustment_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_recorded(t),
        _deferred(t, "rep_id", "reps.rep_id"),
        sa.PrimaryKeyConstraint("commission_adjustment_id", name=f"pk_{t}"),
    )
    # no foreign key: SQLite cannot add one in place; validation checks the reference
    op.add_column("adjustments", sa.Column("reverses_adjustment_id", sa.Text(), nullable=True))
    # a new nullable column leaves every locked payout as it was (NULL: run before part 2)
    op.add_column("batch_payouts", sa.Column("attainment", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): the table's triggers stay
    op.drop_column("batch_payouts", "attainment")
    op.drop_column("adjustments", "reverses_adjustment_id")
    for t in reversed(TABLES):
        op.drop_table(t)

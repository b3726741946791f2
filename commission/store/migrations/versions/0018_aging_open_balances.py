"""Open balances kept by loads, so aging reads the invoices open on its day and no others.

``open_balances`` holds each invoice's balance over time where it is above zero: one
row per stretch of days with the same balance, ``open_from`` up to ``open_until``
(excluded; NULL: after the invoice's last event), with the invoice's rep, customer and
due date, derived from the invoice and its payments and adjustments (see
:mod:`commission.store.balances`). Every load rewrites
the rows of the invoices it writes or whose events it writes; this migration computes
every existing invoice's rows from the ledger, so a database at the previous head
upgrades in place (a million invoices take seconds). Downgrading drops the table.

Revision ID: 0018_aging_open_balances
Revises: 0017_lock_paid_events
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_aging_open_balances"
down_revision = "0017_lock_paid_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_balances",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("open_from", sa.Date(), nullable=False),
        sa.Column("open_until", sa.Date(), nullable=True),
        sa.Column("open_amount", sa.BigInteger(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "open_from", name="pk_open_balances"),
        sqlite_with_rowid=False,  # SQLite keeps the rows in key order, with no rowid copy
    )
    from commission.store.balances import rebuild_balances  # the rows every load writes

    rebuild_balances(op.get_bind())
    op.create_index("ix_open_balances_open_until", "open_balances", ["open_until", "open_from"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE open_balances")  # plan aging's first read with real counts


def downgrade() -> None:
    op.drop_index("ix_open_balances_open_until", table_name="open_balances")
    op.drop_table("open_balances")

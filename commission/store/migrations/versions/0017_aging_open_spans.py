"""Open spans: each invoice's days of possibly being open, so aging reads only those.

``open_spans`` holds one row per invoice: its invoice date and ``settled_on``, the
first day from which its balance stays at or below zero (NULL: still open after its
last event), derived from the invoice and its payments and adjustments (see
:mod:`commission.store.balances`). Every load rewrites the spans of the invoices it
writes or whose events it writes; this migration computes every existing invoice's
span from the ledger, so a database at the previous head upgrades in place (a
million invoices take a few seconds). Downgrading drops the table.

Revision ID: 0017_aging_open_spans
Revises: 0016_line_invoice_index
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_aging_open_spans"
down_revision = "0016_line_invoice_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_spans",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_open_spans"),
    )
    from commission.store.balances import rebuild_spans  # the spans every load writes

    rebuild_spans(op.get_bind())
    op.create_index("ix_open_spans_settled_on", "open_spans", ["settled_on", "invoice_date"])


def downgrade() -> None:
    op.drop_index("ix_open_spans_settled_on", table_name="open_spans")
    op.drop_table("open_spans")

"""Indexes for each way the store is read: a rep's invoices, an invoice's events, a rep's
lines in a batch, a batch's paid events (issue 14, item 4).

Without them a rep's statement and the seal of one batch among many scan whole
tables. Only indexes: a database at the previous head upgrades in place (its rows,
locked batches and seals untouched) and downgrades by dropping them.

Revision ID: 0011_store_indexes
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0011_store_indexes"
down_revision = "0010"
branch_labels = None
depends_on = None

#: name -> (table, columns); models.py declares the same (a test compares them)
INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_invoices_rep_id": ("invoices", ["rep_id"]),
    "ix_splits_rep_id": ("splits", ["rep_id"]),
    "ix_payments_invoice_id": ("payments", ["invoice_id"]),
    "ix_adjustments_invoice_id": ("adjustments", ["invoice_id"]),
    "ix_disputes_invoice_id": ("disputes", ["invoice_id"]),
    "ix_commission_adjustments_rep_id": ("commission_adjustments", ["rep_id"]),
    "ix_batch_lines_batch_id": ("batch_lines", ["batch_id", "rep_id"]),
    "ix_paid_events_batch_id": ("paid_events", ["batch_id", "event_kind", "event_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)

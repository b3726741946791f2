"""Indexes for a batch's diff and for approve and lock: rows by load, manual lines.

- ``ix_invoices_load_id``, ``ix_payments_load_id``, ``ix_adjustments_load_id``: a diff
  compares only the events loaded after the batch (``load_id`` above its
  ``data_version``); without them each event table is read whole, three times.
- ``ix_batch_lines_manual``: whether a draft is stale starts from the manual lines
  locked batches paid (``line_kind = 'manual'``), a handful among millions of lines;
  a partial index holds only those, instead of a scan of every batch line (0.3 to
  0.5 s at a million invoices, in every approve and lock).

Only indexes: a database at the previous head upgrades in place and downgrades by
dropping them.

Revision ID: 0019_diff_and_lock_indexes
Revises: 0018_aging_open_balances
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_diff_and_lock_indexes"
down_revision = "0018_aging_open_balances"
branch_labels = None
depends_on = None

MANUAL = sa.text("line_kind = 'manual'")
BY_LOAD = ("invoices", "payments", "adjustments")


def upgrade() -> None:
    for table in BY_LOAD:
        op.create_index(f"ix_{table}_load_id", table, ["load_id"])
    op.create_index("ix_batch_lines_manual", "batch_lines", ["batch_id", "event_id"],
                    sqlite_where=MANUAL, postgresql_where=MANUAL)


def downgrade() -> None:
    op.drop_index("ix_batch_lines_manual", table_name="batch_lines")
    for table in BY_LOAD:
        op.drop_index(f"ix_{table}_load_id", table_name=table)

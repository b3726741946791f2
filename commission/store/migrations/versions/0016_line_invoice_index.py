"""An index for a month's batch run: the locked lines of the invoices it pays again.

A batch after a locked one reads, of earlier batches' lines, only those of the
invoices with an open event (the rates reversals and credits take back); this
index finds them without reading every line. Only an index: a database at the
previous head upgrades in place and downgrades by dropping it.

Revision ID: 0016_line_invoice_index
Revises: 0015_seal_reps
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0016_line_invoice_index"
down_revision = "0015_seal_reps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_batch_lines_invoice_id", "batch_lines", ["invoice_id"])


def downgrade() -> None:
    op.drop_index("ix_batch_lines_invoice_id", table_name="batch_lines")

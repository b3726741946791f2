"""Line kinds of part 2 fit the store: ``batch_lines.line_kind`` holds 20 characters.

``clawback_reversal`` and ``penalty_reversal`` are 17 and 16 characters; PostgreSQL
enforced the old VARCHAR(10) and refused any batch paying a recovered write-off.
SQLite never enforces a VARCHAR length, so only PostgreSQL's column changes; rows,
locked batches and seals are untouched (the values themselves do not change).

Revision ID: 0014_line_kind_width
Revises: 0013_batch_console
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_line_kind_width"
down_revision = "0013_batch_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("batch_lines", "line_kind", type_=sa.String(20),
                        existing_type=sa.String(10), existing_nullable=False)


def downgrade() -> None:
    """Keeps the wider column: narrowing it would refuse the part-2 lines already stored."""

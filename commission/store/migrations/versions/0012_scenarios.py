"""Scenarios: plan variants management saves on Compare plans, apart from payroll.

A scenario is a plan text (YAML) with who saved it and when, the plan it derives
from, and an optional what-if "from this month for these reps". It lives in its own
table: nothing in payroll reads it. Making one live (a separate, audited step)
writes a new plan id into ``plans`` and rows into ``plan_assignments``, and notes
here which plan id and month it became.

A database at the previous head upgrades in place: the new table starts empty.

Revision ID: 0012_scenarios
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_scenarios"
down_revision = "0011_store_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("scenario_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_plan_id", sa.Text(), nullable=True),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("from_period", sa.Text(), nullable=True),
        sa.Column("reps", sa.Text(), nullable=True),
        sa.Column("quota_scale", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("live_plan_id", sa.Text(), nullable=True),
        sa.Column("live_from", sa.Date(), nullable=True),
        sa.Column("live_by", sa.Text(), nullable=True),
        sa.Column("live_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("scenario_id", name="pk_scenarios"),
    )


def downgrade() -> None:
    op.drop_table("scenarios")

"""A batch's earning volume, summed when its lines are written (``batch_volumes``).

A month's run reads what every locked batch counted toward V₀ (tier volumes):
Σ base_amount of their invoice, collection and reversal lines per (kind, rep, plan,
period, share). It summed every locked line for it, 1.9M at a million invoices
(1.2 s of a 3.3 s run on SQLite, 0.8 s on PostgreSQL), more every month. Each run
now writes its own sums beside its lines (a few thousand rows) and a run sums those.

Upgrading fills the table from the lines of every batch already stored, then arms
the same guards as the other rows of a batch: read-only once the batch is locked
(SQLite row triggers; PostgreSQL statement triggers with transition tables).
Downgrading drops the table.

Revision ID: 0020_batch_volumes
Revises: 0019_diff_and_lock_indexes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_batch_volumes"
down_revision = "0019_diff_and_lock_indexes"
branch_labels = None
depends_on = None

KEY = "batch_id, line_kind, rep_id, plan_id, period, share"
FILL = (f"INSERT INTO batch_volumes ({KEY}, base_amount) SELECT {KEY}, SUM(base_amount) "
        "FROM batch_lines WHERE line_kind IN ('invoice', 'collection', 'reversal') "
        f"GROUP BY {KEY}")
LOCKED = "EXISTS (SELECT 1 FROM batches WHERE batch_id = {ref}.batch_id AND status = 'locked')"
READ_ONLY = "batch is locked: its batch_volumes are read-only"


def _table() -> None:
    op.create_table(
        "batch_volumes",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line_kind", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("share", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_batch_volumes_batch_id_batches"),
        sa.PrimaryKeyConstraint("batch_id", "line_kind", "rep_id", "plan_id", "period", "share",
                                name="pk_batch_volumes"),
    )


def _sqlite_guards(table: str) -> None:
    refuse = READ_ONLY.replace("batch_volumes", table)
    for event, when in (("insert", LOCKED.format(ref="NEW")),
                        ("update", f"{LOCKED.format(ref='OLD')} OR {LOCKED.format(ref='NEW')}"),
                        ("delete", LOCKED.format(ref="OLD"))):
        op.execute(f"CREATE TRIGGER {table}_locked_{event} BEFORE {event.upper()} ON "
                   f"{table} FOR EACH ROW WHEN {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{refuse}'); END")


def _pg_guards(table: str) -> None:
    for event, refs in (("INSERT", "NEW TABLE AS new_rows"),
                        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                        ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER {table}_guard_{event.lower()} AFTER {event} ON "
                   f"{table} REFERENCING {refs} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION commission_guard_batch_rows()")
    op.execute(f"CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table} "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


def guard(table: str) -> None:
    """Arm a batch table's guards: its rows read-only once their batch is locked (a later
    migration's table, too: 0023)."""
    if op.get_bind().dialect.name == "postgresql":
        _pg_guards(table)
    else:
        _sqlite_guards(table)


def upgrade() -> None:
    _table()
    op.execute(FILL)  # before the guards: locked batches' sums are written once, here
    guard("batch_volumes")


def downgrade() -> None:
    op.drop_table("batch_volumes")  # its triggers go with it

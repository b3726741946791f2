"""Seals per rep: ``batch_seal_reps`` holds each rep's digests of a locked batch (issue 14).

A batch locked from now on is sealed with method ``sha256-v2`` (see
:mod:`commission.store.seal`): its lines and payouts sections are digests over
per-rep digests kept here, so one rep's statement checks that rep's rows and the
seal above them without reading the whole batch. Triggers (SQLite and PostgreSQL)
refuse a row for a batch that is not locked or is already sealed, and any change or
deletion, like ``batch_seals`` (0006).

Batches sealed before keep their ``sha256-v1`` seals and are verified as before:
re-sealing them here would bless whatever was changed since. Nothing else changes,
so a database at the previous head upgrades in place.

Revision ID: 0015_seal_reps
Revises: 0014_line_kind_width
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_seal_reps"
down_revision = "0014_line_kind_width"
branch_labels = None
depends_on = None

GUARD = """
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = NEW.batch_id AND status = 'locked')
       OR EXISTS (SELECT 1 FROM batch_seals WHERE batch_id = NEW.batch_id) THEN
      RAISE EXCEPTION 'a rep''s seal is written once, when its batch is locked (batch %)',
        NEW.batch_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a batch seal is permanent' USING ERRCODE = 'integrity_constraint_violation';
END"""


def upgrade() -> None:
    op.create_table(
        "batch_seal_reps",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("lines_sha256", sa.String(length=64), nullable=False),
        sa.Column("payouts_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_batch_seal_reps_batch_id_batches"),
        sa.PrimaryKeyConstraint("batch_id", "rep_id", name="pk_batch_seal_reps"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER batch_seal_reps_insert BEFORE INSERT ON batch_seal_reps FOR EACH ROW "
            "WHEN NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = NEW.batch_id AND "
            "status = 'locked') OR EXISTS (SELECT 1 FROM batch_seals WHERE batch_id = "
            "NEW.batch_id) BEGIN SELECT RAISE(ABORT, "
            "'a rep''s seal is written once, when its batch is locked'); END")
        for timing in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER batch_seal_reps_{timing.lower()} BEFORE {timing} ON "
                       "batch_seal_reps FOR EACH ROW BEGIN SELECT RAISE(ABORT, "
                       "'a batch seal is permanent'); END")
        return
    op.execute("CREATE FUNCTION commission_guard_batch_seal_reps() RETURNS trigger "
               f"LANGUAGE plpgsql SET search_path FROM CURRENT AS $body${GUARD}$body$")
    op.execute("CREATE TRIGGER batch_seal_reps_guard BEFORE INSERT OR UPDATE OR DELETE ON "
               "batch_seal_reps FOR EACH ROW EXECUTE FUNCTION commission_guard_batch_seal_reps()")
    op.execute("CREATE TRIGGER batch_seal_reps_guard_truncate BEFORE TRUNCATE ON batch_seal_reps "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


def downgrade() -> None:
    """Drops the per-rep digests: a ``sha256-v2`` seal then no longer verifies (by design,
    the previous version knows only ``sha256-v1``)."""
    op.drop_table("batch_seal_reps")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION commission_guard_batch_seal_reps()")

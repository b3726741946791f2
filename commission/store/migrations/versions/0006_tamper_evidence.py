"""Tamper evidence: batch seals, paid events fixed at lock, stored plans immutable.

- ``batch_seals``: the SHA-256 digests of a locked batch's lines, payouts, plan
  texts and paid events (:mod:`commission.store.seal`), one row per locked batch,
  insertable only for a locked batch and never changed or deleted (triggers).
- ``paid_events``: a row may only be one of its batch's own events
  (``batch_events``) and only until the batch is sealed, so rows cannot be added
  to a locked batch's paid events afterwards.
- ``plans``: a stored plan version never changes (UPDATE refused), and one a locked
  batch used is never deleted.
- ``batch_runs.plans``: the plan versions each run computed with, so ``batch diff``
  can say which plan changed between a draft and its re-run.

Batches locked before this revision are sealed here, from their rows as they are
at upgrade (``sealed_by`` says so): from then on any change shows in
``commission batch verify``. Whether they were changed *before* the upgrade
cannot be known from the store alone (see docs/security.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEALED_AT_UPGRADE = "migration 0006 (locked before digests)"
LOCKED_BATCH = "SELECT 1 FROM batches WHERE batch_id = {ref}.batch_id AND status = 'locked'"
PLAN_CHANGE = "a stored plan version never changes: a change is a new plan id"


def _seals_table() -> None:
    sha = [sa.Column(c, sa.String(length=64), nullable=False)
           for c in ("digest", "lines_sha256", "payouts_sha256", "plans_sha256",
                     "paid_events_sha256")]
    op.create_table(
        "batch_seals",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        *sha,
        sa.Column("sealed_by", sa.Text(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_batch_seals_batch_id_batches"),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batch_seals"),
    )


# --------------------------------------------------------------------------- SQLite


def _sqlite_trigger(name: str, timing: str, table: str, when: str, message: str) -> None:
    op.execute(f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW WHEN {when} "
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _sqlite_triggers() -> None:
    locked = LOCKED_BATCH.format(ref="NEW")
    _sqlite_trigger("batch_seals_insert", "BEFORE INSERT", "batch_seals", f"NOT EXISTS ({locked})",
                    "only a locked batch is sealed")
    for timing in ("UPDATE", "DELETE"):
        _sqlite_trigger(f"batch_seals_{timing.lower()}", f"BEFORE {timing}", "batch_seals", "1",
                        "a batch seal is permanent")
    _sqlite_trigger(
        "paid_events_insert_own", "BEFORE INSERT", "paid_events",
        "NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = NEW.batch_id "
        "AND e.event_kind = NEW.event_kind AND e.event_id = NEW.event_id) "
        "OR EXISTS (SELECT 1 FROM batch_seals s WHERE s.batch_id = NEW.batch_id)",
        "batch is locked: its paid events are fixed (only its own events, at lock)")
    _sqlite_trigger("plans_update", "BEFORE UPDATE", "plans", "1", PLAN_CHANGE)
    _sqlite_trigger(
        "plans_locked_delete", "BEFORE DELETE", "plans",
        "EXISTS (SELECT 1 FROM batch_plans p JOIN batches b ON b.batch_id = p.batch_id "
        "WHERE p.plan_id = OLD.plan_id AND p.version = OLD.version AND b.status = 'locked')",
        "a locked batch used this plan version: it cannot be deleted")


# --------------------------------------------------------------------------- PostgreSQL

PG_FUNCTIONS = {
    "commission_guard_batch_seals": """
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = NEW.batch_id AND status = 'locked')
    THEN
      RAISE EXCEPTION 'only a locked batch is sealed (batch %)', NEW.batch_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a batch seal is permanent' USING ERRCODE = 'integrity_constraint_violation';
END""",
    "commission_guard_paid_own": """
DECLARE hit text;
BEGIN
  SELECT r.event_id INTO hit FROM new_rows r
   WHERE NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = r.batch_id
                       AND e.event_kind = r.event_kind AND e.event_id = r.event_id)
      OR EXISTS (SELECT 1 FROM batch_seals s WHERE s.batch_id = r.batch_id)
   LIMIT 1;
  IF hit IS NOT NULL THEN
    RAISE EXCEPTION 'batch is locked: its paid events are fixed (only its own events, at '
                    'lock; %)', hit USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END""",
    "commission_guard_plans": f"""
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION '{PLAN_CHANGE} (plan %)', OLD.plan_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM batch_plans p JOIN batches b ON b.batch_id = p.batch_id
              WHERE p.plan_id = OLD.plan_id AND p.version = OLD.version
                AND b.status = 'locked') THEN
    RAISE EXCEPTION 'a locked batch used plan % version %: it cannot be deleted',
      OLD.plan_id, OLD.version USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN OLD;
END""",
}


def _pg_triggers() -> None:
    for name, body in PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $body${body}$body$")
    op.execute("CREATE TRIGGER batch_seals_guard BEFORE INSERT OR UPDATE OR DELETE ON "
               "batch_seals FOR EACH ROW EXECUTE FUNCTION commission_guard_batch_seals()")
    op.execute("CREATE TRIGGER batch_seals_guard_truncate BEFORE TRUNCATE ON batch_seals "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")
    op.execute("CREATE TRIGGER paid_events_guard_own AFTER INSERT ON paid_events "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION commission_guard_paid_own()")
    op.execute("CREATE TRIGGER plans_guard BEFORE UPDATE OR DELETE ON plans "
               "FOR EACH ROW EXECUTE FUNCTION commission_guard_plans()")
    op.execute("CREATE TRIGGER plans_guard_truncate BEFORE TRUNCATE ON plans "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


# --------------------------------------------------------------------------- upgrade, downgrade


def _seal_locked_batches() -> None:
    from commission.store import seal  # the canonical digest (method sha256-v1)
    from commission.store.db import utcnow

    conn = op.get_bind()
    locked = conn.exec_driver_sql(
        "SELECT batch_id FROM batches WHERE status = 'locked' ORDER BY batch_id").fetchall()
    for (batch_id,) in locked:
        seal.write(conn, int(batch_id), SEALED_AT_UPGRADE, utcnow(), method=seal.V1)


def upgrade() -> None:
    _seals_table()
    op.add_column("batch_runs", sa.Column("plans", sa.Text(), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _pg_triggers()
    else:  # pragma: no cover - the store supports these two
        raise NotImplementedError(f"no triggers for {dialect}; use SQLite or PostgreSQL")
    _seal_locked_batches()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("paid_events_insert_own", "plans_update", "plans_locked_delete"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER paid_events_guard_own ON paid_events")
        op.execute("DROP TRIGGER plans_guard ON plans")
        op.execute("DROP TRIGGER plans_guard_truncate ON plans")
    op.drop_table("batch_seals")
    op.execute("ALTER TABLE batch_runs DROP COLUMN plans")  # SQLite >= 3.35, PostgreSQL
    if dialect == "postgresql":
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")

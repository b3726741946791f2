"""A fast lock (issue 14): the database records a batch's paid events itself, and a
draft keeps its seal digests.

Locking a million-event batch spent most of its time copying rows into
``paid_events`` through two row triggers each probing tables (SQLite), or through a
statement trigger anti-joining every new row with ``batch_events`` (PostgreSQL),
then rereading every line and paid event to seal them. Now:

- **The lock itself pays the events**: a trigger on ``batches`` (status becoming
  ``locked``) inserts the batch's own ``batch_events`` into ``paid_events``, in key
  order; the program no longer writes them. So the rows are the batch's own events by
  construction, and the seal's trigger checks, once, that the batch pays exactly that
  many events: a row added by hand between the lock and the seal makes the seal (and
  with it the lock) fail. The guards stay in the database: only a locked, not yet
  sealed batch pays (one light row check on SQLite, one set-based check per statement
  on PostgreSQL), once (the primary key), for ever (update and delete refused).
- SQLite: ``paid_events`` becomes a ``WITHOUT ROWID`` table (its primary key is the
  table; rows kept, copied in key order).
- ``paid_events.batch_id`` loses its foreign key: the insert guard already refuses a
  row whose batch is not (an existing, locked) batch, and a locked batch cannot be
  deleted; on PostgreSQL the key was checked row by row (half of the lock's time).
- PostgreSQL: the index ``ix_paid_events_batch_id`` stops trying to deduplicate
  (its keys are unique), which makes each insert into it cheaper.
- ``batch_digests``: the seal digests a run computed from the rows it wrote (each
  rep's lines, and the paid events section), replaced by a re-run, read-only once the
  batch is locked; the lock seals with them (:mod:`commission.store.draftseal`).

Revision ID: 0017_lock_paid_events
Revises: 0016_line_invoice_index
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_lock_paid_events"
down_revision = "0016_line_invoice_index"
branch_labels = None
depends_on = None

PAY = ("INSERT INTO paid_events (event_kind, event_id, batch_id) SELECT event_kind, "
       "event_id, batch_id FROM batch_events WHERE batch_id = NEW.batch_id "
       "ORDER BY event_kind, event_id")
ONLY_LOCKED = "only a locked batch pays events: its own, when it is locked"
FIXED = "batch is locked: its paid events are fixed (only its own events, at lock)"
COUNTS_DIFFER = ("(SELECT COUNT(*) FROM paid_events WHERE batch_id = NEW.batch_id) <> "
                 "(SELECT COUNT(*) FROM batch_events WHERE batch_id = NEW.batch_id)")
LOCKED = "EXISTS (SELECT 1 FROM batches WHERE batch_id = {ref}.batch_id AND status = 'locked')"


def _digests_table() -> None:
    op.create_table(
        "batch_digests",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_batch_digests_batch_id_batches"),
        sa.PrimaryKeyConstraint("batch_id", "section", "rep_id", name="pk_batch_digests"),
    )


# --------------------------------------------------------------------------- SQLite


def _trigger(name: str, timing: str, table: str, when: str, message: str) -> None:
    op.execute(f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW WHEN {when} "
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _rebuild_paid_events(upgrade: bool) -> None:
    """Copy ``paid_events`` into a new table (in key order) and put it in its place:
    upgrading, ``WITHOUT ROWID`` and without the foreign key (the guard checks it)."""
    op.execute("CREATE TABLE paid_events_new (event_kind VARCHAR(10) NOT NULL, event_id TEXT "
               "NOT NULL, batch_id INTEGER NOT NULL, CONSTRAINT pk_paid_events PRIMARY KEY "
               "(event_kind, event_id)" + (") WITHOUT ROWID" if upgrade else
               ", CONSTRAINT fk_paid_events_batch_id_batches FOREIGN KEY(batch_id) "
               "REFERENCES batches (batch_id))"))
    op.execute("INSERT INTO paid_events_new SELECT event_kind, event_id, batch_id "
               "FROM paid_events ORDER BY event_kind, event_id")
    op.execute("DROP TABLE paid_events")  # its triggers and index go with it
    # legacy: other tables' triggers name paid_events; do not re-check them mid-swap
    op.execute("PRAGMA legacy_alter_table = ON")
    op.execute("ALTER TABLE paid_events_new RENAME TO paid_events")
    op.execute("PRAGMA legacy_alter_table = OFF")
    op.create_index("ix_paid_events_batch_id", "paid_events",
                    ["batch_id", "event_kind", "event_id"])
    for timing in ("UPDATE", "DELETE"):
        _trigger(f"paid_events_{timing.lower()}", f"BEFORE {timing}", "paid_events", "1",
                 "paid events are permanent")


def _sqlite_upgrade() -> None:
    _rebuild_paid_events(upgrade=True)
    _trigger("paid_events_insert", "BEFORE INSERT", "paid_events",
             f"NOT {LOCKED.format(ref='NEW')} OR EXISTS (SELECT 1 FROM batch_seals s "
             "WHERE s.batch_id = NEW.batch_id)", ONLY_LOCKED)
    op.execute("CREATE TRIGGER batches_lock_pays AFTER UPDATE OF status ON batches FOR EACH "
               f"ROW WHEN NEW.status = 'locked' AND OLD.status <> 'locked' BEGIN {PAY}; END")
    _trigger("batch_seals_paid_events", "BEFORE INSERT", "batch_seals", COUNTS_DIFFER, FIXED)
    msg = "batch is locked: its batch_digests are read-only"
    _trigger("batch_digests_locked_insert", "BEFORE INSERT", "batch_digests",
             LOCKED.format(ref="NEW"), msg)
    _trigger("batch_digests_locked_update", "BEFORE UPDATE", "batch_digests",
             f"{LOCKED.format(ref='OLD')} OR {LOCKED.format(ref='NEW')}", msg)
    _trigger("batch_digests_locked_delete", "BEFORE DELETE", "batch_digests",
             LOCKED.format(ref="OLD"), msg)


def _sqlite_downgrade() -> None:
    for name in ("batches_lock_pays", "batch_seals_paid_events"):
        op.execute(f"DROP TRIGGER {name}")
    _rebuild_paid_events(upgrade=False)
    _trigger("paid_events_insert", "BEFORE INSERT", "paid_events",
             f"NOT {LOCKED.format(ref='NEW')}", "only a locked batch pays events")
    _trigger("paid_events_insert_own", "BEFORE INSERT", "paid_events",
             "NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = NEW.batch_id "
             "AND e.event_kind = NEW.event_kind AND e.event_id = NEW.event_id) "
             "OR EXISTS (SELECT 1 FROM batch_seals s WHERE s.batch_id = NEW.batch_id)", FIXED)


# --------------------------------------------------------------------------- PostgreSQL

#: (function, body now, body before): statement-level, one check per statement
PG_PAID = """
DECLARE hit text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- one pass over the new rows: a batch that is missing, not locked, or sealed
    SELECT r.event_id INTO hit FROM new_rows r LEFT JOIN batches b ON b.batch_id = r.batch_id
      LEFT JOIN batch_seals s ON s.batch_id = r.batch_id
     WHERE b.status IS DISTINCT FROM 'locked' OR s.batch_id IS NOT NULL LIMIT 1;
    IF hit IS NOT NULL THEN
      RAISE EXCEPTION '{only} (%)', hit USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'paid events are permanent' USING ERRCODE = 'integrity_constraint_violation';
END""".replace("{only}", ONLY_LOCKED)
PG_PAID_BEFORE = """
DECLARE hit text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT r.event_id INTO hit FROM new_rows r JOIN batches b ON b.batch_id = r.batch_id
     WHERE b.status <> 'locked' LIMIT 1;
    IF hit IS NOT NULL THEN
      RAISE EXCEPTION 'only a locked batch pays events (%)', hit
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'paid events are permanent' USING ERRCODE = 'integrity_constraint_violation';
END"""
PG_OWN = """
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
END"""
PG_SEALS = """
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = NEW.batch_id AND status = 'locked')
    THEN
      RAISE EXCEPTION 'only a locked batch is sealed (batch %)', NEW.batch_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;{check}
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a batch seal is permanent' USING ERRCODE = 'integrity_constraint_violation';
END"""
PG_SEALS_CHECK = f"""
    IF {COUNTS_DIFFER} THEN
      RAISE EXCEPTION '{FIXED} (batch %)', NEW.batch_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;"""
PG_LOCK_PAYS = f"""
BEGIN
  {PAY};
  RETURN NULL;
END"""


def _pg_function(name: str, body: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $body${body}$body$")


def _pg_upgrade() -> None:
    op.execute("DROP TRIGGER paid_events_guard_own ON paid_events")
    op.execute("DROP FUNCTION commission_guard_paid_own()")
    _pg_function("commission_guard_paid_events", PG_PAID)
    _pg_function("commission_guard_batch_seals", PG_SEALS.replace("{check}", PG_SEALS_CHECK))
    _pg_function("commission_lock_pays", PG_LOCK_PAYS)
    op.execute("CREATE TRIGGER batches_lock_pays AFTER UPDATE OF status ON batches FOR EACH "
               "ROW WHEN (NEW.status = 'locked' AND OLD.status <> 'locked') "
               "EXECUTE FUNCTION commission_lock_pays()")
    op.execute("ALTER INDEX ix_paid_events_batch_id SET (deduplicate_items = off)")
    op.execute("ALTER TABLE paid_events DROP CONSTRAINT fk_paid_events_batch_id_batches")
    for event, refs in (("INSERT", "NEW TABLE AS new_rows"),
                        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                        ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER batch_digests_guard_{event.lower()} AFTER {event} ON "
                   f"batch_digests REFERENCING {refs} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION commission_guard_batch_rows()")
    op.execute("CREATE TRIGGER batch_digests_guard_truncate BEFORE TRUNCATE ON batch_digests "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


def _pg_downgrade() -> None:
    op.execute("DROP TRIGGER batches_lock_pays ON batches")
    op.execute("DROP FUNCTION commission_lock_pays()")
    op.execute("ALTER INDEX ix_paid_events_batch_id RESET (deduplicate_items)")
    op.execute("ALTER TABLE paid_events ADD CONSTRAINT fk_paid_events_batch_id_batches "
               "FOREIGN KEY (batch_id) REFERENCES batches (batch_id)")
    _pg_function("commission_guard_paid_events", PG_PAID_BEFORE)
    _pg_function("commission_guard_batch_seals", PG_SEALS.replace("{check}", ""))
    _pg_function("commission_guard_paid_own", PG_OWN)
    op.execute("CREATE TRIGGER paid_events_guard_own AFTER INSERT ON paid_events "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION commission_guard_paid_own()")


# --------------------------------------------------------------------------- upgrade, downgrade


def upgrade() -> None:
    _digests_table()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


def downgrade() -> None:
    """Back to the program writing paid events through the earlier triggers; the
    drafts' digests go (a lock then seals from the rows, as before)."""
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _pg_downgrade()
    op.drop_table("batch_digests")  # its triggers go with it

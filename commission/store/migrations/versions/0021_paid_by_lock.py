"""Paid events marked by the lock, not copied: ``paid_events`` becomes a view.

A batch's events are ``batch_events``; locking it made the database copy every one of
them into ``paid_events`` (2.9M rows, two B-trees and a row guard each: most of a
catch-up lock, 4 to 5 s on SQLite and 7.5 s on PostgreSQL at a million invoices). The
copy said nothing the batch's own rows did not: an event is paid when a **locked**
batch holds it. So ``paid_events`` is now exactly that, a view of the events of
locked batches, and the lock writes no row:

- ``batch_events`` gains ``ix_batch_events_event (event_kind, event_id, batch_id)``:
  "is this event paid, by which batch" is one probe, as the copy's key was.
- **Paid once** stays a database rule: a trigger on ``batches`` refuses to lock a batch
  holding an event a locked batch holds. It probes from the smaller side, the batch's
  events or the events already paid (a store's first lock, a catch-up, checks nothing
  against nothing), counted first. Two locks at once cannot both pass: SQLite has one
  writer; on PostgreSQL the check takes the store's writer lock (the advisory lock
  every write of the program takes) and runs read committed, so it sees a lock that
  committed while it waited (another isolation level is refused).
- **Paid for ever, only by a lock**: a view cannot be written (the database refuses
  any insert, update or delete); what it shows changes only when a batch is locked,
  and a locked batch's status and events are already read-only (their guards).
- The seal's paid events section reads the same rows in the same order: every seal
  made before stays valid.

Downgrading copies the view back into the table of 0017 with its key, index and
guards, and the lock's copy trigger.

Revision ID: 0021_paid_by_lock
Revises: 0020_batch_volumes
Create Date: 2026-12-03
"""

from __future__ import annotations

from types import ModuleType

from alembic import op

from commission.store.migrate import revision_module

revision = "0021_paid_by_lock"
down_revision = "0020_batch_volumes"
branch_labels = None
depends_on = None

VIEW = ("CREATE VIEW paid_events AS SELECT e.event_kind, e.event_id, e.batch_id "
        "FROM batch_events e JOIN batches b ON b.batch_id = e.batch_id "
        "WHERE b.status = 'locked'")
PAID_ONCE = "an event of this batch is already paid by a locked batch: an event is paid once"
MINE = "(SELECT COUNT(*) FROM batch_events WHERE batch_id = NEW.batch_id)"
#: the paid events counted only as far as the batch's own count (a month's lock does not
#: count the store's history)
PAID = ("(SELECT COUNT(*) FROM (SELECT 1 FROM batches b CROSS JOIN batch_events o "
        f"WHERE b.status = 'locked' AND o.batch_id = b.batch_id LIMIT {MINE} + 1))")
#: the batch's events probed in the index of events (when it holds fewer than are paid)
FROM_MINE = ("SELECT 1 FROM batch_events e CROSS JOIN batch_events o CROSS JOIN batches b "
             "WHERE e.batch_id = NEW.batch_id AND o.event_kind = e.event_kind "
             "AND o.event_id = e.event_id AND b.batch_id = o.batch_id AND b.status = 'locked'")
#: the paid events probed in the batch's key (when it holds more than are paid)
FROM_PAID = ("SELECT 1 FROM batches b CROSS JOIN batch_events o CROSS JOIN batch_events e "
             "WHERE b.status = 'locked' AND o.batch_id = b.batch_id "
             "AND e.batch_id = NEW.batch_id AND e.event_kind = o.event_kind "
             "AND e.event_id = o.event_id")
LOCKING = "NEW.status = 'locked' AND OLD.status <> 'locked'"


def _previous() -> ModuleType:
    """Migration 0017, whose table, guards and copy a downgrade puts back."""
    return revision_module("0017_lock_paid_events.py")


# --------------------------------------------------------------------------- SQLite


def _sqlite_upgrade() -> None:
    for name in ("batches_lock_pays", "batch_seals_paid_events"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE paid_events")  # its index and guards go with it
    op.execute(VIEW)  # other tables' triggers name paid_events: they read the view
    op.execute(f"CREATE TRIGGER batches_lock_pays_once BEFORE UPDATE OF status ON batches "
               f"FOR EACH ROW WHEN {LOCKING} AND CASE WHEN {MINE} <= {PAID} "
               f"THEN EXISTS ({FROM_MINE}) ELSE EXISTS ({FROM_PAID}) END "
               f"BEGIN SELECT RAISE(ABORT, '{PAID_ONCE}'); END")


def _sqlite_downgrade() -> None:
    before = _previous()
    op.execute("DROP TRIGGER batches_lock_pays_once")
    op.execute("CREATE TABLE paid_events_new (event_kind VARCHAR(10) NOT NULL, event_id TEXT "
               "NOT NULL, batch_id INTEGER NOT NULL, CONSTRAINT pk_paid_events PRIMARY KEY "
               "(event_kind, event_id)) WITHOUT ROWID")
    op.execute("INSERT INTO paid_events_new SELECT event_kind, event_id, batch_id "
               "FROM paid_events ORDER BY event_kind, event_id")
    op.execute("DROP VIEW paid_events")
    op.execute("PRAGMA legacy_alter_table = ON")  # other triggers name paid_events
    op.execute("ALTER TABLE paid_events_new RENAME TO paid_events")
    op.execute("PRAGMA legacy_alter_table = OFF")
    op.create_index("ix_paid_events_batch_id", "paid_events",
                    ["batch_id", "event_kind", "event_id"])
    for timing in ("UPDATE", "DELETE"):
        before._trigger(f"paid_events_{timing.lower()}", f"BEFORE {timing}", "paid_events",
                        "1", "paid events are permanent")
    before._trigger("paid_events_insert", "BEFORE INSERT", "paid_events",
                    f"NOT {before.LOCKED.format(ref='NEW')} OR EXISTS (SELECT 1 FROM "
                    "batch_seals s WHERE s.batch_id = NEW.batch_id)", before.ONLY_LOCKED)
    op.execute("CREATE TRIGGER batches_lock_pays AFTER UPDATE OF status ON batches FOR EACH "
               f"ROW WHEN {LOCKING} BEGIN {before.PAY}; END")
    before._trigger("batch_seals_paid_events", "BEFORE INSERT", "batch_seals",
                    before.COUNTS_DIFFER, before.FIXED)


# --------------------------------------------------------------------------- PostgreSQL

#: PostgreSQL: the same check, each side's probes as nested loops in the order written
#: (a plan chosen from stale statistics after a bulk run scanned 2.9M paid events to
#: lock a month of 42k: 4.8 s instead of 0.09 s); the paid events counted only as far
#: as the batch's own count, so a month's lock does not count the store's history
PG_PAID_ONCE = """
DECLARE mine bigint; paid bigint; hit text;
BEGIN
  -- two locks at once must not both miss each other's events: they take the store's
  -- writer lock (the one every command's write takes) and, read committed, each
  -- statement below then sees a lock committed while this one waited
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'lock a batch in a read committed transaction (this one is %)',
      current_setting('transaction_isolation')
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(current_schema()));
  SELECT COUNT(*) INTO mine FROM batch_events WHERE batch_id = NEW.batch_id;
  SELECT COUNT(*) INTO paid FROM (SELECT 1 FROM batches b JOIN batch_events o
      ON o.batch_id = b.batch_id WHERE b.status = 'locked' LIMIT mine + 1) AS held;
  IF mine <= paid THEN
    SELECT e.event_id INTO hit FROM batch_events e JOIN batch_events o
        ON o.event_kind = e.event_kind AND o.event_id = e.event_id
      JOIN batches b ON b.batch_id = o.batch_id AND b.status = 'locked'
     WHERE e.batch_id = NEW.batch_id LIMIT 1;
  ELSE
    SELECT o.event_id INTO hit FROM batches b JOIN batch_events o ON o.batch_id = b.batch_id
      JOIN batch_events e ON e.batch_id = NEW.batch_id AND e.event_kind = o.event_kind
       AND e.event_id = o.event_id
     WHERE b.status = 'locked' LIMIT 1;
  END IF;
  IF hit IS NOT NULL THEN
    RAISE EXCEPTION '{paid_once} (%)', hit USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END""".replace("{paid_once}", PAID_ONCE)
PG_PLAN = ("SET join_collapse_limit = 1 SET enable_hashjoin = off SET enable_mergejoin = off "
           "SET enable_bitmapscan = off SET enable_seqscan = off")


def _pg_upgrade() -> None:
    before = _previous()
    op.execute("DROP TRIGGER batches_lock_pays ON batches")
    op.execute("DROP FUNCTION commission_lock_pays()")
    op.execute("DROP TABLE paid_events")  # its index and guards go with it
    op.execute("DROP FUNCTION commission_guard_paid_events()")
    before._pg_function("commission_guard_batch_seals",
                        before.PG_SEALS.replace("{check}", ""))
    op.execute(VIEW)
    op.execute("CREATE FUNCTION commission_lock_pays_once() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT {PG_PLAN} AS $body${PG_PAID_ONCE}$body$")
    op.execute("CREATE TRIGGER batches_lock_pays_once BEFORE UPDATE OF status ON batches "
               f"FOR EACH ROW WHEN ({LOCKING}) EXECUTE FUNCTION commission_lock_pays_once()")


def _pg_downgrade() -> None:
    before = _previous()
    op.execute("DROP TRIGGER batches_lock_pays_once ON batches")
    op.execute("DROP FUNCTION commission_lock_pays_once()")
    op.execute("CREATE TABLE paid_events_new (event_kind VARCHAR(10) NOT NULL, event_id TEXT "
               "NOT NULL, batch_id INTEGER NOT NULL, CONSTRAINT pk_paid_events PRIMARY KEY "
               "(event_kind, event_id))")
    op.execute("INSERT INTO paid_events_new SELECT event_kind, event_id, batch_id "
               "FROM paid_events ORDER BY event_kind, event_id")
    op.execute("DROP VIEW paid_events")
    op.execute("ALTER TABLE paid_events_new RENAME TO paid_events")
    op.execute("CREATE INDEX ix_paid_events_batch_id ON paid_events (batch_id, event_kind, "
               "event_id) WITH (deduplicate_items = off)")
    before._pg_function("commission_guard_paid_events", before.PG_PAID)
    op.execute("CREATE TRIGGER paid_events_guard_insert AFTER INSERT ON paid_events "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION commission_guard_paid_events()")
    op.execute("CREATE TRIGGER paid_events_guard_change BEFORE UPDATE OR DELETE ON paid_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_paid_events()")
    op.execute("CREATE TRIGGER paid_events_guard_truncate BEFORE TRUNCATE ON paid_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")
    before._pg_function("commission_guard_batch_seals",
                        before.PG_SEALS.replace("{check}", before.PG_SEALS_CHECK))
    before._pg_function("commission_lock_pays", before.PG_LOCK_PAYS)
    op.execute("CREATE TRIGGER batches_lock_pays AFTER UPDATE OF status ON batches FOR EACH "
               f"ROW WHEN ({LOCKING}) EXECUTE FUNCTION commission_lock_pays()")


# --------------------------------------------------------------------------- upgrade, downgrade


def upgrade() -> None:
    op.create_index("ix_batch_events_event", "batch_events",
                    ["event_kind", "event_id", "batch_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _pg_downgrade()
    op.drop_index("ix_batch_events_event", table_name="batch_events")

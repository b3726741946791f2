"""The paid-once check counts each side only as far as the smaller one (PostgreSQL).

Migration 0021's check on a lock probes from the smaller side, the batch's events or
the events already paid, and counted the batch's own events whole to know which side
that was. On PostgreSQL a store's first lock (a catch-up of 2.9M events, nothing paid
before) spent 1.4 s there, checking nothing against nothing: the batch's events were
counted whole from the heap (not yet vacuumed, so the index alone cannot answer), and
the count of paid events, under its LIMIT, walked every event of the store to find
those of a locked batch. The two sides are now counted in step, each up to a bound
that grows eightfold (1,024, 8,192, ...) until one of them is below it: that one is
the smaller, counted exactly, and the other only as far as it. The paid events are
reached from the locked batches, by the events' key. What is checked is unchanged, and
so is each side's probe. The function no longer compiles its queries (JIT): the plan
settings it runs with make every query look costly enough to, 25-65 ms each time.

SQLite counts a batch's events in its index (its tables are their keys) and keeps
0021's trigger.

Revision ID: 0022_lock_counts_in_step
Revises: 0021_paid_by_lock
Create Date: 2026-12-03
"""

from __future__ import annotations

from types import ModuleType

from alembic import op

from commission.store.migrate import revision_module

revision = "0022_lock_counts_in_step"
down_revision = "0021_paid_by_lock"
branch_labels = None
depends_on = None

#: the counts of 0021, whose first one read every event of the batch
COUNTED_WHOLE = """  SELECT COUNT(*) INTO mine FROM batch_events WHERE batch_id = NEW.batch_id;
  SELECT COUNT(*) INTO paid FROM (SELECT 1 FROM batches b JOIN batch_events o
      ON o.batch_id = b.batch_id WHERE b.status = 'locked' LIMIT mine + 1) AS held;
"""
#: both sides counted up to a bound until one is below it (that one is the smaller);
#: once the batch's own events are all counted, the paid ones as far as them (0021's
#: rule). From 1,024, growing eightfold: a month's lock of 42k events counts about 100k
#: rows where 0021 counted 84k, a catch-up's first lock 2,048 where it counted 2.9M.
#: The paid ones are reached from the locked batches, by their key (``LATERAL ...
#: OFFSET 0``: under a LIMIT PostgreSQL otherwise walks every event of the store to
#: find the locked batches', 0.6 s for none at a store's first lock)
COUNTED_IN_STEP = """  bound := 1024;
  LOOP
    SELECT COUNT(*) INTO mine FROM (SELECT 1 FROM batch_events
        WHERE batch_id = NEW.batch_id LIMIT bound) AS own;
    IF mine < bound THEN
      SELECT COUNT(*) INTO paid FROM (SELECT 1 FROM batches b CROSS JOIN LATERAL (
          SELECT 1 FROM batch_events o WHERE o.batch_id = b.batch_id OFFSET 0) AS o
          WHERE b.status = 'locked' LIMIT mine + 1) AS held;
      EXIT;
    END IF;
    SELECT COUNT(*) INTO paid FROM (SELECT 1 FROM batches b CROSS JOIN LATERAL (
        SELECT 1 FROM batch_events o WHERE o.batch_id = b.batch_id OFFSET 0) AS o
        WHERE b.status = 'locked' LIMIT bound) AS held;
    EXIT WHEN paid < bound;
    bound := bound * 8;
  END LOOP;
"""


#: the plan settings price what they turn off out of reach (a seq scan of the two rows of
#: ``batches`` costs 1e10), which passes JIT's threshold: 25-65 ms compiling each count
NO_JIT = "SET jit = off"


def _before() -> ModuleType:
    """Migration 0021, whose function this one rewrites."""
    return revision_module("0021_paid_by_lock.py")


def _function(body: str, plan: str) -> None:
    op.execute("CREATE OR REPLACE FUNCTION commission_lock_pays_once() RETURNS trigger "
               f"LANGUAGE plpgsql SET search_path FROM CURRENT {plan} AS $body${body}$body$")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    before = _before()
    assert COUNTED_WHOLE in before.PG_PAID_ONCE
    body = before.PG_PAID_ONCE.replace(COUNTED_WHOLE, COUNTED_IN_STEP).replace(
        "DECLARE mine bigint;", "DECLARE bound bigint; mine bigint;")
    _function(body, f"{before.PG_PLAN} {NO_JIT}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    before = _before()
    _function(before.PG_PAID_ONCE, before.PG_PLAN)

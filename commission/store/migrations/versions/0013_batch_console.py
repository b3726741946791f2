"""The batch console: each payout's draw top-up and forfeited cents; the database refuses
edits and deletes of plan assignments, quotas and manual lines a locked batch used.

- ``batch_payouts.draw``: the draw's top-up in cents (0 without one), so a statement
  made from the store shows this period's top-up; ``batch_payouts.forfeited``: what
  the payout rules forfeited, so that net + carry_in − carry_out − forfeited = payout.
  Both are NULL on payouts written before this revision (a reader derives forfeited
  from the identity and takes the top-up as unknown, 0); locked payouts are untouched.
- Triggers (SQLite and PostgreSQL), like the lock triggers of 0001 and 0006: an
  assignment or quota in force in a locked period (its first month on or before the
  latest locked period) and a manual line a locked batch paid (a ``manual`` line of
  it) cannot be updated or deleted. Until now only a load checked this.

Revision ID: 0013_batch_console
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_batch_console"
down_revision = "0012_scenarios"
branch_labels = None
depends_on = None

LOCKED_THROUGH = "(SELECT MAX(period) FROM batches WHERE status = 'locked')"
#: the first month ('YYYY-MM') of a quota period written 'YYYY-MM', 'YYYY-Qn' or 'YYYY'
SQLITE_QUOTA_START = (
    "CASE WHEN length({q}) = 4 THEN {q} || '-01' WHEN substr({q}, 6, 1) = 'Q' THEN "
    "substr({q}, 1, 4) || '-' || printf('%02d', (CAST(substr({q}, 7, 1) AS INTEGER) - 1) * 3 + 1)"
    " ELSE {q} END")
PG_QUOTA_START = (
    "CASE WHEN length({q}) = 4 THEN {q} || '-01' WHEN substr({q}, 6, 1) = 'Q' THEN "
    "substr({q}, 1, 4) || '-' || lpad(((substr({q}, 7, 1)::int - 1) * 3 + 1)::text, 2, '0')"
    " ELSE {q} END")
MANUAL_PAID = ("EXISTS (SELECT 1 FROM batch_lines l JOIN batches b ON b.batch_id = l.batch_id "
               "WHERE b.status = 'locked' AND l.line_kind = 'manual' "
               "AND l.event_id = {ref}.commission_adjustment_id)")
WORDS = {
    "plan_assignments": "a locked batch used this plan assignment: it cannot change "
                        "(assign a plan from a later month instead)",
    "quotas": "a locked batch used this quota: it cannot change",
    "commission_adjustments": "a locked batch paid this manual line: it cannot change "
                              "(add a correcting manual line instead)",
}


# --------------------------------------------------------------------------- SQLite


def _sqlite_used(table: str, ref: str) -> str:
    if table == "plan_assignments":
        return f"substr({ref}.effective_from, 1, 7) <= {LOCKED_THROUGH}"
    if table == "quotas":
        return f"({SQLITE_QUOTA_START.format(q=f'{ref}.quota_period')}) <= {LOCKED_THROUGH}"
    return MANUAL_PAID.format(ref=ref)


def _sqlite_triggers() -> None:
    for table, message in WORDS.items():
        for timing, when in (("UPDATE", f"{_sqlite_used(table, 'OLD')} OR "
                                        f"{_sqlite_used(table, 'NEW')}"),
                             ("DELETE", _sqlite_used(table, "OLD"))):
            op.execute(f"CREATE TRIGGER {table}_used_{timing.lower()} BEFORE {timing} ON "
                       f"{table} FOR EACH ROW WHEN {when} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


# --------------------------------------------------------------------------- PostgreSQL


def _pg_used(table: str, ref: str) -> str:
    if table == "plan_assignments":
        return f"to_char({ref}.effective_from, 'YYYY-MM') <= {LOCKED_THROUGH}"
    if table == "quotas":
        return f"({PG_QUOTA_START.format(q=f'{ref}.quota_period')}) <= {LOCKED_THROUGH}"
    return MANUAL_PAID.format(ref=ref)


def _pg_function(table: str) -> str:
    message = WORDS[table].replace("'", "''")
    return f"""
BEGIN
  IF {_pg_used(table, 'OLD')} OR (TG_OP = 'UPDATE' AND {_pg_used(table, 'NEW')}) THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END"""


def _pg_triggers() -> None:
    for table in WORDS:
        name = f"commission_guard_{table}_used"
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $body${_pg_function(table)}$body$")
        op.execute(f"CREATE TRIGGER {table}_guard_used BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")
        op.execute(f"CREATE TRIGGER {table}_guard_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


# --------------------------------------------------------------------------- upgrade, downgrade


def upgrade() -> None:
    # new nullable columns leave every locked payout as it was (NULL: run before 0013)
    op.add_column("batch_payouts", sa.Column("draw", sa.BigInteger(), nullable=True))
    op.add_column("batch_payouts", sa.Column("forfeited", sa.BigInteger(), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _pg_triggers()
    else:  # pragma: no cover - the store supports these two
        raise NotImplementedError(f"no triggers for {dialect}; use SQLite or PostgreSQL")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in WORDS:
        if dialect == "sqlite":
            for timing in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_used_{timing}")
        else:
            op.execute(f"DROP TRIGGER {table}_guard_used ON {table}")
            op.execute(f"DROP TRIGGER {table}_guard_truncate ON {table}")
            op.execute(f"DROP FUNCTION commission_guard_{table}_used()")
    op.drop_column("batch_payouts", "forfeited")
    op.drop_column("batch_payouts", "draw")

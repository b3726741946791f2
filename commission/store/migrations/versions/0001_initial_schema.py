"""Initial schema: inputs, plan versions, loads, batches and their lines and payouts.

Also the triggers that make history read-only in the database itself, whichever
program writes to it: the lines, payouts, events and plans of a locked batch
cannot be inserted, changed or deleted; a locked batch row cannot change; a batch
is approved before it is locked; an event paid by a locked batch cannot be
edited or deleted (a correction is a reversal or an adjustment).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: tables whose rows belong to a batch and freeze with it
BATCH_CHILDREN = ("batch_runs", "batch_plans", "batch_events", "batch_lines", "batch_payouts")
#: event tables: (table, event_kind, id column); rows paid by a locked batch are frozen
EVENT_TABLES = (("invoices", "invoice", "invoice_id"), ("payments", "payment", "payment_id"),
                ("adjustments", "adjustment", "adjustment_id"))


def _deferred(cols: list[str], target: list[str], name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(cols, target, name=name, deferrable=True,
                                   initially="DEFERRED")


def _recorded(table: str) -> list:
    """recorded_at and load_id: when the current content of a row arrived, and in which load."""
    return [
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        _deferred(["load_id"], ["loads.load_id"], f"fk_{table}_load_id_loads"),
    ]


def _batch_ref(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                   name=f"fk_{table}_batch_id_batches")


def _create_tables() -> None:
    op.create_table(
        "loads",
        sa.Column("load_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("load_id", name="pk_loads"),
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "version", name="pk_plans"),
    )
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("manager_id", sa.Text(), nullable=True),
        sa.Column("plan_id", sa.Text(), nullable=False),
        *_recorded("reps"),
        _deferred(["manager_id"], ["reps.rep_id"], "fk_reps_manager_id_reps"),
        sa.PrimaryKeyConstraint("rep_id", name="pk_reps"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=True),
        *_recorded("customers"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_recorded("invoices"),
        _deferred(["customer_id"], ["customers.customer_id"], "fk_invoices_customer_id_customers"),
        _deferred(["rep_id"], ["reps.rep_id"], "fk_invoices_rep_id_reps"),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_invoices"),
    )
    op.create_table(
        "splits",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        *_recorded("splits"),
        _deferred(["invoice_id"], ["invoices.invoice_id"], "fk_splits_invoice_id_invoices"),
        _deferred(["rep_id"], ["reps.rep_id"], "fk_splits_rep_id_reps"),
        sa.PrimaryKeyConstraint("invoice_id", "rep_id", name="pk_splits"),
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reverses_payment_id", sa.Text(), nullable=True),
        *_recorded("payments"),
        _deferred(["invoice_id"], ["invoices.invoice_id"], "fk_payments_invoice_id_invoices"),
        _deferred(["reverses_payment_id"], ["payments.payment_id"],
                  "fk_payments_reverses_payment_id_payments"),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
    )
    op.create_table(
        "adjustments",
        sa.Column("adjustment_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("adjustment_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_recorded("adjustments"),
        _deferred(["invoice_id"], ["invoices.invoice_id"], "fk_adjustments_invoice_id_invoices"),
        sa.PrimaryKeyConstraint("adjustment_id", name="pk_adjustments"),
    )
    op.create_table(
        "disputes",
        sa.Column("dispute_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("opened_date", sa.Date(), nullable=False),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        *_recorded("disputes"),
        _deferred(["invoice_id"], ["invoices.invoice_id"], "fk_disputes_invoice_id_invoices"),
        sa.PrimaryKeyConstraint("dispute_id", name="pk_disputes"),
    )
    op.create_table(
        "batches",
        sa.Column("batch_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("run_no", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.Text(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("locked_by", sa.Text(), nullable=True),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("base_batch_id", sa.Integer(), nullable=True),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("events_digest", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'approved', 'locked')", name="ck_batches_status"),
        sa.CheckConstraint("status = 'draft' OR approved_by IS NOT NULL",
                           name="ck_batches_approved_by"),
        sa.CheckConstraint("status <> 'locked' OR locked_by IS NOT NULL",
                           name="ck_batches_locked_by"),
        sa.ForeignKeyConstraint(["base_batch_id"], ["batches.batch_id"],
                                name="fk_batches_base_batch_id_batches"),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batches"),
        # two runs of one period at the same time cannot both create a batch
        sa.UniqueConstraint("period", name="uq_batches_period"),
    )
    op.create_table(
        "batch_runs",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("run_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("run_by", sa.Text(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        _batch_ref("batch_runs"),
        # two re-runs of one draft at the same time cannot both replace it
        sa.PrimaryKeyConstraint("batch_id", "run_no", name="pk_batch_runs"),
    )
    op.create_table(
        "batch_plans",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        _batch_ref("batch_plans"),
        sa.ForeignKeyConstraint(["plan_id", "version"], ["plans.plan_id", "plans.version"],
                                name="fk_batch_plans_plan_version_plans"),
        sa.PrimaryKeyConstraint("batch_id", "plan_id", name="pk_batch_plans"),
    )
    op.create_table(
        "batch_events",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("event_kind", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("event_kind IN ('invoice', 'payment', 'adjustment')",
                           name="ck_batch_events_event_kind"),
        _batch_ref("batch_events"),
        sa.PrimaryKeyConstraint("batch_id", "event_kind", "event_id", name="pk_batch_events"),
    )
    op.create_table(
        "paid_events",
        sa.Column("event_kind", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        _batch_ref("paid_events"),
        # an event is paid by one locked batch, once
        sa.PrimaryKeyConstraint("event_kind", "event_id", name="pk_paid_events"),
    )
    op.create_table(
        "batch_lines",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("line_kind", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.Text(), nullable=False),
        sa.Column("rate_num", sa.Text(), nullable=False),
        sa.Column("rate_den", sa.Text(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("haircut_num", sa.BigInteger(), nullable=True),
        sa.Column("haircut_pct", sa.Text(), nullable=True),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("haircut", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("prior_period", sa.String(length=7), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        _batch_ref("batch_lines"),
        sa.PrimaryKeyConstraint("batch_id", "line_no", name="pk_batch_lines"),
    )
    op.create_table(
        "batch_payouts",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("plan_id", sa.Text(), nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in (
            "gross", "haircuts", "clawbacks", "net", "carry_in", "payout", "carry_out")],
        _batch_ref("batch_payouts"),
        sa.PrimaryKeyConstraint("batch_id", "rep_id", name="pk_batch_payouts"),
    )


# --------------------------------------------------------------------------- SQLite triggers


def _sqlite_trigger(name: str, timing: str, table: str, when: str, message: str) -> None:
    op.execute(f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW WHEN {when} "
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _sqlite_triggers() -> None:
    def locked(ref: str) -> str:
        return (f"EXISTS (SELECT 1 FROM batches WHERE batch_id = {ref}.batch_id "
                "AND status = 'locked')")

    for t in BATCH_CHILDREN:
        msg = f"batch is locked: its {t} are read-only"
        _sqlite_trigger(f"{t}_locked_insert", "BEFORE INSERT", t, locked("NEW"), msg)
        _sqlite_trigger(f"{t}_locked_update", "BEFORE UPDATE", t,
                        f"{locked('OLD')} OR {locked('NEW')}", msg)
        _sqlite_trigger(f"{t}_locked_delete", "BEFORE DELETE", t, locked("OLD"), msg)
    _sqlite_trigger("batches_draft_insert", "BEFORE INSERT", "batches", "NEW.status <> 'draft'",
                    "a batch starts as a draft")
    _sqlite_trigger("batches_locked_update", "BEFORE UPDATE", "batches", "OLD.status = 'locked'",
                    "batch is locked: it cannot change")
    _sqlite_trigger("batches_locked_delete", "BEFORE DELETE", "batches", "OLD.status = 'locked'",
                    "batch is locked: it cannot be deleted")
    _sqlite_trigger("batches_lock_approved", "BEFORE UPDATE OF status", "batches",
                    "NEW.status = 'locked' AND OLD.status <> 'approved'",
                    "a batch must be approved before it is locked")
    _sqlite_trigger("paid_events_insert", "BEFORE INSERT", "paid_events",
                    f"NOT {locked('NEW')}", "only a locked batch pays events")
    for timing in ("UPDATE", "DELETE"):
        _sqlite_trigger(f"paid_events_{timing.lower()}", f"BEFORE {timing}", "paid_events",
                        "1", "paid events are permanent")
    for table, kind, id_col in EVENT_TABLES:
        paid = (f"EXISTS (SELECT 1 FROM paid_events WHERE event_kind = '{kind}' "
                f"AND event_id = OLD.{id_col})")
        for timing in ("UPDATE", "DELETE"):
            _sqlite_trigger(f"{table}_paid_{timing.lower()}", f"BEFORE {timing}", table, paid,
                            f"{kind} paid by a locked batch: it cannot change "
                            "(record a reversal or an adjustment instead)")


# --------------------------------------------------------------------------- PostgreSQL triggers

# Statement-level triggers with transition tables: one check per statement, so
# writing a million lines into a draft costs one join, not a million calls.
PG_FUNCTIONS = {
    "commission_guard_batch_rows": """
DECLARE hit integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT b.batch_id INTO hit FROM old_rows r JOIN batches b ON b.batch_id = r.batch_id
     WHERE b.status = 'locked' LIMIT 1;
  END IF;
  IF hit IS NULL AND TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT b.batch_id INTO hit FROM new_rows r JOIN batches b ON b.batch_id = r.batch_id
     WHERE b.status = 'locked' LIMIT 1;
  END IF;
  IF hit IS NOT NULL THEN
    RAISE EXCEPTION 'batch % is locked: its % are read-only', hit, TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END""",
    "commission_guard_batches": """
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION 'a batch starts as a draft' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.status = 'locked' THEN
    RAISE EXCEPTION 'batch % is locked: it cannot change', OLD.batch_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF NEW.status = 'locked' AND OLD.status <> 'approved' THEN
    RAISE EXCEPTION 'batch % must be approved before it is locked', OLD.batch_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END""",
    "commission_guard_paid_events": """
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
END""",
    # TG_ARGV: event kind, id column of the event table
    "commission_guard_paid_rows": """
DECLARE hit text;
BEGIN
  EXECUTE format('SELECT r.%I FROM old_rows r JOIN paid_events p ON p.event_kind = %L '
                 'AND p.event_id = r.%I LIMIT 1', TG_ARGV[1], TG_ARGV[0], TG_ARGV[1]) INTO hit;
  IF hit IS NOT NULL THEN
    RAISE EXCEPTION '% % paid by a locked batch: it cannot change (record a reversal or an '
                    'adjustment instead)', TG_ARGV[0], hit
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END""",
    "commission_guard_truncate": """
BEGIN
  IF EXISTS (SELECT 1 FROM batches WHERE status = 'locked') THEN
    RAISE EXCEPTION 'the store holds locked batches: % cannot be truncated', TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END""",
}


def _pg_statement_triggers(table: str, function: str, args: str = "") -> None:
    for event, refs in (("INSERT", "NEW TABLE AS new_rows"),
                        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                        ("DELETE", "OLD TABLE AS old_rows")):
        if function == "commission_guard_paid_rows" and event == "INSERT":
            continue
        op.execute(f"CREATE TRIGGER {table}_guard_{event.lower()} AFTER {event} ON {table} "
                   f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}({args})")


def _pg_triggers() -> None:
    for name, body in PG_FUNCTIONS.items():
        # SET search_path FROM CURRENT: the function sees the schema it was created in
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $body${body}$body$")
    for t in BATCH_CHILDREN:
        _pg_statement_triggers(t, "commission_guard_batch_rows")
    op.execute("CREATE TRIGGER batches_guard BEFORE INSERT OR UPDATE OR DELETE ON batches "
               "FOR EACH ROW EXECUTE FUNCTION commission_guard_batches()")
    op.execute("CREATE TRIGGER paid_events_guard_insert AFTER INSERT ON paid_events "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION commission_guard_paid_events()")
    op.execute("CREATE TRIGGER paid_events_guard_change BEFORE UPDATE OR DELETE ON paid_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_paid_events()")
    for table, kind, id_col in EVENT_TABLES:
        _pg_statement_triggers(table, "commission_guard_paid_rows", f"'{kind}', '{id_col}'")
    for t in (*BATCH_CHILDREN, "batches", "paid_events", *(e[0] for e in EVENT_TABLES)):
        op.execute(f"CREATE TRIGGER {t}_guard_truncate BEFORE TRUNCATE ON {t} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_truncate()")


# --------------------------------------------------------------------------- upgrade, downgrade

TABLES = ("loads", "plans", "reps", "customers", "invoices", "splits", "payments", "adjustments",
          "disputes", "batches", *BATCH_CHILDREN, "paid_events")


def upgrade() -> None:
    _create_tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _pg_triggers()
    else:  # pragma: no cover - the store supports these two
        raise NotImplementedError(f"no read-only triggers for {dialect}; use SQLite or PostgreSQL")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # drops its triggers too
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")

"""The store's tables (sqlmodel): the system of record finance runs payroll from.

Money is BigInteger cents and split shares BigInteger billionths, exactly as in
:mod:`commission.inputs.tables`; dates are Date. A line's rate is exact, and a blended
marginal rate can need more than 64 bits, so ``rate_num``/``rate_den`` are TEXT
integers. Every loaded record keeps ``recorded_at`` and the ``load_id`` that last
changed it, so the store knows what arrived after a batch was computed or locked.

These models describe the schema; the schema itself is created and changed only
by the migrations in ``commission/migrations`` (a test checks the two agree).
Constraints that keep the history honest live in the database: one batch per
period, one run number per batch, an event paid by one locked batch only, and
triggers (created by the migration) that make locked batches read-only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    column,
    table,
    text,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
#: the store's own metadata, so no other sqlmodel table leaks into its migrations
metadata = MetaData(naming_convention=NAMING)

BATCH_STATUSES = ("draft", "approved", "locked")
EVENT_KINDS = ("invoice", "payment", "adjustment")


class StoreModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of the store's tables."""


def _ref(target: str) -> ForeignKey:
    """A reference checked at commit, so a load may write rows in any order."""
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


def _text(nullable: bool = False, **kw) -> Column:
    return Column(Text, nullable=nullable, **kw)


def _money(nullable: bool = False) -> Column:
    return Column(BigInteger, nullable=nullable)


def _date(nullable: bool = False) -> Column:
    return Column(Date, nullable=nullable)


def _stamp(nullable: bool = False) -> Column:
    return Column(DateTime, nullable=nullable)


def _load_ref() -> Column:
    return Column(Integer, _ref("loads.load_id"), nullable=False)


# ----------------------------------------------------------------------------- loads and plans


class Load(StoreModel, table=True):
    """One load that changed something: the data version later rows point to."""

    __tablename__ = "loads"
    load_id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                                 autoincrement=True))
    loaded_at: dt.datetime = Field(sa_column=_stamp())
    loaded_by: str | None = Field(default=None, sa_column=_text(nullable=True))
    source: str = Field(sa_column=_text())
    summary: str = Field(sa_column=_text())  # JSON: rows inserted/updated per table


class PlanVersion(StoreModel, table=True):
    """A plan file's text as loaded; a new version whenever its text (hash) changes."""

    __tablename__ = "plans"
    plan_id: str = Field(sa_column=_text(primary_key=True))
    version: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    yaml_text: str = Field(sa_column=_text())
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    loaded_at: dt.datetime = Field(sa_column=_stamp())


# ----------------------------------------------------------------------------- input tables


class Rep(StoreModel, table=True):
    __tablename__ = "reps"
    rep_id: str = Field(sa_column=_text(primary_key=True))
    name: str = Field(sa_column=_text())
    email: str = Field(sa_column=_text())
    manager_id: str | None = Field(default=None, sa_column=Column(Text, _ref("reps.rep_id")))
    plan_id: str = Field(sa_column=_text())
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Customer(StoreModel, table=True):
    __tablename__ = "customers"
    customer_id: str = Field(sa_column=_text(primary_key=True))
    name: str = Field(sa_column=_text())
    segment: str | None = Field(default=None, sa_column=_text(nullable=True))
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Invoice(StoreModel, table=True):
    __tablename__ = "invoices"
    invoice_id: str = Field(sa_column=_text(primary_key=True))
    customer_id: str = Field(sa_column=Column(Text, _ref("customers.customer_id"),
                                              nullable=False))
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), nullable=False))
    invoice_date: dt.date = Field(sa_column=_date())
    due_date: dt.date = Field(sa_column=_date())
    amount: int = Field(sa_column=_money())
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Split(StoreModel, table=True):
    __tablename__ = "splits"
    invoice_id: str = Field(sa_column=Column(Text, _ref("invoices.invoice_id"),
                                             primary_key=True))
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), primary_key=True))
    share: int = Field(sa_column=_money())  # billionths
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Payment(StoreModel, table=True):
    __tablename__ = "payments"
    payment_id: str = Field(sa_column=_text(primary_key=True))
    invoice_id: str = Field(sa_column=Column(Text, _ref("invoices.invoice_id"),
                                             nullable=False))
    payment_date: dt.date = Field(sa_column=_date())
    amount: int = Field(sa_column=_money())
    reverses_payment_id: str | None = Field(
        default=None, sa_column=Column(Text, _ref("payments.payment_id")))
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Adjustment(StoreModel, table=True):
    __tablename__ = "adjustments"
    adjustment_id: str = Field(sa_column=_text(primary_key=True))
    invoice_id: str = Field(sa_column=Column(Text, _ref("invoices.invoice_id"),
                                             nullable=False))
    adjustment_date: dt.date = Field(sa_column=_date())
    kind: str = Field(sa_column=_text())
    amount: int = Field(sa_column=_money())
    # no foreign key (added in place by a migration); validation checks the reference
    reverses_adjustment_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class OpenBalance(StoreModel, table=True):
    """An invoice's open balance over a stretch of days (migration 0018): from
    ``open_from`` up to ``open_until`` (excluded; NULL: after its last event) it is
    ``open_amount`` > 0. With the invoice's rep, customer and due date, so aging reads
    nothing else of the ledger. Derived from the invoice and its events by every load
    (:mod:`commission.store.balances`)."""

    __tablename__ = "open_balances"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: no second copy
    invoice_id: str = Field(sa_column=_text(primary_key=True))
    open_from: dt.date = Field(sa_column=Column(Date, primary_key=True))
    open_until: dt.date | None = Field(default=None, sa_column=_date(nullable=True))
    open_amount: int = Field(sa_column=_money())
    rep_id: str = Field(sa_column=_text())
    customer_id: str = Field(sa_column=_text())
    due_date: dt.date = Field(sa_column=_date())


class Dispute(StoreModel, table=True):
    __tablename__ = "disputes"
    dispute_id: str = Field(sa_column=_text(primary_key=True))
    invoice_id: str = Field(sa_column=Column(Text, _ref("invoices.invoice_id"),
                                             nullable=False))
    opened_date: dt.date = Field(sa_column=_date())
    resolved_date: dt.date | None = Field(default=None, sa_column=_date(nullable=True))
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class PlanAssignment(StoreModel, table=True):
    """The plan a rep is under from a date on (part 2)."""

    __tablename__ = "plan_assignments"
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), primary_key=True))
    effective_from: dt.date = Field(sa_column=Column(Date, primary_key=True))
    plan_id: str = Field(sa_column=_text())
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class Quota(StoreModel, table=True):
    """A rep's quota for one quota period (e.g. 2025-Q1), cents."""

    __tablename__ = "quotas"
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), primary_key=True))
    quota_period: str = Field(sa_column=Column(Text, primary_key=True))
    amount: int = Field(sa_column=_money())
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


class CommissionAdjustment(StoreModel, table=True):
    """A manual commission line (SPIFF, correction) with its reason."""

    __tablename__ = "commission_adjustments"
    commission_adjustment_id: str = Field(sa_column=_text(primary_key=True))
    rep_id: str = Field(sa_column=Column(Text, _ref("reps.rep_id"), nullable=False))
    adjustment_date: dt.date = Field(sa_column=_date())
    amount: int = Field(sa_column=_money())
    reason: str = Field(sa_column=_text())
    recorded_at: dt.datetime = Field(sa_column=_stamp())
    load_id: int = Field(sa_column=_load_ref())


# ----------------------------------------------------------------------------- batches


class Batch(StoreModel, table=True):
    """One payroll batch: one period, draft -> approved -> locked."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(f"status IN {BATCH_STATUSES!r}", name="status"),
        CheckConstraint("status = 'draft' OR approved_by IS NOT NULL", name="approved_by"),
        CheckConstraint("status <> 'locked' OR locked_by IS NOT NULL", name="locked_by"),
    )
    batch_id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                                  autoincrement=True))
    # UNIQUE: two runs of one period at the same time cannot both create a batch
    period: str = Field(sa_column=Column(String(7), nullable=False, unique=True))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    run_no: int = Field(sa_column=Column(Integer, nullable=False))
    run_by: str = Field(sa_column=_text())
    run_at: dt.datetime = Field(sa_column=_stamp())
    approved_by: str | None = Field(default=None, sa_column=_text(nullable=True))
    approved_at: dt.datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    locked_by: str | None = Field(default=None, sa_column=_text(nullable=True))
    locked_at: dt.datetime | None = Field(default=None, sa_column=_stamp(nullable=True))
    # the last locked batch when this one was computed (its carry-out is our carry-in)
    base_batch_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("batches.batch_id"), nullable=True))
    data_version: int = Field(sa_column=Column(Integer, nullable=False))  # last load_id seen
    events_digest: str = Field(sa_column=Column(String(64), nullable=False))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))


class BatchRun(StoreModel, table=True):
    """Every run of a batch; PK (batch_id, run_no) refuses two concurrent re-runs."""

    __tablename__ = "batch_runs"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    run_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    run_by: str = Field(sa_column=_text())
    run_at: dt.datetime = Field(sa_column=_stamp())
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    # JSON {plan_id: [version, sha256]} of the plans this run computed with (0006; NULL before)
    plans: str | None = Field(default=None, sa_column=_text(nullable=True))


class BatchPlan(StoreModel, table=True):
    """The plan versions a batch computed with."""

    __tablename__ = "batch_plans"
    __table_args__ = (
        ForeignKeyConstraint(["plan_id", "version"], ["plans.plan_id", "plans.version"],
                             name="fk_batch_plans_plan_version_plans"),
    )
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    plan_id: str = Field(sa_column=_text(primary_key=True))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))


class BatchEvent(StoreModel, table=True):
    """An event a batch pays (it may make no line), with what it looked like then."""

    __tablename__ = "batch_events"
    __table_args__ = (CheckConstraint(f"event_kind IN {EVENT_KINDS!r}", name="event_kind"),)
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    event_kind: str = Field(sa_column=Column(String(10), primary_key=True))
    event_id: str = Field(sa_column=_text(primary_key=True))
    event_date: dt.date = Field(sa_column=_date())
    amount: int = Field(sa_column=_money())
    row_hash: int = Field(sa_column=_money())  # the whole record's content, to tell changes


#: Events paid by a locked batch: since migration 0021 a **view** of the events of
#: locked batches (``batch_events`` joined to ``batches``), which no one writes; locking
#: a batch is what pays its events, and a trigger on ``batches`` refuses a lock that
#: would pay one twice. Not in the models' metadata (a view is not a table to create).
PAID_EVENTS = table("paid_events", column("event_kind", String(10)), column("event_id", Text),
                    column("batch_id", Integer))


class BatchLine(StoreModel, table=True):
    """A commission line of a batch: every column of the engine's ``Result.lines``."""

    __tablename__ = "batch_lines"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    line_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    period: str = Field(sa_column=Column(String(7), nullable=False))
    rep_id: str = Field(sa_column=_text())
    plan_id: str = Field(sa_column=_text())
    line_kind: str = Field(sa_column=Column(String(20), nullable=False))
    event_id: str = Field(sa_column=_text())
    invoice_id: str = Field(sa_column=_text())
    event_date: dt.date = Field(sa_column=_date())
    base_amount: int = Field(sa_column=_money())
    share: int = Field(sa_column=_money())
    rate: str = Field(sa_column=_text())
    rate_num: str = Field(sa_column=_text())  # exact, may exceed 64 bits
    rate_den: str = Field(sa_column=_text())
    days_late: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    haircut_num: int | None = Field(default=None, sa_column=_money(nullable=True))
    haircut_pct: str | None = Field(default=None, sa_column=_text(nullable=True))
    gross: int = Field(sa_column=_money())
    haircut: int = Field(sa_column=_money())
    amount: int = Field(sa_column=_money())
    prior_period: str | None = Field(default=None, sa_column=Column(String(7), nullable=True))
    explanation: str = Field(sa_column=_text())


class BatchPayout(StoreModel, table=True):
    """A rep's payout in a batch: every column of the engine's ``Result.payouts``."""

    __tablename__ = "batch_payouts"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    rep_id: str = Field(sa_column=_text(primary_key=True))
    period: str = Field(sa_column=Column(String(7), nullable=False))
    plan_id: str = Field(sa_column=_text())
    gross: int = Field(sa_column=_money())
    haircuts: int = Field(sa_column=_money())
    clawbacks: int = Field(sa_column=_money())
    net: int = Field(sa_column=_money())
    carry_in: int = Field(sa_column=_money())
    payout: int = Field(sa_column=_money())
    carry_out: int = Field(sa_column=_money())
    # exact attainment of the quota period ('' without a quota); NULL in batches run
    # before migration 0010
    attainment: str | None = Field(default=None, sa_column=_text(nullable=True))
    # the draw's top-up and what the payout rules forfeited (cents); NULL in batches run
    # before migration 0013 (net + carry_in − carry_out − forfeited = payout)
    draw: int | None = Field(default=None, sa_column=_money(nullable=True))
    forfeited: int | None = Field(default=None, sa_column=_money(nullable=True))


class BatchSeal(StoreModel, table=True):
    """Tamper evidence of a locked batch: digests of what it paid, fixed at lock (0006).

    See :mod:`commission.store.seal`; triggers refuse a seal for a batch that is not
    locked, and any change to a seal.
    """

    __tablename__ = "batch_seals"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    method: str = Field(sa_column=Column(String(20), nullable=False))
    digest: str = Field(sa_column=Column(String(64), nullable=False))
    lines_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    payouts_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    plans_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    paid_events_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    sealed_by: str = Field(sa_column=_text())
    sealed_at: dt.datetime = Field(sa_column=_stamp())


class BatchSealRep(StoreModel, table=True):
    """One rep's part of a locked batch's seal (method ``sha256-v2``, migration 0015).

    The digests of the rep's lines and payout; the seal's lines and payouts sections
    are digests over these rows, so one rep's statement checks its own rows without
    reading the batch's other lines. Written at lock before the seal; triggers refuse
    a row once the batch is sealed, and any change.
    """

    __tablename__ = "batch_seal_reps"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    rep_id: str = Field(sa_column=_text(primary_key=True))
    lines_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    payouts_sha256: str = Field(sa_column=Column(String(64), nullable=False))


class BatchDigest(StoreModel, table=True):
    """A draft's seal digests, computed by its run from the rows it wrote (0017).

    ``section`` ``lines`` (one row per rep) or ``paid_events`` (``rep_id`` ''); the lock
    seals with them (:mod:`commission.store.draftseal`). Replaced by a re-run,
    read-only once the batch is locked (triggers).
    """

    __tablename__ = "batch_digests"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    section: str = Field(sa_column=Column(String(20), primary_key=True))
    rep_id: str = Field(sa_column=_text(primary_key=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))


class BatchVolume(StoreModel, table=True):
    """A batch's earning volume (0020): Σ base_amount of its invoice, collection and
    reversal lines per (kind, rep, plan, period, share), written with its lines.

    A month's run needs what every locked batch counted toward V₀, tier volumes:
    summing those few thousand rows instead of every locked line (1.9M at a million
    invoices: 1.2 s on SQLite, 0.8 s on PostgreSQL, growing with history). Replaced
    by a re-run, read-only once the batch is locked (triggers).
    """

    __tablename__ = "batch_volumes"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    line_kind: str = Field(sa_column=Column(String(20), primary_key=True))
    rep_id: str = Field(sa_column=_text(primary_key=True))
    plan_id: str = Field(sa_column=_text(primary_key=True))
    period: str = Field(sa_column=Column(String(7), primary_key=True))
    share: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    base_amount: int = Field(sa_column=_money())


class BatchCount(StoreModel, table=True):
    """How much a batch holds (0023), counted when its lines and events are written.

    A batch's summary (``batch show``, and what run, approve and lock print) says how
    many lines and events it has and its earliest event's month: counting them in the
    stored rows read 1.9M lines and 2.9M events at a million invoices (0.75 s of a
    2.2 s lock on SQLite). Replaced by a re-run, read-only once the batch is locked
    (triggers); ``batch verify`` recounts them.
    """

    __tablename__ = "batch_counts"
    batch_id: int = Field(sa_column=Column(Integer, ForeignKey("batches.batch_id"),
                                           primary_key=True))
    lines: int = Field(sa_column=Column(BigInteger, nullable=False))
    prior_lines: int = Field(sa_column=Column(BigInteger, nullable=False))  # for earlier months
    invoices: int = Field(sa_column=Column(BigInteger, nullable=False))
    payments: int = Field(sa_column=Column(BigInteger, nullable=False))
    adjustments: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_event_date: dt.date | None = Field(default=None, sa_column=_date(nullable=True))


class Scenario(StoreModel, table=True):
    """A plan variant saved on Compare plans (0012): management's what-if, apart from payroll.

    Nothing in payroll reads this table. ``from_period``/``reps`` (JSON list, NULL:
    every rep) say the what-if "this plan from that month for these reps"; the
    ``live_*`` columns say which new plan id it became when made live, from when,
    by whom.
    """

    __tablename__ = "scenarios"
    scenario_id: int | None = Field(default=None, sa_column=Column(
        Integer, primary_key=True, autoincrement=True))
    plan_id: str = Field(sa_column=_text())
    name: str = Field(sa_column=_text())
    base_plan_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    yaml_text: str = Field(sa_column=_text())
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    from_period: str | None = Field(default=None, sa_column=_text(nullable=True))
    reps: str | None = Field(default=None, sa_column=_text(nullable=True))
    #: a what-if on the quota amounts (finance's inputs): every quota times this (Decimal)
    quota_scale: str | None = Field(default=None, sa_column=_text(nullable=True))
    note: str = Field(sa_column=_text())
    created_by: str = Field(sa_column=_text())
    created_at: dt.datetime = Field(sa_column=_stamp())
    live_plan_id: str | None = Field(default=None, sa_column=_text(nullable=True))
    live_from: dt.date | None = Field(default=None, sa_column=_date(nullable=True))
    live_by: str | None = Field(default=None, sa_column=_text(nullable=True))
    live_at: dt.datetime | None = Field(default=None, sa_column=_stamp(nullable=True))


#: input table name -> model, in the order rows may reference each other
INPUT_MODELS: dict[str, type[StoreModel]] = {
    "reps": Rep, "customers": Customer, "invoices": Invoice, "splits": Split,
    "payments": Payment, "adjustments": Adjustment, "disputes": Dispute,
    "plan_assignments": PlanAssignment, "quotas": Quota,
    "commission_adjustments": CommissionAdjustment,
}


#: the indexes of each access path (migration 0011): a rep's invoices and splits, an
#: invoice's events, a rep's manual lines, a rep's lines in a batch, a batch's paid events
STORE_INDEXES = [
    Index("ix_invoices_rep_id", Invoice.__table__.c.rep_id),  # type: ignore[attr-defined]
    Index("ix_splits_rep_id", Split.__table__.c.rep_id),  # type: ignore[attr-defined]
    Index("ix_payments_invoice_id", Payment.__table__.c.invoice_id),  # type: ignore[attr-defined]
    Index("ix_adjustments_invoice_id",
          Adjustment.__table__.c.invoice_id),  # type: ignore[attr-defined]
    Index("ix_disputes_invoice_id", Dispute.__table__.c.invoice_id),  # type: ignore[attr-defined]
    Index("ix_commission_adjustments_rep_id",
          CommissionAdjustment.__table__.c.rep_id),  # type: ignore[attr-defined]
    Index("ix_batch_lines_batch_id", BatchLine.__table__.c.batch_id,  # type: ignore[attr-defined]
          BatchLine.__table__.c.rep_id),  # type: ignore[attr-defined]
    # migration 0016: a month's run reads the locked lines of the invoices it pays again
    Index("ix_batch_lines_invoice_id",
          BatchLine.__table__.c.invoice_id),  # type: ignore[attr-defined]
    # migration 0019: the events a load wrote after a batch's run (a diff reads only those)
    Index("ix_invoices_load_id", Invoice.__table__.c.load_id),  # type: ignore[attr-defined]
    Index("ix_payments_load_id", Payment.__table__.c.load_id),  # type: ignore[attr-defined]
    Index("ix_adjustments_load_id",
          Adjustment.__table__.c.load_id),  # type: ignore[attr-defined]
    # migration 0019: the manual lines locked batches paid (a staleness check's first read)
    Index("ix_batch_lines_manual", BatchLine.__table__.c.batch_id,  # type: ignore[attr-defined]
          BatchLine.__table__.c.event_id,  # type: ignore[attr-defined]
          sqlite_where=text("line_kind = 'manual'"),
          postgresql_where=text("line_kind = 'manual'")),
    # migration 0018: aging reads the open balances holding its day
    Index("ix_open_balances_open_until",
          OpenBalance.__table__.c.open_until,  # type: ignore[attr-defined]
          OpenBalance.__table__.c.open_from),  # type: ignore[attr-defined]
    # migration 0021: the batches holding an event (paid: the locked one among them)
    Index("ix_batch_events_event",
          BatchEvent.__table__.c.event_kind,  # type: ignore[attr-defined]
          BatchEvent.__table__.c.event_id,  # type: ignore[attr-defined]
          BatchEvent.__table__.c.batch_id),  # type: ignore[attr-defined]
]

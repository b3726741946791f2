"""The desk's records: contacts and promises, disputes, payment arrangements.

Every entry is validated whole before anything is written: a bad date, an unknown
invoice, a negative promise, free text with control characters or too long, an
actor whose role may not do this: all of them come back at once as
:class:`~commission.problems.InputError`, and nothing is stored.

Who may do what is :mod:`commission.access`'s to decide (``access.record_contact``
and the others: AccessDenied and an audit entry for a refusal); the doors call
those, never these directly. They hand this module the :class:`Actor` the record
is written with: the person's email, the role they act in and their rep_id. The
role rules are checked here again, as a last line (a problem, nothing stored): a
rep logs contacts on their own invoices only; collectors, credit and finance open
and resolve disputes; only credit and finance record payment arrangements.

A dispute opened or resolved here is a row of the contract's ``disputes`` table,
written as a load (``loads.source`` = ``collections desk``) so the next batch
sees it and pauses the lateness clock exactly as the contract says; who did it,
and when, is in ``collection_dispute_actions``.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Connection

from commission.money import format_money
from commission.problems import InputError, Problem
from commission.store import Store
from commission.store.collections import (
    CHANNELS,
    CollectionArrangement,
    CollectionContact,
    CollectionDisputeAction,
)
from commission.store.db import utcnow
from commission.store.models import Adjustment, Dispute, Invoice, Load, Payment, Split

ROLES = ("collector", "rep", "manager", "credit", "finance")
CONTACT_ROLES = ("collector", "credit", "finance", "rep")  # a rep: their own invoices only
DISPUTE_ROLES = ("collector", "credit", "finance")
ARRANGEMENT_ROLES = ("credit", "finance")
MAX_TEXT = 500
MAX_NAME = 100
MAX_PROMISE_DAYS = 366
MAX_AMOUNT = Decimal(10) ** 10  # as the data's amounts: below 10,000,000,000.00
DESK_SOURCE = "collections desk"


@dataclass(frozen=True)
class Actor:
    """Who acts, as recorded: a name (the email of the signed-in person), the role they act
    in and, for role ``rep``, their rep_id (without it the name is taken as the rep_id)."""

    name: str
    role: str
    rep_id: str | None = None

    @property
    def rep(self) -> str:
        return self.rep_id or self.name


class _Check:
    """Problems of one entry, collected; every field checked even after the first fails."""

    def __init__(self, source: str, record: str | None) -> None:
        self.source, self.record, self.problems = source, record, []

    def add(self, column: str, message: str, expected: str) -> None:
        self.problems.append(Problem(self.source, None, column, self.record, message, expected))

    def text(self, column: str, value: object, most: int, required: bool = True) -> str:
        if not isinstance(value, str):
            self.add(column, "not text", "text")
            return ""
        bad = [c for c in value if unicodedata.category(c) == "Cc" and c != "\n"]
        if bad:
            self.add(column, "holds control characters", "plain text (line breaks allowed)")
        if required and not value.strip():
            self.add(column, "is empty", "some text")
        if len(value) > most:
            self.add(column, f"is {len(value)} characters long", f"at most {most}")
        return value.strip()

    def day(self, column: str, value: object, required: bool = True) -> dt.date | None:
        if value is None or value == "":
            if required:
                self.add(column, "is missing", "a date YYYY-MM-DD")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.add(column, f"{str(value)[:30]!r} is not a date", "a date YYYY-MM-DD")
            return None

    def cents(self, column: str, value: object) -> int | None:
        try:
            d = Decimal(str(value).replace(",", "")) if not isinstance(value, Decimal) else value
        except InvalidOperation:
            self.add(column, f"{str(value)[:30]!r} is not an amount", "an amount like 1200.50")
            return None
        if not d.is_finite() or d <= 0 or d.as_tuple().exponent < -2:  # type: ignore[operator]
            self.add(column, f"{str(value)[:30]} is not a positive amount with at most 2 "
                     "decimals", "an amount above 0 with at most 2 decimals")
            return None
        if d >= MAX_AMOUNT:  # not a 400-digit number echoed back
            self.add(column, f"{str(value)[:30]} is too large", "an amount below "
                     f"{MAX_AMOUNT:,.2f}")
            return None
        return int(d * 100)

    def role(self, actor: Actor, allowed: tuple[str, ...], what: str) -> None:
        self.text("actor", actor.name, MAX_NAME)
        if actor.role not in ROLES:
            self.add("role", f"unknown role {str(actor.role)[:30]!r}", f"one of {', '.join(ROLES)}")
        elif actor.role not in allowed:
            self.add("role", f"a {actor.role} may not {what}",
                     f"an actor with role {' or '.join(allowed)}")

    def not_future(self, column: str, day: dt.date | None, today: dt.date) -> None:
        if day is not None and day > today:
            self.add(column, f"{day} is in the future", f"a date on or before {today}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


# ----------------------------------------------------------------------------- reading


def _invoice(conn: Connection, invoice_id: str) -> dict | None:
    t = Invoice.__table__  # type: ignore[attr-defined]
    row = conn.execute(select(t).where(t.c.invoice_id == invoice_id)).mappings().first()
    return dict(row) if row else None


def _credited(conn: Connection, invoice: dict) -> set[str]:
    t = Split.__table__  # type: ignore[attr-defined]
    reps = set(conn.execute(select(t.c.rep_id).where(
        t.c.invoice_id == invoice["invoice_id"])).scalars())
    return reps or {invoice["rep_id"]}


def credited_reps(store: Store, invoice_id: str) -> set[str] | None:
    """The reps credited on an invoice (its splits, else its rep); None for no such invoice."""
    with store.read() as conn:
        inv = _invoice(conn, invoice_id)
        return _credited(conn, inv) if inv else None


def _open_amount(store: Store, invoice_id: str, day: dt.date) -> int:
    """amount − payments (net of reversals) − adjustments, dated on or before ``day``."""
    inv, pay, adj = (m.__table__ for m in (Invoice, Payment, Adjustment))  # type: ignore
    signed = case((adj.c.kind == "write_off_reversal", -adj.c.amount), else_=adj.c.amount)
    with store.read() as conn:
        amount = conn.execute(select(inv.c.amount).where(inv.c.invoice_id == invoice_id)
                              ).scalar_one()
        paid = conn.execute(select(func.coalesce(func.sum(pay.c.amount), 0)).where(
            pay.c.invoice_id == invoice_id, pay.c.payment_date <= day)).scalar_one()
        adjusted = conn.execute(select(func.coalesce(func.sum(signed), 0)).where(
            adj.c.invoice_id == invoice_id, adj.c.adjustment_date <= day)).scalar_one()
    return int(amount) - int(paid) - int(adjusted)


def _known_invoice(chk: _Check, conn: Connection, invoice_id: object) -> dict | None:
    if not isinstance(invoice_id, str) or not invoice_id:
        chk.add("invoice_id", "is missing", "an invoice id of the store")
        return None
    inv = _invoice(conn, invoice_id)
    if inv is None:
        chk.add("invoice_id", f"unknown invoice {invoice_id[:40]!r}", "an invoice of the store")
    return inv


def _before_invoice(chk: _Check, column: str, day: dt.date | None, inv: dict | None) -> None:
    if day is not None and inv is not None and day < inv["invoice_date"]:
        chk.add(column, f"{day} is before the invoice date {inv['invoice_date']}",
                "a date on or after the invoice date")


# ----------------------------------------------------------------------------- contacts


@dataclass(frozen=True)
class Contact:
    """A contact as entered: dates and amounts may be text (``2026-03-01``, ``1200.50``)."""

    invoice_id: str
    contact_date: object
    channel: str
    outcome: str
    promise_amount: object = None
    promise_date: object = None


@dataclass(frozen=True)
class Arrangement:
    """A payment arrangement as entered: equal installments every ``interval_days``."""

    invoice_id: str
    agreed_date: object
    installments: int
    installment_amount: object
    first_due_date: object
    interval_days: int = 30
    note: str = ""


def record_contact(store: Store, actor: Actor, entry: Contact, *,
                   today: dt.date | None = None) -> int:
    """Log a contact about an invoice (and any promise to pay); returns its contact_id."""
    today = today or dt.date.today()
    invoice_id, channel = entry.invoice_id, entry.channel
    chk = _Check("contact", invoice_id if isinstance(invoice_id, str) else None)
    chk.role(actor, CONTACT_ROLES, "log contacts")
    with store.read() as conn:
        inv = _known_invoice(chk, conn, invoice_id)
        reps = _credited(conn, inv) if inv else set()
    if inv and actor.role == "rep" and actor.rep not in reps:
        chk.add("actor", f"rep {actor.rep[:40]!r} is not credited on {invoice_id}",
                "a rep logs contacts on their own invoices only")
    day = chk.day("contact_date", entry.contact_date)
    chk.not_future("contact_date", day, today)
    _before_invoice(chk, "contact_date", day, inv)
    if channel not in CHANNELS:
        chk.add("channel", f"unknown channel {str(channel)[:30]!r}",
                f"one of {', '.join(CHANNELS)}")
    text = chk.text("outcome", entry.outcome, MAX_TEXT)
    amount, due = _promise(chk, entry.promise_amount, entry.promise_date, day)
    if amount is not None and inv is not None and day is not None and not chk.problems:
        still = _open_amount(store, inv["invoice_id"], day)
        if amount > still:
            chk.add("promise_amount", f"{format_money(amount)} is more than the "
                    f"{format_money(still)} open on {day}", "a promise of at most the open balance")
    chk.raise_if_any()
    values = dict(invoice_id=invoice_id, contact_date=day, actor=actor.name.strip(),
                  actor_role=actor.role, channel=channel, outcome=text,
                  promise_amount=amount, promise_date=due, recorded_at=utcnow())
    t = CollectionContact.__table__  # type: ignore[attr-defined]
    with store.write() as conn:
        return int(conn.execute(insert(t).values(**values).returning(t.c.contact_id))
                   .scalar_one())


def _promise(chk: _Check, amount: object, due: object, day: dt.date | None
             ) -> tuple[int | None, dt.date | None]:
    given_amount = amount not in (None, "")
    given_due = due not in (None, "")
    if given_amount != given_due:
        chk.add("promise_amount" if not given_amount else "promise_date", "is missing",
                "a promise gives both an amount and a date, or neither")
        return None, None
    if not given_amount:
        return None, None
    cents = chk.cents("promise_amount", amount)
    when = chk.day("promise_date", due)
    if when is not None and day is not None:
        if when < day:
            chk.add("promise_date", f"{when} is before the contact ({day})",
                    "a promised date on or after the contact")
        elif (when - day).days > MAX_PROMISE_DAYS:
            chk.add("promise_date", f"{when} is more than a year after the contact",
                    "a payment arrangement (credit or finance) for longer terms")
    return cents, when


# ----------------------------------------------------------------------------- disputes


def _new_load(conn: Connection, actor: Actor, what: str) -> int:
    t = Load.__table__  # type: ignore[attr-defined]
    return int(conn.execute(insert(t).values(
        loaded_at=utcnow(), loaded_by=f"{actor.name} ({actor.role})", source=DESK_SOURCE,
        summary=json.dumps({"tables": {"disputes": what}}))
        .returning(t.c.load_id)).scalar_one())


def _record_action(conn: Connection, dispute_id: str, invoice_id: str, action: str,
                   day: dt.date, actor: Actor, note: str, load_id: int) -> None:
    conn.execute(insert(CollectionDisputeAction.__table__).values(  # type: ignore[attr-defined]
        dispute_id=dispute_id, invoice_id=invoice_id, action=action, action_date=day,
        actor=actor.name.strip(), actor_role=actor.role, note=note, load_id=load_id,
        recorded_at=utcnow()))


def _disputes_of(conn: Connection, invoice_id: str) -> pd.DataFrame:
    t = Dispute.__table__  # type: ignore[attr-defined]
    rows = conn.execute(select(t.c.dispute_id, t.c.opened_date, t.c.resolved_date).where(
        t.c.invoice_id == invoice_id)).fetchall()
    return pd.DataFrame(rows, columns=["dispute_id", "opened_date", "resolved_date"])


def open_dispute(store: Store, actor: Actor, invoice_id: str, opened_date: object,
                 note: str, *, today: dt.date | None = None) -> str:
    """Open a dispute on an invoice from the desk; returns its dispute_id."""
    today = today or dt.date.today()
    chk = _Check("dispute", invoice_id if isinstance(invoice_id, str) else None)
    chk.role(actor, DISPUTE_ROLES, "open disputes")
    day = chk.day("opened_date", opened_date)
    chk.not_future("opened_date", day, today)
    text = chk.text("note", note, MAX_TEXT)
    with store.read() as conn:
        inv = _known_invoice(chk, conn, invoice_id)
        known = _disputes_of(conn, invoice_id) if inv else _disputes_of(conn, "")
    _before_invoice(chk, "opened_date", day, inv)
    if known["resolved_date"].isna().any():
        chk.add("invoice_id", f"{invoice_id} already has an open dispute "
                f"({known.loc[known['resolved_date'].isna(), 'dispute_id'].iloc[0]})",
                "one open dispute per invoice: resolve it first")
    chk.raise_if_any()
    assert day is not None
    dispute_id = f"DESK-{invoice_id}-{len(known) + 1}"
    with store.write() as conn:
        load_id = _new_load(conn, actor, "opened")
        conn.execute(insert(Dispute.__table__).values(  # type: ignore[attr-defined]
            dispute_id=dispute_id, invoice_id=invoice_id, opened_date=day, resolved_date=None,
            recorded_at=utcnow(), load_id=load_id))
        _record_action(conn, dispute_id, invoice_id, "open", day, actor, text, load_id)
    return dispute_id


def resolve_dispute(store: Store, actor: Actor, dispute_id: str, resolved_date: object,
                    note: str, *, today: dt.date | None = None) -> None:
    """Resolve an open dispute (from the desk or loaded): the clock runs again from that day."""
    today = today or dt.date.today()
    chk = _Check("dispute", dispute_id if isinstance(dispute_id, str) else None)
    chk.role(actor, DISPUTE_ROLES, "resolve disputes")
    day = chk.day("resolved_date", resolved_date)
    chk.not_future("resolved_date", day, today)
    text = chk.text("note", note, MAX_TEXT)
    t = Dispute.__table__  # type: ignore[attr-defined]
    with store.read() as conn:
        row = conn.execute(select(t).where(t.c.dispute_id == str(dispute_id))).mappings().first()
    if row is None:
        chk.add("dispute_id", f"unknown dispute {str(dispute_id)[:40]!r}", "a dispute of the store")
    elif row["resolved_date"] is not None:
        chk.add("dispute_id", f"already resolved on {row['resolved_date']}", "an open dispute")
    elif day is not None and day < row["opened_date"]:
        chk.add("resolved_date", f"{day} is before the dispute opened ({row['opened_date']})",
                "a date on or after the opening")
    chk.raise_if_any()
    assert row is not None and day is not None
    with store.write() as conn:
        load_id = _new_load(conn, actor, "resolved")
        conn.execute(update(t).where(t.c.dispute_id == dispute_id).values(
            resolved_date=day, recorded_at=utcnow(), load_id=load_id))
        _record_action(conn, dispute_id, row["invoice_id"], "resolve", day, actor, text, load_id)


# ----------------------------------------------------------------------------- arrangements


def record_arrangement(store: Store, actor: Actor, entry: Arrangement, *,
                       today: dt.date | None = None) -> int:
    """Record a payment arrangement (credit or finance only); returns its arrangement_id."""
    today = today or dt.date.today()
    invoice_id, installments, interval_days = (entry.invoice_id, entry.installments,
                                               entry.interval_days)
    chk = _Check("arrangement", invoice_id if isinstance(invoice_id, str) else None)
    chk.role(actor, ARRANGEMENT_ROLES, "record payment arrangements (that stays with credit)")
    day = chk.day("agreed_date", entry.agreed_date)
    chk.not_future("agreed_date", day, today)
    first = chk.day("first_due_date", entry.first_due_date)
    if first is not None and day is not None and first < day:
        chk.add("first_due_date", f"{first} is before the agreement ({day})",
                "a first installment on or after the agreement")
    for col, v, most in (("installments", installments, 60), ("interval_days", interval_days, 366)):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= most:
            chk.add(col, f"{v!r} is out of range", f"a whole number from 1 to {most}")
    cents = chk.cents("installment_amount", entry.installment_amount)
    text = chk.text("note", entry.note, MAX_TEXT, required=False)
    with store.read() as conn:
        inv = _known_invoice(chk, conn, invoice_id)
    _before_invoice(chk, "agreed_date", day, inv)
    if not chk.problems and inv is not None and day is not None and cents is not None:
        still = _open_amount(store, invoice_id, day)
        if cents * installments > still:
            chk.add("installment_amount", f"{installments} x {format_money(cents)} is more than "
                    f"the {format_money(still)} open on {day}", "installments totalling at most "
                    "the open balance")
    chk.raise_if_any()
    t = CollectionArrangement.__table__  # type: ignore[attr-defined]
    with store.write() as conn:
        return int(conn.execute(insert(t).values(
            invoice_id=invoice_id, agreed_date=day, actor=actor.name.strip(),
            actor_role=actor.role, installments=installments, installment_amount=cents,
            first_due_date=first, interval_days=interval_days, note=text, recorded_at=utcnow())
            .returning(t.c.arrangement_id)).scalar_one())


# ----------------------------------------------------------------------------- frames


def _frame(store: Store, model) -> pd.DataFrame:
    t = model.__table__
    with store.read() as conn:
        rows = conn.execute(select(t)).fetchall()
    return pd.DataFrame(rows, columns=[c.name for c in t.columns])


def contacts(store: Store) -> pd.DataFrame:
    """Every logged contact (for the worklist)."""
    return _frame(store, CollectionContact)


def arrangements(store: Store) -> pd.DataFrame:
    return _frame(store, CollectionArrangement)


def dispute_actions(store: Store) -> pd.DataFrame:
    return _frame(store, CollectionDisputeAction)


__all__ = ["ARRANGEMENT_ROLES", "CONTACT_ROLES", "DISPUTE_ROLES", "ROLES", "Actor",
           "Arrangement", "Contact", "arrangements", "contacts", "credited_reps",
           "dispute_actions", "open_dispute", "record_arrangement", "record_contact",
           "resolve_dispute"]

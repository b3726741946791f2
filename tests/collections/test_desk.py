"""Contacts, promises, disputes and arrangements: recorded with who and when, or refused whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commission.collections import desk
from commission.collections.desk import Actor, Arrangement, Contact
from commission.collections.worklist import worklist
from commission.payroll.lifecycle import batch_lines, load, run_batch
from commission.plans import load_plans
from commission.problems import InputError
from commission.store.collections import COLLECTION_TABLES

RULES = Path(__file__).resolve().parents[2] / "rules"
TODAY = dt.date(2026, 4, 15)
COLLECTOR = Actor("ann", "collector")
CREDIT = Actor("carl", "credit")


def rows(store) -> dict[str, int]:
    with store.read() as conn:
        counts = {t: conn.execute(select(func.count()).select_from(
            desk.CollectionContact.__table__.metadata.tables[t])).scalar_one()
            for t in (*COLLECTION_TABLES, "disputes", "loads")}
    return counts


def plan_worklist(store, ladder, day):
    plans, _t, _p = load_plans(RULES)
    return worklist(store.stored_inputs(), plans, ladder, day, desk.contacts(store),
                    desk.arrangements(store))


def test_a_contact_and_a_promise_show_on_the_worklist(desk_store):
    store, ladder = desk_store
    desk.record_contact(store, COLLECTOR, Contact("I1", "2026-03-02", "phone", "AP says next week",
                                                  "6000.00", "2026-03-10"), today=TODAY)
    desk.record_contact(store, Actor("R2", "rep"), Contact("I2", "2026-03-20", "visit",
                                                           "buyer will chase"), today=TODAY)
    w = plan_worklist(store, ladder, dt.date(2026, 3, 31)).set_index("invoice_id")
    assert w.at["I1", "last_contact_by"] == "ann" and w.at["I1", "last_channel"] == "phone"
    assert w.at["I1", "promise_amount"] == 600000
    assert w.at["I1", "promise_status"] == "broken"  # nothing paid by 03-10
    assert w.at["I2", "last_outcome"] == "buyer will chase" and w.at["I2", "promise_status"] == ""
    assert plan_worklist(store, ladder, dt.date(2026, 3, 5)).set_index(
        "invoice_id").at["I1", "promise_status"] == "pending"


def test_a_kept_promise_is_not_flagged(desk_store, csvs, tmp_path):
    store, ladder = desk_store
    desk.record_contact(store, COLLECTOR, Contact("I2", "2026-03-02", "email", "will pay",
                                                  "1000", "2026-03-10"), today=TODAY)
    load(store, csvs.write(tmp_path / "more", payments=[("P9", "I2", "2026-03-09", "1000.00",
                                                          None)]))
    w = plan_worklist(store, ladder, dt.date(2026, 3, 31)).set_index("invoice_id")
    assert w.at["I2", "promise_status"] == "kept"


@pytest.mark.parametrize(("actor", "entry", "column"), [
    (COLLECTOR, Contact("I9", "2026-03-02", "phone", "x"), "invoice_id"),
    (COLLECTOR, Contact("I1", "2026-02-30", "phone", "x"), "contact_date"),
    (COLLECTOR, Contact("I1", "2026-05-01", "phone", "x"), "contact_date"),  # future
    (COLLECTOR, Contact("I1", "2025-12-01", "phone", "x"), "contact_date"),  # before invoice
    (COLLECTOR, Contact("I1", "2026-03-02", "pigeon", "x"), "channel"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "bad\x07bell"), "outcome"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x" * 501), "outcome"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "  "), "outcome"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "-5.00", "2026-03-10"),
     "promise_amount"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "1.234", "2026-03-10"),
     "promise_amount"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "abc", "2026-03-10"), "promise_amount"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "1e400", "2026-03-10"),
     "promise_amount"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "99999.00", "2026-03-10"),
     "promise_amount"),  # more than open
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "100.00", None), "promise_date"),
    (COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "100.00", "2026-03-01"), "promise_date"),
    (Actor("R2", "rep"), Contact("I1", "2026-03-02", "phone", "x"), "actor"),  # not R2's
    (Actor("bob", "janitor"), Contact("I1", "2026-03-02", "phone", "x"), "role"),
    (Actor("bo\x00b", "collector"), Contact("I1", "2026-03-02", "phone", "x"), "actor"),
])
def test_a_bad_contact_is_a_clear_problem_and_nothing_is_stored(desk_store, actor, entry,
                                                                  column):
    store, _ladder = desk_store
    before = rows(store)
    with pytest.raises(InputError) as err:
        desk.record_contact(store, actor, entry, today=TODAY)
    assert any(p.column == column for p in err.value.problems), err.value.problems
    assert all(p.source == "contact" for p in err.value.problems)
    assert rows(store) == before


def test_a_dispute_opened_at_the_desk_pauses_a_later_payment_in_the_next_batch(desk_store, csvs,
                                                                              tmp_path):
    store, _ladder = desk_store
    did = desk.open_dispute(store, COLLECTOR, "I2", "2026-02-20", "wrong price", today=TODAY)
    desk.resolve_dispute(store, Actor("fay", "finance"), did, "2026-03-02", "credit note agreed",
                         today=TODAY)
    load(store, csvs.write(tmp_path / "pay", payments=[("P2", "I2", "2026-03-20", "5000.00",
                                                         None)]))
    batch = run_batch(store, "2026-03", by="finance")
    lines = batch_lines(store, batch.batch_id).set_index("event_id")
    # I2 due 2026-02-09, paid 03-20: 39 days, less 10 paused (02-20 up to 03-02) = 29
    # (plan collected-40day: no grace); without the dispute it would be 39
    assert lines.at["P2", "days_late"] == 29
    actions = desk.dispute_actions(store)
    assert list(actions["action"]) == ["open", "resolve"]
    assert list(actions["actor"]) == ["ann", "fay"]
    assert store.stored_inputs().disputes.set_index("dispute_id").at[did, "resolved_date"] == \
        dt.datetime(2026, 3, 2)


def test_an_open_dispute_pauses_the_worklist_clock(desk_store):
    store, ladder = desk_store
    desk.open_dispute(store, COLLECTOR, "I2", "2026-03-01", "damaged goods", today=TODAY)
    w = plan_worklist(store, ladder, dt.date(2026, 3, 31)).set_index("invoice_id")
    # due 02-09: 20 days before the dispute opened on 03-01, then paused
    assert w.at["I2", "days_past_due"] == 20 and w.at["I2", "dispute"] == "open"
    assert w.at["I2", "step"] == "collector call" and w.at["I2", "clock_paused"]


@pytest.mark.parametrize(("actor", "args", "column"), [
    (Actor("R1", "rep"), ("I1", "2026-03-01", "x"), "role"),
    (Actor("m", "manager"), ("I1", "2026-03-01", "x"), "role"),  # credit may, since identities
    (COLLECTOR, ("I9", "2026-03-01", "x"), "invoice_id"),
    (COLLECTOR, ("I1", "03/01/2026", "x"), "opened_date"),
    (COLLECTOR, ("I1", "2026-03-01", "x\x1b[31m"), "note"),
])
def test_a_bad_dispute_is_refused_whole(desk_store, actor, args, column):
    store, _ladder = desk_store
    before = rows(store)
    with pytest.raises(InputError) as err:
        desk.open_dispute(store, actor, *args, today=TODAY)
    assert any(p.column == column for p in err.value.problems), err.value.problems
    assert rows(store) == before


def test_one_open_dispute_per_invoice_and_resolving_checks_dates(desk_store):
    store, _ladder = desk_store
    did = desk.open_dispute(store, COLLECTOR, "I1", "2026-03-01", "x", today=TODAY)
    before = rows(store)
    with pytest.raises(InputError):
        desk.open_dispute(store, COLLECTOR, "I1", "2026-03-05", "again", today=TODAY)
    with pytest.raises(InputError):
        desk.resolve_dispute(store, COLLECTOR, did, "2026-02-01", "too early", today=TODAY)
    with pytest.raises(InputError):
        desk.resolve_dispute(store, COLLECTOR, "NOPE", "2026-03-05", "x", today=TODAY)
    assert rows(store) == before


def test_only_credit_or_finance_record_arrangements(desk_store):
    store, _ladder = desk_store
    plan = Arrangement("I1", "2026-03-01", 3, "2000.00", "2026-03-15", 30, "three months")
    for actor in (COLLECTOR, Actor("R1", "rep"), Actor("m", "manager")):
        with pytest.raises(InputError) as err:
            desk.record_arrangement(store, actor, plan, today=TODAY)
        assert err.value.problems[0].column == "role"
    assert rows(store)["collection_arrangements"] == 0
    desk.record_arrangement(store, CREDIT, plan, today=TODAY)
    got = desk.arrangements(store)
    assert list(got["actor_role"]) == ["credit"] and list(got["installment_amount"]) == [200000]


@pytest.mark.parametrize(("entry", "column"), [
    (Arrangement("I1", "2026-03-01", 4, "2000.00", "2026-03-15"), "installment_amount"),
    (Arrangement("I1", "2026-03-01", 0, "100.00", "2026-03-15"), "installments"),
    (Arrangement("I1", "2026-03-01", 2, "100.00", "2026-02-15"), "first_due_date"),
    (Arrangement("I1", "2026-03-01", 2, "100.00", "2026-03-15", 0), "interval_days"),
    (Arrangement("I1", "2026-03-01", 2, "0", "2026-03-15"), "installment_amount"),
])
def test_a_bad_arrangement_is_refused_whole(desk_store, entry, column):
    store, _ladder = desk_store
    with pytest.raises(InputError) as err:
        desk.record_arrangement(store, CREDIT, entry, today=TODAY)
    assert any(p.column == column for p in err.value.problems), err.value.problems
    assert rows(store)["collection_arrangements"] == 0


def test_an_amount_of_four_hundred_digits_is_too_large_in_one_short_line(desk_store):
    store, _ladder = desk_store
    with pytest.raises(InputError) as err:
        desk.record_contact(store, COLLECTOR, Contact("I1", "2026-03-02", "phone", "x", "1e400",
                                                      "2026-03-10"), today=TODAY)
    assert [(p.column, p.message, p.expected) for p in err.value.problems] == [
        ("promise_amount", "1e400 is too large", "an amount below 10,000,000,000.00")]

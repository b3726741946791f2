"""Scenarios: saved apart from payroll; made live only by the separate, prospective step.

On the small data set (tests/conftest.py): R1 is on collected-stepped (5%), R2 on
invoiced-traditional. January is locked. A scenario "collected-stepped at 10%" is
saved: February's batch pays what it paid before. Made live from March for R1, a
new plan id with an assignment from 2026-03-01: February is unchanged, March pays
10% on R1's invoice I3 of March (a January invoice stays on its plan: the plan
of an invoice is the plan in force on its date).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from commission.payroll import approve, lock, run_batch, scenarios, stored_plans
from commission.payroll import lifecycle as batches
from commission.plans.language import load_plans
from commission.problems import InputError
from commission.store import open_store

INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "10000.00"),  # as tests/conftest.py
            ("I2", "C1", "R2", "2026-01-10", "2026-02-09", "5000.00")]

RULES = "rules"


@pytest.fixture
def loaded(store, csvs, tmp_path):
    data = csvs.small(tmp_path / "data")
    csvs.write(data, invoices=[*INVOICES, ("I3", "C1", "R1", "2026-03-02", "2026-04-01",
                                           "1000.00")],
               payments=[*csvs.PAYMENTS, ("P4", "I3", "2026-03-15", "1000.00", None)])
    batches.load(store, data, RULES, by="ann")
    b = run_batch(store, "2026-01", by="ann")
    approve(store, b.batch_id, by="bob")
    lock(store, b.batch_id, by="cy")
    return store


def _variant():
    plans, _texts, _problems = load_plans(RULES)
    base = plans["collected-stepped"]
    return base.model_copy(update={"id": "stepped-10", "rate": Decimal("0.10")})


def _payouts(store, period):
    b = run_batch(store, period, by="ann")
    pay = batches.batch_payouts(store, b.batch_id)
    return dict(zip(pay["rep_id"], pay["payout"], strict=True)), b


def test_a_saved_scenario_changes_nothing_payroll_pays(loaded, tmp_path):
    before, _b = _payouts(loaded, "2026-02")
    plans_before = set(stored_plans(loaded)[0])
    sid = scenarios.save(loaded, _variant(), "pat@example.com", "collected-stepped",
                         note="what if 10%")
    after, _b = _payouts(loaded, "2026-02")
    assert after == before
    assert set(stored_plans(loaded)[0]) == plans_before  # no plan version written
    assert loaded.stored_inputs().plan_assignments.empty
    got = scenarios.get(loaded, sid)
    assert (got.plan.rate, got.base_plan_id, got.created_by) == (
        Decimal("0.10"), "collected-stepped", "pat@example.com")
    listed = scenarios.listing(loaded)
    assert listed["scenario_id"].tolist() == [sid] and listed["live_plan_id"].isna().all()


def test_making_it_live_pays_from_the_effective_month_only(loaded):
    feb, b = _payouts(loaded, "2026-02")
    approve(loaded, b.batch_id, by="bob")
    lock(loaded, b.batch_id, by="cy")
    sid = scenarios.save(loaded, _variant(), "pat@example.com", "collected-stepped")
    proposal = scenarios.make_live(loaded, sid, "collected-stepped-2026", "2026-03", None,
                                   "fin@example.com")
    assert proposal.reps == ["R1"]  # every rep on the base plan then
    assert ("rate", "0.05", "0.1") in proposal.changes
    assert proposal.current == {"R1": "collected-stepped"}
    a = loaded.stored_inputs().plan_assignments
    assert a.to_dict("records") == [{"rep_id": "R1", "plan_id": "collected-stepped-2026",
                                     "effective_from": pd.Timestamp("2026-03-01")}]
    assert "collected-stepped-2026" in stored_plans(loaded)[0]
    _march, m = _payouts(loaded, "2026-03")
    at5 = batches.batch_payouts(loaded, b.batch_id)  # February stays as it was paid
    assert dict(zip(at5["rep_id"], at5["payout"], strict=True)) == feb
    lines = batches.batch_lines(loaded, m.batch_id)
    by_invoice = {r.invoice_id: (r.plan_id, r.amount) for r in lines.itertuples()
                  if r.rep_id == "R1"}
    assert by_invoice["I3"] == ("collected-stepped-2026", 100_00)  # 10% of 1,000.00 on time
    assert by_invoice["I1"][0] == "collected-stepped"  # January's invoice keeps its plan
    assert scenarios.listing(loaded)["live_plan_id"].tolist() == ["collected-stepped-2026"]


def test_make_live_refuses_every_problem_at_once(loaded):
    sid = scenarios.save(loaded, _variant(), "pat@example.com", "collected-stepped")
    with pytest.raises(InputError) as err:
        scenarios.make_live(loaded, sid, "collected-stepped", "2026-01", ["R9"], "fin")
    messages = " | ".join(p.message for p in err.value.problems)
    assert "already in the store" in messages  # a change is a new plan id
    assert "prospective only" in messages  # January is locked
    assert "unknown rep" in messages
    with pytest.raises(InputError):
        scenarios.make_live(loaded, sid, "new-id", "2026-3", None, "fin")
    assert loaded.stored_inputs().plan_assignments.empty
    assert "new-id" not in stored_plans(loaded)[0]


def test_an_attainment_plan_needs_quotas_for_the_moved_reps(loaded):
    plans, _t, _p = load_plans(RULES)
    acc = plans["collected-quota-accelerator"].model_copy(update={"id": "acc-2"})
    sid = scenarios.save(loaded, acc, "pat@example.com", None)
    with pytest.raises(InputError) as err:
        scenarios.make_live(loaded, sid, "acc-2026", "2026-02", ["R1"], "fin")
    assert any(p.source == "quotas.csv" and p.record_id == "R1" for p in err.value.problems)


def test_the_scenarios_table_upgrades_in_place(store_url):
    from alembic import command
    from sqlalchemy import create_engine

    from commission.store.migrate import alembic_config

    engine = create_engine(store_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0010")
    engine.dispose()
    store = open_store(store_url)
    try:
        assert scenarios.listing(store).empty
    finally:
        store.close()

"""Why a payout changed: the waterfall adds up to the cent, and each cause lists its lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import CAPPED_PLAN, inputs_and_plans, make_inputs, plan_from_yaml

import commission
from commission.engine import calculate
from commission.reports.explain import (
    CAUSES,
    Side,
    explain_change,
    explain_periods,
    result_sides,
)

ROOT = Path(__file__).resolve().parents[2]


def _check(e) -> None:
    assert sum(c.amount for c in e.causes) == e.after - e.before
    for c in e.causes:
        assert c.amount == sum(row["amount"] for row in c.lines), c.key
        assert all(row["amount"] != 0 for row in c.lines)


@pytest.fixture(scope="module")
def sample():
    plans, _texts, problems = commission.load_plans(ROOT / "rules")
    assert not problems
    inputs, problems = commission.read_inputs(ROOT / "sample_data", plans)
    assert not problems
    return inputs, plans, calculate(inputs, plans)


def test_every_rep_and_every_pair_of_consecutive_months_of_the_sample_adds_up(sample):
    _inputs, plans, result = sample
    sides = result_sides(result.lines, result.payouts, plans)
    seen = set()
    for rep in sorted(set(result.payouts["rep_id"])):
        for before, after in zip(result.periods, result.periods[1:], strict=False):
            e = explain_change(rep, sides[rep, before], sides[rep, after])
            _check(e)
            paid = result.payouts.set_index(["rep_id", "period"])["payout"]
            assert (e.before, e.after) == (paid[rep, before], paid[rep, after])
            seen |= {c.key for c in e.causes if c.amount}
    # the sample moves cash, rates, haircuts, reversals, credits and carry
    assert {"cash", "rate", "haircut", "reversals", "credits", "carry_in", "carry_out"} <= seen


def test_a_period_against_itself_explains_nothing(sample):
    _inputs, plans, result = sample
    e = explain_periods(result, plans, "R004", "2025-03", "2025-03")
    assert e.change == 0 and e.nonzero() == []


def test_causes_list_their_lines_and_the_words(sample):
    _inputs, plans, result = sample
    e = explain_periods(result, plans, "R004", "2025-02", "2025-03")
    cash = next(c for c in e.causes if c.key == "cash")
    sides = {row["side"] for row in cash.lines}
    assert sides == {"before", "after"}
    assert set(cash.frame()["period"]) == {"2025-02", "2025-03"}
    assert e.sentence().startswith("Compared with 2025-02 (")
    text = e.text()
    assert "total change" in text and "Cash collected" in text
    assert next(k for k, _ in CAUSES) == "cash"


STEPPED = plan_from_yaml("""
id: stepped
basis: collected
rate: 0.05
late_payment:
  steps:
    - {after_days: 30, haircut: 0.10}
    - {after_days: 60, haircut: 0.25}
bad_debt: {window_days: 365, penalty_rate: 0.02}
""")
TIERED = plan_from_yaml("""
id: tiered
basis: collected
tiers:
  mode: retroactive
  brackets:
    - {from: 0, rate: 0.04}
    - {from: 5000, rate: 0.06}
""")


def test_the_contracts_worked_example_by_cause():
    inputs = make_inputs(
        reps=[("R1", "stepped")],
        invoices=[("I1", "C1", "R1", "2026-01-15", "2026-01-31", "10000.00")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"), ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2")],
        adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")],
    )
    plans = {"stepped": STEPPED}
    res = calculate(inputs, plans)
    by = {p: {c.key: c.amount for c in explain_periods(res, plans, "R1", *p).nonzero()}
          for p in (("2026-02", "2026-03"), ("2026-03", "2026-04"), ("2026-05", "2026-06"))}
    # February 200.00 -> March 135.00: 50.00 less cash at 5%, 15.00 haircut
    assert by["2026-02", "2026-03"] == {"cash": -5000, "haircut": -1500}
    # March 135.00 -> April 0: no cash (−150.00 gross, +15.00 haircut), the reversal −45.00,
    # and −45.00 carried out
    assert by["2026-03", "2026-04"] == {"cash": -15000, "haircut": 1500, "reversals": -4500,
                                        "carry_out": 4500}
    # May (0, carrying −45.00 in and out) -> June: a penalty −80.00, carried out too
    assert by["2026-05", "2026-06"] == {"credits": -8000, "carry_out": 8000}


def test_a_higher_tier_is_the_rate_effect_and_a_cap_forfeits():
    inputs = make_inputs(
        reps=[("R1", "tiered"), ("R2", "capped")],
        invoices=[("I1", "C1", "R1", "2026-01-01", "2026-01-31", "20000.00"),
                  ("I2", "C1", "R2", "2026-02-01", "2026-02-28", "20000.00")],
        payments=[("P1", "I1", "2026-01-10", "1000.00"), ("P2", "I1", "2026-02-10", "6000.00")],
    )
    plans = {"tiered": TIERED, "capped": plan_from_yaml(CAPPED_PLAN)}
    res = calculate(inputs, plans)
    e = explain_periods(res, plans, "R1", "2026-01", "2026-02")
    _check(e)
    got = {c.key: c.amount for c in e.nonzero()}
    # 40.00 -> 360.00: 6,000 at January's 4% is 240.00 (+200.00 cash), +120.00 at 6%
    assert got == {"cash": 20000, "rate": 12000}
    e = explain_periods(res, plans, "R2", "2026-01", "2026-02")
    _check(e)
    # 0 -> 100.00: 2,000.00 at invoicing (10%, no January rate: all of it is cash), 1,900.00
    # above the 100.00 cap forfeited
    assert {c.key: c.amount for c in e.nonzero()} == {"cash": 200000, "forfeited": -190000}


def test_a_plan_change_between_stored_plan_versions_is_its_own_cause():
    inputs = make_inputs(
        reps=[("R1", "stepped")],
        invoices=[("I1", "C1", "R1", "2026-01-01", "2026-03-31", "20000.00")],
        payments=[("P1", "I1", "2026-01-10", "1000.00"), ("P2", "I1", "2026-02-10", "1000.00")],
    )
    richer = plan_from_yaml(STEPPED.to_yaml().replace("rate: 0.05", "rate: 0.07"))
    before = calculate(inputs, {"stepped": STEPPED})
    after = calculate(inputs, {"stepped": richer})
    e = explain_change(
        "R1",
        Side("January, old plan", before.lines[before.lines["period"] == "2026-01"],
             before.payouts.iloc[0].to_dict(), {"stepped": STEPPED}),
        Side("February, new plan", after.lines[after.lines["period"] == "2026-02"],
             after.payouts.iloc[1].to_dict(), {"stepped": richer}))
    _check(e)
    assert {c.key: c.amount for c in e.nonzero()} == {"plan_change": 2000}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans())
def test_any_two_periods_of_random_inputs_add_up(case):
    inputs, plans, through = case
    res = calculate(inputs, plans, through=through)
    sides = result_sides(res.lines, res.payouts, plans)
    periods = res.periods
    for rep in set(res.payouts["rep_id"]):
        for before in periods[:3]:
            for after in periods[-3:]:
                _check(explain_change(rep, sides[rep, before], sides[rep, after]))


def _plan_with_draw(amount: str, recoverable: bool):
    """A stand-in for a part 2 plan: only its payout rules are read for draws."""
    from decimal import Decimal
    from types import SimpleNamespace

    draw = SimpleNamespace(amount=Decimal(amount), recoverable=recoverable)
    return SimpleNamespace(payout=SimpleNamespace(min_payout=Decimal(0), cap=None, draw=draw),
                           prepaid_share=Decimal(0), rounding="half_up")


def _line(kind: str, amount: int, event: str) -> dict:
    return {"rep_id": "R1", "period": "", "line_kind": kind, "event_id": event,
            "invoice_id": "", "plan_id": "d", "gross": amount, "haircut": 0, "amount": amount,
            "prior_period": "", "explanation": kind}


def test_part_two_kinds_and_a_recoverable_draw_and_its_recovery():
    # the contract's draw example: 500.00 earned, 2,000.00 paid, carry −1,500.00; then
    # 4,000.00 earned, −1,500.00 carried in, 2,500.00 paid
    plans = {"d": _plan_with_draw("2000.00", recoverable=True)}
    first = {"period": "2026-01", "plan_id": "d", "net": 50000, "carry_in": 0,
             "payout": 200000, "carry_out": -150000}
    second = {"period": "2026-02", "plan_id": "d", "net": 400000, "carry_in": -150000,
              "payout": 250000, "carry_out": 0}
    before = Side("2026-01", [_line("manual", 50000, "ADJ1")], first, plans)
    after = Side("2026-02", [_line("manual", 390000, "ADJ2"), _line("override", 8000, "R2"),
                             _line("penalty_reversal", 2000, "A9")], second, plans,
                 previous=first)
    e = explain_change("R1", before, after)
    _check(e)
    got = {c.key: c.amount for c in e.nonzero()}
    # the 1,500.00 top-up of January is gone (−1,500.00) and recovered now (−1,500.00)
    assert got == {"manual": 340000, "override": 8000, "credits": 2000, "draw": -300000}

    plans = {"d": _plan_with_draw("2000.00", recoverable=False)}
    first = {**first, "carry_out": 0}
    second = {**second, "carry_in": 0, "payout": 400000}
    e = explain_change("R1", Side("2026-01", [_line("manual", 50000, "ADJ1")], first, plans),
                       Side("2026-02", [_line("manual", 400000, "ADJ2")], second, plans,
                            previous=first))
    _check(e)
    assert {c.key: c.amount for c in e.nonzero()} == {"manual": 350000, "draw": -150000}

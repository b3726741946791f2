"""Part 2's input rules, one small test each: every problem in the same report."""

from __future__ import annotations

import pytest
from strategies import make_inputs, plan_from_yaml

from commission.inputs import check

QUOTA_PLAN = plan_from_yaml("""
id: quota
basis: collected
quota: {period: quarter}
tiers: {mode: marginal, measure: attainment, brackets: [{from: 0, rate: 0.04}]}
""")
FLAT = plan_from_yaml("id: flat\nbasis: collected\nrate: 0.05\n")
PLANS = {"quota": QUOTA_PLAN, "flat": FLAT}
INVOICE = ("I1", "C1", "R1", "2026-01-10", "2026-02-10", "1000.00")


def messages(**tables) -> list[str]:
    base = {"reps": [("R1", "flat"), ("R2", "flat")], "invoices": [INVOICE]}
    inputs = make_inputs(**{**base, **tables})
    return [f"{p.source} [{p.column}] {p.message}" for p in check(inputs, PLANS, PLANS)]


def test_clean_part2_tables_have_no_problem():
    assert messages(plan_assignments=[("R1", "quota", "2026-01-01")],
                    quotas=[("R1", "2026-Q1", "100.00")],
                    commission_adjustments=[("M1", "R1", "2026-01-05", "-5.00", "fix")]) == []


def test_assignment_of_an_unknown_rep_or_plan():
    assert messages(plan_assignments=[("R9", "flat", "2026-01-01"),
                                      ("R1", "nope", "2026-02-01")]) == [
        "plan_assignments.csv [rep_id] unknown rep R9",
        "plan_assignments.csv [plan_id] unknown plan nope"]


def test_effective_from_must_be_a_first_of_month():
    assert messages(plan_assignments=[("R1", "flat", "2026-01-02")]) == [
        "plan_assignments.csv [effective_from] effective_from 2026-01-02 is not the first day "
        "of a month"]


def test_two_assignments_of_one_rep_on_one_date():
    got = messages(plan_assignments=[("R1", "flat", "2026-01-01"), ("R1", "flat", "2026-01-01")])
    assert got == ["plan_assignments.csv [effective_from] two assignments of rep R1 on "
                   "2026-01-01"] * 2


def test_quota_period_in_the_wrong_form_and_not_positive():
    got = messages(plan_assignments=[("R1", "quota", "2026-01-01")],
                   quotas=[("R1", "2026-01", "100.00"), ("R1", "2026-Q1", "0.00"),
                           ("R1", "26-1", "5.00")])
    assert "quotas.csv [quota_period] 2026-01 is not in the form of the rep's plan's quota " \
           "period" in got
    assert "quotas.csv [amount] quota 0.00 is not positive" in got
    assert "quotas.csv [quota_period] 26-1 is not a period" in got


def test_a_missing_quota_for_an_attainment_plan_with_events():
    got = messages(plan_assignments=[("R1", "quota", "2026-01-01")],
                   payments=[("P1", "I1", "2026-04-02", "10.00")],
                   quotas=[("R1", "2026-Q1", "100.00")])
    assert got == ["quotas.csv [quota_period] no quota for R1 in 2026-Q2, where plan quota "
                   "measures attainment and has events"]


def test_manual_line_with_no_reason_zero_amount_or_unknown_rep():
    got = messages(commission_adjustments=[("M1", "R1", "2026-01-05", "0.00", "x"),
                                           ("M2", "R1", "2026-01-05", "5.00", None),
                                           ("M3", "R9", "2026-01-05", "5.00", "x")])
    assert got == ["commission_adjustments.csv [rep_id] unknown rep R9",
                   "commission_adjustments.csv [amount] amount is 0",
                   "commission_adjustments.csv [reason] a manual line with no reason"]


def test_write_off_reversal_rules():
    other = ("I2", "C1", "R1", "2026-01-10", "2026-02-10", "1000.00")
    got = messages(invoices=[INVOICE, other], adjustments=[
        ("W1", "I1", "2026-03-01", "write_off", "100.00"),
        ("W2", "I2", "2026-03-01", "write_off", "100.00"),
        ("C1", "I1", "2026-03-01", "credit_note", "10.00"),
        ("X1", "I1", "2026-03-05", "write_off_reversal", "10.00"),  # names nothing
        ("X2", "I1", "2026-03-05", "write_off_reversal", "10.00", "C1"),  # not a write-off
        ("X3", "I1", "2026-03-05", "write_off_reversal", "10.00", "W2"),  # another invoice
        ("X4", "I1", "2026-02-05", "write_off_reversal", "10.00", "W1"),  # before it
        ("X5", "I1", "2026-03-05", "write_off_reversal", "95.00", "W1"),  # beyond it
        ("C2", "I1", "2026-03-05", "credit_note", "5.00", "W1")])  # only reversals name one
    assert "adjustments.csv [reverses_adjustment_id] a write-off reversal naming no " \
           "write-off" in got
    assert "adjustments.csv [reverses_adjustment_id] reinstates C1, which is not a " \
           "write-off" in got
    assert "adjustments.csv [reverses_adjustment_id] reinstates W2, a write-off of another " \
           "invoice" in got
    assert "adjustments.csv [adjustment_date] dated before the write-off W1 it reinstates" \
           in got
    assert "adjustments.csv [amount] reinstatements of W1 total 105.00, more than the 100.00 " \
           "written off" in got
    assert "adjustments.csv [reverses_adjustment_id] only a write_off_reversal names an " \
           "adjustment to reverse" in got


def test_payment_after_a_write_off_must_be_reinstated():
    wo = [("W1", "I1", "2026-03-01", "write_off", "1000.00")]
    late_cash = [("P1", "I1", "2026-04-01", "100.00")]
    got = messages(adjustments=wo, payments=late_cash)
    assert len(got) == 1 and got[0].startswith("invoices.csv [amount] over-settled on 2026-04-01")
    assert messages(adjustments=[*wo, ("X1", "I1", "2026-03-20", "write_off_reversal",
                                       "100.00", "W1")], payments=late_cash) == []


def test_a_plan_draw_above_its_cap_is_refused_with_the_key():
    from commission.plans import parse_plan

    plan, problems = parse_plan("id: d\nbasis: collected\nrate: 0.05\n"
                                "payout: {cap: 100, draw: {amount: 200}}\n", "rules/d.yaml")
    assert plan is None and [p.column for p in problems] == ["payout.draw.amount"]
    plan, problems = parse_plan("id: d\nbasis: collected\ntiers: {mode: marginal, measure: "
                                "attainment, brackets: [{from: 0, rate: 0.04}]}\n", "rules/d.yaml")
    assert plan is None and [p.column for p in problems] == ["tiers.measure"]


@pytest.mark.parametrize("seed", range(6))
def test_needed_quota_spans_are_the_joined_events_first_of_each_span(seed):
    """The spans a missing-quota check asks for, laid out by invoice, are those of joining
    the credited rows with their invoices' event months as frames (first of each
    (rep, form, span) in credited-row then event order, which names its plan);
    unknown invoices and missing months (NaT) included."""
    import numpy as np
    import pandas as pd

    from commission.inputs.over_time import _needed_spans
    from commission.periods import span_start
    rng = np.random.default_rng(seed)
    n_inv, n_rep = 40, 6
    inv = rng.integers(0, n_inv, 60)
    rep, code = rng.integers(0, n_rep, 60), rng.integers(0, 3, 60)
    ev_inv = np.r_[np.arange(n_inv), rng.integers(-1, n_inv, 90)]
    ev_month = rng.integers(660, 700, len(ev_inv))
    if seed % 2:
        ev_month[rng.integers(0, len(ev_month), 3)] = np.iinfo(np.int64).min  # NaT's month
    form = np.array([0, 1, 2])
    credited = pd.DataFrame({"inv": inv, "rep": rep, "code": code})
    months = pd.DataFrame({"inv": ev_inv, "month": ev_month}).drop_duplicates()
    ev = credited.merge(months, on="inv")
    f = form[ev["code"].to_numpy()]
    ev = ev.assign(form=f, start=span_start(ev["month"].to_numpy(), f))
    want = ev.drop_duplicates(["rep", "form", "start"])
    got = _needed_spans(inv, rep, code, ev_inv, ev_month, form, n_inv)
    for column, values in zip(("rep", "code", "form", "start"), got, strict=True):
        assert values.tolist() == want[column].tolist(), column

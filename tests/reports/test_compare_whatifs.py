"""The what-ifs of Compare plans, pure: payments pushed past the data, a variant from a
month, quota scales, missing quotas named, and the terms two plans differ in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from commission import read_inputs
from commission.plans.diff import term_changes
from commission.plans.language import load_plans
from commission.reports.compare import (
    cash_collected,
    data_periods,
    missing_quotas,
    pushed_past,
    run_plan,
    scale_quotas,
    shift_payments,
    status_quo_plan,
    still_to_come,
    variant_from,
)

RULES = Path(__file__).resolve().parents[2] / "rules"
REPS = [("R1", "Rep One", "r1@example.com", None, "collected-stepped"),
        ("R2", "Rep Two", "r2@example.com", "R1", "invoiced-traditional")]
INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "10000.00"),
            ("I2", "C1", "R2", "2026-01-10", "2026-02-09", "5000.00"),
            ("I3", "C1", "R1", "2026-03-02", "2026-04-01", "2000.00")]
PAYMENTS = [("P1", "I1", "2026-01-20", "4000.00", None),
            ("P2", "I1", "2026-02-20", "3000.00", None),
            ("P3", "I3", "2026-03-10", "600.00", None)]
END = dt.date(2026, 3, 10)


@pytest.fixture
def env(csvs, tmp_path):
    data = csvs.write(tmp_path / "data", reps=REPS, customers=[("C1", "C", "smb")],
                      invoices=INVOICES, payments=PAYMENTS, adjustments=[],
                      quotas=[("R1", "2026-Q1", "5000.00")])
    plans, _t, _p = load_plans(RULES)
    inputs, problems = read_inputs(data, plans)
    assert inputs is not None, problems
    return inputs, plans


def test_payments_pushed_past_the_data_are_left_out_not_saved(env):
    inputs, _plans = env
    assert pushed_past(inputs, 30, END).tolist() == [False, True, True]
    assert still_to_come(inputs, 30, END) == (2, 360000)
    shifted = shift_payments(inputs, 30, END)
    assert shifted.payments["payment_id"].tolist() == ["P1"]
    assert shifted.payments["payment_date"].tolist() == [pd.Timestamp("2026-02-19")]
    assert cash_collected(shifted, "2026-01", "2026-03") == 400000
    # a curve leaves out the same payments at every shift (its largest one's)
    for days in (-10, 0, 20):
        kept = shift_payments(inputs, days, END, hold_back=30)
        assert kept.payments["payment_id"].tolist() == ["P1"]
    assert len(shift_payments(inputs, 30).payments) == 3  # without the end: as before
    assert not pushed_past(inputs, -30, END).any()


def test_a_variant_from_a_month_keeps_the_months_before(env):
    inputs, plans = env
    variant = plans["collected-stepped"].model_copy(update={"id": "v", "rate": Decimal("0.1")})
    moved = variant_from(inputs, "v", "2026-03", ["R1"])
    assert moved.plan_assignments[["rep_id", "plan_id"]].values.tolist() == [["R1", "v"]]
    sq = run_plan(inputs, status_quo_plan(variant), "2026-01", "2026-03", plans=plans)
    what_if = run_plan(moved, variant, "2026-01", "2026-03", plans={**plans, "v": variant})
    before = sq.payouts.set_index(["period", "rep_id"])["payout"]
    after = what_if.payouts.set_index(["period", "rep_id"])["payout"]
    assert after.loc[["2026-01", "2026-02"]].equals(before.loc[["2026-01", "2026-02"]])
    # March: I3's 600.00 at 10% instead of 5% (I3 is dated in March, under the variant)
    assert after.loc[("2026-03", "R1")] != before.loc[("2026-03", "R1")]


def test_quota_what_ifs_and_missing_quotas_named(env):
    inputs, plans = env
    assert scale_quotas(inputs, Decimal("1.105")).quotas["amount"].tolist() == [552500]
    filled = scale_quotas(inputs, None, {"R2": 100000}, "quarter")
    assert filled.quotas[["rep_id", "quota_period", "amount"]].values.tolist() == [
        ["R1", "2026-Q1", 500000], ["R2", "2026-Q1", 100000]]
    acc = plans["collected-quota-accelerator"]
    assert missing_quotas(inputs, {acc.id: acc}, acc.id) == {"R2": ["2026-Q1"]}
    assert missing_quotas(filled, {acc.id: acc}, acc.id) == {}
    assert missing_quotas(inputs, plans) == {}  # nobody is on it in the data
    assert data_periods(inputs) == ["2026-01", "2026-02", "2026-03"]


def test_term_changes_name_each_key_and_ignore_names(env):
    _inputs, plans = env
    a = plans["collected-stepped"]
    b = a.model_copy(update={"id": "x", "name": "other", "rate": Decimal("0.050")})
    assert term_changes(a, b) == []
    c = a.model_copy(update={"rate": Decimal("0.07")})
    assert term_changes(a, c) == [("rate", "0.05", "0.07")]
    assert ("override.rate", "", "0.01") in term_changes(a, plans["manager-override"])

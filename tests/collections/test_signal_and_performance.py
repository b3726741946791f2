"""Credit signal and collection performance, worked by hand on a small history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from commission.collections.credit import CASH_IN_ADVANCE, CREDIT_REVIEW, OK, credit_signal
from commission.collections.ladder import CreditThresholds, load_ladder
from commission.collections.performance import by_rep, by_step
from commission.inputs.reading import read_inputs

RULES = Path(__file__).resolve().parents[2] / "rules"
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def history(csvs, tmp_path):
    # C1 pays I1 10 days late and I2 on time; C2 pays I3 70 days late, I4 40 days late with
    # 10 dispute days paused (30), I5 50 days late; C3 has a write-off.
    reps = [("R1", "Rep One", "r1@example.com", None, "collected-40day")]
    customers = [("C1", "A", ""), ("C2", "B", ""), ("C3", "C", "")]
    inv = [("I1", "C1", "R1", "2026-01-01", "2026-01-31", "100.00"),
           ("I2", "C1", "R1", "2026-01-01", "2026-01-31", "100.00"),
           ("I3", "C2", "R1", "2026-01-01", "2026-01-31", "100.00"),
           ("I4", "C2", "R1", "2026-01-01", "2026-01-31", "100.00"),
           ("I5", "C2", "R1", "2026-01-01", "2026-01-31", "100.00"),
           ("I6", "C3", "R1", "2026-01-01", "2026-01-31", "100.00")]
    pay = [("P1", "I1", "2026-02-10", "100.00", None), ("P2", "I2", "2026-01-30", "100.00", None),
           ("P3", "I3", "2026-04-11", "100.00", None), ("P4", "I4", "2026-03-12", "100.00", None),
           ("P5", "I5", "2026-03-22", "100.00", None)]
    adj = [("A1", "I6", "2026-05-01", "write_off", "100.00")]
    disputes = [("D1", "I4", "2026-02-10", "2026-02-20")]
    folder = csvs.write(tmp_path / "h", reps=reps, customers=customers, invoices=inv,
                        payments=pay, adjustments=adj, disputes=disputes)
    inputs, problems = read_inputs(folder, ["collected-40day"])
    assert not problems
    ladder, _ = load_ladder(RULES / "collections.yaml")
    return inputs, ladder


def test_credit_signal_per_customer(history):
    inputs, _ladder = history
    terms = CreditThresholds(min_paid_invoices=2, cash_in_advance_avg_days_late=60)
    s = credit_signal(inputs, AS_OF, terms).set_index("customer_id")
    assert s.at["C1", "paid_invoices"] == 2 and s.at["C1", "avg_days_late"] == 5.0
    assert s.at["C1", "share_paid_late"] == 0.5 and s.at["C1", "flag"] == OK
    assert s.at["C2", "avg_days_late"] == 50.0  # (70 + 30 + 50) / 3
    assert s.at["C2", "flag"] == CREDIT_REVIEW
    assert s.at["C3", "write_offs"] == 1 and s.at["C3", "write_off_amount"] == 10000
    assert s.at["C3", "flag"] == CASH_IN_ADVANCE
    assert s.at["C2", "late_2026Q2"] == 70.0 and s.at["C2", "late_2026Q1"] == 40.0


def test_performance_by_rep_and_step(history):
    inputs, ladder = history
    r = by_rep(inputs, ladder, AS_OF).set_index(["rep_id", "quarter"]).loc[("R1", "2026Q1")]
    assert r["invoices"] == 6 and r["settled"] == 5
    assert r["share_within_terms"] == round(1 / 6, 3)
    # rep step at 30 days: I3 (70), I4 (30), I5 (50) and the written-off I6 reached it
    assert r["rep_stepped_in"] == 4 and r["collected_after_rep"] == 3
    assert r["share_collected_after_rep"] == 0.75
    s = by_step(inputs, ladder, AS_OF).set_index("step")
    assert s.at["-", "invoices"] == 1 and s.at["reminder", "invoices"] == 1
    assert s.at["rep should call", "invoices"] == 1
    assert s.at["rep must call purchasing", "invoices"] == 1
    assert s.at["credit hold review", "invoices"] == 1

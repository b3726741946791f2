"""The payroll export: one row per rep, a control total that reconciles to the cent."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from strategies import CAPPED_PLAN, WORKED_EXAMPLE_PLAN, make_inputs, plan_from_yaml

from commission.engine import calculate
from commission.reports.export import (
    EXPORT_COLUMNS,
    MONEY_COLUMNS,
    export_csv_text,
    line_totals,
    payroll_export,
    reconcile,
)

# the contract's worked example, plus a second rep on a capped plan and a third with nothing
EXAMPLE = plan_from_yaml(WORKED_EXAMPLE_PLAN)
CAPPED = plan_from_yaml(CAPPED_PLAN)
PLANS = {"example": EXAMPLE, "capped": CAPPED}


def ledger():
    return make_inputs(
        reps=[("R1", "Ann Lee", "ann@example.com", None, "example"),
              ("R2", "Bo Kim", "bo@example.com", "R1", "capped"),
              ("R3", "Cy Dee", "cy@example.com", "R1", "example")],
        invoices=[("I1", "C1", "R1", "2026-01-15", "2026-01-31", "10000.00"),
                  ("I2", "C2", "R2", "2026-03-02", "2026-04-01", "1234.55")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"),
                  ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2")],
        adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")],
    )


@pytest.fixture(scope="module")
def result():
    return calculate(ledger(), PLANS)


def test_one_row_per_rep_then_a_control_total(result):
    frame = payroll_export(result.payouts, ledger().reps, "2026-03", 17)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert list(frame["rep_id"]) == ["R1", "R2", "R3", "TOTAL"]
    r1 = frame.iloc[0]
    assert (r1["name"], r1["email"], r1["plan_id"], r1["batch_id"]) == (
        "Ann Lee", "ann@example.com", "example", 17)
    # March: R1 150.00 − 15.00 haircut; R2 123.46 invoiced (1,234.55 × 10%, half up), capped
    # at 100.00 and the rest forfeited; R3 a row of zeros
    assert frame.set_index("rep_id").loc["R1", ["gross", "haircuts", "net", "payout"]].tolist() \
        == [15000, 1500, 13500, 13500]
    assert frame.set_index("rep_id").loc["R2", ["gross", "net", "payout", "carry_out"]].tolist() \
        == [12346, 12346, 10000, 0]
    assert frame.set_index("rep_id").loc["R3", MONEY_COLUMNS].tolist() == [0] * 7


def test_the_total_row_is_the_exact_sum_of_every_money_column(result):
    for period in ("2026-02", "2026-03", "2026-04", "2026-06"):
        frame = payroll_export(result.payouts, ledger().reps, period, "B-1")
        body, total = frame.iloc[:-1], frame.iloc[-1]
        assert total["rep_id"] == "TOTAL"
        for col in MONEY_COLUMNS:
            assert frame[col].dtype == "int64"
            assert total[col] == body[col].sum()
    june = payroll_export(result.payouts, ledger().reps, "2026-06", 1).iloc[-1]
    assert (june["net"], june["carry_in"], june["carry_out"]) == (-8000, -4500, -12500)


def test_payouts_equal_the_totals_of_their_lines(result):
    for period in result.periods:
        sums = line_totals(result.lines, period).set_index("rep_id")
        pay = result.payouts[result.payouts["period"] == period].set_index("rep_id")
        cols = ["gross", "haircuts", "clawbacks", "net"]
        assert (pay[cols].loc[sums.index] == sums[cols]).all().all()
        assert (pay.drop(sums.index)[cols] == 0).all().all()  # no lines: zeros
        assert reconcile(result.lines, result.payouts, period) == []


def test_reconcile_names_a_payout_that_does_not_match_its_lines(result):
    payouts = result.payouts.copy()
    row = (payouts["period"] == "2026-03") & (payouts["rep_id"] == "R1")
    payouts.loc[row, "haircuts"] += 1
    problems = reconcile(result.lines, payouts, "2026-03")
    assert any("R1" in p and "haircuts off by 1 cents" in p for p in problems)
    assert any("net is not gross" in p for p in problems)


def test_csv_text_writes_two_decimal_money_that_adds_up(result):
    frame = payroll_export(result.payouts, ledger().reps, "2026-04", 9)
    text = export_csv_text(frame)
    lines = text.splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert lines[1] == "2026-04,9,R1,Ann Lee,ann@example.com,example,0.00,0.00,45.00,-45.00," \
                       "0.00,0.00,-45.00"
    assert lines[-1].startswith("2026-04,9,TOTAL,,,,")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    cents = back[MONEY_COLUMNS].apply(lambda s: s.str.replace(".", "", regex=False).astype(int))
    assert (cents.iloc[:-1].sum() == cents.iloc[-1]).all()
    assert "\r" not in text


def test_a_rep_paid_twice_in_one_period_is_refused(result):
    payouts = pd.concat([result.payouts, result.payouts.iloc[[1]]], ignore_index=True)
    period = result.payouts.iloc[1]["period"]
    with pytest.raises(ValueError, match="more than one payout row"):
        payroll_export(payouts, ledger().reps, period, 1)


def test_a_period_without_payouts_exports_only_a_zero_total(result):
    frame = payroll_export(result.payouts, ledger().reps, "2030-01", 1)
    assert list(frame["rep_id"]) == ["TOTAL"]
    assert frame.iloc[0][MONEY_COLUMNS].tolist() == [0] * 7

"""The payroll export: one data row per rep, and apart from it a control total that
reconciles to the cent."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from strategies import CAPPED_PLAN, WORKED_EXAMPLE_PLAN, make_inputs, plan_from_yaml

from commission.engine import calculate
from commission.reports.export import (
    CONTROL_COLUMNS,
    EXPORT_COLUMNS,
    MONEY_COLUMNS,
    control_totals,
    export_csv_text,
    export_file_name,
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


def test_one_row_per_rep_and_nothing_else(result):
    frame = payroll_export(result.payouts, ledger().reps, "2026-03", 17, currency="EUR",
                           pay_date="2026-04-05")
    assert list(frame.columns) == EXPORT_COLUMNS
    assert list(frame["rep_id"]) == ["R1", "R2", "R3"]  # no TOTAL row: payroll imports rows
    r1 = frame.iloc[0]
    assert (r1["name"], r1["email"], r1["plan_id"], r1["batch_id"], r1["status"],
            r1["currency"], r1["pay_date"], r1["employee_id"]) == (
        "Ann Lee", "ann@example.com", "example", 17, "FINAL", "EUR", "2026-04-05", "")
    # March: R1 150.00 − 15.00 haircut; R2 123.46 invoiced (1,234.55 × 10%, half up), capped
    # at 100.00 and the rest (23.46) forfeited; R3 a row of zeros
    assert frame.set_index("rep_id").loc["R1", ["gross", "haircuts", "net", "payout"]].tolist() \
        == [15000, 1500, 13500, 13500]
    assert frame.set_index("rep_id").loc["R2", ["gross", "net", "payout", "carry_out",
                                                "forfeited"]].tolist() \
        == [12346, 12346, 10000, 0, 2346]
    assert frame.set_index("rep_id").loc["R3", MONEY_COLUMNS].tolist() == [0] * 9


def test_every_row_reconciles_net_carry_forfeited_and_payout(result):
    for period in result.periods:
        frame = payroll_export(result.payouts, ledger().reps, period, 1)
        assert (frame["net"] + frame["carry_in"] - frame["carry_out"] - frame["forfeited"]
                == frame["payout"]).all(), period


def test_the_control_total_is_the_exact_sum_of_every_money_column(result):
    for period in ("2026-02", "2026-03", "2026-04", "2026-06"):
        frame = payroll_export(result.payouts, ledger().reps, period, "B-1", status="DRAFT")
        control = control_totals(frame, period, "B-1", status="DRAFT")
        assert list(control.columns) == CONTROL_COLUMNS and len(control) == 1
        total = control.iloc[0]
        assert (total["status"], total["reps"]) == ("DRAFT", 3)
        for col in MONEY_COLUMNS:
            assert frame[col].dtype == "int64" and control[col].dtype == "int64"
            assert total[col] == frame[col].sum()
    june = payroll_export(result.payouts, ledger().reps, "2026-06", 1)
    total = control_totals(june, "2026-06", 1).iloc[0]
    assert (total["net"], total["carry_in"], total["carry_out"]) == (-8000, -4500, -12500)


def test_a_draft_is_marked_in_its_file_name_and_on_every_row(result):
    assert export_file_name("2026-03", 4, "DRAFT") == "payroll_2026-03_batch4_DRAFT.csv"
    assert export_file_name("2026-03", 4, "FINAL") == "payroll_2026-03_batch4.csv"
    frame = payroll_export(result.payouts, ledger().reps, "2026-03", 4, status="DRAFT")
    assert set(frame["status"]) == {"DRAFT"}


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
    frame = payroll_export(result.payouts, ledger().reps, "2026-04", 9, pay_date="2026-04-30")
    text = export_csv_text(frame)
    lines = text.splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert lines[1] == "FINAL,2026-04,9,2026-04-30,USD,,R1,Ann Lee,ann@example.com,example," \
                       "0.00,0.00,45.00,-45.00,0.00,0.00,-45.00,0.00,0.00"
    control = export_csv_text(control_totals(frame, "2026-04", 9))
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    total = pd.read_csv(io.StringIO(control), dtype=str, keep_default_na=False)
    cents = back[MONEY_COLUMNS].apply(lambda s: s.str.replace(".", "", regex=False).astype(int))
    sums = total[MONEY_COLUMNS].apply(lambda s: s.str.replace(".", "", regex=False).astype(int))
    assert (cents.sum() == sums.iloc[0]).all()
    assert "\r" not in text


def test_a_rep_paid_twice_in_one_period_is_refused(result):
    payouts = pd.concat([result.payouts, result.payouts.iloc[[1]]], ignore_index=True)
    period = result.payouts.iloc[1]["period"]
    with pytest.raises(ValueError, match="more than one payout row"):
        payroll_export(payouts, ledger().reps, period, 1)


def test_a_period_without_payouts_exports_no_rows_and_a_zero_total(result):
    frame = payroll_export(result.payouts, ledger().reps, "2030-01", 1)
    assert frame.empty and list(frame.columns) == EXPORT_COLUMNS
    control = control_totals(frame, "2030-01", 1)
    assert control.iloc[0][MONEY_COLUMNS].tolist() == [0] * 9 and control.iloc[0]["reps"] == 0

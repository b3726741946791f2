"""One small, hand-checkable test per rule of the calculation contract."""

from __future__ import annotations

import pandas as pd
import pytest
from strategies import make_inputs, plan_from_yaml

from commission.engine import calculate

CUST = "C1"


def plan(text: str, plan_id: str = "p"):
    return {plan_id: plan_from_yaml(f"id: {plan_id}\n{text}")}


def one_invoice(payments=(), adjustments=(), disputes=(), splits=(), reps=(("R1", "p"),),
                amount="10000.00", invoice_date="2026-01-01", due="2026-01-31"):
    return make_inputs(
        reps=list(reps),
        invoices=[("I1", CUST, reps[0][0], invoice_date, due, amount)],
        payments=list(payments), adjustments=list(adjustments), disputes=list(disputes),
        splits=list(splits))


def lines_of(result, kind: str | None = None) -> pd.DataFrame:
    lines = result.lines
    return lines if kind is None else lines[lines["line_kind"] == kind].reset_index(drop=True)


def money(result, kind: str, col: str = "amount") -> list[int]:
    return lines_of(result, kind)[col].tolist()


def payout(result, period: str, rep: str = "R1") -> dict:
    p = result.payouts
    row = p[(p["period"] == period) & (p["rep_id"] == rep)]
    assert len(row) == 1
    return row.iloc[0].to_dict()


STEPS = """
basis: collected
rate: 0.05
late_payment:
  steps: [{after_days: 30, haircut: 0.10}, {after_days: 60, haircut: 0.25}]
"""


# ------------------------------------------------------------------ the worked example


def test_worked_example_lines_and_payouts():
    plans = plan("""
basis: collected
rate: 0.05
late_payment:
  steps: [{after_days: 30, haircut: 0.10}, {after_days: 60, haircut: 0.25}]
bad_debt: {window_days: 365, penalty_rate: 0.02}
""")
    inputs = one_invoice(
        payments=[("P1", "I1", "2026-02-10", "4000.00", None),
                  ("P2", "I1", "2026-03-20", "3000.00", None),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2")],
        adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")])
    r = calculate(inputs, plans)
    got = r.lines[["period", "line_kind", "event_id", "days_late", "gross", "haircut",
                   "amount"]].astype(object).values.tolist()
    assert got == [
        ["2026-02", "collection", "P1", 10, 20000, 0, 20000],
        ["2026-03", "collection", "P2", 48, 15000, 1500, 13500],
        ["2026-04", "reversal", "P3", 48, -5000, -500, -4500],
        ["2026-06", "penalty", "A1", pd.NA, -8000, 0, -8000],
    ]
    assert payout(r, "2026-02")["payout"] == 20000
    assert payout(r, "2026-03")["payout"] == 13500
    april = payout(r, "2026-04")
    assert (april["net"], april["payout"], april["carry_out"]) == (-4500, 0, -4500)
    may = payout(r, "2026-05")
    assert (may["net"], may["carry_in"], may["carry_out"]) == (0, -4500, -4500)
    june = payout(r, "2026-06")
    assert (june["net"], june["payout"], june["carry_out"]) == (-8000, 0, -12500)
    assert june["clawbacks"] == 8000


# ------------------------------------------------------------------ bases


def test_invoiced_basis_pays_the_whole_commission_at_invoicing():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-03-01", "10000.00", None)]),
                  plan("basis: invoiced\nrate: 0.04"))
    assert money(r, "invoice") == [40000]
    assert lines_of(r, "collection").empty  # nothing more to earn on the cash
    assert payout(r, "2026-01")["payout"] == 40000


def test_collected_basis_pays_nothing_until_cash_arrives():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-03-01", "2500.00", None)]),
                  plan("basis: collected\nrate: 0.04"))
    assert lines_of(r, "invoice").empty
    assert money(r, "collection") == [10000]
    assert payout(r, "2026-01")["payout"] == 0


def test_advance_pays_its_share_at_invoicing_and_the_rest_on_collection():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-01", "10000.00", None)]),
                  plan("basis: advance\nadvance_share: 0.3\nrate: 0.05"))
    assert money(r, "invoice") == [15000]  # 10,000 × 5% × 30%
    assert money(r, "collection") == [35000]  # 10,000 × 5% × 70%


def test_invoiced_plan_with_haircut_takes_back_commission_on_late_cash():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-04-01", "10000.00", None)]),
                  plan("basis: invoiced\nrate: 0.04\nlate_payment:\n"
                       "  steps: [{after_days: 30, haircut: 0.5}]"))
    coll = lines_of(r, "collection")
    assert (coll["gross"][0], coll["haircut"][0], coll["amount"][0]) == (0, 20000, -20000)


# ------------------------------------------------------------------ days late and haircuts


@pytest.mark.parametrize(("pay_date", "late", "cut"), [
    ("2026-03-02", 30, 0),  # exactly 30 days late: not *greater than* 30
    ("2026-03-03", 31, 1000),
    ("2026-04-01", 60, 1000),
    ("2026-04-02", 61, 2500),
    ("2026-01-15", 0, 0),  # paid before the due date
])
def test_step_haircut_applies_when_days_late_exceed_the_step(pay_date, late, cut):
    r = calculate(one_invoice(payments=[("P1", "I1", pay_date, "2000.00", None)]), plan(STEPS))
    line = lines_of(r, "collection").iloc[0]
    assert (line["days_late"], line["haircut"], line["gross"]) == (late, cut, 10000)


def test_linear_haircut_grows_by_the_day_and_stops_at_its_max():
    text = """basis: collected
rate: 0.10
late_payment:
  linear: {start_after_days: 40, per_day: 0.01, max: 0.25}
"""
    pays = [("P1", "I1", "2026-03-12", "1000.00", None),  # 40 days late: 0
            ("P2", "I1", "2026-03-15", "1000.00", None),  # 43 days: 3%
            ("P3", "I1", "2026-06-01", "1000.00", None)]  # 121 days: capped at 25%
    r = calculate(one_invoice(payments=pays), plan(text))
    assert money(r, "collection", "haircut") == [0, 300, 2500]
    assert lines_of(r, "collection")["haircut_pct"].tolist() == ["0", "0.03", "0.25"]


def test_grace_days_come_off_days_late():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-03-08", "1000.00", None)]),
                  plan(STEPS.replace("late_payment:", "late_payment:\n  grace_days: 5")))
    line = lines_of(r, "collection").iloc[0]
    assert (line["days_late"], line["haircut"]) == (31, 500)  # 36 days − 5 grace


def test_clock_can_run_from_the_invoice_date():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-05", "1000.00", None)]),
                  plan(STEPS.replace("late_payment:", "late_payment:\n  clock: invoice_date")))
    assert lines_of(r, "collection")["days_late"].tolist() == [35]


def test_open_dispute_pauses_the_clock_up_to_the_payment():
    # due 01-31, paid 04-01 (60 days); disputed from 02-10, never resolved: 50 days paused
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-04-01", "1000.00", None)],
                              disputes=[("D1", "I1", "2026-02-10", None)]), plan(STEPS))
    assert lines_of(r, "collection")["days_late"].tolist() == [10]


def test_overlapping_disputes_pause_each_day_once():
    # disputes 02-10..02-20 and 02-15..03-02 cover 02-10..03-01: 20 days
    disputes = [("D1", "I1", "2026-02-10", "2026-02-20"), ("D2", "I1", "2026-02-15",
                                                            "2026-03-02")]
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-04-01", "1000.00", None)],
                              disputes=disputes), plan(STEPS))
    assert lines_of(r, "collection")["days_late"].tolist() == [40]


def test_dispute_before_the_due_date_only_pauses_days_after_it():
    disputes = [("D1", "I1", "2026-01-10", "2026-02-05")]  # 5 days after the due date
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-03-07", "1000.00", None)],
                              disputes=disputes), plan(STEPS))
    assert lines_of(r, "collection")["days_late"].tolist() == [30]


def test_dispute_pause_can_be_switched_off():
    text = STEPS.replace("late_payment:", "late_payment:\n  pause_during_disputes: false")
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-04-01", "1000.00", None)],
                              disputes=[("D1", "I1", "2026-02-10", None)]), plan(text))
    assert lines_of(r, "collection")["days_late"].tolist() == [60]


# ------------------------------------------------------------------ reversals, credits, write-offs


def test_reversal_is_valued_at_the_reversed_lines_rate_and_haircut():
    # retroactive tiers: February volume 6,000 earns 6%; April's reversal counts negative
    text = """basis: collected
tiers:
  mode: retroactive
  brackets: [{from: 0, rate: 0.02}, {from: 5000, rate: 0.06}]
late_payment:
  steps: [{after_days: 10, haircut: 0.5}]
"""
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-20", "6000.00", None),
                                        ("P2", "I1", "2026-04-01", "-1000.00", "P1")]),
                  plan(text))
    coll, rev = lines_of(r, "collection").iloc[0], lines_of(r, "reversal").iloc[0]
    assert (coll["rate"], coll["gross"], coll["haircut"]) == ("0.06", 36000, 18000)
    # reversed at r₀ = 6% and h₀ = 50%, not at April's 2% rate
    assert (rev["rate"], rev["gross"], rev["haircut"], rev["amount"]) == (
        "0.06", -6000, -3000, -3000)
    assert payout(r, "2026-04")["clawbacks"] == 3000


def test_credit_note_takes_back_the_invoice_lines_rate():
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2026-02-01", "credit_note", "1000.00"),
                                           ("A2", "I1", "2026-02-02", "discount", "200.00")]),
                  plan("basis: advance\nadvance_share: 0.5\nrate: 0.05"))
    assert money(r, "credit") == [-2500, -500]  # 1,000 × 5% × 50%; 200 × 5% × 50%


def test_credit_note_on_a_collected_plan_makes_no_line():
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2026-02-01", "credit_note", "1000.00")]),
                  plan("basis: collected\nrate: 0.05"))
    assert r.lines.empty


WRITE_OFF = """basis: invoiced
rate: 0.04
bad_debt: {window_days: 180, penalty_rate: 0.02}
"""


def test_write_off_within_the_window_claws_back_and_charges_the_penalty():
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")]),
                  plan(WRITE_OFF))  # 180 days after 2026-01-01
    assert money(r, "clawback") == [-16000]
    assert money(r, "penalty") == [-8000]
    assert payout(r, "2026-06")["clawbacks"] == 24000


def test_write_off_after_the_window_costs_nothing():
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2026-07-01", "write_off", "4000.00")]),
                  plan(WRITE_OFF))  # 181 days
    assert lines_of(r, "clawback").empty and lines_of(r, "penalty").empty


def test_write_off_without_a_window_is_always_charged():
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2029-01-01", "write_off", "100.00")]),
                  plan("basis: collected\nrate: 0.05\nbad_debt: {penalty_rate: 0.1}"))
    assert money(r, "penalty") == [-1000]


# ------------------------------------------------------------------ splits


def test_split_credits_each_rep_with_their_share_rounded_per_line():
    inputs = one_invoice(
        reps=(("R1", "p"), ("R2", "p")),
        splits=[("I1", "R1", "0.333333333"), ("I1", "R2", "0.666666667")],
        payments=[("P1", "I1", "2026-02-01", "100.01", None)])
    r = calculate(inputs, plan("basis: collected\nrate: 0.05"))
    coll = lines_of(r, "collection")
    # 100.01 × 0.333333333 × 5% = 1.66683333 -> 1.67 ; × 0.666666667 -> 3.33366667 -> 3.33
    assert dict(zip(coll["rep_id"], coll["amount"], strict=True)) == {"R1": 167, "R2": 333}


# ------------------------------------------------------------------ rates and tiers

TIERS = """basis: collected
tiers:
  mode: {mode}
  brackets: [{{from: 0, rate: 0.04}}, {{from: 1000, rate: 0.06}}]
"""


def test_retroactive_tier_rate_applies_to_the_whole_volume():
    pays = [("P1", "I1", "2026-02-01", "1000.00", None), ("P2", "I1", "2026-02-15", "500.00",
                                                          None)]
    r = calculate(one_invoice(payments=pays), plan(TIERS.format(mode="retroactive")))
    assert money(r, "collection") == [6000, 3000]


def test_marginal_tiers_blend_one_rate_for_every_line_of_the_batch():
    pays = [("P1", "I1", "2026-02-01", "1000.00", None), ("P2", "I1", "2026-02-15", "500.00",
                                                          None)]
    r = calculate(one_invoice(payments=pays), plan(TIERS.format(mode="marginal")))
    # (1,000 × 4% + 500 × 6%) / 1,500 = 7/150: 46.666.. -> 46.67 and 23.333.. -> 23.33
    assert money(r, "collection") == [4667, 2333]
    assert set(lines_of(r, "collection")["rate"]) == {"0.0466666667"}
    assert lines_of(r, "collection")["rate_num"].tolist() == [7, 7]
    assert lines_of(r, "collection")["rate_den"].tolist() == [150, 150]


def test_volume_at_or_below_zero_takes_the_first_brackets_rate():
    text = """basis: collected
tiers:
  mode: retroactive
  brackets: [{from: 0, rate: 0.03}, {from: 100, rate: 0.09}]
"""
    pays = [("P1", "I1", "2026-02-01", "1000.00", None),
            ("P2", "I1", "2026-03-01", "-1000.00", "P1")]
    r = calculate(one_invoice(payments=pays), plan(text))
    # March's volume is −1,000: the batch rate is 3%, but the reversal is valued at r₀ = 9%
    assert money(r, "reversal") == [-9000]


# ------------------------------------------------------------------ payouts


def test_balance_below_minimum_payout_is_carried_not_paid():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-01", "100.00", None),
                                        ("P2", "I1", "2026-03-01", "900.00", None)]),
                  plan("basis: collected\nrate: 0.05\npayout: {min_payout: 20}"))
    feb, mar = payout(r, "2026-02"), payout(r, "2026-03")
    assert (feb["payout"], feb["carry_out"]) == (0, 500)
    assert (mar["carry_in"], mar["payout"], mar["carry_out"]) == (500, 5000, 0)


def test_cap_pays_at_most_the_cap_and_forfeits_the_excess():
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-01", "10000.00", None)]),
                  plan("basis: collected\nrate: 0.05\npayout: {cap: 300}"))
    feb = payout(r, "2026-02")
    assert (feb["net"], feb["payout"], feb["carry_out"]) == (50000, 30000, 0)


@pytest.mark.parametrize(("carry", "expected"), [("true", -500), ("false", 0)])
def test_negative_balance_is_carried_only_when_the_plan_says_so(carry, expected):
    r = calculate(one_invoice(adjustments=[("A1", "I1", "2026-02-01", "write_off", "1000.00")]),
                  plan(f"basis: collected\nrate: 0.05\nbad_debt: {{penalty_rate: 0.005}}\n"
                       f"payout: {{carry_forward_negative: {carry}}}"))
    feb = payout(r, "2026-02")
    assert (feb["net"], feb["payout"], feb["carry_out"]) == (-500, 0, expected)


def test_every_rep_has_a_payout_row_in_every_month_zeros_included():
    inputs = one_invoice(reps=(("R1", "p"), ("R2", "p")),
                         payments=[("P1", "I1", "2026-03-01", "100.00", None)])
    r = calculate(inputs, plan("basis: collected\nrate: 0.05"))
    assert r.periods == ["2026-01", "2026-02", "2026-03"]
    assert len(r.payouts) == 6
    assert r.payouts[r.payouts["rep_id"] == "R2"]["payout"].tolist() == [0, 0, 0]


# ------------------------------------------------------------------ rounding


@pytest.mark.parametrize(("mode", "cents"), [("half_up", 51), ("half_even", 50)])
def test_rounding_mode_decides_an_exact_half_cent(mode, cents):
    r = calculate(one_invoice(payments=[("P1", "I1", "2026-02-01", "10.10", None)]),
                  plan(f"basis: collected\nrate: 0.05\nrounding: {mode}"))
    assert money(r, "collection") == [cents]  # 10.10 × 5% = 0.505


def test_each_line_is_rounded_once_and_totals_are_sums_of_lines():
    pays = [(f"P{i}", "I1", "2026-02-01", "0.10", None) for i in range(1, 4)]
    r = calculate(one_invoice(payments=pays), plan("basis: collected\nrate: 0.05"))
    # each 0.10 × 5% = 0.005 rounds to 0.01; the total is 0.03, not round(0.015) = 0.02
    assert money(r, "collection") == [1, 1, 1]
    assert payout(r, "2026-02")["payout"] == 3


# ------------------------------------------------------------------ runs


def test_plan_override_applies_one_plan_to_every_rep():
    plans = {**plan("basis: collected\nrate: 0.05", "a"), **plan("basis: invoiced\nrate: 0.01",
                                                                  "b")}
    inputs = one_invoice(reps=(("R1", "a"),), payments=[("P1", "I1", "2026-02-01", "100.00",
                                                         None)])
    assert calculate(inputs, plans, plan_override="b").lines["line_kind"].tolist() == ["invoice"]
    assert calculate(inputs, plans).lines["line_kind"].tolist() == ["collection"]


def test_events_after_through_wait_for_a_later_run():
    inputs = one_invoice(payments=[("P1", "I1", "2026-02-01", "100.00", None),
                                   ("P2", "I1", "2026-04-01", "100.00", None)])
    r = calculate(inputs, plan("basis: collected\nrate: 0.05"), through="2026-03")
    assert r.periods[-1] == "2026-03"
    assert r.lines["event_id"].tolist() == ["P1"]


def test_through_before_the_first_event_pays_no_month():
    inputs = one_invoice(payments=[("P1", "I1", "2026-02-01", "100.00", None)])
    r = calculate(inputs, plan("basis: collected\nrate: 0.05"), through="2025-12")
    assert (r.periods, len(r.lines), len(r.payouts)) == ([], 0, 0)


def test_collection_line_explains_itself_in_words():
    r = calculate(one_invoice(payments=[("P2", "I1", "2026-03-20", "3000.00", None)]),
                  plan(STEPS))
    assert r.lines["explanation"].tolist() == [
        "5% of 3,000.00 collected on 2026-03-20, 48 days late: 10% haircut"]

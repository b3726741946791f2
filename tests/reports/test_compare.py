"""Plan comparison: totals are the engine's, reconciled from gross to payout; variants.

The worked example of the calculation contract is the small history here, so every
figure can be checked by hand against docs/calculation.md.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from strategies import make_inputs, plan_from_yaml

from commission.engine import calculate
from commission.plans.language import load_plans
from commission.reports.compare import (
    WATERFALL_STEPS,
    _distribution,
    cash_collected,
    compare,
    data_periods,
    decimal_of,
    derive_plan,
    next_variant_id,
    plan_file_text,
    save_plan,
    share_of_percent,
    shift_payments,
)

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
FLAT6 = plan_from_yaml("""
id: flat6
basis: collected
rate: 0.06
""")
CAPPED = plan_from_yaml("""
id: capped
basis: invoiced
rate: 0.05
payout: {cap: 300}
""")
PLANS = {p.id: p for p in (STEPPED, FLAT6, CAPPED)}


def worked_example():
    """The contract's example: I1 of 10,000.00 due 2026-01-31, paid, bounced, written off."""
    return make_inputs(
        reps=[("R1", "stepped")],
        invoices=[("I1", "C1", "R1", "2026-01-01", "2026-01-31", "10000.00")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"),
                  ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2")],
        adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")],
    )


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_worked_example_totals_from_gross_to_payout():
    result = compare(worked_example(), PLANS, ["stepped"], "2026-01", "2026-06")
    s = result.summary.iloc[0]
    assert s["gross"] == cents("350.00")  # 200.00 in February + 150.00 in March
    assert s["haircuts"] == cents("15.00")  # 10% of March's 150.00
    assert s["clawbacks"] == cents("45.00")  # the bounced 1,000.00: −(50.00 − 5.00)
    assert s["penalties"] == cents("80.00")  # 2% of the 4,000.00 written off
    assert s["net"] == cents("210.00")
    assert s["payout"] == cents("335.00")  # February 200.00 + March 135.00
    assert s["carry_out"] == cents("-125.00")  # still owed back at the end of June
    assert s["cash_collected"] == cents("6000.00")  # 4,000 + 3,000 − 1,000
    assert s["cost_pct"] == Decimal("5.58")  # 335 / 6,000


def test_totals_are_the_engines_own_payouts_for_the_months_compared():
    inputs = worked_example()
    result = compare(inputs, PLANS, ["stepped", "flat6", "capped"], "2026-03", "2026-05")
    for pid in result.plan_ids:
        engine = calculate(inputs, PLANS, through="2026-05", plan_override=pid).payouts
        engine = engine[(engine["period"] >= "2026-03") & (engine["period"] <= "2026-05")]
        for col in ("gross", "haircuts", "net", "payout"):
            assert result.total(pid, col) == int(engine[col].sum()), (pid, col)
        per_month = result.per_month[result.per_month["plan_id"] == pid]
        assert list(per_month["period"]) == ["2026-03", "2026-04", "2026-05"]
        assert list(per_month["payout"]) == list(engine["payout"])


def test_a_range_starts_with_the_carry_of_the_months_before_it():
    # April nets −45.00, so May starts with −45.00 carried in from before the range
    result = compare(worked_example(), PLANS, ["stepped"], "2026-05", "2026-06")
    s = result.summary.iloc[0]
    assert s["carry_in"] == cents("-45.00")
    assert s["carry_out"] == cents("-125.00")
    assert s["payout"] == 0
    assert s["cash_collected"] == 0
    assert s["cost_pct"] is None  # no cash in the range: no share of it


def test_payout_reconciles_with_net_carry_and_cap_and_the_waterfall_ends_on_it():
    result = compare(worked_example(), PLANS, ["capped", "stepped"], "2026-01", "2026-06")
    capped = result.summary.set_index("plan_id").loc["capped"]
    # invoiced at 5%: 500.00 in January, capped at 300.00; 200.00 forfeited
    assert capped["gross"] == cents("500.00")
    assert capped["forfeited"] == cents("200.00")
    assert capped["payout"] == cents("300.00")
    assert capped["carry_out"] == cents("-200.00")  # June's write-off claws back 5% of 4,000
    for s in result.summary.to_dict("records"):
        assert s["payout"] == s["net"] + s["carry_in"] - s["carry_out"] - s["forfeited"]
        steps = result.waterfall[result.waterfall["plan_id"] == s["plan_id"]]
        assert list(steps["step"]) == list(WATERFALL_STEPS)
        assert steps["end"].iloc[-2] == s["payout"] == steps["amount"].iloc[-1]
        assert (steps["end"] - steps["start"]).iloc[1:-1].tolist() == \
            steps["amount"].iloc[1:-1].tolist()


def test_winners_and_losers_are_against_the_first_plan():
    inputs = make_inputs(
        reps=[("R1", "stepped"), ("R2", "stepped")],
        invoices=[("I1", "C1", "R1", "2026-01-01", "2026-01-31", "1000.00"),
                  ("I2", "C1", "R2", "2026-01-01", "2026-01-31", "2000.00")],
        payments=[("P1", "I1", "2026-01-20", "1000.00"),
                  ("P2", "I2", "2026-05-20", "2000.00")],  # 109 days late: 25% haircut
    )
    result = compare(inputs, PLANS, ["stepped", "flat6"], "2026-01", "2026-05")
    w = result.winners_losers.set_index("rep_id")
    assert w.at["R1", "baseline_payout"] == cents("50.00")
    assert w.at["R1", "payout"] == cents("60.00")
    assert w.at["R1", "change_pct"] == Decimal("20.0")
    assert w.at["R2", "baseline_payout"] == cents("75.00")  # 100.00 − 25.00
    assert w.at["R2", "change"] == cents("45.00")  # 120.00 without a haircut
    assert result.total("flat6", "change") == cents("180.00") - cents("125.00")
    assert list(w.index) == ["R2", "R1"]  # the biggest winner first
    per_rep = result.per_rep.set_index(["plan_id", "rep_id"])["payout"]
    assert per_rep[("flat6", "R2")] == cents("120.00")


def test_customers_paying_30_days_later_cost_the_stepped_plan_more_haircut():
    inputs = worked_example()
    on_time = compare(inputs, PLANS, ["stepped"], "2026-01", "2026-06")
    later = compare(inputs, PLANS, ["stepped"], "2026-01", "2026-06", shift_days=30)
    # February's payment becomes 40 days late (10%), March's 78 (25%)
    assert later.total("stepped", "haircuts") == cents("20.00") + cents("37.50")
    assert later.total("stepped", "haircuts") > on_time.total("stepped", "haircuts")
    assert later.cash_collected == on_time.cash_collected
    assert later.shift_days == 30


def test_shifting_payments_keeps_them_after_their_invoice_and_in_order():
    inputs = worked_example()
    assert shift_payments(inputs, 0) is inputs
    sooner = shift_payments(inputs, -60).payments
    dates = [str(d.date()) for d in sooner["payment_date"]]
    assert dates == ["2026-01-01", "2026-01-19", "2026-02-14"]  # the first stops at the invoice
    assert list(sooner["amount"]) == list(inputs.payments["amount"])
    assert str(inputs.payments["payment_date"].iloc[0].date()) == "2026-02-10"  # unchanged
    later = shift_payments(inputs, 10).payments
    assert [str(d.date()) for d in later["payment_date"]] == [
        "2026-02-20", "2026-03-30", "2026-04-25"]


def test_cash_collected_counts_reversals_in_their_own_month():
    inputs = worked_example()
    assert cash_collected(inputs, "2026-03", "2026-03") == cents("3000.00")
    assert cash_collected(inputs, "2026-04", "2026-04") == cents("-1000.00")
    assert data_periods(inputs) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
                                    "2026-06"]


def test_distribution_quantiles_are_actual_payouts():
    per_rep = pd.DataFrame({"plan_id": ["a"] * 4, "payout": [400, 100, 300, 200]})
    d = _distribution(per_rep, ["a"]).iloc[0]
    assert (d["min"], d["p25"], d["median"], d["p75"], d["max"]) == (100, 100, 200, 300, 400)


def test_compare_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="unknown plan"):
        compare(worked_example(), PLANS, ["stepped", "nope"], "2026-01", "2026-06")
    with pytest.raises(ValueError, match="after the last"):
        compare(worked_example(), PLANS, ["stepped"], "2026-06", "2026-01")
    with pytest.raises(ValueError, match="not a month"):
        compare(worked_example(), PLANS, ["stepped"], "2026-1", "2026-06")


# --------------------------------------------------------------------------- variants


def test_numbers_from_controls_become_exact_decimals():
    assert decimal_of(0.1 + 0.2, 4) == Decimal("0.3")
    assert str(decimal_of(50.0, 2)) == "50"
    assert share_of_percent(12.5) == Decimal("0.125")
    assert str(share_of_percent(5.0)) == "0.05"
    assert share_of_percent(33.3333) == Decimal("0.333333")


def test_a_variant_changes_only_what_it_says_and_keeps_exact_decimals():
    steps = [{"after_days": 30, "haircut": share_of_percent(10)},
             {"after_days": 60, "haircut": share_of_percent(40)}]
    late = STEPPED.late_payment.model_dump() | {"steps": steps, "grace_days": 7}
    plan, problems = derive_plan(STEPPED, "stepped-variant-1", {"late_payment": late})
    assert problems == []
    assert plan.id == "stepped-variant-1"
    assert plan.late_payment.steps[1].haircut == Decimal("0.4")
    assert plan.late_payment.grace_days == 7
    assert plan.rate == STEPPED.rate and plan.bad_debt == STEPPED.bad_debt
    assert "haircut: 0.4\n" in plan.to_yaml()


def test_switching_a_variant_to_tiers_drops_the_flat_rate():
    tiers = {"mode": "marginal", "brackets": [{"from": Decimal(0), "rate": Decimal("0.04")},
                                              {"from": Decimal(50000), "rate": Decimal("0.06")}]}
    plan, problems = derive_plan(STEPPED, "tiered", {"rate": None, "tiers": tiers})
    assert problems == [] and plan.rate is None and plan.tiers.mode == "marginal"


def test_an_invalid_variant_is_problems_naming_the_key_never_an_exception():
    steps = [{"after_days": 30, "haircut": Decimal("0.5")},
             {"after_days": 60, "haircut": Decimal("0.25")}]
    plan, problems = derive_plan(STEPPED, "bad", {"late_payment": {"steps": steps}})
    assert plan is None
    assert [p.column for p in problems] == ["late_payment"]
    assert "never decreases" in problems[0].expected
    plan, problems = derive_plan(STEPPED, "bad id!", {})
    assert plan is None and problems[0].column == "id"


def test_next_variant_id_skips_ids_already_taken():
    assert next_variant_id("a", []) == "a-variant-1"
    assert next_variant_id("a", ["a-variant-1", "a-variant-2"]) == "a-variant-3"


def test_a_saved_variant_loads_back_and_is_never_overwritten_silently(tmp_path):
    plan, _ = derive_plan(STEPPED, "stepped-variant-1", {"rate": Decimal("0.055")})
    path = save_plan(plan, tmp_path, note="Derived from stepped.")
    assert path == tmp_path / "stepped-variant-1.yaml"
    assert path.read_text().startswith("# ")
    plans, _texts, problems = load_plans(tmp_path)
    assert problems == [] and plans["stepped-variant-1"] == plan

    other, _ = derive_plan(STEPPED, "stepped-variant-1", {"rate": Decimal("0.07")})
    with pytest.raises(FileExistsError):
        save_plan(other, tmp_path)
    assert load_plans(tmp_path)[0]["stepped-variant-1"].rate == Decimal("0.055")
    with pytest.raises(FileExistsError, match="a change is a new plan id"):
        save_plan(other, tmp_path, overwrite=True)  # never, even when asked (issue 9)
    assert load_plans(tmp_path)[0]["stepped-variant-1"].rate == Decimal("0.055")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stepped-variant-1.yaml"]


def test_the_plan_file_says_where_it_came_from():
    text = plan_file_text(STEPPED, "Derived from x.\nOn the compare page.")
    assert text.splitlines()[:3] == ["# stepped", "# Derived from x.", "# On the compare page."]

"""Open invoices as of a date: commission still to come, and what the next haircut step cuts.

Every expected figure is worked out by hand in the comment next to it, from the
contract (shared/docs/calculation.md): days late = (payment − clock) − paused −
grace; steps cut when days late is *greater than* after_days; linear cuts
per_day × (days late − start_after_days).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import inputs_and_plans, make_inputs, plan_from_yaml

from commission.engine import calculate
from commission.reports.outlook import (
    OPEN_INVOICE_COLUMNS,
    RATE_FIRST_BRACKET,
    RATE_LATEST_LINE,
    RATE_PLAN,
    known_disputes,
    open_balances,
    open_invoices,
)

STEPS = plan_from_yaml("""
id: steps
basis: collected
rate: 0.05
late_payment:
  grace_days: 5
  pause_during_disputes: true
  steps:
    - {after_days: 30, haircut: 0.10}
    - {after_days: 60, haircut: 0.25}
""")

LINEAR = plan_from_yaml("""
id: linear
basis: collected
rate: 0.04
late_payment:
  clock: invoice_date
  linear: {start_after_days: 40, per_day: 0.01, max: 0.5}
""")

INVOICED = plan_from_yaml("""
id: invoiced
basis: invoiced
rate: 0.1
late_payment:
  steps:
    - {after_days: 30, haircut: 0.5}
""")

ADVANCE = plan_from_yaml("""
id: advance
basis: advance
advance_share: 0.25
rate: 0.08
""")

TIERED = plan_from_yaml("""
id: tiered
basis: collected
tiers:
  mode: retroactive
  brackets:
    - {from: 0, rate: 0.04}
    - {from: 1000, rate: 0.06}
""")

PLANS = {p.id: p for p in (STEPS, LINEAR, INVOICED, ADVANCE, TIERED)}
AS_OF = dt.date(2026, 3, 31)


def ledger():
    return make_inputs(
        reps=[("R1", "steps"), ("R2", "linear"), ("R4", "invoiced"), ("R5", "advance"),
              ("R3", "tiered")],
        invoices=[
            # R1, steps plan, grace 5 days
            ("I1", "C1", "R1", "2026-01-01", "2026-01-31", "10000.00"),
            ("I2", "C1", "R1", "2026-02-01", "2026-03-01", "1000.00"),
            ("I3", "C2", "R1", "2026-03-20", "2026-04-19", "2000.00"),
            # R2, linear plan counted from the invoice date
            ("I4", "C2", "R2", "2026-02-01", "2026-03-03", "5000.00"),
            ("I5", "C3", "R2", "2026-03-11", "2026-04-10", "3000.00"),
            # split between R1 (steps) and R2 (linear)
            ("I6", "C3", "R1", "2026-03-01", "2026-03-31", "1000.00"),
            # settled, and issued after the as-of date: never open
            ("I7", "C1", "R1", "2026-01-05", "2026-02-04", "800.00"),
            ("I8", "C1", "R1", "2026-04-02", "2026-05-02", "900.00"),
            # invoiced and advance plans
            ("I9", "C4", "R4", "2026-02-01", "2026-03-01", "1000.00"),
            ("I10", "C4", "R5", "2026-03-01", "2026-03-31", "1000.00"),
            # tiered plan
            ("I11", "C5", "R3", "2026-01-15", "2026-02-28", "5000.00"),
        ],
        splits=[("I6", "R1", "0.6"), ("I6", "R2", "0.4")],
        payments=[
            ("P1", "I1", "2026-02-15", "2000.00"),
            ("P2", "I4", "2026-02-20", "1000.00"),
            ("P3", "I4", "2026-03-05", "-400.00", "P2"),
            ("P4", "I7", "2026-02-01", "800.00"),
            ("P5", "I1", "2026-04-05", "1000.00"),  # after the as-of date: not known yet
            ("P6", "I11", "2026-02-10", "2000.00"),
        ],
        adjustments=[("A1", "I1", "2026-02-20", "credit_note", "500.00")],
        disputes=[
            ("D1", "I1", "2026-02-10", "2026-02-20"),  # pauses Feb 10..19: 10 days
            ("D2", "I2", "2026-03-11", None),  # still open
        ],
    )


def rows_by_key(frame: pd.DataFrame) -> dict[tuple[str, str], dict]:
    return {(r["invoice_id"], r["rep_id"]): r for r in frame.to_dict("records")}


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_open_balance_nets_payments_reversals_and_adjustments_known_on_the_day():
    bal = open_balances(ledger(), AS_OF).set_index("invoice_id")["open_amount"]
    assert bal["I1"] == 750000  # 10,000 − 2,000 − 500 credit; the April payment is not known
    assert bal["I4"] == 440000  # 5,000 − 1,000 + 400 reversed
    assert bal["I7"] == 0  # settled
    assert "I8" not in bal.index  # issued after the as-of date


def test_grace_days_and_a_resolved_dispute_pause_the_lateness_clock():
    r = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))[("I1", "R1")]
    assert r["open_amount"] == 750000
    assert r["days_past_due"] == 59  # Mar 31 − Jan 31
    assert r["days_late_if_paid_today"] == 44  # 59 − 10 paused − 5 grace
    assert r["haircut_pct_now"] == "0.1"  # 44 > 30
    assert r["commission_to_come"] == 37500  # 7,500.00 × 5%
    assert r["haircut_now"] == 3750  # 375.00 × 10%
    assert r["net_to_come"] == 37500 - 3750  # still to come net of the haircut incurred
    # the haircut grows when days late passes 60: 17 more days, on Apr 17 (75 − 10 − 5 = 60
    # on Apr 16 still keeps 10%); so collect by Apr 16 to keep 375.00 × (25% − 10%)
    assert r["act_by"] == day("2026-04-16")
    assert r["next_haircut_pct"] == "0.25"
    assert r["at_stake"] == 9375 - 3750
    assert not r["clock_paused"]


def test_an_open_dispute_stops_the_clock_so_there_is_no_act_by_date():
    r = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))[("I2", "R1")]
    assert r["days_past_due"] == 30
    assert r["days_late_if_paid_today"] == 5  # 30 − 20 paused (Mar 11..30) − 5 grace
    assert r["haircut_num_now"] == 0
    assert r["clock_paused"]
    assert pd.isna(r["act_by"])
    assert r["at_stake"] == 500  # what the 10% step would cut once the clock runs: 1,000 × 5% × 10%


def test_a_dispute_resolved_after_the_as_of_date_was_still_open_on_it():
    inputs = ledger()
    disputes = inputs.disputes.copy()
    disputes.loc[disputes["dispute_id"] == "D2", "resolved_date"] = np.datetime64("2026-04-10")
    inputs = inputs.replace(disputes=disputes)
    before = rows_by_key(open_invoices(inputs, PLANS, None, AS_OF))[("I2", "R1")]
    assert before["clock_paused"] and pd.isna(before["act_by"])
    after = rows_by_key(open_invoices(inputs, PLANS, None, "2026-04-15"))[("I2", "R1")]
    assert not after["clock_paused"]
    assert after["days_late_if_paid_today"] == 10  # 45 past due − 30 paused − 5 grace
    # 21 more days to pass 30 days late: May 6; collect by May 5
    assert after["act_by"] == day("2026-05-05")


def test_before_the_due_date_the_act_by_date_counts_the_days_left_and_the_grace():
    r = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))[("I3", "R1")]
    assert r["days_past_due"] == -19  # due Apr 19
    assert r["days_late_if_paid_today"] == 0
    # lateness starts after Apr 19 + 5 grace days; more than 30 days late from May 25
    assert r["act_by"] == day("2026-05-24")
    assert r["at_stake"] == 1000  # 2,000 × 5% × 10%


def test_linear_haircut_grows_every_day_after_its_start():
    rows = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))
    r = rows[("I4", "R2")]
    assert r["open_amount"] == 440000
    assert r["days_late_if_paid_today"] == 58  # Mar 31 − Feb 1, clock is the invoice date
    assert r["haircut_pct_now"] == "0.18"  # 1% × (58 − 40)
    assert r["commission_to_come"] == 17600  # 4,400.00 × 4%
    assert r["haircut_now"] == 3168  # 176.00 × 18%
    assert r["next_haircut_pct"] == "0.19"
    assert r["at_stake"] == 3344 - 3168  # 176.00 × 19% − 31.68
    assert r["act_by"] == day("2026-03-31")  # tomorrow costs one more per cent: pay today
    r = rows[("I5", "R2")]
    assert r["days_late_if_paid_today"] == 20
    assert r["days_past_due"] == -10
    assert r["act_by"] == day("2026-04-20")  # 40 days after Mar 11; Apr 21 is 41: 1%
    assert r["at_stake"] == 120  # 3,000 × 4% × 1%


def test_a_split_invoice_gives_each_rep_a_row_at_their_share_and_plan():
    rows = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))
    r1, r2 = rows[("I6", "R1")], rows[("I6", "R2")]
    assert (r1["share"], r2["share"]) == (600_000_000, 400_000_000)
    assert r1["open_amount"] == r2["open_amount"] == 100000  # the whole balance
    assert r1["commission_to_come"] == 3000  # 1,000 × 60% × 5%
    assert r2["commission_to_come"] == 1600  # 1,000 × 40% × 4%
    assert r1["act_by"] == day("2026-05-05")  # due Mar 31, + 5 grace, + 31 days late = May 6
    assert r2["act_by"] == day("2026-04-10")  # 30 days after Mar 1; 40 on Apr 10, 41 on Apr 11
    assert r2["at_stake"] == 16  # 1,000 × 40% × 4% × 1%


def test_settled_and_future_invoices_are_not_open():
    ids = set(open_invoices(ledger(), PLANS, None, AS_OF)["invoice_id"])
    assert "I7" not in ids and "I8" not in ids


def test_an_invoiced_plan_has_nothing_to_come_but_late_cash_still_costs_its_haircut():
    r = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))[("I9", "R4")]
    assert r["commission_to_come"] == 0  # p = 1: paid at invoicing
    assert r["days_late_if_paid_today"] == 30  # not more than 30: no haircut yet
    assert r["at_stake"] == 5000  # 1,000 × 10% × 50%, on the whole commission
    assert r["act_by"] == day("2026-03-31")


def test_an_advance_plan_without_late_payment_has_the_rest_to_come_and_nothing_at_stake():
    r = rows_by_key(open_invoices(ledger(), PLANS, None, AS_OF))[("I10", "R5")]
    assert r["commission_to_come"] == 6000  # 1,000 × 8% × (1 − 25%)
    assert r["at_stake"] == 0
    assert pd.isna(r["act_by"])
    assert pd.isna(r["days_late_if_paid_today"])
    assert r["haircut_pct_now"] == ""


def test_a_tiered_plan_takes_the_rate_of_the_reps_latest_line_else_the_first_bracket():
    inputs = ledger()
    r = rows_by_key(open_invoices(inputs, PLANS, None, AS_OF))[("I11", "R3")]
    assert r["rate_source"] == RATE_FIRST_BRACKET
    assert r["commission_to_come"] == 12000  # 3,000 × 4%
    lines = calculate(inputs, PLANS).lines
    r = rows_by_key(open_invoices(inputs, PLANS, None, AS_OF, lines=lines))[("I11", "R3")]
    assert r["rate_source"] == RATE_LATEST_LINE  # February's volume 2,000 ≥ 1,000: 6%
    assert r["rate"] == "0.06"
    assert r["commission_to_come"] == 18000  # 3,000 × 6%
    flat = rows_by_key(open_invoices(inputs, PLANS, None, AS_OF, lines=lines))[("I1", "R1")]
    assert flat["rate_source"] == RATE_PLAN


def test_rep_filter_and_plan_mapping():
    frame = open_invoices(ledger(), PLANS, {"R2": "linear"}, AS_OF, rep_id="R2")
    assert set(frame["rep_id"]) == {"R2"}
    assert list(frame["invoice_id"]) == ["I4", "I6", "I5"]  # by customer, then due date
    assert list(frame.columns) == OPEN_INVOICE_COLUMNS
    with pytest.raises(KeyError):
        open_invoices(ledger(), PLANS, {"R2": "linear"}, AS_OF, rep_id="R1")


def test_no_open_invoice_gives_an_empty_frame_with_the_columns():
    frame = open_invoices(ledger(), PLANS, None, AS_OF, rep_id="nobody")
    assert frame.empty
    assert list(frame.columns) == OPEN_INVOICE_COLUMNS


# --------------------------------------------------------------------------- against the engine


def _as_known_on(inputs, as_of: dt.date):
    """The ledger as it stood on ``as_of``: later events unknown, later resolutions open."""
    day = pd.Timestamp(as_of)
    pay, adj = inputs.payments, inputs.adjustments
    return inputs.replace(payments=pay[pay["payment_date"] <= day],
                          adjustments=adj[adj["adjustment_date"] <= day],
                          disputes=known_disputes(inputs.disputes, as_of))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs_and_plans(), offset=st.integers(0, 240))
def test_paying_the_open_balance_makes_the_lines_the_outlook_predicted(data, offset):
    """Pay each open balance today, on act_by and the day after: the engine agrees.

    Today's collection line has days_late_if_paid_today, the haircut of today and (flat
    rates) commission_to_come as gross; a payment on act_by keeps today's haircut and
    one a day later takes next_haircut; the difference is at_stake. The engine sees
    the ledger as it stood on the as-of day (what open_invoices assumes).
    """
    inputs, plans, _ = data
    as_of = (inputs.invoices["invoice_date"].min() + pd.Timedelta(days=offset)).date()
    inputs = _as_known_on(inputs, as_of)
    frame = open_invoices(inputs, plans, None, as_of)
    if frame.empty:
        return
    ids, inv, dates, amounts = [], [], [], []
    for k, r in enumerate(frame.itertuples(index=False)):
        for tag, when in (("T", pd.Timestamp(as_of)), ("A", r.act_by),
                          ("B", r.act_by + pd.Timedelta(days=1))):
            if not pd.isna(when):
                ids.append(f"{tag}{k}")
                inv.append(r.invoice_id)
                dates.append(when)
                amounts.append(r.open_amount)
    extra = pd.DataFrame({
        "payment_id": pd.Series(ids, dtype=object), "invoice_id": pd.Series(inv, dtype=object),
        "payment_date": pd.Series(dates).astype("datetime64[s]"),
        "amount": pd.Series(amounts, dtype="int64"),
        "reverses_payment_id": pd.Series([None] * len(ids), dtype=object)})
    paid = inputs.replace(payments=pd.concat([inputs.payments, extra], ignore_index=True))
    lines = calculate(paid, plans).lines
    got = {(ln["event_id"], ln["rep_id"]): ln for ln in
           lines[lines["line_kind"] == "collection"].to_dict("records")}
    for k, r in enumerate(frame.itertuples(index=False)):
        plan = plans[r.plan_id]
        today = got.get((f"T{k}", r.rep_id))
        if plan.late_payment is None and plan.prepaid_share == 1:
            assert today is None  # no collection line: nothing to come, nothing at stake
            assert r.commission_to_come == 0 and r.at_stake == 0
            continue
        assert today is not None
        if plan.late_payment is not None:
            assert today["days_late"] == r.days_late_if_paid_today
            assert today["haircut_num"] == r.haircut_num_now
        if plan.rate is not None:
            assert (today["gross"], today["haircut"]) == (r.commission_to_come, r.haircut_now)
            assert today["amount"] == r.net_to_come  # still to come, net of today's haircut
        if pd.isna(r.act_by):
            assert r.at_stake == 0 or r.clock_paused
            continue
        keep, lose = got[(f"A{k}", r.rep_id)], got[(f"B{k}", r.rep_id)]
        assert keep["haircut_num"] == r.haircut_num_now
        assert lose["haircut_num"] == r.next_haircut_num > r.haircut_num_now
        if plan.rate is not None:
            assert lose["haircut"] - keep["haircut"] == r.at_stake

"""Part 2's five worked examples (shared/docs/calculation.md), engine AND oracle.

Each test states the contract's figures and holds both the columnar engine and
the row-by-row reference (tests/reference.py) to them.
"""

from __future__ import annotations

from decimal import Decimal

from reference import reference_calculate
from strategies import WORKED_EXAMPLE_PLAN, make_inputs, plan_from_yaml

from commission.engine import calculate

COLLECTED_5 = "id: {id}\nbasis: collected\nrate: 0.05\n"


def _both(inputs, plans):
    """(engine lines, engine payouts) and (oracle lines, oracle payouts), keyed for lookup."""
    result = calculate(inputs, plans)
    lines = [dict(r._asdict()) for r in result.lines.itertuples(index=False)]
    payouts = {(r.period, r.rep_id): dict(r._asdict())
               for r in result.payouts.itertuples(index=False)}
    ref_lines, ref_payouts = reference_calculate(inputs, plans)
    ref_p = {(p["period"], p["rep_id"]): p for p in ref_payouts}
    return lines, payouts, ref_lines, ref_p


def _pick(lines, **where):
    return [ln for ln in lines if all(ln[k] == v for k, v in where.items())]


def _amounts(lines, **where):
    return [(ln["line_kind"], int(ln["amount"])) for ln in _pick(lines, **where)]


def test_example_1_recovery_of_a_written_off_debt():
    plans = {"example": plan_from_yaml(WORKED_EXAMPLE_PLAN)}
    inputs = make_inputs(
        reps=[("R1", "example")],
        invoices=[("I1", "C1", "R1", "2026-01-01", "2026-01-31", "10000.00")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"), ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2"),
                  ("P4", "I1", "2026-09-20", "1000.00")],
        adjustments=[("W1", "I1", "2026-06-30", "write_off", "4000.00"),
                     ("W2", "I1", "2026-09-10", "write_off_reversal", "1000.00", "W1")])
    lines, payouts, ref_lines, ref_p = _both(inputs, plans)
    for got in (lines, ref_lines):
        sept = sorted(_amounts(got, period="2026-09"))
        assert sept == [("collection", 3750), ("penalty_reversal", 2000)]
        collection = _pick(got, period="2026-09", line_kind="collection")[0]
        assert (int(collection["gross"]), int(collection["haircut"]),
                int(collection["days_late"])) == (5000, 1250, 232)
        assert not _pick(got, line_kind="clawback_reversal")  # the write-off made no clawback
    for got in (payouts, ref_p):
        row = got[("2026-09", "R1")]
        assert [int(row[k]) for k in ("net", "carry_in", "payout", "carry_out")] == [
            5750, -12500, 0, -6750]
    words = _pick(lines, line_kind="penalty_reversal")[0]["explanation"]
    assert words == "reinstated 1,000.00 of write-off W1 on 2026-09-10: penalty 2% returned"


QUOTA_PLAN = """
id: quota
basis: collected
quota: {period: quarter}
tiers:
  mode: marginal
  measure: attainment
  brackets:
    - {from: 0, rate: 0.04}
    - {from: 1.0, rate: 0.08}
"""


def test_example_2_quota_accelerator_over_a_quarter():
    plans = {"quota": plan_from_yaml(QUOTA_PLAN)}
    inputs = make_inputs(
        reps=[("R2", "quota")],
        invoices=[("I1", "C1", "R2", "2026-01-02", "2026-02-01", "200000.00")],
        payments=[("P1", "I1", "2026-01-15", "60000.00"), ("P2", "I1", "2026-02-15", "60000.00"),
                  ("P3", "I1", "2026-03-15", "10000.00"), ("P4", "I1", "2026-04-15", "10000.00")],
        quotas=[("R2", "2026-Q1", "100000.00"), ("R2", "2026-Q2", "100000.00")])
    lines, payouts, ref_lines, ref_p = _both(inputs, plans)
    for got in (lines, ref_lines):
        assert [int(ln["amount"]) for ln in _pick(got, line_kind="collection")] == [
            240000, 320000, 80000, 40000]
    feb = _pick(lines, period="2026-02", line_kind="collection")[0]
    assert (int(feb["rate_num"]), int(feb["rate_den"])) == (4, 75)  # 3,200 ÷ 60,000
    assert feb["rate"] == "0.0533333333"
    assert _pick(ref_lines, period="2026-02")[0]["rate"] * 60000 == 3200
    for got in (payouts, ref_p):
        assert [str(got[(m, "R2")]["attainment"]) for m in
                ("2026-01", "2026-02", "2026-03", "2026-04")] == [
            "0.6000", "1.2000", "1.3000", "0.1000"]
    assert ("8% on the part of 20,000.00 above your 2026-Q1 quota of 100,000.00"
            in feb["explanation"])


def test_example_3_recoverable_draw():
    plans = {"draw": plan_from_yaml(
        "id: draw\nbasis: collected\nrate: 0.05\n"
        "payout: {draw: {amount: 2000.00, recoverable: true}}\n")}
    inputs = make_inputs(
        reps=[("R1", "draw")],
        invoices=[("I1", "C1", "R1", "2026-01-02", "2026-02-01", "90000.00")],
        payments=[("P1", "I1", "2026-01-15", "10000.00"), ("P2", "I1", "2026-02-15", "80000.00")])
    _lines, payouts, _ref_lines, ref_p = _both(inputs, plans)
    for got in (payouts, ref_p):
        jan, feb = got[("2026-01", "R1")], got[("2026-02", "R1")]
        assert [int(jan[k]) for k in ("net", "payout", "carry_out")] == [50000, 200000, -150000]
        assert [int(feb[k]) for k in ("net", "carry_in", "payout", "carry_out")] == [
            400000, -150000, 250000, 0]
    assert payouts[("2026-01", "R1")]["note"] == (
        "draw top-up 1,500.00, recoverable from future commission")
    assert payouts[("2026-02", "R1")]["draw"] == 0


def test_example_4_manager_override_on_a_direct_report():
    plans = {"mgr": plan_from_yaml("id: mgr\nbasis: collected\nrate: 0.05\n"
                                   "override: {rate: 0.01}\n"),
             "rep": plan_from_yaml(COLLECTED_5.format(id="rep"))}
    inputs = make_inputs(
        reps=[("M", "Mia", "m@example.com", None, "mgr"),
              ("R1", "Rob", "r1@example.com", "M", "rep"),
              ("R2", "Rae", "r2@example.com", "R1", "rep")],  # M's report's report: no line
        invoices=[("I1", "C1", "R1", "2026-02-01", "2026-03-01", "5000.00"),
                  ("I2", "C1", "R2", "2026-02-01", "2026-03-01", "5000.00")],
        payments=[("P1", "I1", "2026-02-20", "4000.00"), ("P2", "I2", "2026-02-20", "3000.00")])
    lines, payouts, ref_lines, _ref_p = _both(inputs, plans)
    for got in (lines, ref_lines):
        over = _pick(got, line_kind="override")
        assert [(ln["rep_id"], ln["event_id"], ln["invoice_id"] or "", int(ln["amount"]))
                for ln in over] == [("M", "R1", "", 4000)]
    line = _pick(lines, line_kind="override")[0]
    assert line["explanation"] == "1% override on R1's collections of 4,000.00"
    assert line["base_amount"] == 400000 and line["plan_id"] == "mgr"
    assert int(payouts[("2026-02", "M")]["gross"]) == 4000


def test_example_5_plan_change_is_prospective():
    plans = {"inv": plan_from_yaml("id: inv\nbasis: invoiced\nrate: 0.04\n"),
             "col": plan_from_yaml(COLLECTED_5.format(id="col"))}
    inputs = make_inputs(
        reps=[("R1", "inv")],
        invoices=[("I1", "C1", "R1", "2026-06-10", "2026-07-10", "10000.00"),
                  ("I2", "C1", "R1", "2026-07-10", "2026-08-10", "10000.00")],
        payments=[("P1", "I1", "2026-08-05", "10000.00"), ("P2", "I2", "2026-08-06", "10000.00")],
        plan_assignments=[("R1", "col", "2026-07-01")])
    lines, payouts, ref_lines, ref_p = _both(inputs, plans)
    for got in (lines, ref_lines):
        assert [(ln["period"], ln["plan_id"], ln["line_kind"], ln["event_id"], int(ln["amount"]))
                for ln in got] == [("2026-06", "inv", "invoice", "I1", 40000),
                                   ("2026-08", "col", "collection", "P2", 50000)]
    for got in (payouts, ref_p):
        assert got[("2026-06", "R1")]["plan_id"] == "inv"
        assert got[("2026-07", "R1")]["plan_id"] == "col"


def test_plan_override_ignores_assignments():
    plans = {"inv": plan_from_yaml("id: inv\nbasis: invoiced\nrate: 0.04\n"),
             "col": plan_from_yaml(COLLECTED_5.format(id="col"))}
    inputs = make_inputs(
        reps=[("R1", "inv")],
        invoices=[("I2", "C1", "R1", "2026-07-10", "2026-08-10", "10000.00")],
        plan_assignments=[("R1", "col", "2026-07-01")])
    result = calculate(inputs, plans, plan_override="inv")
    assert list(result.lines["plan_id"]) == ["inv"]
    ref_lines, _ = reference_calculate(inputs, plans, plan_override="inv")
    assert [ln["plan_id"] for ln in ref_lines] == ["inv"]
    assert Decimal(int(result.lines["amount"][0])) == 40000


def test_batch_mode_takes_v0_from_earlier_batches_lines():
    """``compute`` month by month, handed earlier batches' lines, pays what ``calculate`` pays."""
    import numpy as np
    import pandas as pd

    from commission.engine import NOT_PAID, EventPeriods, PriorLines, compute, parse_period
    from commission.periods import month_index

    plans = {"quota": plan_from_yaml(QUOTA_PLAN)}
    inputs = make_inputs(
        reps=[("R2", "quota")],
        invoices=[("I1", "C1", "R2", "2026-01-02", "2026-02-01", "200000.00")],
        payments=[("P1", "I1", "2026-01-15", "60000.00"), ("P2", "I1", "2026-02-15", "60000.00"),
                  ("P3", "I1", "2026-03-15", "10000.00")],
        adjustments=[("W1", "I1", "2026-03-20", "write_off", "1000.00"),
                     ("X1", "I1", "2026-03-25", "write_off_reversal", "500.00", "W1")],
        quotas=[("R2", "2026-Q1", "100000.00")])
    whole = calculate(inputs, plans)
    prior = PriorLines.empty().frame
    got = []
    carry = np.zeros(1, dtype=np.int64)
    for label in ("2026-01", "2026-02", "2026-03"):
        month = parse_period(label)

        def paid(dates, month=month):
            return np.where(month_index(dates.to_numpy()) == month, month, NOT_PAID)

        periods = EventPeriods(paid(inputs.invoices["invoice_date"]),
                               paid(inputs.payments["payment_date"]),
                               paid(inputs.adjustments["adjustment_date"]))
        res = compute(inputs, plans, inputs.reps["plan_id"].to_numpy(dtype=object), periods,
                      np.array([month]), carry, PriorLines(prior))
        carry = res.payouts["carry_out"].to_numpy(dtype=np.int64)
        got.append(res.lines)
        prior = pd.concat([prior, res.lines], ignore_index=True)
    lines = pd.concat(got, ignore_index=True)
    assert list(lines["amount"]) == list(whole.lines["amount"])
    assert list(lines["line_kind"]) == list(whole.lines["line_kind"])
    assert "clawback_reversal" not in set(lines["line_kind"])  # collected: no clawback made

"""A rep's statement: lines with their explanations, totals, carry, and what is still to come."""

from __future__ import annotations

import html
import re
import zlib

import pandas as pd
import pytest
from strategies import CAPPED_PLAN, make_inputs, plan_from_yaml

from commission.engine import calculate
from commission.reports.statement import (
    render_statement_html,
    render_statement_pdf,
    shared_frames,
    statement_data,
)

STEPPED = plan_from_yaml("""
id: collected-stepped
name: Collected basis, stepped haircut
basis: collected
rate: 0.05
late_payment:
  grace_days: 5
  steps:
    - {after_days: 30, haircut: 0.10}
    - {after_days: 60, haircut: 0.25}
bad_debt:
  window_days: 365
  penalty_rate: 0.02
""")
CAPPED = plan_from_yaml(CAPPED_PLAN)
TIERED = plan_from_yaml("""
id: tiered
basis: collected
tiers:
  mode: retroactive
  brackets:
    - {from: 0, rate: 0.04}
    - {from: 1000, rate: 0.06}
""")
PLANS = {p.id: p for p in (STEPPED, CAPPED, TIERED)}


def ledger():
    return make_inputs(
        reps=[("R1", "Alice Martin", "alice@example.com", "M1", "collected-stepped"),
              ("R2", "Bob Chen", "bob@example.com", "M1", "capped"),
              ("R3", "Cleo Park", "cleo@example.com", "M1", "tiered"),
              ("M1", "Maria Lopez", "maria@example.com", None, "collected-stepped")],
        customers=[("C1", "Acme <Industrial> & Sons", "enterprise"),
                   ("C2", "Borealis Logistics", "mid-market"),
                   ("C3", "Cobalt Café", "smb")],
        invoices=[("I1", "C1", "R1", "2026-01-15", "2026-01-31", "10000.00"),
                  ("I2", "C1", "R1", "2026-02-01", "2026-03-03", "2500.00"),
                  ("I3", "C2", "R1", "2026-02-10", "2026-03-12", "7300.50"),
                  ("I4", "C3", "R1", "2026-03-05", "2026-04-04", "1200.00"),
                  ("I5", "C2", "R2", "2026-03-20", "2026-04-19", "4000.00"),
                  ("I6", "C3", "R3", "2026-03-01", "2026-03-20", "5000.00")],
        splits=[("I5", "R1", "0.4"), ("I5", "R2", "0.6")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"),
                  ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I2", "2026-03-25", "2500.00"),
                  ("P4", "I3", "2026-03-14", "3000.00"),
                  ("P5", "I3", "2026-03-28", "-3000.00", "P4"),
                  ("P6", "I5", "2026-03-30", "1000.00"),
                  ("P7", "I6", "2026-03-10", "2000.00")],
        adjustments=[("A1", "I1", "2026-03-31", "write_off", "500.00"),
                     ("A2", "I4", "2026-03-15", "discount", "24.00")],
        disputes=[("D1", "I3", "2026-03-20", None)],
    )


@pytest.fixture(scope="module")
def result():
    return calculate(ledger(), PLANS)


@pytest.fixture(scope="module")
def march(result):
    return statement_data("R1", "2026-03", result.lines, result.payouts, ledger(), PLANS,
                          "2026-03-31", batch_id=42)


def pdf_page_count(pdf: bytes) -> int:
    """Page objects in a PDF, looking inside compressed streams too."""
    chunks = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![s\w])", c)) for c in chunks)


def test_header_names_the_rep_plan_period_and_batch(march):
    assert march["rep"] == {"rep_id": "R1", "name": "Alice Martin", "email": "alice@example.com",
                            "manager": "Maria Lopez (M1)"}
    assert march["plan"]["id"] == "collected-stepped"
    assert march["period_label"] == "March 2026"
    assert march["batch_id"] == "42"
    assert march["period_start"] == "2026-03-01" and march["period_end"] == "2026-03-31"


def test_totals_add_up_from_the_lines(march):
    t = march["totals"]
    # gross: P2 150.00 + P3 125.00 + P4 150.00 + P6 20.00 (40% × 1,000 × 5%) = 445.00
    # haircut: P2 is 48 − 5 = 43 days late: 10% of 150.00 = 15.00
    # clawbacks: P4 reversed 150.00 + write-off penalty 2% × 500.00 = 10.00
    assert (t["gross"], t["haircuts"], t["clawbacks"], t["net"]) == (44500, 1500, 16000, 27000)
    assert (t["carry_in"], t["balance"], t["payout"], t["carry_out"]) == (0, 27000, 27000, 0)
    assert sum(c["amount"] for c in march["customers"]) == t["net"]
    assert march["line_count"] == 6


def test_lines_are_grouped_by_customer_then_invoice_with_subtotals(march):
    groups = {c["customer_id"]: c for c in march["customers"]}
    acme = groups["C1"]
    assert [i["invoice_id"] for i in acme["invoices"]] == ["I1", "I2"]
    i1 = acme["invoices"][0]
    assert [ln["kind"] for ln in i1["lines"]] == ["Payment", "Penalty"]
    assert (i1["gross"], i1["haircut"], i1["amount"]) == (14000, 1500, 12500)
    assert (acme["gross"], acme["haircut"], acme["amount"]) == (26500, 1500, 25000)
    i5 = groups["C2"]["invoices"][1]
    assert i5["invoice_id"] == "I5" and i5["share"] == "40%"
    assert i5["invoice_amount"] == 400000


def test_html_shows_every_explanation_the_totals_and_the_carry(result, march):
    page = render_statement_html(march)
    mine = result.lines[(result.lines["rep_id"] == "R1") & (result.lines["period"] == "2026-03")]
    assert len(mine) == 6
    for text in mine["explanation"]:
        assert html.escape(text) in page
    for figure in ("445.00", "-15.00", "-160.00", "270.00"):
        assert figure in page
    assert "Carry-in" in page and "Carry-out" in page
    assert "Acme &lt;Industrial&gt; &amp; Sons" in page  # customer names are escaped
    assert "<Industrial>" not in page
    assert "collect by 2026-04-06 to keep 18.75" in page
    assert "clock paused: dispute open" in page


def test_still_to_come_lists_the_open_invoices_with_what_is_at_stake(march):
    rows = {r["invoice_id"]: r for r in march["outlook"]["rows"]}
    assert set(rows) == {"I1", "I3", "I4", "I5"}
    i1 = rows["I1"]
    # open 2,500.00 (10,000 − 4,000 − 3,000 − 500 written off); 59 days past due, 54 late
    assert (i1["open_amount"], i1["commission_to_come"], i1["haircut_now"]) == (250000, 12500, 1250)
    assert i1["act_by"] == "2026-04-06"  # 61 days late on Apr 7 (66 past due − 5 grace)
    assert i1["at_stake"] == 1875  # 2,500 × 5% × (25% − 10%)
    assert rows["I5"]["commission_to_come"] == 6000  # 3,000 open × 40% × 5%
    assert rows["I4"]["status"] == "due in 4 days"
    assert march["outlook"]["commission_to_come"] == sum(
        r["commission_to_come"] for r in rows.values())


def test_a_negative_balance_is_carried_and_said_so():
    # the contract's worked example in June: −80.00 + −45.00 carried = −125.00
    inputs = make_inputs(
        reps=[("R1", "collected-stepped")],
        invoices=[("I1", "C1", "R1", "2026-01-15", "2026-01-31", "10000.00")],
        payments=[("P1", "I1", "2026-02-10", "4000.00"), ("P2", "I1", "2026-03-20", "3000.00"),
                  ("P3", "I1", "2026-04-15", "-1000.00", "P2")],
        adjustments=[("A1", "I1", "2026-06-30", "write_off", "4000.00")],
    )
    plans = {"collected-stepped": STEPPED}
    res = calculate(inputs, plans)
    data = statement_data("R1", "2026-06", res.lines, res.payouts, inputs, plans, "2026-06-30")
    t = data["totals"]
    assert (t["net"], t["carry_in"], t["payout"], t["carry_out"]) == (-8000, -4500, 0, -12500)
    assert "125.00 is carried forward" in data["carry_note"]
    assert data["outlook"]["rows"] == []
    page = render_statement_html(data)
    assert "-45.00" in page and "-125.00" in page
    assert "No open invoices as of 2026-06-30." in page
    assert "not yet in a batch" in page


def test_a_capped_payout_shows_what_is_forfeited(result):
    data = statement_data("R2", "2026-03", result.lines, result.payouts, ledger(), PLANS,
                          "2026-03-31")
    t = data["totals"]
    assert (t["net"], t["payout"], t["carry_out"], t["forfeited"]) == (24000, 10000, 0, 14000)
    assert "140.00 above the cap is forfeited" in data["carry_note"]
    html = render_statement_html(data)
    assert "Less forfeited (above the cap)" in html and "-140.00" in html
    assert "Net + carry-in − carry-out − forfeited = payout." in html


def test_a_tiered_plan_says_which_rate_the_commission_to_come_uses(result):
    data = statement_data("R3", "2026-03", result.lines, result.payouts, ledger(), PLANS,
                          "2026-03-31")
    (row,) = data["outlook"]["rows"]
    assert row["commission_to_come"] == 18000  # 3,000 × 6%, March's volume 2,000 ≥ 1,000
    assert any("Tiered plan" in f and "6%" in f for f in data["footnotes"])


def test_a_payout_that_does_not_match_its_lines_is_refused(result):
    payouts = result.payouts.copy()
    payouts.loc[(payouts["period"] == "2026-03") & (payouts["rep_id"] == "R1"), "gross"] += 1
    with pytest.raises(ValueError, match="does not equal its lines"):
        statement_data("R1", "2026-03", result.lines, payouts, ledger(), PLANS, "2026-03-31")
    with pytest.raises(ValueError, match="payout rows"):
        statement_data("R1", "2031-01", result.lines, result.payouts, ledger(), PLANS,
                       "2031-01-31")


def test_pdf_is_printed_from_the_same_page(march):
    pdf = render_statement_pdf(march)
    assert pdf.startswith(b"%PDF")
    assert pdf_page_count(pdf) >= 1


def test_a_rep_without_lines_gets_a_statement_of_zeros(result):
    data = statement_data("M1", "2026-03", result.lines, result.payouts, ledger(), PLANS,
                          pd.Timestamp("2026-03-31"))
    assert data["customers"] == [] and data["totals"]["payout"] == 0
    assert "No commission lines in March 2026." in render_statement_html(data)


def test_shared_frames_give_every_rep_and_month_the_statement_made_alone(result):
    """A batch's statements look up each rep's lines, invoices and customers in frames
    made once (``shared_frames``): each is the statement made alone. Given lines other
    than those the frames were made of, the rep's lines are found in those lines."""
    inputs = ledger()
    shared = shared_frames(result.lines, inputs, PLANS, "2026-03-31")
    assert set(shared.rep_rows) == set(result.lines["rep_id"])
    copied = result.lines.copy()
    for period in ("2026-02", "2026-03"):
        for rep in sorted(set(result.payouts.loc[result.payouts["period"] == period, "rep_id"])):
            alone = statement_data(rep, period, result.lines, result.payouts, inputs, PLANS,
                                   "2026-03-31", batch_id=42)
            assert statement_data(rep, period, result.lines, result.payouts, inputs, PLANS,
                                  shared, batch_id=42) == alone, (rep, period)
            assert statement_data(rep, period, copied, result.payouts, inputs, PLANS, shared,
                                  batch_id=42) == alone, (rep, period)

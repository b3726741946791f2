"""Aging: open balances by days past due, on hand-made invoices around every bucket edge."""

from __future__ import annotations

import datetime as dt

import numpy as np
from strategies import make_inputs

from commission.reports.aging import AGING_COLUMNS, BUCKET_COLUMNS, aging, aging_text, bucket_of

AS_OF = dt.date(2026, 6, 30)


def due(days_past_due: int) -> str:
    return (AS_OF - dt.timedelta(days=days_past_due)).isoformat()


def issued(days_past_due: int) -> str:
    return (AS_OF - dt.timedelta(days=days_past_due + 30)).isoformat()


def inv(invoice_id: str, customer: str, rep: str, days_past_due: int, amount: str) -> tuple:
    return (invoice_id, customer, rep, issued(days_past_due), due(days_past_due), amount)


def ledger():
    return make_inputs(
        reps=[("R1", "p"), ("R2", "p")],
        customers=[("C1", "Acme", None), ("C2", "Borealis", None), ("C3", "Cobalt", None)],
        invoices=[
            inv("K-5", "C1", "R1", -5, "50.00"),
            inv("K0", "C1", "R1", 0, "100.00"),
            inv("K1", "C1", "R1", 1, "200.00"),
            inv("K30", "C2", "R1", 30, "300.00"),
            inv("K31", "C2", "R1", 31, "400.00"),
            inv("K60", "C2", "R1", 60, "500.00"),
            inv("K61", "C1", "R1", 61, "600.00"),
            inv("K90", "C1", "R1", 90, "700.00"),
            inv("K91", "C2", "R1", 91, "800.00"),
            inv("PAID", "C1", "R1", 45, "250.00"),
            ("LATER", "C1", "R1", "2026-07-01", "2026-07-31", "999.00"),  # issued after as-of
            inv("S1", "C3", "R1", 10, "1000.00"),  # split R1/R2
        ],
        splits=[("S1", "R1", "0.5"), ("S1", "R2", "0.5")],
        payments=[
            ("P1", "K0", "2026-06-20", "40.00"),  # partial: 60.00 open
            ("P2", "K31", "2026-06-01", "400.00"),
            ("P3", "K31", "2026-06-10", "-100.00", "P2"),  # bounced in part: 100.00 open
            ("P4", "PAID", "2026-06-01", "250.00"),  # settled
            ("P5", "K91", "2026-07-02", "800.00"),  # after as-of: still open on it
        ],
        adjustments=[
            ("A1", "K1", "2026-06-15", "credit_note", "50.00"),  # 150.00 open
            ("A2", "K60", "2026-06-15", "discount", "20.00"),  # 480.00 open
            ("A3", "K90", "2026-06-15", "write_off", "100.00"),  # 600.00 open
        ],
    )


def buckets(frame, rep, customer):
    row = frame[(frame["rep_id"] == rep) & (frame["customer_id"] == customer)]
    assert len(row) == 1
    return [int(row[c].iloc[0]) for c in [*BUCKET_COLUMNS, "total", "invoices"]]


def test_bucket_edges():
    days = np.array([-5, 0, 1, 30, 31, 60, 61, 90, 91, 400])
    assert bucket_of(days).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_open_balances_fall_in_the_bucket_of_their_days_past_due():
    frame = aging(ledger(), AS_OF)
    assert list(frame.columns) == AGING_COLUMNS
    #                                current   1-30   31-60  61-90   >90    total  invoices
    # C1: K-5 50 + K0 60 | K1 150 | K61 600 + K90 600
    assert buckets(frame, "R1", "C1") == [11000, 15000, 0, 120000, 0, 146000, 5]
    # C2: K30 300 | K31 100 + K60 480 | K91 800 (the July payment is not known yet)
    assert buckets(frame, "R1", "C2") == [0, 30000, 58000, 0, 80000, 168000, 4]
    # C3: the split invoice's whole balance
    assert buckets(frame, "R1", "C3") == [0, 100000, 0, 0, 0, 100000, 1]
    assert buckets(frame, "R1", "TOTAL") == [11000, 145000, 58000, 120000, 80000, 414000, 10]


def test_a_split_invoice_shows_its_whole_balance_under_every_credited_rep():
    frame = aging(ledger(), AS_OF)
    assert buckets(frame, "R2", "C3") == [0, 100000, 0, 0, 0, 100000, 1]
    assert buckets(frame, "R2", "TOTAL") == [0, 100000, 0, 0, 0, 100000, 1]


def test_rows_are_per_rep_and_customer_then_the_reps_total():
    frame = aging(ledger(), AS_OF)
    assert list(zip(frame["rep_id"], frame["customer_id"], strict=True)) == [
        ("R1", "C1"), ("R1", "C2"), ("R1", "C3"), ("R1", "TOTAL"), ("R2", "C3"), ("R2", "TOTAL")]
    totals = frame[frame["customer_id"] != "TOTAL"].groupby("rep_id")[BUCKET_COLUMNS].sum()
    reps = frame[frame["customer_id"] == "TOTAL"].set_index("rep_id")[BUCKET_COLUMNS]
    assert (totals == reps).all().all()


def test_rep_filter():
    frame = aging(ledger(), AS_OF, rep_id="R2")
    assert set(frame["rep_id"]) == {"R2"}
    assert len(frame) == 2
    assert aging(ledger(), AS_OF, rep_id="nobody").empty


def test_aging_text_is_a_fixed_width_table():
    text = aging_text(aging(ledger(), AS_OF))
    lines = text.splitlines()
    assert lines[0] == "R1 Rep R1"
    assert "current" in lines[1] and "over 90" in lines[1]
    row = next(line for line in lines if line.strip().startswith("C1 Acme"))
    assert row.split()[-6:] == ["110.00", "150.00", "0.00", "1,200.00", "0.00", "1,460.00"]
    total = next(line for line in lines if line.strip().startswith("TOTAL"))
    assert total.rstrip().endswith("4,140.00")
    widths = {len(line) for line in lines if line.startswith("  C") or line.startswith("  TOT")}
    assert len(widths) == 1  # columns line up
    assert aging_text(aging(ledger(), AS_OF, rep_id="nobody")) == "No open invoices.\n"

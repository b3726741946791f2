"""Inquiries on draft statements: the rep flags, finance answers, resolves or declines; rolling.

Through the access layer, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from commission import access
from commission.access import AccessDenied, Identity
from commission.access import inquiries as ask
from commission.payroll import inquiries as rules
from commission.payroll import lifecycle

RULES = Path(__file__).resolve().parents[2] / "rules"
REPS = [("R1", "Rep One", "r1@example.com", None, "collected-stepped"),
        ("R2", "Rep Two", "r2@example.com", "R1", "collected-stepped")]
INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "10000.00"),
            ("I2", "C1", "R2", "2026-01-10", "2026-02-09", "5000.00")]
PAYMENTS = [("P1", "I1", "2026-01-20", "4000.00", None),
            ("P2", "I2", "2026-01-25", "2000.00", None)]

FINANCE = Identity("fin@example.com", frozenset({"finance"}), None, "Fin")
APPROVER = Identity("ok@example.com", frozenset({"approver"}), None, "Approver")
R1 = Identity("r1@example.com", frozenset({"rep", "manager"}), "R1", "Rep One")
R2 = Identity("r2@example.com", frozenset({"rep"}), "R2", "Rep Two")


@pytest.fixture
def draft(store, csvs, tmp_path):
    data = csvs.write(tmp_path / "data", reps=REPS, customers=[("C1", "Customer", "smb")],
                      invoices=INVOICES, payments=PAYMENTS, adjustments=[])
    lifecycle.load(store, data, RULES, by="setup")
    return store, access.run_draft(FINANCE, store, "2026-01").batch_id


def test_a_rep_flags_a_line_and_finance_resolves_it_with_a_correction(draft):
    store, batch_id = draft
    row = ask.open_inquiry(R2, store, batch_id, "R2", "missing_payment",
                           "I was paid 2,500 on I2\x00\x1b[31m, see remittance",
                           line_kind="collection", event_id="P2")
    assert row["status"] == "open" and row["reference"] == "INQ-000001"
    assert (row["invoice_id"], row["line_kind"], row["period"]) == ("I2", "collection", "2026-01")
    assert "\x00" not in row["comment"] and "\x1b" not in row["comment"]
    assert row["opened_by"] == "r2@example.com" and row["opened_at"] is not None

    done = ask.resolve_inquiry(FINANCE, store, row["inquiry_id"], "Right: P3 was missing",
                               2500)
    assert (done["status"], done["answered_by"], done["correction_amount"]) == (
        "resolved", "fin@example.com", 2500)
    adj = rules.commission_adjustments(store)
    assert adj.to_dict("records") == [{
        "commission_adjustment_id": "INQ-000001", "rep_id": "R2",
        "adjustment_date": dt.date(2026, 1, 31), "amount": 2500,
        "reason": "Inquiry INQ-000001: Right: P3 was missing"}]
    steps = rules.history(store, row["inquiry_id"])
    assert list(steps["action"]) == ["open", "resolve"]
    audit = [e["action"] for e in access.audit_log(
        Identity("a@x", frozenset({"admin"})), store) if e["action"].startswith("inquiry.")]
    assert audit == ["inquiry.open", "inquiry.resolve"]
    # the rep sees the answer
    (mine,) = ask.list_inquiries(R2, store, batch_id=batch_id).to_dict("records")
    assert mine["answer"] == "Right: P3 was missing"


def test_reps_flag_only_their_own_lines_and_only_finance_answers(draft):
    store, batch_id = draft
    with pytest.raises(AccessDenied, match="own statement"):
        ask.open_inquiry(R1, store, batch_id, "R2", "wrong_rate", "hm")  # manager, not R2
    with pytest.raises(AccessDenied):
        ask.open_inquiry(FINANCE, store, batch_id, "R2", "wrong_rate", "hm")
    with pytest.raises(lifecycle.BatchError, match="no line"):
        ask.open_inquiry(R2, store, batch_id, "R2", "wrong_split", "x", event_id="P1")
    with pytest.raises(lifecycle.BatchError, match="unknown reason"):
        ask.open_inquiry(R2, store, batch_id, "R2", "bored", "x")
    row = ask.open_inquiry(R2, store, batch_id, "R2", "other", "x" * 5000)
    assert len(row["comment"]) == rules.MAX_COMMENT
    for who in (R2, R1, APPROVER):
        with pytest.raises(AccessDenied, match="finance"):
            ask.decline_inquiry(who, store, row["inquiry_id"], "no")
    # managers see their team's inquiries, a rep only their own
    assert len(ask.list_inquiries(R1, store)) == 1
    with pytest.raises(AccessDenied):
        ask.list_inquiries(Identity("r9@x", frozenset({"rep"}), "R9"), store,
                           rep_id="R2")
    declined = ask.decline_inquiry(FINANCE, store, row["inquiry_id"], "Paid as the plan says")
    assert declined["status"] == "declined" and declined["correction_amount"] is None
    with pytest.raises(lifecycle.BatchError, match="already declined"):
        ask.resolve_inquiry(FINANCE, store, row["inquiry_id"], "changed my mind", 100)


def test_approval_needs_an_acknowledgement_and_open_inquiries_roll_at_lock(draft):
    store, batch_id = draft
    kept = ask.open_inquiry(R1, store, batch_id, "R1", "wrong_haircut", "I1 was on time",
                            event_id="P1")
    answered = ask.open_inquiry(R2, store, batch_id, "R2", "other", "statement as a whole")
    ask.answer_inquiry(FINANCE, store, kept["inquiry_id"], "Checking with credit")
    ask.decline_inquiry(FINANCE, store, answered["inquiry_id"], "Nothing to change")
    with pytest.raises(lifecycle.BatchError, match=r"1 inquiry.*still open"):
        access.approve_batch(APPROVER, store, batch_id)
    access.approve_batch(APPROVER, store, batch_id, acknowledge_open_inquiries=True)
    entry = [e for e in access.audit_log(Identity("a@x", frozenset({"admin"})), store)
             if e["action"] == "batch.approve" and e["outcome"] == "allowed"][-1]
    assert entry["details"]["acknowledged_open_inquiries"] is True
    access.lock_batch(FINANCE, store, batch_id)
    now = rules.get(store, kept["inquiry_id"])
    assert (now["period"], now["opened_period"], now["rolled"], now["batch_id"]) == (
        "2026-02", "2026-01", 1, None)
    assert now["answer"] == "Checking with credit" and now["status"] == "open"
    assert rules.get(store, answered["inquiry_id"])["period"] == "2026-01"
    steps = rules.history(store, kept["inquiry_id"])
    assert list(steps["action"]) == ["open", "answer", "roll"]
    # a locked batch takes no new inquiries
    with pytest.raises(lifecycle.BatchError, match="locked"):
        ask.open_inquiry(R1, store, batch_id, "R1", "other", "too late")


def test_clean_text_removes_control_characters_and_cuts():
    assert rules.clean_text("a\tb\r\nc\x07\u202e", 100) == "a b\nc"
    assert rules.clean_text("  x  ", 100) == "x"
    assert rules.clean_text("abcdef", 4) == "abc…"

"""The batch lifecycle: run a draft, approve, lock; late data paid once; runs never collide.

Each test runs on SQLite and on PostgreSQL (see tests/conftest.py). The small data
set's figures are worked by hand in tests/conftest.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

import commission.payroll.lifecycle as batches_mod
from commission import calculate, load_plans, open_store
from commission.payroll import (
    BatchError,
    approve,
    batch_lines,
    batch_payouts,
    batch_plans,
    diff,
    list_batches,
    load,
    lock,
    run_batch,
    show,
)
from commission.sample import write_sample

#: fixtures store, store_url (SQLite and PostgreSQL) and csvs (CSV folders)
RULES = Path(__file__).resolve().parents[2] / "rules"


def close(store, period: str, by: str = "ann") -> int:
    """Run, approve and lock one period; the batch id."""
    b = run_batch(store, period, by=by)
    approve(store, b.batch_id, by="bob")
    lock(store, b.batch_id, by="cy")
    return b.batch_id


def payout_of(store, batch_id: int, rep: str) -> dict:
    p = batch_payouts(store, batch_id)
    return p[p["rep_id"] == rep].iloc[0].to_dict()


@pytest.fixture
def loaded(csvs, store, tmp_path):
    load(store, csvs.small(tmp_path / "data"), RULES)
    return store


# ----------------------------------------------------------------------------- lifecycle


def test_lifecycle_late_payment_is_paid_once_in_the_next_batch(csvs, loaded, tmp_path):
    store = loaded
    ids = [close(store, p) for p in ("2026-01", "2026-02", "2026-03")]
    assert payout_of(store, ids[0], "R1")["payout"] == 20000
    assert payout_of(store, ids[0], "R2")["payout"] == 20000  # 4% of 5,000.00 at invoicing
    assert payout_of(store, ids[1], "R1")["payout"] == 15000
    march = payout_of(store, ids[2], "R1")
    assert (march["net"], march["payout"], march["carry_out"]) == (3000, 0, 3000)

    # a payment dated in January arrives after January was locked
    load(store, csvs.write(tmp_path / "late", payments=[("P9", "I1", "2026-01-28", "500.00",
                                                         None)]))
    assert any("P9 added" in line and "next batch" in line for line in diff(store, ids[0]))
    april = close(store, "2026-04")
    lines = batch_lines(store, april)
    (late,) = lines[lines["event_id"] == "P9"].to_dict("records")
    assert (late["amount"], late["prior_period"], late["period"]) == (2500, "2026-01", "2026-04")
    r1 = payout_of(store, april, "R1")  # 25.00 + 30.00 carried in = 55.00 >= 50.00 minimum
    assert (r1["carry_in"], r1["net"], r1["payout"], r1["carry_out"]) == (3000, 2500, 5500, 0)
    assert show(store, april).prior_lines == 1

    may = close(store, "2026-05")
    everything = pd.concat([batch_lines(store, b) for b in (*ids, april, may)])
    assert (everything["event_id"] == "P9").sum() == 1
    assert len(batch_lines(store, may)) == 0
    summary = show(store, may)
    assert summary.base_batch_id == april and summary.status == "locked"
    assert list(list_batches(store)["period"]) == ["2026-01", "2026-02", "2026-03", "2026-04",
                                                   "2026-05"]


def test_batches_locked_month_by_month_agree_with_calculate(store, tmp_path):
    write_sample(tmp_path / "data", n_invoices=400, part2=False)
    load(store, tmp_path / "data", RULES)
    ids = [close(store, p) for p in ("2024-11", "2024-12", "2025-01")]
    plans, _texts, _problems = load_plans(RULES)
    expected = calculate(store.stored_inputs(), plans, through="2025-01")
    lines = pd.concat([batch_lines(store, b) for b in ids], ignore_index=True)
    payouts = pd.concat([batch_payouts(store, b) for b in ids], ignore_index=True)
    pd.testing.assert_frame_equal(lines, expected.lines)
    # the store keeps payouts.csv's columns (the draw's top-up and note are engine extras)
    pd.testing.assert_frame_equal(payouts, expected.payouts[list(payouts.columns)])


def test_summary_records_who_did_what_and_the_inputs_fingerprint(loaded):
    b = run_batch(loaded, "2026-01", by="ann")
    assert (b.status, b.run_no, b.run_by, b.approved_by) == ("draft", 1, "ann", None)
    assert b.events == {"invoices": 2, "payments": 1, "adjustments": 0}
    assert set(b.plans) == {"collected-stepped", "invoiced-traditional"}
    assert len(b.fingerprint) == 64 and len(b.events_digest) == 64
    approve(loaded, b.batch_id, by="bob")
    s = lock(loaded, b.batch_id, by="cy")
    assert (s.status, s.approved_by, s.locked_by) == ("locked", "bob", "cy")
    assert s.run_at <= s.approved_at <= s.locked_at
    assert s.totals["payout"] == 40000
    assert "locked by cy" in s.text()
    plans = batch_plans(loaded, b.batch_id)
    assert sorted(plans) == ["collected-stepped", "invoiced-traditional"]
    assert plans["collected-stepped"].payout.min_payout == 50


def test_an_event_that_makes_no_line_is_still_paid_only_once(loaded):
    # I1 is on a collected plan: its invoice event makes no line, yet January paid it
    jan = close(loaded, "2026-01")
    feb = run_batch(loaded, "2026-02", by="ann")
    assert show(loaded, jan).events["invoices"] == 2
    assert feb.events == {"invoices": 0, "payments": 1, "adjustments": 0}


# ----------------------------------------------------------------------------- re-runs


def test_rerunning_a_draft_with_unchanged_data_gives_identical_lines_and_payouts(loaded):
    first = run_batch(loaded, "2026-02", by="ann", catch_up=True)
    lines, payouts = batch_lines(loaded, first.batch_id), batch_payouts(loaded, first.batch_id)
    again = run_batch(loaded, "2026-02", by="dan", catch_up=True)
    assert again.batch_id == first.batch_id and again.run_no == 2 and again.run_by == "dan"
    assert again.fingerprint == first.fingerprint
    pd.testing.assert_frame_equal(batch_lines(loaded, again.batch_id), lines)
    pd.testing.assert_frame_equal(batch_payouts(loaded, again.batch_id), payouts)


def test_rerunning_a_draft_after_new_data_replaces_it(csvs, loaded, tmp_path):
    first = run_batch(loaded, "2026-01", by="ann")
    approve(loaded, first.batch_id, by="bob")
    load(loaded, csvs.write(tmp_path / "more", payments=[("P5", "I2", "2026-01-30", "1000.00",
                                                          None)]))
    again = run_batch(loaded, "2026-01", by="ann")
    assert again.batch_id == first.batch_id
    assert again.status == "draft" and again.approved_by is None  # approval was for old figures
    assert again.fingerprint != first.fingerprint
    assert again.events["payments"] == 2
    assert len(batch_lines(loaded, again.batch_id)) == len(batch_lines(loaded, first.batch_id))
    assert len(list_batches(loaded)) == 1


def test_diff_reports_a_changed_payment_and_lock_waits_for_a_rerun(csvs, loaded, tmp_path):
    b = run_batch(loaded, "2026-02", by="ann", catch_up=True)
    assert diff(loaded, b.batch_id) == []
    approve(loaded, b.batch_id, by="bob")
    load(loaded, csvs.write(tmp_path / "fix", payments=[("P2", "I1", "2026-02-20", "2500.00",
                                                         None)]))
    assert diff(loaded, b.batch_id) == ["payment P2 changed: amount 3,000.00 -> 2,500.00"]
    with pytest.raises(BatchError, match="is stale: 1 event changed or arrived: run again"):
        lock(loaded, b.batch_id, by="cy")
    b = run_batch(loaded, "2026-02", by="ann", catch_up=True)
    assert diff(loaded, b.batch_id) == []
    approve(loaded, b.batch_id, by="bob")
    assert lock(loaded, b.batch_id, by="cy").status == "locked"
    r1 = batch_lines(loaded, b.batch_id)
    assert r1.loc[r1["event_id"] == "P2", "amount"].tolist() == [12500]


def test_diff_reports_plan_and_rep_changes(csvs, loaded, tmp_path):
    b = run_batch(loaded, "2026-01", by="ann")
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in RULES.glob("*.yaml"):
        text = f.read_text()
        (rules / f.name).write_text(text.replace("rate: 0.04", "rate: 0.045"))
    load(loaded, csvs.write(tmp_path / "reps", reps=[
        ("R1", "Rep One", "r1@example.com", None, "collected-40day"),
        ("R2", "Rep Two", "r2@example.com", "R1", "invoiced-traditional")]), rules)
    lines = diff(loaded, b.batch_id)
    assert "rep R1 plan changed: collected-stepped -> collected-40day" in lines
    assert any(line.startswith("plan invoiced-traditional changed: version 1") for line in lines)


# ----------------------------------------------------------------------------- refusals


def test_a_locked_period_or_an_earlier_one_is_refused(loaded):
    close(loaded, "2026-01")
    close(loaded, "2026-02")
    with pytest.raises(BatchError, match="2026-02 is locked"):
        run_batch(loaded, "2026-02", by="ann")
    with pytest.raises(BatchError, match="not after the last locked period 2026-02"):
        run_batch(loaded, "2025-12", by="ann")
    with pytest.raises(BatchError, match=r"2026-04 is after the latest event's month \(2026-03\)"):
        run_batch(loaded, "2026-04", by="ann")  # issue 9: it would lock out every real month
    assert run_batch(loaded, "2026-03", by="ann").base_period == "2026-02"


def test_a_batch_must_be_approved_before_it_is_locked(loaded):
    b = run_batch(loaded, "2026-01", by="ann")
    with pytest.raises(BatchError, match="must be approved before it is locked"):
        lock(loaded, b.batch_id, by="cy")
    approve(loaded, b.batch_id, by="bob")
    with pytest.raises(BatchError, match="already approved"):
        approve(loaded, b.batch_id, by="bob")
    lock(loaded, b.batch_id, by="cy")
    with pytest.raises(BatchError, match="already locked"):
        lock(loaded, b.batch_id, by="cy")
    with pytest.raises(BatchError, match="is locked"):
        approve(loaded, b.batch_id, by="bob")


def test_a_draft_computed_before_another_batch_was_locked_cannot_be_locked(loaded):
    feb = run_batch(loaded, "2026-02", by="ann", catch_up=True)  # pays January too
    close(loaded, "2026-01")
    with pytest.raises(BatchError, match="was computed before batch"):
        approve(loaded, feb.batch_id, by="bob")
    assert any("was locked since" in line for line in diff(loaded, feb.batch_id))
    feb = run_batch(loaded, "2026-02", by="ann")
    approve(loaded, feb.batch_id, by="bob")
    lock(loaded, feb.batch_id, by="cy")


def test_refusals_say_what_is_wrong(loaded):
    with pytest.raises(BatchError, match="no batch 99"):
        show(loaded, 99)
    with pytest.raises(BatchError, match="a user is required"):
        run_batch(loaded, "2026-01", by=" ")
    with pytest.raises(BatchError, match="expected YYYY-MM"):
        run_batch(loaded, "2026-13", by="ann")


def test_carry_in_comes_from_the_last_locked_batch(csvs, loaded, tmp_path):
    close(loaded, "2026-01")
    close(loaded, "2026-02")
    march = close(loaded, "2026-03")  # R1 carries 30.00 (under the 50.00 minimum)
    load(loaded, csvs.write(tmp_path / "apr", payments=[("P4", "I1", "2026-04-02", "100.00",
                                                         None)]))
    april = run_batch(loaded, "2026-04", by="ann")
    assert april.base_batch_id == march
    # P4: 57 days after due, 52 beyond grace: 5.00 - 10% = 4.50; + 30.00 = 34.50, still carried
    r1 = payout_of(loaded, april.batch_id, "R1")
    assert (r1["carry_in"], r1["net"], r1["payout"], r1["carry_out"]) == (3000, 450, 0, 3450)
    r2 = payout_of(loaded, april.batch_id, "R2")
    assert r2["carry_in"] == 0


# ----------------------------------------------------------------------------- concurrency


def _race(store_url: str, period: str, monkeypatch) -> list[object]:
    """Two runs of ``period`` on two connections, both computing before either writes."""
    gate = threading.Barrier(2, timeout=30)
    real = batches_mod._compute

    def compute_then_wait(*args, **kwargs):
        out = real(*args, **kwargs)
        gate.wait()
        return out

    monkeypatch.setattr(batches_mod, "_compute", compute_then_wait)
    stores = [open_store(store_url), open_store(store_url)]
    results: list[object] = [None, None]

    def go(i: int) -> None:
        try:
            results[i] = run_batch(stores[i], period, by=f"runner{i}")
        except BatchError as exc:
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    return results


@pytest.mark.parametrize("existing_draft", [False, True], ids=["new", "rerun"])
def test_two_runs_of_one_period_at_once_cannot_both_succeed(loaded, store_url, monkeypatch,
                                                            existing_draft):
    if existing_draft:
        run_batch(loaded, "2026-01", by="ann")
    results = _race(store_url, "2026-01", monkeypatch)
    failed = [r for r in results if isinstance(r, BatchError)]
    won = [r for r in results if not isinstance(r, BatchError)]
    assert len(won) == 1 and len(failed) == 1, results
    assert "another run of 2026-01 finished while this one was computing" in str(failed[0])
    (row,) = list_batches(loaded).to_dict("records")
    assert row["run_no"] == (2 if existing_draft else 1) and row["run_by"] == won[0].run_by
    assert len(batch_lines(loaded, row["batch_id"])) == 2


def test_the_database_refuses_a_second_batch_for_a_period(loaded):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    b = run_batch(loaded, "2026-01", by="ann")
    with pytest.raises(IntegrityError), loaded.write() as conn:
        conn.execute(text(
            "INSERT INTO batches (period, status, run_no, run_by, run_at, data_version, "
            "events_digest, fingerprint) SELECT period, 'draft', 1, 'x', run_at, 0, '', '' "
            f"FROM batches WHERE batch_id = {b.batch_id}"))
    with pytest.raises(IntegrityError), loaded.write() as conn:
        conn.execute(text("INSERT INTO batch_runs (batch_id, run_no, run_by, run_at, fingerprint) "
                          f"SELECT batch_id, run_no, 'x', run_at, '' FROM batches "
                          f"WHERE batch_id = {b.batch_id}"))


def test_store_file_of_the_lead_example_runs_from_plans_in_the_store(csvs, tmp_path: Path):
    """Without a rules folder, a run uses the newest plan versions the store holds."""
    s = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    load(s, csvs.small(tmp_path / "data"), RULES)
    b = run_batch(s, "2026-01", by="ann")
    assert b.plans["collected-stepped"][0] == 1
    s.close()

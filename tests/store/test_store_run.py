"""A month's batch run, diff and aging on sets of rows give what whole-table reads gave.

After a locked batch, a run reads only the invoices with an open event, their locked
lines and V₀ summed in the database (:mod:`commission.store.open_events`); a diff
reads only rows newer than the batch (:mod:`commission.store.batchdiff`); aging sums
open balances in the database (:mod:`commission.store.balances`). Each is checked
against the whole-store computation it replaces, on the sample data (plan changes,
quotas, draws, manual lines, splits, disputes, write-off recoveries), with late and
changed data, on SQLite and PostgreSQL; and migration 0016 upgrades in place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import inspect

from commission.engine import PriorLines
from commission.payroll import approve, load, lock, run_batch
from commission.payroll import lifecycle as lc
from commission.payroll.changes import describe
from commission.reports.aging import aging, stored_aging
from commission.store import batchdb, open_store, planstore
from commission.store.records import read_stored_inputs, read_table

ROOT = Path(__file__).resolve().parents[2]
FIRST, NEXT = "2025-06", "2025-07"


def _locked_first(url: str):
    store = open_store(url)
    load(store, ROOT / "sample_data", ROOT / "rules")
    b = run_batch(store, FIRST, by="ann", catch_up=True).batch_id
    approve(store, b, by="bob", acknowledge_open_inquiries=True)
    lock(store, b, by="ann")
    return store


def _late_and_changed(tmp_path: Path) -> Path:
    """The sample with a late payment dated in the locked month, an open payment's amount
    changed and a new payment: a load after the lock brings all three."""
    data = tmp_path / "late"
    shutil.copytree(ROOT / "sample_data", data)
    pay = pd.read_csv(data / "payments.csv", dtype=str, keep_default_na=False)
    later = pay[pay["payment_date"] >= f"{NEXT}-01"].index
    cash = pay.loc[later][pay.loc[later, "amount"].str.startswith("-") == False]  # noqa: E712
    pay.loc[cash.index[0], "amount"] = "1.00"
    template = pay.loc[cash.index[1]].copy()
    rows = []
    for pid, day in (("PLATE-1", f"{FIRST}-20"), ("PNEW-1", f"{NEXT}-10")):
        row = template.copy()
        row["payment_id"], row["payment_date"], row["amount"] = pid, day, "10.00"
        row["reverses_payment_id"] = ""
        rows.append(row)
    pd.concat([pay, pd.DataFrame(rows)], ignore_index=True).to_csv(
        data / "payments.csv", index=False)
    return data


def _full_state(store, period: str) -> lc._State:
    """What a run read before: the whole store."""
    with store.read() as conn:
        base = batchdb.last_locked(conn)
        return lc._State(batchdb.by_period(conn, period), base,
                         lc._with_corrections(read_stored_inputs(conn), conn),
                         batchdb.paid_keys(conn), planstore.latest(conn),
                         PriorLines(batchdb.prior_lines(conn)),
                         batchdb.carry_out(conn, base["batch_id"]), lc.data_version(conn))


def _same_run(store, period: str) -> None:
    with store.read() as conn:
        base = batchdb.last_locked(conn)
        narrow = lc._read_state(conn, batchdb.by_period(conn, period), base)
    full = _full_state(store, period)
    assert len(narrow.inputs.invoices) < len(full.inputs.invoices)
    month = lc.parse_period(period)
    results = []
    for state in (narrow, full):
        plans, _used = lc._plans_for(state.inputs, state.plans)
        results.append(lc._compute(state, plans, month))
    (r1, e1), (r2, e2) = results
    assert len(r1.lines) > 0
    pd.testing.assert_frame_equal(r1.lines, r2.lines)
    pd.testing.assert_frame_equal(r1.payouts, r2.payouts)
    pd.testing.assert_frame_equal(e1.sort_values(["event_kind", "event_id"], ignore_index=True),
                                  e2.sort_values(["event_kind", "event_id"], ignore_index=True))


def test_a_months_run_reads_open_invoices_and_pays_what_a_full_read_pays(store_url) -> None:
    store = _locked_first(store_url)
    try:
        _same_run(store, NEXT)
        _same_run(store, "2025-09")  # three months at once: a catch-up after a locked batch
    finally:
        store.close()


def _full_diff(store, batch: int) -> list[str]:
    """What a diff said before: every event of the store compared."""
    with store.read() as conn:
        return describe(batchdb.get(conn, batch), {
            "inputs": read_stored_inputs(conn), "then": batchdb.read_events(conn, batch),
            "paid": batchdb.paid_events(conn), "plans_then": batchdb.read_plans(conn, batch),
            "plans_now": planstore.latest(conn), "payouts": batchdb.read_payouts(conn, batch),
            "last": batchdb.last_locked(conn), "runs": batchdb.run_plans(conn, batch),
            "recorded": {n: read_table(conn, n, ["load_id"]) for n in ("splits", "disputes")}},
            None, lc.DIFF_LIMIT)


def test_late_and_changed_data_the_narrow_run_and_diff_see_all(store_url, tmp_path) -> None:
    store = _locked_first(store_url)
    try:
        draft = run_batch(store, NEXT, by="ann").batch_id
        load(store, _late_and_changed(tmp_path))
        _same_run(store, NEXT)
        said = lc.diff(store, draft)
        assert said == _full_diff(store, draft)
        locked = lc.diff(store, 1)  # locked: none of its events can be gone
        assert locked == _full_diff(store, 1)
        assert any("PLATE-1 added" in s and "the next batch pays it" in s for s in locked)
        assert any("PLATE-1 added" in s for s in said)
        assert any("PNEW-1 added" in s for s in said)
        assert any("changed: amount" in s for s in said)
        summary = run_batch(store, NEXT, by="ann")
        assert summary.prior_lines > 0  # the late payment, paid by the next batch
    finally:
        store.close()


def test_aging_in_the_database_matches_aging_of_every_row(store_url) -> None:
    store = _locked_first(store_url)
    try:
        inputs = store.stored_inputs()
        for day in ("2024-10-31", "2024-11-01", "2024-12-15", "2025-06-30", "2026-03-01"):
            pd.testing.assert_frame_equal(stored_aging(store, day), aging(inputs, day))
            for rep in ("R001", "R002", "R003"):  # R002 has splits
                pd.testing.assert_frame_equal(stored_aging(store, day, rep),
                                              aging(inputs, day, rep))
        assert not stored_aging(store, "2025-06-30", "R002").empty
        assert stored_aging(store, "2024-10-31").empty  # before the first invoice
    finally:
        store.close()


def test_a_store_at_0015_upgrades_in_place_to_the_line_invoice_index(store_url) -> None:
    from alembic import command

    from commission.store.migrate import alembic_config, current_revision, head_revision

    store = _locked_first(store_url)
    try:
        before = lc.batch_lines(store, 1)

        def names() -> set[str]:
            with store.read() as conn:
                return {ix["name"] for ix in inspect(conn).get_indexes("batch_lines")}

        assert "ix_batch_lines_invoice_id" in names()
        with store.write() as conn:
            command.downgrade(alembic_config(conn), "0015_seal_reps")
        assert "ix_batch_lines_invoice_id" not in names()
        again = open_store(store.engine.url.render_as_string(hide_password=False))
        try:
            with again.read() as conn:
                assert current_revision(conn) == head_revision()
            pd.testing.assert_frame_equal(lc.batch_lines(again, 1), before)
        finally:
            again.close()
        assert "ix_batch_lines_invoice_id" in names()
    finally:
        store.close()


def test_the_manual_lines_locked_batches_paid_are_read_through_their_own_index(store_url):
    """approve and lock first ask which manual lines locked batches paid: migration 0019's
    partial index answers it without reading every line, on both databases, and goes
    away on downgrade."""
    from alembic import command

    from commission.store.migrate import alembic_config

    store = _locked_first(store_url)
    try:
        lines = lc.batch_lines(store, 1)
        manual = set(lines.loc[lines["line_kind"] == "manual", "event_id"])
        with store.write() as conn:
            paid = batchdb.paid_manual(conn)
            assert manual and set(paid["event_id"]) == manual and set(paid["batch_id"]) == {1}
            if conn.dialect.name == "sqlite":
                plan = " ".join(r[-1] for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + batchdb._PAID_MANUAL).fetchall())
            else:  # a few rows: only without sequential scans does the plan show the index
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                plan = " ".join(r[0] for r in conn.exec_driver_sql(
                    "EXPLAIN " + batchdb._PAID_MANUAL).fetchall())
            assert "ix_batch_lines_manual" in plan, plan
            command.downgrade(alembic_config(conn), "0018_aging_open_balances")
            names = {ix["name"] for ix in inspect(conn).get_indexes("batch_lines")}
            assert "ix_batch_lines_manual" not in names
            assert "ix_payments_load_id" not in {
                ix["name"] for ix in inspect(conn).get_indexes("payments")}
            assert set(batchdb.paid_manual(conn)["event_id"]) == manual
    finally:
        store.close()


def test_open_events_are_the_candidates_no_locked_batch_paid(store_url) -> None:
    """Every event a candidate (as if each were loaded after the lock): the paid ones
    are found by id and dropped, leaving what the dates and load ids give."""
    from commission.store import open_events

    store = _locked_first(store_url)
    try:
        with store.read() as conn:
            base = batchdb.last_locked(conn)
            narrow = open_events.open_events(conn, base)
            every = open_events.open_events(conn, {**base, "data_version": 0})
            paid = batchdb.paid_keys(conn)
        assert sum(len(v) for k, v in narrow.items() if k != "_invoices") > 0
        assert len(paid) > 0
        for table, got in every.items():
            assert sorted(got) == sorted(narrow[table]), table
    finally:
        store.close()


def test_a_batchs_manual_lines_come_in_line_order_through_their_own_index(store_url):
    """What a draft's staleness compares: the manual lines of one batch, in line order,
    found by the partial index (not by walking every line of the batch by its key)."""
    store = _locked_first(store_url)
    try:
        lines = lc.batch_lines(store, 1)  # in line order
        want = lines[lines["line_kind"] == "manual"]
        with store.read() as conn:
            got = batchdb.manual_lines(conn, 1)
            assert len(want) > 1
            assert list(got["event_id"]) == list(want["event_id"])
            assert list(got["amount"]) == [int(a) for a in want["amount"]]
            assert batchdb.manual_lines(conn, 99).empty
            if conn.dialect.name == "sqlite":
                plan = " ".join(r[-1] for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + batchdb._MANUAL_LINES.format(batch=1)).fetchall())
                assert "ix_batch_lines_manual" in plan, plan
    finally:
        store.close()

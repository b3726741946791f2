"""Reads of a set of rows (issue 14, item 4) give what the whole-table reads gave.

A statement reads one rep's lines and invoices through indexes instead of whole
tables; each narrowed read is checked here against the full read, filtered, on
the sample data (part 2 features: plan changes, quotas, draws, manual lines,
splits, disputes), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from backends import BACKENDS, pg_url_or_skip
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from commission.payroll import load, run_batch
from commission.payroll.lifecycle import batch_lines, batch_payouts, batch_plans
from commission.reports.outlook import credited
from commission.reports.statement import statement_data
from commission.store import open_store

ROOT = Path(__file__).resolve().parents[2]
#: past the sample's first write-off recoveries (2025-09): the batch holds every line kind,
#: "penalty_reversal" included (PostgreSQL's VARCHAR(10) refused it before 0014)
PERIOD = "2025-09"


@pytest.fixture(scope="module", params=BACKENDS)
def sample_store(tmp_path_factory, request):
    """The sample data loaded and a batch run for PERIOD (paying every month up to it)."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('set-reads') / 'store.db'}", None
    else:
        base, schema = pg_url_or_skip(), f"test_{uuid.uuid4().hex[:16]}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}
                                               ).render_as_string(hide_password=False)
    store = open_store(url)
    try:
        load(store, ROOT / "sample_data", ROOT / "rules")
        yield store, run_batch(store, PERIOD, by="ann").batch_id
    finally:
        store.close()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_the_batch_stores_the_longest_line_kinds(sample_store) -> None:
    store, batch_id = sample_store
    kinds = set(batch_lines(store, batch_id)["line_kind"])
    assert {"penalty_reversal", "override", "manual"} <= kinds


def test_a_reps_lines_are_the_full_read_filtered(sample_store) -> None:
    store, b = sample_store
    full = batch_lines(store, b)
    for rep in sorted(set(full["rep_id"])):
        mine = batch_lines(store, b, rep)
        want = full[full["rep_id"] == rep].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, want)
        assert len(mine) > 0


def test_a_reps_inputs_hold_every_row_of_their_invoices(sample_store) -> None:
    store, b = sample_store
    full = store.stored_inputs()
    rep = "R005"
    mine = store.rep_inputs(rep, b)
    invoices = set(credited(full).query("rep_id == @rep")["invoice_id"])
    assert invoices and set(mine.invoices["invoice_id"]) >= invoices
    kept = set(mine.invoices["invoice_id"])
    for name in ("invoices", "splits", "payments", "adjustments", "disputes"):
        table = getattr(full, name)
        want = table[table["invoice_id"].isin(kept)].reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(mine, name), want, obj=name)
    for name in ("reps", "plan_assignments", "quotas"):
        pd.testing.assert_frame_equal(getattr(mine, name), getattr(full, name), obj=name)
    manual = full.commission_adjustments
    pd.testing.assert_frame_equal(mine.commission_adjustments,
                                  manual[manual["rep_id"] == rep].reset_index(drop=True))


def test_every_reps_statement_from_the_narrow_reads_equals_the_full_one(sample_store) -> None:
    store, b = sample_store
    lines, payouts = batch_lines(store, b), batch_payouts(store, b)
    inputs, plans = store.stored_inputs(), batch_plans(store, b)
    reps = sorted(set(payouts["rep_id"]))
    assert len(reps) > 5
    for rep in reps:
        for as_of in (f"{PERIOD}-30", "2025-06-15"):
            full = statement_data(rep, PERIOD, lines, payouts, inputs, plans, as_of,
                                  batch_id=b)
            narrow = statement_data(rep, PERIOD, batch_lines(store, b, rep), payouts,
                                    store.rep_inputs(rep, b), plans, as_of, batch_id=b)
            assert narrow == full, rep


def test_a_store_at_0010_upgrades_in_place_to_the_indexes(sample_store) -> None:
    """Migration 0011 only adds indexes: down to 0010 they go, reopened they are back,
    and the rows (here: the batch's lines) are untouched."""
    from alembic import command
    from sqlalchemy import inspect

    from commission.store.migrate import alembic_config, current_revision, head_revision

    store, b = sample_store
    before = batch_lines(store, b)

    def indexes() -> set[str]:
        with store.read() as conn:
            insp = inspect(conn)
            return {ix["name"] for t in ("invoices", "payments", "batch_lines")
                    for ix in insp.get_indexes(t)}

    assert {"ix_invoices_rep_id", "ix_payments_invoice_id",
            "ix_batch_lines_batch_id"} <= indexes()
    with store.write() as conn:
        command.downgrade(alembic_config(conn), "0010")
    assert not any(n.startswith(("ix_invoices", "ix_payments", "ix_batch_lines"))
                   for n in indexes())
    again = open_store(store.engine.url.render_as_string(hide_password=False))
    try:
        with again.read() as conn:
            assert current_revision(conn) == head_revision()
        pd.testing.assert_frame_equal(batch_lines(again, b), before)
    finally:
        again.close()
    assert "ix_batch_lines_batch_id" in indexes()


def test_line_sums_reconcile_as_the_lines_do(sample_store) -> None:
    """The export reconciles payouts with lines summed in the database: the same totals
    as from the lines, and a line changed behind its payout is still caught."""
    from commission.payroll.lifecycle import batch_line_sums
    from commission.reports.export import line_totals, reconcile

    store, b = sample_store
    lines, payouts = batch_lines(store, b), batch_payouts(store, b)
    for period in sorted(set(lines["period"])):
        sums = batch_line_sums(store, b, period)
        assert len(sums) < len(lines[lines["period"] == period])
        pd.testing.assert_frame_equal(line_totals(sums, period), line_totals(lines, period))
        assert reconcile(sums, payouts, period) == reconcile(lines, payouts, period)
    assert "manual" in set(lines["line_kind"])
    off = payouts.copy()
    off.loc[off["period"] == PERIOD, "gross"] += 1
    assert reconcile(batch_line_sums(store, b, PERIOD), off, PERIOD) == reconcile(
        lines, off, PERIOD) != []

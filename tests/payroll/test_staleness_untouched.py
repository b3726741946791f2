"""Staleness without a load since the run (issue 14): approve and lock skip reading the
whole store again, and say exactly what the full comparison says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from commission.payroll import approve, load, run_batch
from commission.payroll import staleness as module
from commission.store import open_store

RULES = Path(__file__).resolve().parents[2] / "rules"


def _both(store, batch_id: int, monkeypatch):
    with store.read() as conn:
        fast = module.staleness(conn, batch_id)
        assert module._untouched_since_run(conn, module.batchdb.get(conn, batch_id),
                                           module.batchdb.last_locked(conn))
    with monkeypatch.context() as m, store.read() as conn:
        m.setattr(module, "_untouched_since_run", lambda *_a: False)
        full = module.staleness(conn, batch_id)
    return fast, full


def test_the_shortcut_says_what_the_full_comparison_says(store_url, csvs, tmp_path,
                                                          monkeypatch):
    with open_store(store_url) as store:
        load(store, csvs.small(tmp_path / "data"), RULES)
        b = run_batch(store, "2026-01", by="ann").batch_id
        fast, full = _both(store, b, monkeypatch)
        assert not fast.stale and not full.stale
        assert (fast.events, fast.plans, fast.manual, fast.base, fast.records) == (
            full.events, full.plans, full.manual, full.base, full.records)
        pd.testing.assert_frame_equal(fast.details.reset_index(drop=True),
                                      full.details.reset_index(drop=True), check_dtype=False)
        approve(store, b, by="bob")  # fresh: approved


def test_a_load_after_the_run_takes_the_full_comparison(store_url, csvs, tmp_path):
    with open_store(store_url) as store:
        load(store, csvs.small(tmp_path / "data"), RULES)
        b = run_batch(store, "2026-01", by="ann").batch_id
        folder = csvs.small(tmp_path / "more")
        payments = folder / "payments.csv"
        payments.write_text(payments.read_text() + "P9,I2,2026-01-25,100.00,\n")
        load(store, folder, RULES)
        with store.read() as conn:
            b_row = module.batchdb.get(conn, b)
            assert not module._untouched_since_run(conn, b_row, module.batchdb.last_locked(conn))
            found = module.staleness(conn, b)
        assert found.stale and found.events == 1

"""Migration 0020: each run keeps the sums of its earning lines, and a month's run reads those.

A month's run needs Σ base_amount of every locked invoice, collection and reversal
line per (kind, rep, plan, period, share) for the tier volume V₀. It is read from
``batch_volumes`` (a few rows per batch) instead of every locked line; what a run
then pays is checked against a whole-store read in test_store_run.py. Here: the sums
are exactly the lines', a re-run replaces them, a locked batch's are read-only, and a
store at 0019 fills them for the batches it holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from commission.payroll import approve, load, lock, run_batch
from commission.store import open_store
from commission.store.batchdb import VOLUME_KINDS
from commission.store.migrate import alembic_config, current_revision, head_revision

ROOT = Path(__file__).resolve().parents[2]
KEY = "line_kind, rep_id, plan_id, period, share"


def _from_lines(store, batch_id: int) -> list[tuple]:
    kinds = ", ".join(f"'{k}'" for k in VOLUME_KINDS)
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {KEY}, SUM(base_amount) FROM batch_lines WHERE batch_id = {batch_id} "
            f"AND line_kind IN ({kinds}) GROUP BY {KEY} ORDER BY {KEY}")).all()]


def _kept(store, batch_id: int) -> list[tuple]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {KEY}, base_amount FROM batch_volumes WHERE batch_id = {batch_id} "
            f"ORDER BY {KEY}")).all()]


def _two_batches(url: str):
    """The sample data: 2025-06 (a catch-up) locked, 2025-07 a draft."""
    store = open_store(url)
    load(store, ROOT / "sample_data", ROOT / "rules")
    first = run_batch(store, "2025-06", by="ann", catch_up=True).batch_id
    approve(store, first, by="bob", acknowledge_open_inquiries=True)
    lock(store, first, by="ann")
    return store, first, run_batch(store, "2025-07", by="ann").batch_id


def test_each_run_keeps_exactly_the_sums_of_its_own_earning_lines(store_url):
    store, first, draft = _two_batches(store_url)
    try:
        for b in (first, draft):
            kept = _kept(store, b)
            assert kept == _from_lines(store, b) and kept
            assert {r[0] for r in kept} <= set(VOLUME_KINDS)
        before = _kept(store, draft)
        assert run_batch(store, "2025-07", by="ann").batch_id == draft  # a re-run
        assert _kept(store, draft) == before  # replaced, not added to
    finally:
        store.close()


@pytest.mark.parametrize("sql", [
    "UPDATE batch_volumes SET base_amount = base_amount + 1 WHERE batch_id = {b}",
    "DELETE FROM batch_volumes WHERE batch_id = {b}",
    "INSERT INTO batch_volumes (batch_id, line_kind, rep_id, plan_id, period, share, "
    "base_amount) VALUES ({b}, 'collection', 'R999', 'p', '2025-06', 1, 100)",
])
def test_a_locked_batchs_volumes_are_read_only(store_url, sql):
    """They decide later months' tiers: the database refuses changing them once locked."""
    store, first, _draft = _two_batches(store_url)
    try:
        before = _kept(store, first)
        with pytest.raises(DBAPIError, match="locked"), store.write() as conn:
            conn.execute(text(sql.format(b=first)))
        assert _kept(store, first) == before
    finally:
        store.close()


def test_a_store_at_0019_fills_the_volumes_of_every_batch_it_holds(store_url):
    store, first, draft = _two_batches(store_url)
    try:
        with store.write() as conn:
            command.downgrade(alembic_config(conn), "0019_diff_and_lock_indexes")
        with store.read() as conn:
            assert current_revision(conn) == "0019_diff_and_lock_indexes"
    finally:
        store.close()
    again = open_store(store_url)
    try:
        with again.read() as conn:
            assert current_revision(conn) == head_revision()
        for b in (first, draft):
            assert _kept(again, b) == _from_lines(again, b) and _kept(again, b)
        with pytest.raises(DBAPIError, match="locked"), again.write() as conn:  # guarded
            conn.execute(text(f"DELETE FROM batch_volumes WHERE batch_id = {first}"))
    finally:
        again.close()

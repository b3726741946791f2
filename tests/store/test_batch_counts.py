"""Migration 0023: each run keeps its counts, and a batch's summary reads them.

A batch's summary says how many lines (and late lines) it has, how many events of
each kind it pays and the month of its earliest one. They are kept in
``batch_counts`` when the run writes its rows (counting 1.9M lines and 2.9M events
was a third of a lock at a million invoices). Here: they are exactly the counts of
the stored rows, a re-run replaces them, a locked batch's are read-only, ``batch
verify`` notices a kept count that is wrong, and a store at 0022 counts every batch
it holds.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from store.test_batch_volumes import _two_batches  # 2025-06 locked, 2025-07 a draft

from commission.payroll import run_batch, show
from commission.payroll.verify import verify
from commission.store import batchdb, open_store
from commission.store.migrate import alembic_config, current_revision, head_revision


def _counted(store, batch_id: int) -> dict[str, object]:
    """The counts as the stored rows give them, each counted on its own."""
    with store.read() as conn:
        def one(sql: str) -> object:
            return conn.execute(text(sql.format(b=batch_id))).scalar_one()
        got: dict[str, object] = {
            "lines": one("SELECT COUNT(*) FROM batch_lines WHERE batch_id = {b}"),
            "prior_lines": one("SELECT COUNT(*) FROM batch_lines WHERE batch_id = {b} "
                               "AND prior_period IS NOT NULL")}
        for kind in ("invoice", "payment", "adjustment"):
            got[f"{kind}s"] = one("SELECT COUNT(*) FROM batch_events WHERE batch_id = {b} "
                                  f"AND event_kind = '{kind}'")
        got["first_event_date"] = str(one(
            "SELECT MIN(event_date) FROM batch_events WHERE batch_id = {b}"))
    return got


def _kept(store, batch_id: int) -> dict[str, object]:
    with store.read() as conn:
        row = conn.execute(text(f"SELECT {', '.join(batchdb.COUNT_COLUMNS)} FROM "
                                f"batch_counts WHERE batch_id = {batch_id}")).one()
    return {c: (str(v) if c == "first_event_date" else int(v))
            for c, v in zip(batchdb.COUNT_COLUMNS, row, strict=True)}


def test_each_run_keeps_the_counts_of_its_own_rows_and_the_summary_shows_them(store_url):
    store, first, draft = _two_batches(store_url)
    try:
        for b in (first, draft):
            kept = _kept(store, b)
            assert kept == _counted(store, b)
            summary = show(store, b)
            assert summary.lines == kept["lines"] and summary.prior_lines == kept["prior_lines"]
            assert summary.events == {k: kept[k] for k in ("invoices", "payments",
                                                             "adjustments")}
        assert _kept(store, first)["prior_lines"] > 0  # a catch-up pays earlier months
        assert show(store, first).months[0] == _kept(store, first)["first_event_date"][:7]
        before = _kept(store, draft)
        assert run_batch(store, "2025-07", by="ann").batch_id == draft  # a re-run
        assert _kept(store, draft) == before  # replaced, one row still
    finally:
        store.close()


@pytest.mark.parametrize("sql", [
    "UPDATE batch_counts SET lines = lines + 1 WHERE batch_id = {b}",
    "DELETE FROM batch_counts WHERE batch_id = {b}",
])
def test_a_locked_batchs_counts_are_read_only(store_url, sql):
    store, first, _draft = _two_batches(store_url)
    try:
        before = _kept(store, first)
        with pytest.raises(DBAPIError, match="locked"), store.write() as conn:
            conn.execute(text(sql.format(b=first)))
        assert _kept(store, first) == before
    finally:
        store.close()


def test_verify_notices_a_kept_count_that_is_not_the_rows(store_url):
    """A draft's counts are writable: one off, and verify (of a draft: it recounts)
    says so; put back, it agrees again."""
    store, _first, draft = _two_batches(store_url)
    try:
        with store.write() as conn:
            assert not batchdb.counts_differ(conn, draft)
            conn.execute(text(f"UPDATE batch_counts SET payments = payments - 1 "
                              f"WHERE batch_id = {draft}"))
            assert batchdb.counts_differ(conn, draft)
            conn.execute(text(f"UPDATE batch_counts SET payments = payments + 1, "
                              f"first_event_date = NULL WHERE batch_id = {draft}"))
            assert batchdb.counts_differ(conn, draft)
            conn.execute(text(f"DELETE FROM batch_counts WHERE batch_id = {draft}"))
            assert batchdb.counts_differ(conn, draft)
    finally:
        store.close()


def test_a_store_at_0022_counts_every_batch_it_holds(store_url):
    store, first, draft = _two_batches(store_url)
    try:
        want = {b: _kept(store, b) for b in (first, draft)}
        with store.write() as conn:
            command.downgrade(alembic_config(conn), "0022_lock_counts_in_step")
        with store.read() as conn:
            assert current_revision(conn) == "0022_lock_counts_in_step"
    finally:
        store.close()
    again = open_store(store_url)
    try:
        with again.read() as conn:
            assert current_revision(conn) == head_revision()
        for b in (first, draft):
            assert _kept(again, b) == want[b] == _counted(again, b)
        assert verify(again, first).ok
        with pytest.raises(DBAPIError, match="locked"), again.write() as conn:  # guarded
            conn.execute(text(f"DELETE FROM batch_counts WHERE batch_id = {first}"))
    finally:
        again.close()

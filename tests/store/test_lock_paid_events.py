"""Migration 0017: the database pays a batch's events at lock, a draft keeps its seal digests.

The guarantees of paid events hold in the database whoever writes: only a locked batch
pays, only its own events (checked set-based when it is sealed), once (primary key),
for ever (no update, no delete). A store at 0016 upgrades in place (its paid events
kept), and a draft approved before the upgrade locks with a seal computed from its rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from commission.payroll import lifecycle as batches
from commission.payroll.verify import verify
from commission.store import batchdb, open_store, seal
from commission.store.db import utcnow
from commission.store.migrate import alembic_config, current_revision, head_revision

RULES = Path(__file__).resolve().parents[2] / "rules"


def _paid(store) -> list[tuple]:
    with store.read() as conn:
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT event_kind, event_id, batch_id FROM paid_events")).all())


def _events(store, batch_id: int) -> list[tuple]:
    with store.read() as conn:
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT event_kind, event_id, batch_id FROM batch_events "
            f"WHERE batch_id = {batch_id}")).all())


def test_locking_pays_exactly_the_batchs_events_and_the_run_kept_its_digests(
        csvs, store, tmp_path):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    with store.read() as conn:
        lines, paid = batchdb.read_digests(conn, b)
        assert lines == {r: d[0] for r, d in seal.rep_digests(conn, b).items()}
        assert set(lines) == {"R1", "R2"}
    assert _paid(store) == []
    batches.approve(store, b, by="bob")
    assert _paid(store) == []  # approving pays nothing
    batches.lock(store, b, by="cy")
    assert _paid(store) == _events(store, b) and _paid(store)
    with store.read() as conn:
        assert paid is None or paid == seal.paid_events_section(conn, b)
    assert verify(store, b).ok


def test_the_database_refuses_a_foreign_event_added_between_lock_and_seal(
        csvs, store, tmp_path):
    """Someone's own program locks and adds an event the batch did not pay: no seal."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    with pytest.raises(DBAPIError, match="only its own events"), store.write() as conn:
        batchdb.set_status(conn, b, "locked", "cy", utcnow())
        conn.execute(text("INSERT INTO paid_events (event_kind, event_id, batch_id) "
                          f"VALUES ('payment', 'P3', {b})"))  # a March payment
        seal.write(conn, b, "cy", utcnow())
    assert _paid(store) == [] and batches.show(store, b).status == "approved"


@pytest.mark.parametrize("sql", [
    "INSERT INTO paid_events (event_kind, event_id, batch_id) VALUES ('payment', 'P3', {b})",
    "UPDATE paid_events SET batch_id = batch_id",
    "DELETE FROM paid_events",
])
def test_paid_events_are_written_only_by_a_lock_and_never_change(csvs, store, tmp_path, sql):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    if not sql.startswith("INSERT"):  # a draft pays nothing: lock it to have rows
        batches.approve(store, b, by="bob")
        batches.lock(store, b, by="cy")
    before = _paid(store)
    with pytest.raises(DBAPIError, match=r"only a locked batch|permanent"), \
            store.write() as conn:
        conn.execute(text(sql.format(b=b)))
    assert _paid(store) == before


def test_an_event_is_paid_once_even_by_a_batch_that_holds_it_again(csvs, store, tmp_path):
    """A second batch whose events include one already paid cannot be locked."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    batches.lock(store, b, by="cy")
    c = batches.run_batch(store, "2026-02", by="ann").batch_id
    batches.approve(store, c, by="bob")
    with store.write() as conn:  # the draft's events as someone's program rewrote them
        conn.execute(text("INSERT INTO batch_events SELECT " + str(c) + ", event_kind, "
                          "event_id, event_date, amount, row_hash FROM batch_events "
                          f"WHERE batch_id = {b} AND event_id = 'P1'"))
    with pytest.raises(batches.BatchError, match="refused"):
        batches.lock(store, c, by="cy")
    assert batches.show(store, c).status == "approved"
    assert [r for r in _paid(store) if r[2] == c] == []


def test_a_store_at_0016_upgrades_in_place(csvs, store_url, tmp_path):
    """Paid events kept (SQLite: into a WITHOUT ROWID table), the old row triggers replaced,
    and a draft approved before the upgrade (no kept digests) locks and verifies."""
    store = open_store(store_url)
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    jan = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, jan, by="bob")
    batches.lock(store, jan, by="cy")
    feb = batches.run_batch(store, "2026-02", by="ann").batch_id
    batches.approve(store, feb, by="bob")
    with store.write() as conn:
        command.downgrade(alembic_config(conn), "0016_line_invoice_index")
    with store.read() as conn:
        assert current_revision(conn) == "0016_line_invoice_index"
    paid = _paid(store)
    assert paid == _events(store, jan)
    store.close()

    again = open_store(store_url)
    try:
        with again.read() as conn:
            assert current_revision(conn) == head_revision()
            assert batchdb.read_digests(conn, feb) == ({}, None)  # none kept before 0017
            if again.dialect == "sqlite":
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                        "AND name = 'paid_events'")).scalar_one()
                assert "WITHOUT ROWID" in ddl
        assert _paid(again) == paid
        assert verify(again, jan).ok
        batches.lock(again, feb, by="cy")
        assert _paid(again) == sorted(paid + _events(again, feb))
        assert verify(again, feb).ok
        with pytest.raises(IntegrityError), again.write() as conn:  # paid once
            conn.execute(text("INSERT INTO paid_events (event_kind, event_id, batch_id) "
                              f"VALUES ('payment', 'P1', {feb})"))
    finally:
        again.close()


def test_a_bulk_lock_builds_the_keys_after_and_still_pays_each_event_once(
        csvs, store, tmp_path, monkeypatch):
    """On PostgreSQL a lock paying at least as many events as were paid (a catch-up:
    millions) drops paid_events' index and primary key and builds them after the copy:
    the same rows, the keys back, and an event paid twice still refused. SQLite, which
    gains nothing from it, keeps them."""
    from sqlalchemy import inspect

    built: list[list[str]] = []
    real = batchdb.indexes_built_after

    def spy(conn, tables, **kw):
        built.append([t.name for t in tables])
        return real(conn, tables, **kw)

    monkeypatch.setattr(batchdb, "worth_rebuilding", lambda conn, table, rows: True)
    monkeypatch.setattr(batchdb, "indexes_built_after", spy)
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    batches.lock(store, b, by="cy")
    bulk = 1 if store.dialect == "postgresql" else 0
    assert built.count(["paid_events"]) == bulk  # (a run rebuilds batch_lines' the same way)
    assert _paid(store) == _events(store, b) and _paid(store)
    assert verify(store, b).ok
    with store.read() as conn:
        found = inspect(conn)
        assert found.get_pk_constraint("paid_events")["constrained_columns"] == [
            "event_kind", "event_id"]
        assert "ix_paid_events_batch_id" in {ix["name"] for ix in found.get_indexes(
            "paid_events")}
    c = batches.run_batch(store, "2026-02", by="ann").batch_id
    batches.approve(store, c, by="bob")
    with store.write() as conn:  # one of January's paid events, held again by February
        conn.execute(text("INSERT INTO batch_events SELECT " + str(c) + ", event_kind, "
                          "event_id, event_date, amount, row_hash FROM batch_events "
                          f"WHERE batch_id = {b} AND event_id = 'P1'"))
    paid = _paid(store)
    with pytest.raises(batches.BatchError, match="refused"):
        batches.lock(store, c, by="cy")
    assert built.count(["paid_events"]) == 2 * bulk
    assert batches.show(store, c).status == "approved"
    assert _paid(store) == paid

"""Paid events: the events of locked batches (migration 0021; before it, copied at lock
by the database, 0017).

The guarantees hold in the database whoever writes: only a lock pays (``paid_events``
is a view no one can write), only the batch's own events (what it holds), once (the
lock is refused when a locked batch holds one of them: probed from the smaller side),
for ever (a locked batch's events and status are read-only). A store at 0016 or 0020
upgrades in place, its paid events and seals unchanged; a downgrade puts the table
and its guards back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from commission.payroll import lifecycle as batches
from commission.payroll.verify import verify
from commission.store import batchdb, open_store, seal
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


@pytest.mark.parametrize("locked", [False, True])
@pytest.mark.parametrize("sql", [
    "INSERT INTO paid_events (event_kind, event_id, batch_id) VALUES ('payment', 'P3', {b})",
    "UPDATE paid_events SET batch_id = batch_id",
    "DELETE FROM paid_events",
])
def test_no_one_writes_paid_events_only_a_lock_pays(csvs, store, tmp_path, sql, locked):
    """A draft's events are not paid by writing them in, nor a locked batch's unpaid."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    if locked:
        batches.approve(store, b, by="bob")
        batches.lock(store, b, by="cy")
    before = _paid(store)
    assert before == (_events(store, b) if locked else [])
    with pytest.raises(DBAPIError, match="view"), store.write() as conn:
        conn.execute(text(sql.format(b=b)))
    assert _paid(store) == before


def _hold_again(store, batch_id: int, paid_by: int, event_ids: tuple[str, ...]) -> None:
    """Someone's program adds events another batch paid to a draft's events."""
    ids = ", ".join(f"'{e}'" for e in event_ids)
    with store.write() as conn:
        conn.execute(text(f"INSERT INTO batch_events SELECT {batch_id}, event_kind, event_id, "
                          "event_date, amount, row_hash FROM batch_events "
                          f"WHERE batch_id = {paid_by} AND event_id IN ({ids})"))


def _held(store, batch_id: int) -> int:
    with store.read() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM batch_events "
                                     f"WHERE batch_id = {batch_id}")).scalar_one())


@pytest.mark.parametrize("again", [("P1",), ("I1", "I2", "P1")],
                         ids=["fewer than are paid", "more than are paid"])
def test_an_event_is_paid_once_even_by_a_batch_that_holds_it_again(csvs, store, tmp_path,
                                                                     again):
    """A second batch whose events include one already paid cannot be locked, whichever
    side the database probes from (the batch's events, or the paid ones)."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    batches.lock(store, b, by="cy")
    c = batches.run_batch(store, "2026-02", by="ann").batch_id
    batches.approve(store, c, by="bob")
    _hold_again(store, c, b, again)
    smaller = _held(store, c) <= len(_paid(store))
    assert smaller == (len(again) == 1)  # each case takes its own side of the check
    paid = _paid(store)
    with pytest.raises(batches.BatchError, match="paid once"):
        batches.lock(store, c, by="cy")
    assert batches.show(store, c).status == "approved"
    assert _paid(store) == paid
    with store.write() as conn:  # the program's rows taken out again: it locks
        conn.execute(text(f"DELETE FROM batch_events WHERE batch_id = {c} AND event_id IN "
                          f"({', '.join(repr(e) for e in again)})"))
    batches.lock(store, c, by="cy")
    assert _paid(store) == sorted(paid + _events(store, c)) and verify(store, c).ok


#: past the first bound PostgreSQL's check counts each side to (1,024, migration 0022)
MANY = 1_100


@pytest.mark.parametrize("held", [1_050, MANY + 2], ids=["fewer than are paid",
                                                        "more than are paid"])
def test_an_event_is_paid_once_when_both_sides_hold_thousands(csvs, store, tmp_path, held):
    """Both sides past the first bound the check counts to: the counts go on in step
    and the smaller side is probed; the event paid twice is found either way."""
    rows = [(f"P{i:04d}", "I1", "2026-01-20", "1.00", None) for i in range(MANY)]
    data = csvs.small(tmp_path / "data")
    csvs.write(data, payments=[*rows, ("PFEB", "I1", "2026-02-20", "1.00", None)])
    batches.load(store, data, RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    batches.lock(store, b, by="cy")
    c = batches.run_batch(store, "2026-02", by="ann").batch_id
    batches.approve(store, c, by="bob")
    _hold_again(store, c, b, tuple(e for _k, e, _b in _paid(store)[:held]))
    assert min(_held(store, c), len(_paid(store))) > 1_024
    assert (_held(store, c) <= len(_paid(store))) == (held < MANY)
    with pytest.raises(batches.BatchError, match="paid once"):
        batches.lock(store, c, by="cy")
    assert batches.show(store, c).status == "approved"


def test_a_store_at_0016_upgrades_in_place(csvs, store_url, tmp_path):
    """Paid events kept (copied rows, then the view of the same rows), the seals valid,
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
            assert "paid_events" in inspect(conn).get_view_names()
        assert _paid(again) == paid
        assert verify(again, jan).ok
        batches.lock(again, feb, by="cy")
        assert _paid(again) == sorted(paid + _events(again, feb))
        assert verify(again, feb).ok
    finally:
        again.close()


def test_a_store_downgraded_to_0020_has_the_table_and_its_guards_back(csvs, store_url,
                                                                        tmp_path):
    """Down: the view's rows copied into the table of 0017, which pays at lock, refuses an
    event paid twice and a row written by hand; up again: the view, the same rows."""
    store = open_store(store_url)
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    jan = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, jan, by="bob")
    batches.lock(store, jan, by="cy")
    paid = _paid(store)
    with store.write() as conn:
        command.downgrade(alembic_config(conn), "0020_batch_volumes")
        # this version's runs keep their counts (0023): that table alone, unguarded, so
        # the batches below run on 0020's paid events; dropped again before the upgrade
        batchdb.COUNTS.create(conn)
    try:
        with store.read() as conn:
            assert "paid_events" in inspect(conn).get_table_names()
            assert "ix_batch_events_event" not in {
                ix["name"] for ix in inspect(conn).get_indexes("batch_events")}
        assert _paid(store) == paid
        feb = batches.run_batch(store, "2026-02", by="ann").batch_id
        batches.approve(store, feb, by="bob")
        batches.lock(store, feb, by="cy")  # the copy trigger pays it
        assert _paid(store) == sorted(paid + _events(store, feb))
        with pytest.raises(IntegrityError), store.write() as conn:  # paid once: the key
            conn.execute(text("INSERT INTO paid_events (event_kind, event_id, batch_id) "
                              f"VALUES ('payment', 'P1', {feb})"))
        with pytest.raises(DBAPIError, match="permanent"), store.write() as conn:
            conn.execute(text("DELETE FROM paid_events"))
        both = _paid(store)
        with store.write() as conn:
            batchdb.COUNTS.drop(conn)  # 0023 counts both batches again on the way up
    finally:
        store.close()
    again = open_store(store_url)
    try:
        assert _paid(again) == both and verify(again, jan).ok and verify(again, feb).ok
    finally:
        again.close()


def test_a_lock_writes_no_row_per_event(csvs, store, tmp_path):
    """The lock changes the batch's status and writes its seal: nothing per event (the
    catch-up lock of a million invoices copied 2.9M rows before 0021)."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    with store.read() as conn:
        tables = sorted(inspect(conn).get_table_names())

    def rows() -> dict[str, int]:
        with store.read() as conn:
            return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                    for t in tables}

    before = rows()
    batches.lock(store, b, by="cy")
    grew = {t: n - before[t] for t, n in rows().items() if n != before[t]}
    assert set(grew) <= {"batch_seals", "batch_seal_reps", "audit_log"}, grew
    assert _paid(store) == _events(store, b) and len(_events(store, b)) > len(grew)
    with store.read() as conn:
        assert "ix_batch_events_event" in {
            ix["name"] for ix in inspect(conn).get_indexes("batch_events")}


def test_two_locks_at_once_pay_an_event_once(csvs, store, store_url, tmp_path):
    """Two programs lock two approved batches holding the same events at the same time,
    not through the app (no writer lock of its own): the second waits for the first
    and is refused; exactly one batch pays them."""
    import threading

    from sqlalchemy import create_engine

    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    jan = batches.run_batch(store, "2026-01", by="ann").batch_id
    both = batches.run_batch(store, "2026-02", by="ann").batch_id  # January and February
    for b in (jan, both):
        batches.approve(store, b, by="bob")
    lock = ("UPDATE batches SET status = 'locked', locked_by = 'x', "
            "locked_at = CURRENT_TIMESTAMP WHERE batch_id = {}")
    first, second = create_engine(store_url), create_engine(store_url)
    holding, errors = threading.Event(), list[Exception]()

    def lock_january() -> None:
        try:
            with first.begin() as conn:
                conn.execute(text(lock.format(jan)))
                holding.set()
                threading.Event().wait(0.5)  # the other lock starts while this one is open
        except Exception as exc:  # reported below
            errors.append(exc)
            holding.set()

    try:
        thread = threading.Thread(target=lock_january)
        thread.start()
        assert holding.wait(30)
        with pytest.raises(IntegrityError, match="paid once"), second.begin() as conn:
            conn.execute(text(lock.format(both)))
        thread.join(30)
    finally:
        first.dispose()
        second.dispose()
    assert not errors
    assert [batches.show(store, b).status for b in (jan, both)] == ["locked", "approved"]
    assert _paid(store) == _events(store, jan)


def test_postgresql_refuses_a_lock_it_could_not_check_against_a_concurrent_one(
        csvs, pg_schema_url, tmp_path):
    """Read committed only: in a repeatable read transaction a lock committed meanwhile
    would be invisible to the check."""
    from sqlalchemy import create_engine

    store = open_store(pg_schema_url)
    try:
        batches.load(store, csvs.small(tmp_path / "data"), RULES)
        b = batches.run_batch(store, "2026-01", by="ann").batch_id
        batches.approve(store, b, by="bob")
        engine = create_engine(pg_schema_url, isolation_level="REPEATABLE READ")
        try:
            with pytest.raises(IntegrityError, match="read committed"), \
                    engine.begin() as conn:
                conn.execute(text("UPDATE batches SET status = 'locked', locked_by = 'x', "
                                  f"locked_at = CURRENT_TIMESTAMP WHERE batch_id = {b}"))
        finally:
            engine.dispose()
        assert batches.show(store, b).status == "approved" and _paid(store) == []
        batches.lock(store, b, by="cy")  # the program's own lock: read committed
        assert _paid(store) == _events(store, b)
    finally:
        store.close()

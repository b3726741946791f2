"""The store: migrations, loading (all or nothing, idempotent), and history kept read-only.

Each test runs on SQLite and on PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import String, create_engine, text
from sqlalchemy.exc import DBAPIError

import commission.payroll.loading as loading_mod
import commission.store.loads as loads_mod
from commission.inputs.reading import read_tables, to_inputs
from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.payroll import lifecycle as batches
from commission.problems import InputError
from commission.store import batchdb, metadata, open_store
from commission.store.migrate import current_revision, head_revision

TABLES = (*COLUMNS, "plans", "loads")

#: fixtures store, store_url (SQLite and PostgreSQL) and csvs (CSV folders)
RULES = Path(__file__).resolve().parents[2] / "rules"


def counts(store) -> dict[str, int]:
    with store.read() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def recorded(store) -> dict[str, list]:
    """Every input row's (key, recorded_at, load_id): what 'changed' means for a record."""
    out = {}
    with store.read() as conn:
        for name, cols in COLUMNS.items():
            key = cols[0] if name != "splits" else "invoice_id, rep_id"
            out[name] = conn.execute(text(
                f"SELECT {key}, recorded_at, load_id FROM {name} ORDER BY {key}")).all()
    return out


# ----------------------------------------------------------------------------- schema


def schema_diffs(store) -> list:
    """What the migrated database lacks or has beyond the models.

    A VARCHAR whose length alone differs is no difference on SQLite, which never
    enforces a length (0014 widens ``batch_lines.line_kind`` on PostgreSQL only).
    """
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    if store.engine.dialect.name != "sqlite":
        return diffs
    return [d for d in diffs if not _length_only(d)]


def _length_only(diff) -> bool:
    change = diff[0] if isinstance(diff, list) and len(diff) == 1 else diff
    if not (isinstance(change, tuple) and change[0] == "modify_type"):
        return False
    old, new = change[5], change[6]
    return isinstance(old, String) and isinstance(new, String)


def test_migrations_create_exactly_the_schema_of_the_models(store):
    assert schema_diffs(store) == []


def test_a_database_made_earlier_opens_again_at_the_same_revision(store_url):
    open_store(store_url).close()
    again = open_store(store_url)
    with again.read() as conn:
        assert current_revision(conn) == head_revision()
    again.close()


def test_a_store_a_newer_version_migrated_is_refused_and_left_as_it_is(store_url, capsys):
    """A revision this version does not know: one line saying so, at the door and in the
    command line (exit 2, no traceback), and the database untouched."""
    from commission.cli import main
    from commission.problems import StoreError

    store = open_store(store_url)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    store.close()
    with pytest.raises(StoreError, match=r"0099_from_the_future.*does not know"):
        open_store(store_url)
    assert main(["batch", "list", "--db", store_url, "--as", "root@example.com"]) == 2
    err = capsys.readouterr().err
    assert "0099_from_the_future" in err and "Traceback" not in err
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() \
                == "0099_from_the_future"
    finally:
        engine.dispose()


def test_the_migration_can_be_undone_and_redone(store_url):
    from alembic import command
    from sqlalchemy import inspect

    from commission.store.migrate import alembic_config

    s = open_store(store_url)
    with s.write() as conn:
        command.downgrade(alembic_config(conn), "base")
    with s.read() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    s.close()
    open_store(store_url).close()


def test_sqlite_store_runs_in_wal_mode_with_foreign_keys(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with s.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    s.close()


def test_default_url_is_commission_db_or_the_environment(monkeypatch, tmp_path):
    from commission.store import default_url

    monkeypatch.delenv("COMMISSION_DB", raising=False)
    assert default_url() == "sqlite:///commission.db"
    monkeypatch.setenv("COMMISSION_DB", f"sqlite:///{tmp_path / 'other.db'}")
    assert default_url().endswith("other.db")
    open_store().close()
    assert (tmp_path / "other.db").exists()


# ----------------------------------------------------------------------------- loading


def test_store_gives_back_exactly_the_typed_tables_it_was_loaded_with(store, tmp_path):
    from commission.sample import write_sample

    write_sample(tmp_path / "data", n_invoices=300, part2=False)
    batches.load(store, tmp_path / "data", RULES)
    tables, problems = read_tables(tmp_path / "data")
    assert problems == []
    expected = to_inputs(tables)
    got = store.stored_inputs()
    for name in COLUMNS:
        want = getattr(expected, name).drop(columns="_line")[COLUMNS[name]]  # what it stores
        want = want.sort_values(want.columns[:2].tolist() if name == "splits"
                                else want.columns[0], ignore_index=True)
        back = getattr(got, name)[COLUMNS[name]]
        pd.testing.assert_frame_equal(back, want, check_dtype=False)
        assert list(back.dtypes) == list(want.dtypes), name


def test_loading_the_same_folder_twice_changes_nothing(csvs, store, tmp_path):
    data = csvs.small(tmp_path / "data")
    first = batches.load(store, data, RULES)
    assert first.changed and first.tables["payments"]["inserted"] == 3
    before, stamps = counts(store), recorded(store)
    again = batches.load(store, data, RULES)
    assert not again.changed and again.load_id is None
    assert again.tables["payments"] == {"inserted": 0, "updated": 0, "deleted": 0,
                                        "unchanged": 3}
    assert counts(store) == before
    assert recorded(store) == stamps


def test_a_partial_load_upserts_by_id_and_records_when(csvs, store, tmp_path):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    stamps = recorded(store)
    fix = csvs.write(tmp_path / "fix", payments=[
        ("P3", "I1", "2026-03-10", "650.00", None),  # changed
        ("P4", "I1", "2026-03-12", "100.00", None),  # new
    ])
    summary = batches.load(store, fix)
    assert summary.tables == {"payments": {"inserted": 1, "updated": 1, "deleted": 0,
                                           "unchanged": 0}}
    now = recorded(store)
    assert now["invoices"] == stamps["invoices"]  # untouched tables keep their stamps
    by_id = {r[0]: r for r in now["payments"]}
    assert by_id["P1"] == next(r for r in stamps["payments"] if r[0] == "P1")
    assert by_id["P3"][2] == by_id["P4"][2] == summary.load_id
    assert by_id["P3"][1] > stamps["payments"][0][1]
    amounts = store.stored_inputs().payments.set_index("payment_id")["amount"]
    assert amounts["P3"] == 65000 and amounts["P4"] == 10000


def test_a_splits_file_replaces_the_splits_of_the_invoices_it_names(csvs, store, tmp_path):
    data = csvs.small(tmp_path / "data")
    csvs.write(data, splits=[("I1", "R1", "0.5"), ("I1", "R2", "0.5"),
                             ("I2", "R1", "0.3"), ("I2", "R2", "0.7")])
    batches.load(store, data, RULES)
    summary = batches.load(store, csvs.write(tmp_path / "fix", splits=[
        ("I1", "R1", "0.6"), ("I1", "R2", "0.4")]))
    assert summary.tables["splits"] == {"inserted": 0, "updated": 2, "deleted": 0,
                                        "unchanged": 0}
    summary = batches.load(store, csvs.write(tmp_path / "fix2", splits=[("I2", "R2", "1")]))
    assert summary.tables["splits"]["deleted"] == 1
    splits = store.stored_inputs().splits
    assert list(map(tuple, splits[["invoice_id", "rep_id", "share"]].to_numpy())) == [
        ("I1", "R1", 600_000_000), ("I1", "R2", 400_000_000), ("I2", "R2", 1_000_000_000)]


def test_a_load_with_any_problem_writes_nothing_and_reports_them_all(csvs, store, tmp_path):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    before, stamps, inputs = counts(store), recorded(store), store.stored_inputs()
    bad = csvs.write(tmp_path / "bad", payments=[
        ("P5", "I1", "2026-03-15", "100.00", None),  # fine on its own
        ("P6", "I9", "2026-03-15", "100.00", None),  # unknown invoice
        ("P7", "I2", "2026-03-15", "9000.00", None),  # over-settles I2 (5,000.00)
    ], reps=[("R3", "Rep Three", "r3@example.com", None, "no-such-plan")])
    with pytest.raises(InputError) as err:
        batches.load(store, bad, RULES)
    text_ = "\n".join(map(str, err.value.problems))
    assert "unknown invoice I9" in text_ and "unknown plan no-such-plan" in text_
    assert "over-settled" in text_
    assert counts(store) == before and recorded(store) == stamps
    for name in COLUMNS:
        pd.testing.assert_frame_equal(getattr(store.stored_inputs(), name), getattr(inputs, name))


def test_a_load_that_fails_while_writing_leaves_the_store_unchanged(csvs, store, tmp_path,
                                                                    monkeypatch):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    before, stamps = counts(store), recorded(store)
    real = loads_mod.write_frame
    calls = []

    def failing(conn, table, frame, key=None, constants=None):
        calls.append(table.name)
        if table.name == "payments":
            raise RuntimeError("disk full")
        real(conn, table, frame, key=key, constants=constants)

    monkeypatch.setattr(loads_mod, "write_frame", failing)
    more = csvs.write(tmp_path / "more",
                      invoices=[("I3", "C1", "R1", "2026-03-01", "2026-03-31", "100.00")],
                      payments=[("P8", "I3", "2026-03-05", "100.00", None)])
    with pytest.raises(RuntimeError, match="disk full"):
        batches.load(store, more)
    assert "invoices" in calls  # invoices were written, then rolled back
    assert counts(store) == before and recorded(store) == stamps


# ----------------------------------------------------------------------------- history


def _lock_january(csvs, store, tmp_path: Path) -> int:
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann")
    batches.approve(store, b.batch_id, by="bob")
    batches.lock(store, b.batch_id, by="cy")
    return b.batch_id


def test_an_event_paid_by_a_locked_batch_cannot_be_reloaded_changed(csvs, store, tmp_path):
    batch_id = _lock_january(csvs, store, tmp_path)
    before = recorded(store)
    fix = csvs.write(tmp_path / "fix", payments=[("P1", "I1", "2026-01-20", "3900.00", None),
                                                 *csvs.PAYMENTS[1:]])
    with pytest.raises(InputError) as err:
        batches.load(store, fix)
    (problem,) = err.value.problems
    assert problem.record_id == "P1" and problem.row == 2
    assert f"paid by locked batch {batch_id} (2026-01)" in problem.message
    assert recorded(store) == before


def test_a_load_asks_the_store_only_whether_the_rows_it_changes_were_paid(
        csvs, store, tmp_path, monkeypatch):
    """Each changed record a locked batch paid is refused with its batch and period, the
    splits of an invoice with paid events too; unpaid records change. The load asks the
    store about the changed rows only: reading every paid event (millions in a large
    store) was 40% of a monthly load."""
    _lock_january(csvs, store, tmp_path)  # pays I1, I2 and P1; P2 and P3 are later
    monkeypatch.setattr(batchdb, "paid_events", lambda conn: pytest.fail("every paid event"))
    p2 = csvs.PAYMENTS[1]
    fix = csvs.write(tmp_path / "fix",
                     invoices=[("I1", "C1", "R1", "2026-01-05", "2026-03-06", "10000.00")],
                     payments=[("P1", "I1", "2026-01-20", "3900.00", None), p2,
                               ("P3", "I1", "2026-03-11", "600.00", None)],
                     splits=[("I1", "R1", "0.5"), ("I1", "R2", "0.5")])
    with pytest.raises(InputError) as err:
        batches.load(store, fix)
    assert [str(p) for p in err.value.problems] == [
        "invoices.csv:2 I1: invoice I1 was paid by locked batch 1 (2026-01) and cannot change; "
        "expected the record as it was; a correction is a new reversal, credit note or "
        "adjustment",
        "payments.csv:2 P1: payment P1 was paid by locked batch 1 (2026-01) and cannot change; "
        "expected the record as it was; a correction is a new reversal, credit note or "
        "adjustment",
        "splits.csv:2 [share] I1: invoice I1 has events paid by locked batch 1: its splits are "
        "history and cannot change; expected the splits as they were; a correction is a "
        "reversal or an adjustment"]
    later = batches.load(store, csvs.write(tmp_path / "later", payments=[
        ("P3", "I1", "2026-03-11", "600.00", None)]))
    assert later.tables["payments"]["updated"] == 1  # P3: no locked batch paid it


@pytest.mark.parametrize("sql", [
    "UPDATE batch_lines SET amount = 0 WHERE batch_id = {id}",
    "DELETE FROM batch_lines WHERE batch_id = {id}",
    "UPDATE batch_payouts SET payout = payout + 1 WHERE batch_id = {id}",
    "DELETE FROM batch_payouts WHERE batch_id = {id}",
    "DELETE FROM batch_events WHERE batch_id = {id}",
    "UPDATE batches SET run_by = 'mallory' WHERE batch_id = {id}",
    "DELETE FROM batches WHERE batch_id = {id}",
    "INSERT INTO batch_lines SELECT batch_id, line_no + 1000, period, rep_id, plan_id, "
    "line_kind, event_id, invoice_id, event_date, base_amount, share, rate, rate_num, rate_den, "
    "days_late, haircut_num, haircut_pct, gross, haircut, amount, prior_period, explanation "
    "FROM batch_lines WHERE batch_id = {id}",
    "UPDATE batch_events SET amount = amount + 1 WHERE batch_id = {id}",
    "UPDATE payments SET amount = 1 WHERE payment_id = 'P1'",
    "DELETE FROM payments WHERE payment_id = 'P1'",
    "UPDATE invoices SET due_date = invoice_date WHERE invoice_id = 'I2'",
])
def test_the_database_itself_refuses_to_change_a_locked_batch(csvs, store, tmp_path, sql):
    batch_id = _lock_january(csvs, store, tmp_path)
    lines = batches.batch_lines(store, batch_id)
    with pytest.raises(DBAPIError, match=r"locked|permanent"), store.write() as conn:
        conn.execute(text(sql.format(id=batch_id)))
    pd.testing.assert_frame_equal(batches.batch_lines(store, batch_id), lines)


def test_the_database_refuses_to_lock_a_batch_that_was_not_approved(csvs, store, tmp_path):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann")
    with pytest.raises(DBAPIError, match="approved before"), store.write() as conn:
        conn.execute(text("UPDATE batches SET status = 'locked', locked_by = 'x' "
                          f"WHERE batch_id = {b.batch_id}"))
    assert batches.show(store, b.batch_id).status == "draft"


def test_a_draft_batch_can_still_be_rewritten(csvs, store, tmp_path):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann")
    with store.write() as conn:
        conn.execute(text("UPDATE batch_lines SET explanation = 'x' "
                          f"WHERE batch_id = {b.batch_id}"))
    assert set(batches.batch_lines(store, b.batch_id)["explanation"]) == {"x"}


def test_a_bulk_load_still_checks_every_reference(csvs, store, tmp_path, monkeypatch):
    monkeypatch.setattr(loads_mod, "BULK_ROWS", 1)  # PostgreSQL: keys dropped, re-added
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    assert schema_diffs(store) == []
    with pytest.raises(DBAPIError), store.write() as conn:
        conn.execute(text("INSERT INTO payments (payment_id, invoice_id, payment_date, amount, "
                          "recorded_at, load_id) SELECT 'PX', 'NO-SUCH-INVOICE', payment_date, "
                          "1, recorded_at, load_id FROM payments WHERE payment_id = 'P1'"))


def test_a_load_that_rebuilds_indexes_but_keeps_its_keys_writes(csvs, store, tmp_path,
                                                                 monkeypatch):
    """More rows than a table held but fewer than BULK_ROWS in all: its indexes are built
    after the write with its keys kept, whose checks wait for the commit. PostgreSQL
    refused to build an index with checks pending, and the load failed; they now run
    first. Then a load of one more payment writes it as usual."""
    import commission.store.bulk as bulk_mod

    monkeypatch.setattr(bulk_mod, "BULK_INDEX_ROWS", 1)  # every table's indexes rebuilt
    summary = batches.load(store, csvs.small(tmp_path / "data"), RULES)
    assert summary.tables["payments"]["inserted"] > 0
    assert schema_diffs(store) == []
    more = csvs.write(tmp_path / "more", payments=[("P9", "I2", "2026-03-01", "1.00", None)])
    assert batches.load(store, more).tables["payments"]["inserted"] == 1


def test_a_bulk_batch_write_still_checks_every_reference(csvs, store, tmp_path, monkeypatch):
    """A store's first catch-up writes its lines and events with their references to
    ``batches`` checked once (PostgreSQL: keys dropped, added back); the keys are there
    after it, and a line or event of no batch is still refused."""
    import commission.store.bulk as bulk_mod

    monkeypatch.setattr(bulk_mod, "BULK_INDEX_ROWS", 1)  # every write is "at scale"
    checked: list[list[str]] = []
    real = batchdb.foreign_keys_checked_once

    def spy(conn, tables):
        checked.append(sorted(t.name for t in tables))
        return real(conn, tables)

    monkeypatch.setattr(batchdb, "foreign_keys_checked_once", spy)
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    assert checked == [["batch_events", "batch_lines"]]
    assert schema_diffs(store) == [] and len(batches.batch_lines(store, b)) > 0
    for sql in (f"INSERT INTO batch_lines SELECT {b + 7}, line_no, period, rep_id, plan_id, "
                "line_kind, event_id, invoice_id, event_date, base_amount, share, rate, rate_num, "
                "rate_den, days_late, haircut_num, haircut_pct, gross, haircut, amount, "
                f"prior_period, explanation FROM batch_lines WHERE batch_id = {b}",
                f"INSERT INTO batch_events SELECT {b + 7}, event_kind, event_id, event_date, "
                f"amount, row_hash FROM batch_events WHERE batch_id = {b}"):
        with pytest.raises(DBAPIError), store.write() as conn:
            conn.execute(text(sql))


def test_a_load_that_another_load_overtakes_is_merged_again(csvs, store, store_url, tmp_path,
                                                             monkeypatch):
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    other = csvs.write(tmp_path / "other", payments=[("P5", "I2", "2026-03-01", "100.00", None)])
    mine = csvs.write(tmp_path / "mine", payments=[("P6", "I2", "2026-03-02", "200.00", None)])
    real_merge, calls = loading_mod.merge, []

    def overtaken(current, new):
        if "P6" not in set(new["payments"]["payment_id"]):
            return real_merge(current, new)  # the other load
        calls.append(sorted(current.payments["payment_id"]))
        if len(calls) == 1:  # another program's load commits while this one validates
            with open_store(store_url) as s2:
                batches.load(s2, other)
        return real_merge(current, new)

    monkeypatch.setattr(loading_mod, "merge", overtaken)
    summary = batches.load(store, mine)
    assert calls[1] == ["P1", "P2", "P3", "P5"]  # merged again over the other load
    assert summary.tables["payments"]["inserted"] == 1
    assert sorted(store.stored_inputs().payments["payment_id"]) == ["P1", "P2", "P3", "P5", "P6"]


def test_a_load_that_a_lock_overtakes_is_checked_again_against_what_is_now_paid(
        csvs, store, store_url, tmp_path, monkeypatch):
    """A lock committed while a load validates pays events the load saw unpaid: the load
    starts again and now refuses to change a paid payment (and writes nothing)."""
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    b = batches.run_batch(store, "2026-01", by="ann").batch_id
    batches.approve(store, b, by="bob")
    edit = csvs.write(tmp_path / "edit", payments=[("P1", "I1", "2026-01-20", "3999.00", None)])
    real_merge, calls = loading_mod.merge, []

    def overtaken(current, new):
        calls.append(1)
        if len(calls) == 1:  # the lock commits while this load validates
            with open_store(store_url) as s2:
                batches.lock(s2, b, by="cy")
        return real_merge(current, new)

    monkeypatch.setattr(loading_mod, "merge", overtaken)
    with pytest.raises(InputError) as err:
        batches.load(store, edit)
    assert "P1 was paid by locked batch 1" in "\n".join(map(str, err.value.problems))
    assert len(calls) == 2  # merged and checked again, after the lock
    amounts = store.stored_inputs().payments.set_index("payment_id")["amount"]
    assert int(amounts["P1"]) == 400_000


def _frozen(store) -> dict[str, list]:
    """Every row of every batch table, as stored."""
    out = {}
    with store.read() as conn:
        for t in ("batches", "batch_runs", "batch_plans", "batch_events", "paid_events",
                  "batch_lines", "batch_payouts"):
            names = list(conn.exec_driver_sql(f"SELECT * FROM {t} LIMIT 0").keys())
            # columns added after 0008 (attainment: 0010; draw, forfeited: 0013) start NULL
            cols = [c for c in names if c not in ("attainment", "draw", "forfeited")]
            out[t] = sorted(conn.execute(text(f"SELECT {', '.join(cols)} FROM {t}")).all(),
                            key=repr)
    return out


def test_a_store_of_the_previous_version_upgrades_in_place_and_keeps_its_locked_batches(
        csvs, store_url, tmp_path):
    """A database at revision 0008 (before part 2) with a locked batch opens at head: the
    new tables are empty, the locked batch is unchanged and not stale, the next runs."""
    from alembic import command

    from commission.store.migrate import alembic_config

    store = open_store(store_url)
    batch_id = _lock_january(csvs, store, tmp_path)
    with store.write() as conn:  # the database as the previous version left it
        command.downgrade(alembic_config(conn), "0008")
    with store.read() as conn:
        assert current_revision(conn) == "0008"
    before = _frozen(store)
    store.close()

    again = open_store(store_url)
    try:
        with again.read() as conn:
            assert current_revision(conn) == head_revision()
            for t in ("plan_assignments", "quotas", "commission_adjustments"):
                assert conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() == 0
            assert conn.execute(text("SELECT COUNT(*) FROM adjustments "
                                     "WHERE reverses_adjustment_id IS NOT NULL")).scalar_one() == 0
        assert _frozen(again) == before
        shown = batches.show(again, batch_id)
        assert shown.status == "locked" and shown.fingerprint == before["batches"][0][-1]
        assert batches.diff(again, batch_id) == []  # no paid event looks changed
        assert batches.batch_payouts(again, batch_id)["attainment"].tolist() == [""] * len(
            before["batch_payouts"])
        nxt = batches.run_batch(again, "2026-02", by="ann")
        assert nxt.batch_id != batch_id
        after = _frozen(again)
        for t in ("batch_lines", "batch_payouts", "batch_events", "paid_events"):
            assert [r for r in after[t] if batch_id in tuple(r)[:1]] == [
                r for r in before[t] if batch_id in tuple(r)[:1]]
    finally:
        again.close()


def test_assignments_quotas_and_manual_lines_a_locked_batch_used_cannot_change(
        csvs, store, tmp_path):
    extra = csvs.write(tmp_path / "extra",
                       plan_assignments=[("R1", "collected-stepped", "2026-01-01")],
                       quotas=[("R1", "2026-01", "9000.00")],
                       commission_adjustments=[("M1", "R1", "2026-01-15", "100.00", "SPIFF")])
    batches.load(store, csvs.small(tmp_path / "data"), RULES)
    batches.load(store, extra)
    b = batches.run_batch(store, "2026-01", by="ann")
    assert "manual" in set(batches.batch_lines(store, b.batch_id)["line_kind"])
    batches.approve(store, b.batch_id, by="bob")
    batches.lock(store, b.batch_id, by="cy")
    fix = csvs.write(tmp_path / "fix",
                     plan_assignments=[("R1", "invoiced-traditional", "2026-01-01")],
                     quotas=[("R1", "2026-01", "1.00")],
                     commission_adjustments=[("M1", "R1", "2026-01-15", "900.00", "SPIFF")])
    with pytest.raises(InputError) as err:
        batches.load(store, fix)
    found = {p.source for p in err.value.problems}
    assert found == {"plan_assignments.csv", "quotas.csv", "commission_adjustments.csv"}
    # from a month no locked batch paid, an assignment, quota or manual line is new data
    later = csvs.write(tmp_path / "later",
                       plan_assignments=[("R1", "invoiced-traditional", "2026-02-01")],
                       quotas=[("R1", "2026-02", "9000.00")],
                       commission_adjustments=[("M2", "R1", "2026-02-15", "50.00", "SPIFF")])
    batches.load(store, later)
    nxt = batches.run_batch(store, "2026-02", by="ann")
    manual = batches.batch_lines(store, nxt.batch_id).query("line_kind == 'manual'")
    assert manual["event_id"].tolist() == ["M2"]  # M1 was paid by January, once

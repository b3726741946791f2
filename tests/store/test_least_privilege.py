"""The least-privilege PostgreSQL role of docs/security.md: runs payroll, cannot disarm the store.

The store's tables belong to the role that ran the migrations (the owner). The app
and the CLI connect as another role, granted only SELECT, INSERT, UPDATE, DELETE
on the tables and USAGE on the sequences: it runs the whole lifecycle, but cannot
disable or drop a trigger, alter or drop a table, or truncate history.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from commission.payroll import approve, batch_payouts, load, lock, run_batch
from commission.payroll.verify import verify
from commission.store import open_store

RULES = Path(__file__).resolve().parents[2] / "rules"
pytestmark = pytest.mark.postgres


def grants(schema: str, role: str) -> list[str]:
    """The statements of docs/security.md, for one schema."""
    return [
        f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret' NOSUPERUSER NOCREATEDB NOCREATEROLE",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


@pytest.fixture
def app_url(pg_schema_url):
    """The owner migrates the store; a role that is not the owner gets the app's grants."""
    open_store(pg_schema_url).close()
    url = make_url(pg_schema_url)
    schema = url.query["options"].split("=", 1)[1]
    role = f"commission_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(pg_schema_url)
    with owner.begin() as conn:
        for s in grants(schema, role):
            conn.exec_driver_sql(s)
    try:
        yield url.set(username=role, password="app-secret").render_as_string(
            hide_password=False)
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        owner.dispose()


def _lifecycle(url: str, data: Path) -> None:
    """Load, run, approve, lock and verify January as the app role."""
    with open_store(url) as store:
        load(store, data, RULES)
        b = run_batch(store, "2026-01", by="ann")
        approve(store, b.batch_id, by="bob")
        lock(store, b.batch_id, by="cy")
        assert verify(store, b.batch_id).ok
        assert int(batch_payouts(store, b.batch_id)["payout"].sum()) == 40000


def test_the_app_role_runs_the_payroll_lifecycle(app_url, csvs, tmp_path):
    _lifecycle(app_url, csvs.small(tmp_path / "data"))


def test_a_table_a_later_migration_adds_is_granted_without_repeating_the_grants(
        app_url, pg_schema_url):
    """The owner's default privileges reach tables created after the grants (an upgrade)."""
    owner = create_engine(pg_schema_url)
    try:
        with owner.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE later_table (id SERIAL PRIMARY KEY, note TEXT)")
    finally:
        owner.dispose()
    app = create_engine(app_url)
    try:
        with app.begin() as conn:
            conn.exec_driver_sql("INSERT INTO later_table (note) VALUES ('written by the app')")
            assert conn.exec_driver_sql("SELECT count(*) FROM later_table").scalar() == 1
    finally:
        app.dispose()


@pytest.mark.parametrize("statement", [
    "ALTER TABLE batch_lines DISABLE TRIGGER ALL",
    "ALTER TABLE batch_lines DISABLE TRIGGER batch_lines_guard_update",
    "DROP TRIGGER batch_lines_guard_update ON batch_lines",
    "ALTER TABLE batch_payouts ADD COLUMN bonus bigint",
    "DROP TABLE batch_seals",
    "TRUNCATE batch_events",
    # what "paid" means (migration 0021) is the owner's, not the app's
    "CREATE OR REPLACE VIEW paid_events AS SELECT event_kind, event_id, batch_id "
    "FROM batch_events",
    "DROP VIEW paid_events",
    "DROP TRIGGER batches_lock_pays_once ON batches",
    "CREATE OR REPLACE FUNCTION commission_guard_batch_rows() RETURNS trigger "
    "LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$",
])
def test_the_app_role_cannot_disarm_the_store(app_url, statement):
    engine = create_engine(app_url)
    try:
        with pytest.raises(DBAPIError, match=r"must be owner|permission denied"), \
                engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_the_app_role_writes_in_bulk_without_owning_the_tables(app_url, csvs, tmp_path,
                                                                monkeypatch):
    """At scale a write drops foreign keys and indexes and builds them after, which only
    the owner may: the app role writes the same rows with them kept, and locks the same."""
    from commission.store import bulk, loads

    monkeypatch.setattr(loads, "BULK_ROWS", 1)  # every write is "at scale"
    monkeypatch.setattr(bulk, "BULK_INDEX_ROWS", 1)
    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 1)  # and asks for counts (the owner's to take)
    _lifecycle(app_url, csvs.small(tmp_path / "data"))

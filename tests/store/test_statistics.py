"""PostgreSQL plans the command after a bulk write with the rows it wrote counted.

Right after a load or a catch-up run the planner still believed the tables empty
(autovacuum counts them a minute later), and the month's run that followed hashed
every paid event of the store. A write that grows a table by a tenth or more
(``bulk.statistics_refreshed``) now analyzes it in its own transaction; a smaller
write leaves the counts to autovacuum.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from commission.payroll import load, run_batch
from commission.store import bulk, open_store

RULES = Path(__file__).resolve().parents[2] / "rules"
pytestmark = pytest.mark.postgres

PAYMENTS = 30


def _counts(url: str) -> dict[str, tuple[int, float]]:
    """Per table of the store's schema: (times analyzed by a command, rows as counted)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT s.relname, s.analyze_count, c.reltuples FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema()")
            return {name: (int(n), float(tuples)) for name, n, tuples in rows}
    finally:
        engine.dispose()


def _data(csvs, folder: Path, payments: int) -> Path:
    """The small data set with ``payments`` payments of 1.00 on its first invoice."""
    rows = [(f"P{i:03d}", "I1", "2026-01-20", "1.00", None) for i in range(payments)]
    data = csvs.small(folder)
    return csvs.write(data, payments=rows)


def test_a_write_that_grows_a_table_by_a_tenth_analyzes_it(pg_schema_url, csvs, tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 2)
    with open_store(pg_schema_url) as store:
        load(store, _data(csvs, tmp_path / "a", PAYMENTS), RULES)
        first = _counts(pg_schema_url)
        assert first["payments"] == (1, PAYMENTS)  # counted as written
        assert first["invoices"] == (1, 2)
        assert first["customers"][0] == 0  # one row: under ANALYZE_ROWS

        run_batch(store, "2026-01", by="ann")
        ran = _counts(pg_schema_url)
        assert ran["batch_lines"][0] == 1 and ran["batch_lines"][1] >= 2
        assert ran["batch_events"] == (1, PAYMENTS + 2)  # 30 payments and 2 invoices

        load(store, _data(csvs, tmp_path / "b", PAYMENTS + 2), RULES)  # 2 rows: < a tenth
        assert _counts(pg_schema_url)["payments"] == (1, PAYMENTS)
        load(store, _data(csvs, tmp_path / "c", PAYMENTS + 6), RULES)  # 4 more: a tenth
        assert _counts(pg_schema_url)["payments"] == (2, PAYMENTS + 6)


def test_below_the_threshold_nothing_is_analyzed(pg_schema_url, csvs, tmp_path):
    with open_store(pg_schema_url) as store:
        migrated = _counts(pg_schema_url)  # a migration analyzes what it fills
        load(store, _data(csvs, tmp_path / "a", PAYMENTS), RULES)
        run_batch(store, "2026-01", by="ann")
    after = _counts(pg_schema_url)
    assert {t: n for t, (n, _) in after.items()} == {t: n for t, (n, _) in migrated.items()}

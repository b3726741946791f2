"""Fixtures for the store tests: a fresh store on SQLite and on a real PostgreSQL.

Every test that takes ``store`` runs twice: on a SQLite file in ``tmp_path`` and
on PostgreSQL in a schema of its own (created for the test, dropped after), when
``COMMISSION_TEST_PG_URL`` names a server. Without it the PostgreSQL runs are
skipped locally, and fail under CI (``CI`` set): CI must test the real thing.

Every test below this folder can take these fixtures; `strategies` and `reference`
sit beside this file.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import BACKENDS, pg_url_or_skip
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.store import Store, open_store

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (dropped after the test)."""
    base = pg_url_or_skip()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'commission.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store."""
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


def write_data(folder: Path, **tables: list[tuple]) -> Path:
    """CSV files of the contract in ``folder``: rows as tuples in column order, None blank."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\n")
            width = max((len(r) for r in rows), default=len(COLUMNS[name]))
            out.writerow(COLUMNS[name][:width])  # shorter rows: a file without the later
            for row in rows:  # optional columns (adjustments.reverses_adjustment_id)
                out.writerow(["" if v is None else v for v in row])
    return folder


# ----------------------------------------------------------------------------- a small data set
# R1 (collected-stepped: 5%, 5 grace days, min payout 50.00) sells I1; R2 (invoiced-traditional:
# 4% at invoicing) sells I2. Worked by hand:
#   2026-01  R1: P1 4,000.00 on time -> 200.00      R2: I2 5,000.00 x 4% -> 200.00
#   2026-02  R1: P2 3,000.00, 11 days late -> 150.00
#   2026-03  R1: P3 600.00, 29 days late -> 30.00, under the 50.00 minimum: carried
REPS = [("R1", "Rep One", "r1@example.com", None, "collected-stepped"),
        ("R2", "Rep Two", "r2@example.com", "R1", "invoiced-traditional")]
CUSTOMERS = [("C1", "Customer One", "smb")]
INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "10000.00"),
            ("I2", "C1", "R2", "2026-01-10", "2026-02-09", "5000.00")]
PAYMENTS = [("P1", "I1", "2026-01-20", "4000.00", None),
            ("P2", "I1", "2026-02-20", "3000.00", None),
            ("P3", "I1", "2026-03-10", "600.00", None)]


def small_data(folder: Path) -> Path:
    """The small data set above as a full folder of CSV files."""
    return write_data(folder, reps=REPS, customers=CUSTOMERS, invoices=INVOICES,
                      payments=PAYMENTS, adjustments=[])


class Csvs:
    """The CSV helpers, handed to tests as the ``csvs`` fixture (test modules do not import
    this plugin module: pytest must import it first to rewrite its asserts)."""

    PAYMENTS = PAYMENTS
    write = staticmethod(write_data)
    small = staticmethod(small_data)


@pytest.fixture
def csvs() -> Csvs:
    return Csvs()

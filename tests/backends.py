"""The databases the store tests run on: SQLite always, PostgreSQL when a server is named.

A module of its own (not ``conftest``) so that a test module can import it: every
folder's ``conftest`` is imported under that one name.
"""

from __future__ import annotations

import os

import pytest

from commission.store.db import normalize_url

PG_ENV = "COMMISSION_TEST_PG_URL"

BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


def pg_url_or_skip() -> str:
    """The PostgreSQL URL; skipped locally without one, a failure under CI."""
    url = os.environ.get(PG_ENV)
    if url:
        return normalize_url(url)
    if os.environ.get("CI"):
        pytest.fail(f"{PG_ENV} is not set: CI must run the store tests on PostgreSQL")
    pytest.skip(f"{PG_ENV} not set (a PostgreSQL URL); PostgreSQL runs skipped")

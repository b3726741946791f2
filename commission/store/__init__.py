"""The system of record: inputs, plan versions, batches, lines and payouts in a database.

SQLite by default (``commission.db`` in the working folder), or any SQLAlchemy URL
in ``COMMISSION_DB`` / ``--db``; PostgreSQL is supported and tested. Opening a
store migrates it (alembic) to the schema this version expects. The batch
lifecycle built on it is in :mod:`commission.batches`.
"""

from __future__ import annotations

from commission.store import collections as _collections  # noqa: F401  (its tables)
from commission.store.db import DEFAULT_URL, Store, default_url, open_store
from commission.store.models import metadata
from commission.store.records import read_inputs

__all__ = ["DEFAULT_URL", "Store", "default_url", "metadata", "open_store", "read_inputs"]

"""The system of record: persistence only (models, migrations, bulk and snapshot I/O).

SQLite by default (``commission.db`` in the working folder), or any SQLAlchemy URL
in ``COMMISSION_DB`` / ``--db``; PostgreSQL is supported and tested. Opening a
store migrates it (alembic) to the schema this version expects. The batch
lifecycle built on it is in :mod:`commission.payroll`; this package never
imports the engine, payroll or the doors, and writes no sentences for people.

- :mod:`.db`: opening a store; snapshot reads and single-writer transactions;
- :mod:`.models`, :mod:`.migrate`, ``migrations/``: the schema;
- :mod:`.bulk`: frames in and out of tables, fast;
- :mod:`.records`: the input tables; :mod:`.loads`: writing a load;
- :mod:`.planstore`: plan versions; :mod:`.batchdb`: batches, lines, payouts.
"""

from __future__ import annotations

from commission.store import collections as _collections  # noqa: F401  (its tables join metadata)
from commission.store import identity as _identity  # noqa: F401  (its tables join metadata)
from commission.store import inquiries as _inquiries  # noqa: F401  (its tables join metadata)
from commission.store.db import Store, default_url, open_store
from commission.store.models import metadata
from commission.store.records import data_version, read_stored_inputs
from commission.vocabulary import DEFAULT_DB_URL

__all__ = ["DEFAULT_DB_URL", "Store", "data_version", "default_url", "metadata", "open_store",
           "read_stored_inputs"]

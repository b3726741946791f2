"""Alembic environment for the store.

The store runs migrations itself on open (``commission.store.migrate``) and hands
its connection in ``config.attributes["connection"]``. Run by hand (``alembic -c
commission/alembic.ini ...``, e.g. to autogenerate a new revision), it connects
to ``COMMISSION_DB`` (default ``sqlite:///commission.db``).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from commission.store import identity  # noqa: F401  (its tables join the metadata)
from commission.store.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - developer use from the command line
    url = os.environ.get("COMMISSION_DB") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url or "sqlite:///commission.db")
    with engine.begin() as conn:
        _run(conn)

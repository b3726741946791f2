"""Opening the store: one SQLAlchemy engine, migrated, with honest transactions.

Two kinds of transaction, the same on SQLite and PostgreSQL:

* ``read()``: a consistent snapshot (every table as of one moment), so a batch
  never computes from half of a concurrent load;
* ``write()``: one writer at a time (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL
  advisory lock per schema), committed whole or not at all.

SQLite runs in WAL mode (readers never block the writer) with foreign keys on.
pysqlite's own transaction handling is switched off so that a read transaction
really is a snapshot (it would otherwise not BEGIN before a SELECT).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool

from commission.inputs.tables import Inputs
from commission.store import balances, migrate, records
from commission.vocabulary import DB_URL_ENV, DEFAULT_DB_URL

SQLITE_BUSY_MS = 120_000  # a writer waits this long for another (a 1M-row load holds it ~1 min)
SQLITE_CACHE_KB = 131_072  # page cache per connection (128 MiB), only used as needed


def default_url() -> str:
    """``COMMISSION_DB`` if set, else ``commission.db`` in the working folder."""
    return os.environ.get(DB_URL_ENV) or DEFAULT_DB_URL


def utcnow() -> dt.datetime:
    """Timestamps are stored as naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean the psycopg 3 driver we ship with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass
class Store:
    """A migrated database holding inputs, plans, batches, lines and payouts."""

    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot of the whole store."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """The only writer until it commits (or rolls back on any exception)."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))
                yield conn

    def stored_inputs(self) -> Inputs:
        """The whole data set as the engine's typed :class:`~commission.inputs.tables.Inputs`."""
        with self.read() as conn:
            return records.read_stored_inputs(conn)

    def rep_inputs(self, rep_id: str, batch_id: int | None = None) -> Inputs:
        """What a rep's statement reads of the data (:func:`records.read_rep_inputs`)."""
        with self.read() as conn:
            return records.read_rep_inputs(conn, rep_id, batch_id)

    def aging_sums(self, day: dt.date, buckets: Sequence[tuple[int | None, int | None]],
                   rep_id: str | None = None) -> pd.DataFrame:
        """Each (rep, customer)'s open balances on ``day`` per age bucket, summed in the
        database (:func:`balances.aging_sums`): what aging reads."""
        with self.read() as conn:
            return balances.aging_sums(conn, day, buckets, rep_id)

    def input_table(self, name: str) -> pd.DataFrame:
        """One input table (e.g. ``reps``), as in :meth:`stored_inputs`, read alone."""
        with self.read() as conn:
            return records.read_table(conn, name)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sqlite_engine(url: str) -> Engine:
    memory = make_url(url).database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see "begin" below)
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")  # big loads touch big indexes
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _iso_dates(dbapi_conn, _record) -> None:
    """Dates as ISO text whatever the server's ``DateStyle``: ``COPY ... TO STDOUT``
    hands them to Arrow as text (store/bulk.py)."""
    dbapi_conn.execute("SET DateStyle TO 'ISO, YMD'")
    dbapi_conn.commit()


def open_store(url: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store at ``url`` or :func:`default_url`."""
    url = normalize_url(url or default_url())
    if make_url(url).get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        # UTF-8 whatever the database's own encoding: the bulk paths hand COPY the bytes
        # Arrow writes and parse what it sends as UTF-8 (store/bulk.py); the server
        # converts to and from a LATIN1 database, refusing what it cannot hold
        engine = create_engine(url, pool_pre_ping=True,
                               connect_args={"client_encoding": "utf8"})
        event.listen(engine, "connect", _iso_dates)
    store = Store(engine)
    try:
        with store.read() as conn:  # at the head already: no writer's lock to wait for
            current = migrate.at_declared_head(conn)
        if not current:
            with store.write() as conn:
                migrate.upgrade(conn)
    except BaseException:  # not opened: its connections are not left behind
        store.close()
        raise
    return store

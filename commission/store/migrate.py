"""Schema changes through alembic, run by the store itself when it opens.

A database made by one version of the program opens with the next: opening runs
``upgrade head`` inside one transaction (DDL is transactional on SQLite and
PostgreSQL), so a failed migration leaves the database as it was. Alembic is
configured in code, so an installed package needs no ini file.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config for the packaged migrations, bound to ``connection`` if given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this version of the program knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the database to the head revision, on the caller's open transaction."""
    if current_revision(connection) == head_revision():
        return
    command.upgrade(alembic_config(connection), "head")

"""Schema changes through alembic, run by the store itself when it opens.

A database made by one version of the program opens with the next: opening runs
``upgrade head`` inside one transaction (DDL is transactional on SQLite and
PostgreSQL), so a failed migration leaves the database as it was. Alembic is
configured in code, so an installed package needs no ini file.

Opening a store already at the head needs no alembic: the head is read from the
version files' ``revision`` / ``down_revision`` lines and the database's one row of
``alembic_version`` compared with it (alembic and its script directory cost a fresh
command about 0.2 s). Anything else (a new or older database, files that do not name
exactly one head) goes through alembic as before.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from commission.problems import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_DECLARED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config for the packaged migrations, bound to ``connection`` if given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def revision_module(filename: str) -> ModuleType:
    """A migration file of ``versions/`` loaded as a module: a later migration reuses its
    SQL (to put back what it replaces, or to rewrite it)."""
    path = MIGRATIONS / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"commission_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def head_revision() -> str:
    """The newest revision this version of the program knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@lru_cache(maxsize=1)
def declared_head() -> str | None:
    """The head as the version files declare it, without alembic: the one revision no
    file names as its ``down_revision``; None when the files do not say plainly."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(_DECLARED.findall(path.read_text(encoding="utf-8")))
        try:
            rev = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(rev, str):
            return None
        revisions.add(rev)
        downs.update(down if isinstance(down, tuple | list) else [down] if down else [])
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None for a new database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def at_declared_head(connection: Connection) -> bool:
    """Is the database at :func:`declared_head` (one row in ``alembic_version``)?"""
    head = declared_head()
    if head is None or not inspect(connection).has_table("alembic_version"):
        return False
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    return [r[0] for r in rows] == [head]


def upgrade(connection: Connection) -> None:
    """Bring the database to the head revision, on the caller's open transaction."""
    if at_declared_head(connection):
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    current = current_revision(connection)
    if current == head_revision():
        return
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(f"the store is at schema revision {current!r}, which this version "
                         "of commission does not know (a newer version migrated it?); it was "
                         "left as it is: open it with that version")
    command.upgrade(alembic_config(connection), "head")

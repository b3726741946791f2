"""Migration 0009: the desk's roles (collector, credit) on a store made before them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from commission.store import open_store
from commission.store.migrate import alembic_config, current_revision, head_revision

INSERT_ROLE = "INSERT INTO user_roles (user_id, role) VALUES (1, :role)"


def _at(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(alembic_config(conn), revision)
    engine.dispose()


def _roles(store) -> list[str]:
    with store.read() as conn:
        return sorted(conn.execute(text("SELECT role FROM user_roles")).scalars())


def test_a_store_made_before_the_desk_roles_upgrades_in_place(store_url):
    _at(store_url, "0008")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (user_id, email, display_name, active, created_at) "
                          "VALUES (1, 'ann@example.com', 'Ann', :t, CURRENT_TIMESTAMP)"),
                     {"t": True})
        conn.execute(text(INSERT_ROLE), {"role": "admin"})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # not a role before 0009
        conn.execute(text(INSERT_ROLE), {"role": "collector"})
    engine.dispose()

    store = open_store(store_url)  # migrates to the head, keeping the rows
    with store.read() as conn:
        assert current_revision(conn) == head_revision()
    with store.write() as conn:
        conn.execute(text(INSERT_ROLE), {"role": "collector"})
        conn.execute(text(INSERT_ROLE), {"role": "credit"})
    assert _roles(store) == ["admin", "collector", "credit"]
    with pytest.raises(IntegrityError), store.write() as conn:
        conn.execute(text(INSERT_ROLE), {"role": "janitor"})
    store.close()

    _at(store_url, "0008", down=True)  # undone: the desk roles go, the rest stays
    store = open_store(store_url)
    assert _roles(store) == ["admin"]
    store.close()

"""Who is who, in the store: users, their roles, settings and the audit log.

Persistence only; who may see and do what is decided in :mod:`commission.access`.
Emails are stored lower-case (one person, one row). The audit log is append-only
in the database itself: triggers created by migration 0004 refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL), whichever program tries.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlmodel import Field

from commission.store.models import StoreModel
from commission.vocabulary import ROLES, SETTINGS

# ROLES: every role, in the order a person reads them (collector and credit: the
# collections desk, added by migration 0009); ROLES and SETTINGS live in vocabulary so
# that the command line's parser names them without importing the store
OUTCOMES = ("allowed", "refused", "failed")
#: the currency every figure is in when no administrator has set one
DEFAULT_CURRENCY = SETTINGS["currency"]


class User(StoreModel, table=True):
    """A person who may sign in: an email, a display name, optionally the rep they are."""

    __tablename__ = "users"
    user_id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                                 autoincrement=True))
    email: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(Text, nullable=False))
    rep_id: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    active: bool = Field(sa_column=Column(Boolean, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))


class UserRole(StoreModel, table=True):
    """One role a user holds."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.user_id"),
                                          primary_key=True))
    role: str = Field(sa_column=Column(String(10), primary_key=True))


class Setting(StoreModel, table=True):
    """A setting of the installation (e.g. ``allow_self_approval``), as text."""

    __tablename__ = "settings"
    key: str = Field(sa_column=Column(Text, primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    updated_by: str = Field(sa_column=Column(Text, nullable=False))


class AuditEntry(StoreModel, table=True):
    """One thing someone did or tried: append-only (the database refuses edits)."""

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),)
    audit_id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                                  autoincrement=True))
    at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False, index=True))
    actor: str = Field(sa_column=Column(Text, nullable=False, index=True))
    action: str = Field(sa_column=Column(Text, nullable=False))
    object: str = Field(sa_column=Column(Text, nullable=False))
    details: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    outcome: str = Field(sa_column=Column(String(10), nullable=False))


USERS: Table = User.__table__  # type: ignore[attr-defined]
USER_ROLES: Table = UserRole.__table__  # type: ignore[attr-defined]
SETTINGS_TABLE: Table = Setting.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# ----------------------------------------------------------------------------- users


def get_user(conn: Connection, email: str) -> dict[str, Any] | None:
    """A user with their roles (a sorted tuple), or None."""
    row = conn.execute(select(USERS).where(USERS.c.email == normalize_email(email))
                       ).mappings().first()
    if row is None:
        return None
    roles = conn.execute(select(USER_ROLES.c.role).where(USER_ROLES.c.user_id == row["user_id"])
                         ).scalars().all()
    return {**dict(row), "roles": tuple(r for r in ROLES if r in set(roles))}


def all_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user with their roles, by email."""
    emails = conn.execute(select(USERS.c.email).order_by(USERS.c.email)).scalars().all()
    return [u for u in (get_user(conn, e) for e in emails) if u is not None]


def add_user(conn: Connection, email: str, display_name: str, rep_id: str | None,
             at: dt.datetime) -> int:
    result = conn.execute(insert(USERS).values(
        email=normalize_email(email), display_name=display_name, rep_id=rep_id, active=True,
        created_at=at))
    return int(result.inserted_primary_key[0])


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute(update(USERS).where(USERS.c.user_id == user_id).values(active=active))


def grant(conn: Connection, user_id: int, role: str) -> None:
    conn.execute(insert(USER_ROLES).values(user_id=user_id, role=role))


def revoke(conn: Connection, user_id: int, role: str) -> None:
    conn.execute(delete(USER_ROLES).where(USER_ROLES.c.user_id == user_id,
                                          USER_ROLES.c.role == role))


def active_admins(conn: Connection) -> int:
    """How many active users hold the admin role."""
    return len(conn.execute(
        select(USERS.c.user_id).join(USER_ROLES, USER_ROLES.c.user_id == USERS.c.user_id)
        .where(USER_ROLES.c.role == "admin", USERS.c.active.is_(True))).all())


# ----------------------------------------------------------------------------- settings


def get_setting(conn: Connection, key: str) -> str:
    value = conn.execute(select(SETTINGS_TABLE.c.value).where(SETTINGS_TABLE.c.key == key)
                         ).scalar_one_or_none()
    return SETTINGS.get(key, "") if value is None else str(value)


def put_setting(conn: Connection, key: str, value: str, by: str, at: dt.datetime) -> None:
    conn.execute(delete(SETTINGS_TABLE).where(SETTINGS_TABLE.c.key == key))
    conn.execute(insert(SETTINGS_TABLE).values(key=key, value=value, updated_at=at,
                                               updated_by=by))


# ----------------------------------------------------------------------------- audit log


def append(conn: Connection, entry: dict[str, Any]) -> int:
    """Append one entry (at, actor, action, object, details: dict, outcome)."""
    values = {**entry, "details": json.dumps(entry.get("details") or {}, sort_keys=True,
                                             default=str)}
    return int(conn.execute(insert(AUDIT).values(**values)).inserted_primary_key[0])


def read_audit(conn: Connection, since: dt.datetime | None = None,
               actor: str | None = None, obj: str | None = None) -> list[dict[str, Any]]:
    """Entries oldest first, optionally from ``since``, by one actor, about one object."""
    query = select(AUDIT).order_by(AUDIT.c.audit_id)
    if since is not None:
        query = query.where(AUDIT.c.at >= since)
    if actor is not None:
        query = query.where(AUDIT.c.actor == normalize_email(actor))
    if obj is not None:
        query = query.where(AUDIT.c.object == obj)
    return [{**dict(r), "details": json.loads(r["details"] or "{}")}
            for r in conn.execute(query).mappings()]


def last_entry(conn: Connection, actor: str, action: str, obj: str) -> dict[str, Any] | None:
    """The newest entry of an actor's action on an object (to fold repeated views)."""
    row = conn.execute(select(AUDIT).where(AUDIT.c.actor == actor, AUDIT.c.action == action,
                                           AUDIT.c.object == obj)
                       .order_by(AUDIT.c.audit_id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None

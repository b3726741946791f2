"""Users, roles and settings (administrators), the audit log, and the first administrator.

Bootstrapping: a new store has no users, and nobody could add the first one. So
while the store has no active administrator, :func:`bootstrap_admin` adds one
without asking who is asking (the CLI: ``commission user add EMAIL --name N
--role admin`` with no ``--as``); the audit log records it as a bootstrap. The
last active administrator cannot lose the role or be deactivated, so this door
opens only on a new store.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from commission.access.identity import ROLES, AccessDenied, Identity, record, refuse, require
from commission.store import Store
from commission.store import identity as db
from commission.store.db import utcnow


def _check_role(store: Store, actor: Identity | str, role: str, obj: str) -> None:
    if role not in ROLES:
        raise refuse(store, actor, "users.manage", obj,
                     f"{role!r} is not a role; roles are {', '.join(ROLES)}")


def _user(store: Store, identity: Identity, email: str, what: str) -> dict[str, Any]:
    """The user to change, after checking the identity may manage users."""
    obj = f"user:{db.normalize_email(email)}"
    require(store, identity, "users.manage", obj, what)
    with store.read() as conn:
        row = db.get_user(conn, email)
    if row is None:
        raise refuse(store, identity, "users.manage", obj, f"no user {email}")
    return row


def needs_bootstrap(store: Store) -> bool:
    """True while the store has no active administrator (a new store)."""
    with store.read() as conn:
        return db.active_admins(conn) == 0


def _insert(store: Store, email: str, name: str, rep_id: str | None,
            roles: Iterable[str], admins_must_be: int | None = None) -> list[str]:
    roles = sorted(set(roles), key=ROLES.index)
    with store.write() as conn:
        if admins_must_be is not None and db.active_admins(conn) != admins_must_be:
            raise AccessDenied("the store already has an administrator: ask them to add you")
        if db.get_user(conn, email) is not None:
            raise AccessDenied(f"{email} is already a user")
        user_id = db.add_user(conn, email, name, rep_id, utcnow())
        for role in roles:
            db.grant(conn, user_id, role)
    return roles


#: an email address as people type it: one @, no spaces, control characters, quotes or
#: markup (a shape, not RFC 5322: "local-admin@localhost" is one, so is o'brien@x.ie)
EMAIL = re.compile(r"[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"`]+@[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"'`]+")
MAX_EMAIL = 254  # the longest address mail can carry
MAX_NAME = 200


def _checked_email(store: Store, actor: Identity | str, email: str, name: str) -> str:
    """The normalised email of a person being added, refused (and audited) when it or
    their display name is empty, is not an address's shape, is too long or carries
    control characters (they reach the audit log, exports and every page)."""
    email = db.normalize_email(email)
    if "@" not in email or not name.strip():
        raise refuse(store, actor, "users.manage", f"user:{email[:MAX_EMAIL]!r}",
                     "a user needs an email address and a display name (--name)")
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        raise refuse(store, actor, "users.manage", "user:(not an email address)",
                     f"{email[:60]!r} is not an email address: expected name@domain, at most "
                     f"{MAX_EMAIL} characters, without spaces, quotes, brackets or control "
                     "characters")
    if len(name) > MAX_NAME or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise refuse(store, actor, "users.manage", f"user:{email}",
                     f"the display name {name[:60]!r} is not a name: expected at most "
                     f"{MAX_NAME} characters on one line, without control characters")
    return email


def bootstrap_admin(store: Store, email: str, name: str, rep_id: str | None = None,
                    roles: Iterable[str] = ("admin",)) -> Identity:
    """Add the first administrator of a store that has none (recorded as a bootstrap)."""
    email = _checked_email(store, email, email, name)
    roles = set(roles)
    for role in roles:
        _check_role(store, email, role, f"user:{email}")
    if "admin" not in roles:
        raise refuse(store, email, "users.manage", f"user:{email}",
                     "the store has no administrator yet: the first user must be added with "
                     "--role admin")
    try:
        added = _insert(store, email, name, rep_id, roles, admins_must_be=0)
    except AccessDenied as exc:
        raise refuse(store, email, "users.manage", f"user:{email}", str(exc)) from None
    record(store, email, "user.add", f"user:{email}", bootstrap=True, name=name,
           rep_id=rep_id, roles=added)
    return Identity(email, frozenset(added), rep_id, name)


def add_user(identity: Identity, store: Store, email: str, name: str,
             rep_id: str | None = None, roles: Iterable[str] = ()) -> dict[str, Any]:
    """Add a person (admin): email, display name, optionally the rep they are, roles."""
    email = _checked_email(store, identity, email, name)
    obj = f"user:{email}"
    require(store, identity, "users.manage", obj, f"add user {email}")
    for role in roles:
        _check_role(store, identity, role, obj)
    try:
        added = _insert(store, email, name, rep_id, roles)
    except AccessDenied as exc:
        raise refuse(store, identity, "users.manage", obj, str(exc)) from None
    record(store, identity, "user.add", obj, name=name, rep_id=rep_id, roles=added)
    return user(store, email)


def grant_role(identity: Identity, store: Store, email: str, role: str) -> dict[str, Any]:
    """Give a user a role (admin)."""
    row = _user(store, identity, email, f"grant {role} to {email}")
    obj = f"user:{row['email']}"
    _check_role(store, identity, role, obj)
    if role not in row["roles"]:
        with store.write() as conn:
            db.grant(conn, row["user_id"], role)
    record(store, identity, "role.grant", obj, role=role)
    return user(store, email)


class _LastAdmin(Exception):
    pass


def _change(store: Store, identity: Identity, row: dict[str, Any], what: str, change) -> None:
    """Apply ``change(conn)``; undone and refused if it leaves no active administrator."""
    try:
        with store.write() as conn:
            change(conn)
            if db.active_admins(conn) == 0:
                raise _LastAdmin
    except _LastAdmin:
        raise refuse(store, identity, "users.manage", f"user:{row['email']}",
                     f"{row['email']} is the last administrator: {what} would lock everyone "
                     "out (grant admin to someone else first)") from None


def revoke_role(identity: Identity, store: Store, email: str, role: str) -> dict[str, Any]:
    """Take a role from a user (admin); never the last administrator's admin role."""
    row = _user(store, identity, email, f"revoke {role} from {email}")
    obj = f"user:{row['email']}"
    _check_role(store, identity, role, obj)
    _change(store, identity, row, "revoking admin",
            lambda conn: db.revoke(conn, row["user_id"], role))
    record(store, identity, "role.revoke", obj, role=role)
    return user(store, email)


def set_user_active(identity: Identity, store: Store, email: str, active: bool
                    ) -> dict[str, Any]:
    """Deactivate (or reactivate) a user (admin); a deactivated user is refused everywhere."""
    row = _user(store, identity, email, f"{'activate' if active else 'deactivate'} {email}")
    _change(store, identity, row, "deactivating them",
            lambda conn: db.set_active(conn, row["user_id"], active))
    record(store, identity, "user.activate" if active else "user.deactivate",
           f"user:{row['email']}")
    return user(store, email)


def user(store: Store, email: str) -> dict[str, Any]:
    """One user with roles (no check: for showing the result of a change)."""
    with store.read() as conn:
        row = db.get_user(conn, email)
    if row is None:
        raise KeyError(email)
    return row


def list_users(identity: Identity, store: Store) -> list[dict[str, Any]]:
    """Every user with their roles (admin)."""
    require(store, identity, "users.manage", "users", "list users")
    with store.read() as conn:
        return db.all_users(conn)


# ----------------------------------------------------------------------------- settings, audit


def setting(store: Store, key: str) -> str:
    """A setting's value (text), or its default."""
    with store.read() as conn:
        return db.get_setting(conn, key)


def set_setting(identity: Identity, store: Store, key: str, value: str) -> None:
    """Change a setting (admin), e.g. ``allow_self_approval`` to ``true``."""
    obj = f"setting:{key}"
    require(store, identity, "settings.change", obj, f"change the setting {key}")
    if key not in db.SETTINGS:
        raise refuse(store, identity, "settings.change", obj,
                     f"no setting {key!r}; settings are {', '.join(db.SETTINGS)}")
    from commission.access.settings import normal, problem

    value = normal(key, value)
    if problem(key, value):
        raise refuse(store, identity, "settings.change", obj, problem(key, value))
    before = setting(store, key)
    with store.write() as conn:
        db.put_setting(conn, key, value, identity.email, utcnow())
    record(store, identity, "setting.change", obj, before=before, after=value)


def audit_log(identity: Identity, store: Store, since: dt.datetime | dt.date | None = None,
              user_email: str | None = None, obj: str | None = None) -> list[dict[str, Any]]:
    """Audit entries oldest first (admin; anyone may read their own with ``user_email``)."""
    own = user_email is not None and db.normalize_email(user_email) == identity.email
    if not own:
        require(store, identity, "audit.read", "audit", "read the audit log")
    if isinstance(since, dt.date) and not isinstance(since, dt.datetime):
        since = dt.datetime.combine(since, dt.time())
    with store.read() as conn:
        return db.read_audit(conn, since, user_email, obj)


__all__ = ["add_user", "audit_log", "bootstrap_admin", "grant_role", "list_users",
           "needs_bootstrap", "revoke_role", "set_setting", "set_user_active", "setting", "user"]

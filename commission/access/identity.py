"""Who is asking, what each role may do, and the audit log every refusal goes to.

An :class:`Identity` is resolved from the store's users (:func:`resolve`, or
:func:`sign_in`, which also records the sign-in), or is :data:`LOCAL_ADMIN` when
no sign-in is configured (one person on one machine). :data:`PERMISSIONS` says
which roles may do each action; :func:`require` refuses everyone else with
:class:`AccessDenied` and an audit entry.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from commission.store import Store
from commission.store import identity as db
from commission.store.db import utcnow

ROLES = db.ROLES

#: action -> the roles that may do it (reading pay is decided by visible_reps)
PERMISSIONS: dict[str, frozenset[str]] = {
    "data.load": frozenset({"finance"}),
    "batch.run": frozenset({"finance"}),
    "batch.approve": frozenset({"approver"}),
    "batch.lock": frozenset({"finance", "admin"}),
    "batch.export": frozenset({"finance"}),
    "batch.read": frozenset({"finance", "approver", "admin"}),  # summaries, totals, diffs
    "batch.manual_line": frozenset({"finance", "admin"}),  # add a manual line with a reason
    "plan.save": frozenset({"planner", "admin"}),
    "plan.effective": frozenset({"admin"}),
    # scenarios (Compare plans): saved apart from payroll; making one live is payroll's
    "scenario.read": frozenset({"planner", "finance", "approver", "admin"}),
    "scenario.save": frozenset({"planner", "finance", "admin"}),
    "plan.make_live": frozenset({"finance", "admin"}),
    "users.manage": frozenset({"admin"}),
    "settings.change": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "inquiry.answer": frozenset({"finance"}),  # answer, resolve, decline (reps open their own)
    # the collections desk (commission.access.collections): the whole worklist and credit
    # signal (managers and reps: their team's or their own rows), records, messages
    "collections.worklist": frozenset({"collector", "credit", "finance", "admin"}),
    "collections.contact": frozenset({"collector", "credit", "finance"}),  # reps: own invoices
    "collections.dispute": frozenset({"collector", "credit", "finance"}),
    "collections.arrange": frozenset({"credit", "finance"}),
    "collections.send": frozenset({"credit", "finance", "admin"}),
    "collections.performance": frozenset({"collector", "credit", "finance", "admin", "manager"}),
}
#: roles that see every rep's pay
SEE_ALL = frozenset({"finance", "approver", "admin"})
#: the same view of the same pay by the same person within this window is recorded once
VIEW_FOLD = dt.timedelta(minutes=10)


class AccessDenied(Exception):
    """Something this identity may not see or do; the message is one line for a person."""

    def __init__(self, message: str, actor: str = "", action: str = "") -> None:
        super().__init__(message)
        self.actor, self.action = actor, action


@dataclass(frozen=True)
class Identity:
    """A signed-in person (or the local administrator): what every door hands the access layer."""

    email: str
    roles: frozenset[str] = field(default_factory=frozenset)
    rep_id: str | None = None
    display_name: str = ""
    local: bool = False

    def has(self, role: str) -> bool:
        return role in self.roles

    def may(self, action: str) -> bool:
        return bool(self.roles & PERMISSIONS[action])

    @property
    def label(self) -> str:
        roles = ", ".join(r for r in ROLES if r in self.roles) or "no role"
        return f"{self.email} ({roles})"


#: local mode: no sign-in configured, one person on one machine holds every role
LOCAL_ADMIN = Identity("local-admin@localhost", frozenset(ROLES), None, "Local administrator",
                       local=True)


# ----------------------------------------------------------------------------- the audit log


def record(store: Store, actor: Identity | str, action: str, obj: str,
           outcome: str = "allowed", **details: Any) -> None:
    """Append one entry to the audit log (its own transaction)."""
    email = actor.email if isinstance(actor, Identity) else db.normalize_email(actor)
    if isinstance(actor, Identity) and actor.local:
        details.setdefault("local_mode", True)
    with store.write() as conn:
        db.append(conn, {"at": utcnow(), "actor": email or "(nobody)", "action": action,
                         "object": obj, "details": details, "outcome": outcome})


def record_view(store: Store, identity: Identity, obj: str, reps: list[str] | str) -> None:
    """Record a view of other people's pay, folding repeats within :data:`VIEW_FOLD`."""
    details = {"reps": reps}
    with store.read() as conn:
        last = db.last_entry(conn, identity.email, "pay.view", obj)
    if (last is not None and utcnow() - last["at"] < VIEW_FOLD
            and json.loads(last["details"]).get("reps") == reps):
        return
    record(store, identity, "pay.view", obj, **details)


def refuse(store: Store, actor: Identity | str, action: str, obj: str, message: str,
           **details: Any) -> AccessDenied:
    """Record a refusal and return the exception to raise (``raise refuse(...)``)."""
    record(store, actor, action, obj, "refused", reason=message, **details)
    email = actor.email if isinstance(actor, Identity) else actor
    return AccessDenied(message, email, action)


def require(store: Store, identity: Identity, action: str, obj: str, what: str) -> None:
    """Refuse (AccessDenied + audit) unless one of the identity's roles may do ``action``.

    ``what`` says the action in words for the message ("approve batch 3").
    """
    if identity.may(action):
        return
    roles = " or ".join(sorted(PERMISSIONS[action]))
    raise refuse(store, identity, action, obj,
                 f"{identity.label} may not {what}: that needs the {roles} role")


# ----------------------------------------------------------------------------- who is this


def _from_row(row: dict[str, Any]) -> Identity:
    return Identity(row["email"], frozenset(row["roles"]), row["rep_id"], row["display_name"])


def resolve(store: Store, email: str, action: str = "sign-in") -> Identity:
    """The active user with this email, or AccessDenied (and an audit entry) for anyone else."""
    email = db.normalize_email(email)
    if not email:
        raise refuse(store, "", action, "user:",
                     "say who you are: --as EMAIL or COMMISSION_USER (commission user list)")
    with store.read() as conn:
        row = db.get_user(conn, email)
    if row is None:
        raise refuse(store, email, action, f"user:{email}",
                     f"{email} is not a user of this store (an administrator adds people with "
                     "commission user add)")
    if not row["active"]:
        raise refuse(store, email, action, f"user:{email}", f"{email} is deactivated")
    return _from_row(row)


def sign_in(store: Store, email: str, how: str = "oidc") -> Identity:
    """Resolve a signed-in person and record the sign-in (the app calls this once a session)."""
    identity = resolve(store, email)
    record(store, identity, "sign-in", f"user:{identity.email}", how=how)
    return identity

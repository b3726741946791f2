"""Admin (administrators): users and roles, settings, and the audit log.

Every change is one call into :mod:`commission.access` as the signed-in
administrator, which checks the role, refuses what would lock everyone out (the
last administrator) and records the change in the audit log. The audit log is
read-only here as everywhere: filter it by day, person, object, action and outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from commission import access
from commission.access import ROLES, Identity
from commission.ui import common, session

AUDIT_SHOWN = 500  # newest entries on the page; the download has every one that matches


def _apply(what: str, change: Callable[[], Any], done: str) -> None:
    """Make a change; on success remember the message and run the page again."""
    with common.user_errors(what):
        change()
        st.session_state["admin.flash"] = done
        st.rerun()


def users_frame(users: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["email", "display_name", "rep_id", "roles", "active"]
    return pd.DataFrame([{"email": u["email"], "display_name": u["display_name"],
                          "rep_id": u["rep_id"] or "", "roles": ", ".join(u["roles"]),
                          "active": bool(u["active"])} for u in users], columns=cols)


def _add_form(identity: Identity, store) -> None:
    with st.form("admin.add", clear_on_submit=True):
        st.markdown("**Add a person**")
        c = st.columns([2, 2, 1])
        email = c[0].text_input("Email (as the identity provider sends it)", key="admin.email")
        name = c[1].text_input("Display name", key="admin.name")
        rep = c[2].text_input("Rep id (optional)", key="admin.rep")
        roles = st.multiselect("Roles", ROLES, key="admin.roles")
        if st.form_submit_button("Add user", type="primary"):
            _apply("Not added",
                   lambda: access.add_user(identity, store, email, name, rep.strip() or None,
                                           roles),
                   f"Added {email.strip().lower()} ({', '.join(roles) or 'no role'}).")


def _change_form(identity: Identity, store, emails: list[str]) -> None:
    st.markdown("**Change a person's roles or access**")
    c = st.columns([3, 2])
    email = c[0].selectbox("User", emails, key="admin.user")
    role = c[1].selectbox("Role", ROLES, key="admin.role")
    b = st.columns(4)
    if b[0].button("Grant role", key="admin.grant"):
        _apply("Not granted", lambda: access.grant_role(identity, store, email, role),
               f"Granted {role} to {email}.")
    if b[1].button("Revoke role", key="admin.revoke"):
        _apply("Not revoked", lambda: access.revoke_role(identity, store, email, role),
               f"Revoked {role} from {email}.")
    if b[2].button("Deactivate", key="admin.deactivate"):
        _apply("Not deactivated",
               lambda: access.set_user_active(identity, store, email, False),
               f"Deactivated {email}: they are refused everywhere.")
    if b[3].button("Activate", key="admin.activate"):
        _apply("Not activated", lambda: access.set_user_active(identity, store, email, True),
               f"Activated {email}.")


def users_tab(identity: Identity, store) -> None:
    users = access.list_users(identity, store)
    st.caption("Signing in proves a person's email; these roles decide what they see and do "
               "(docs/identity.md).")
    common.show_table(users_frame(users), key="admin.users",
                      labels={"display_name": "name", "rep_id": "rep"},
                      height=common.table_height(len(users), 15))
    _add_form(identity, store)
    if users:
        _change_form(identity, store, [u["email"] for u in users])


def settings_tab(identity: Identity, store) -> None:
    now = access.self_approval_allowed(store)
    st.markdown("**Self-approval** (a one-person finance team)")
    st.caption("Off: the person who ran a draft may not approve it. On: they may, and the "
               "audit log says so on every approval and lock it affected.")
    wanted = st.toggle("Allow self-approval", value=now, key="admin.self_approval")
    if wanted != now:
        _apply("Setting not changed",
               lambda: access.set_setting(identity, store, "allow_self_approval",
                                          "true" if wanted else "false"),
               f"Self-approval is now {'allowed' if wanted else 'not allowed'}.")
    _currency_setting(identity, store)


def _currency_setting(identity: Identity, store) -> None:
    """The currency code shown on every figure, statement and payroll export."""
    now = access.currency(store)
    st.markdown("**Currency**")
    st.caption("The three-letter code shown with every amount in the app, on statements and "
               "in payroll exports (amounts are never converted).")
    wanted = st.text_input("Currency code", value=now, max_chars=3, key="admin.currency")
    if wanted.strip().upper() != now:
        _apply("Setting not changed",
               lambda: access.set_setting(identity, store, "currency", wanted),
               f"Amounts are now shown in {wanted.strip().upper()}.")


def audit_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["at", "actor", "action", "object", "outcome", "details"]
    return pd.DataFrame([{"at": f"{pd.Timestamp(e['at']):%Y-%m-%d %H:%M:%S}",
                          "actor": e["actor"], "action": e["action"], "object": e["object"],
                          "outcome": e["outcome"],
                          "details": json.dumps(e["details"], sort_keys=True)}
                         for e in entries], columns=cols)


def audit_tab(identity: Identity, store) -> None:
    c = st.columns(5)
    since = c[0].date_input("Since", value=None, key="admin.since")
    who = c[1].text_input("Person (email)", key="admin.actor").strip() or None
    obj = c[2].text_input("Object (batch:3, user:…)", key="admin.object").strip() or None
    action = c[3].text_input("Action (e.g. batch.approve)", key="admin.action").strip()
    outcome = c[4].selectbox("Outcome", ["any", "allowed", "refused", "failed"],
                             key="admin.outcome")
    entries = access.audit_log(identity, store, since=since, user_email=who, obj=obj)
    frame = audit_frame(entries)
    if action:
        frame = frame[frame["action"].str.startswith(action)]
    if outcome != "any":
        frame = frame[frame["outcome"] == outcome]
    frame = frame.iloc[::-1].reset_index(drop=True)  # newest first
    st.caption(f"{len(frame):,} entries, newest first (showing up to {AUDIT_SHOWN}). The log "
               "is append-only: the database refuses to change or delete an entry.")
    common.show_table(frame.head(AUDIT_SHOWN), key="admin.audit", wide=["details"],
                      height=common.table_height(min(len(frame), AUDIT_SHOWN), 20))
    st.download_button("Audit log (CSV)", lambda: common.csv_text(frame),
                       file_name=f"audit_{dt.date.today()}.csv", mime="text/csv",
                       key="admin.audit_csv", on_click="ignore")


def render() -> None:
    identity = session.guard("admin")
    st.title("Admin")
    flash = st.session_state.pop("admin.flash", None)
    if flash:
        st.success(flash)
    store = common.open_current_store()
    if store is None:
        return
    st.caption(f"Store: {common.plain(store.url)} · you act as {common.plain(identity.label)}")
    users, settings, audit = st.tabs(["Users and roles", "Settings", "Audit log"])
    with users:
        users_tab(identity, store)
    with settings:
        settings_tab(identity, store)
    with audit:
        audit_tab(identity, store)


if __name__ == "__main__":
    from commission.ui.admin import render as _render  # the imported module holds the caches

    _render()

"""Who is using the app: the signed-in person, or the local administrator.

**Signed in.** With an ``[auth]`` section in ``.streamlit/secrets.toml`` the app
signs people in through Streamlit's OpenID Connect (``st.login``, ``st.user``,
``st.logout``). A signed-out visitor sees only the sign-in page, whatever address
they open. A signed-in email is resolved to an :class:`~commission.access.Identity`
by :func:`commission.access.sign_in` once a session (the sign-in is recorded), and
again on every later run with :func:`commission.access.resolve`, so a role granted
or revoked, or a user deactivated, counts at once. An email that is not an active
user sees "you have no access; ask an administrator" (the refusal is recorded once).

**Local mode.** Without ``[auth]`` the app is for one person on one machine
(``.streamlit/config.toml`` binds it to 127.0.0.1): everyone is
:data:`~commission.access.LOCAL_ADMIN`, and a banner on every page says so.

**Pages.** ``app.py`` calls :func:`identify` and routes with :func:`navigation`:
the menu lists only the pages the identity's roles may use, and every page is still
routed, so a direct address reaches the page, whose :func:`guard` refuses it with a
message and an audit entry. A page gets the identity from :func:`guard` and hands it
to :mod:`commission.access` for every read of pay and every action.

**Tests** need no seam of their own: AppTest drives the real path. Setting
``at.secrets["auth"] = {...}`` makes sign-in configured (:func:`auth_configured`
reads ``st.secrets``) and ``at.user = {"is_logged_in": True, "email": ...}`` is
what ``st.user`` returns; without them a test runs in local mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from commission import access
from commission.access import AccessDenied, Identity
from commission.ui import common, glossary

IDENTITY_KEY = "session.identity"
DENIED_KEY = "session.denied"
EVERYONE: frozenset[str] = frozenset()  # a page any signed-in user may open

LOCAL_BANNER = ("**Local mode: for one person on one machine.** No sign-in is configured, so "
                "whoever opens this app is the local administrator with every role; it listens "
                "on 127.0.0.1 only. To give it to a team, configure sign-in "
                "(docs/identity.md, \"Signing in\").")


@dataclass(frozen=True)
class PageSpec:
    """A page of the app and the roles that may open it (EVERYONE: any user)."""

    key: str  # the url_path
    title: str
    icon: str
    section: str
    script: str
    roles: frozenset[str]


PAGES = (
    PageSpec("compare", "Compare plans", ":material/compare_arrows:", "Management",
             "commission/ui/compare.py", frozenset({"planner", "finance", "approver", "admin"})),
    PageSpec("my-pay", "My pay", ":material/person:", "Reps", "commission/ui/my_pay.py",
             EVERYONE),
    PageSpec("batches", "Batches", ":material/fact_check:", "Finance",
             "commission/ui/batches.py", frozenset({"finance", "approver", "admin"})),
    PageSpec("collections", "Collections", ":material/call:", "Finance",
             "commission/ui/collections.py",
             frozenset({"collector", "credit", "finance", "admin"})),
    PageSpec("admin", "Admin", ":material/admin_panel_settings:", "Admin",
             "commission/ui/admin.py", frozenset({"admin"})),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}


# --------------------------------------------------------------------------- configuration


def auth_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (sign-in is on).

    No secrets file at all is local mode; a secrets file that cannot be read is an
    error, never local mode (that would hand everyone the administrator).
    """
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError as exc:
        if str(exc).startswith("No secrets found"):
            return False
        raise


def _providers() -> tuple[bool, list[str]]:
    """Whether ``[auth]`` has a default provider (flat keys), and the named ones."""
    section = st.secrets["auth"]
    named = sorted(k for k, v in section.items() if isinstance(v, Mapping))
    return "client_id" in section or not named, named


def may_open(identity: Identity, page: PageSpec) -> bool:
    return page.roles == EVERYONE or bool(identity.roles & page.roles)


# --------------------------------------------------------------------------- who is this


def identify() -> Identity | None:
    """The identity of this session, or None after showing the sign-in or no-access page.

    Every page also gets the app's styles, the currency setting and the glossary here.
    """
    common.page_style()
    if not auth_configured():
        st.session_state[IDENTITY_KEY] = access.LOCAL_ADMIN
        st.warning(LOCAL_BANNER, icon=":material/computer:")
        return access.LOCAL_ADMIN
    if not st.user.get("is_logged_in", False):
        st.session_state.pop(IDENTITY_KEY, None)
        st.session_state.pop(DENIED_KEY, None)
        _sign_in_page()
        return None
    identity = _resolved(str(st.user.get("email") or "").strip().lower())
    if identity is not None:
        with st.sidebar:
            st.caption(f"Signed in as {common.plain(identity.display_name or identity.email)}"
                       f" · {common.plain(identity.label)}")
            if st.button("Sign out", key="session.sign_out"):
                sign_out()
    return identity


def _resolved(email: str) -> Identity | None:
    """Sign in once a session, resolve again on later runs; None after a refusal."""
    denied = st.session_state.get(DENIED_KEY)
    if denied is not None and denied[0] == email:
        _no_access_page(email, denied[1])
        return None
    store = common.open_current_store()
    if store is None:
        return None
    known = st.session_state.get(IDENTITY_KEY)
    try:
        if st.user.get("email_verified") is False:
            access.record(store, email, "sign-in", f"user:{email}", "refused",
                          reason="the identity provider has not verified this email")
            raise AccessDenied(f"your identity provider has not verified {email}")
        if isinstance(known, Identity) and known.email == email and not known.local:
            identity = access.resolve(store, email)
        else:
            identity = access.sign_in(store, email, how="oidc")
    except AccessDenied as exc:
        st.session_state.pop(IDENTITY_KEY, None)
        st.session_state[DENIED_KEY] = (email, str(exc))
        _no_access_page(email, str(exc))
        return None
    st.session_state[IDENTITY_KEY] = identity
    return identity


def sign_out() -> None:
    st.session_state.pop(IDENTITY_KEY, None)
    st.session_state.pop(DENIED_KEY, None)
    st.logout()


def _sign_in_page() -> None:
    st.title("Commission")
    st.write("Sign in with your company account to see your pay and do your part of the "
             "payroll.")
    default, named = _providers()
    if default and st.button("Sign in", key="session.sign_in", type="primary"):
        st.login()
    for name in named:
        if st.button(f"Sign in with {name}", key=f"session.sign_in.{name}"):
            st.login(name)


def _no_access_page(email: str, reason: str) -> None:
    st.title("Commission")
    st.error(f"**You have no access to this app; ask an administrator.** You are signed in as "
             f"{email or 'someone without an email address'}, which is not an active user "
             "of this app. An administrator adds people on the Admin page (or with "
             "`commission user add`).", icon=":material/block:")
    st.caption(f"Why: {reason}")
    if st.button("Sign out", key="session.sign_out"):
        sign_out()


# --------------------------------------------------------------------------- pages


def navigation(identity: Identity):
    """Every page routed; the menu shows only those the identity may open."""
    allowed = [p for p in PAGES if may_open(identity, p)]
    default = allowed[0] if allowed else PAGE_BY_KEY["my-pay"]
    pages: dict[str, list] = {}
    made = {}
    for p in PAGES:
        made[p.key] = st.Page(p.script, title=p.title, icon=p.icon, url_path=p.key,
                              default=p is default)
        pages.setdefault(p.section, []).append(made[p.key])
    common.refresh_currency()
    if identity.local:
        glossary.render()
        return st.navigation(pages)
    nav = st.navigation(pages, position="hidden")
    with st.sidebar:
        for section in dict.fromkeys(p.section for p in allowed):
            st.caption(section)
            for p in allowed:
                if p.section == section:
                    st.page_link(made[p.key], label=p.title, icon=p.icon)
    glossary.render()
    return nav


def current() -> Identity:
    """The identity app.py resolved for this run (local mode: the local administrator)."""
    identity = st.session_state.get(IDENTITY_KEY)
    if isinstance(identity, Identity):
        return identity
    if not auth_configured():
        return access.LOCAL_ADMIN
    st.error("Sign in first.")
    st.stop()
    raise AssertionError  # st.stop() does not return


def guard(page_key: str) -> Identity:
    """The identity, if its roles may open this page; else a refusal (recorded) and stop."""
    identity = current()
    page = PAGE_BY_KEY[page_key]
    if may_open(identity, page):
        return identity
    message = (f"{identity.label} may not open {page.title}: it needs the "
               f"{' or '.join(sorted(page.roles))} role")
    store = common.open_current_store()
    if store is not None:
        access.record(store, identity, "page.open", f"page:{page_key}", "refused",
                      reason=message)
    st.error(f"{message}. Ask an administrator if you need it.", icon=":material/block:")
    st.stop()
    raise AssertionError


def refused(exc: AccessDenied) -> None:
    """An access-layer refusal on the page (it is already in the audit log)."""
    st.error(f"Not allowed: {exc}", icon=":material/block:")

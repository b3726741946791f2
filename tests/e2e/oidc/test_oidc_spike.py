"""Spike: Streamlit's own OpenID Connect sign-in (``st.login``) end to end, in Chromium.

A real provider (``oidc-provider-mock``) and ``streamlit run demo_app.py`` run on
127.0.0.1; Chromium clicks "Sign in", picks a user on the provider's page, and must come
back to the app showing that user's ``email`` claim. Signing out goes through the
provider's end-session page and must leave the app signed out; two browser contexts
signed in as two users must each see their own email.
"""

from __future__ import annotations

import pytest

from .conftest import NAMED_PROVIDER, NOT_LOOPBACK, NOT_LOOPBACK_OR_LOCALHOST, PREDEFINED_USERS
from .provider import MockProvider

pytestmark = pytest.mark.browser

STEP_MS = 20_000  # each navigation or expectation; the whole flow takes a few seconds
AUTH_COOKIES = {"_streamlit_user", "_streamlit_user_tokens"}


def _expect():
    from playwright.sync_api import expect

    return expect


def _status(page):
    return page.get_by_text("Status:", exact=False)


def _open_signed_out(page, app_url: str) -> None:
    page.goto(app_url)
    _expect()(_status(page)).to_have_text("Status: signed out", timeout=STEP_MS)


def _sign_in(page, app_url: str, provider: MockProvider, sub: str, *,
             button: str = "Sign in", predefined: bool = False,
             back_to: str | None = None) -> None:
    """From the signed-out page, through the provider's authorization page, back again."""
    _open_signed_out(page, app_url)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(f"{provider.issuer}/oauth2/authorize?**", timeout=STEP_MS)
    if predefined:  # the one-click button the mock shows for each predefined user
        page.get_by_role("button", name=sub, exact=True).click()
    else:
        page.locator("input[name=sub]").fill(sub)
        page.get_by_role("button", name="Authorize", exact=True).click()
    # the provider redirects to /oauth2callback, which sets the cookies and redirects to /
    page.wait_for_url(f"{back_to or app_url}/", timeout=STEP_MS)


def _expect_signed_in(page, email: str, sub: str, provider_name: str = "default") -> None:
    expect = _expect()
    expect(_status(page)).to_have_text(f"Status: signed in as {email}", timeout=STEP_MS)
    expect(page.get_by_text("Subject:")).to_have_text(f"Subject: {sub}")
    expect(page.get_by_text("Provider:")).to_have_text(f"Provider: {provider_name}")


def _auth_cookie_names(page) -> set[str]:
    return {c["name"] for c in page.context.cookies()} & AUTH_COOKIES


def test_sign_in_shows_email_and_sign_out_clears_it(oidc_app, oidc_provider, new_page):
    page = new_page()
    claims = PREDEFINED_USERS["alice"]
    _sign_in(page, oidc_app, oidc_provider, "alice", predefined=True)
    _expect_signed_in(page, str(claims["email"]), "alice")
    assert _auth_cookie_names(page) == AUTH_COOKIES

    # the identity cookie outlives the session: a reload is still signed in
    page.reload()
    _expect_signed_in(page, str(claims["email"]), "alice")

    # st.logout() -> /auth/logout (clears the cookies) -> the provider's end_session
    # endpoint, with id_token_hint and post_logout_redirect_uri = .../oauth2callback
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/end_session?**", timeout=STEP_MS)
    assert "id_token_hint=" in page.url
    assert "post_logout_redirect_uri=" in page.url
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(f"{oidc_app}/", timeout=STEP_MS)
    _expect()(_status(page)).to_have_text("Status: signed out", timeout=STEP_MS)
    assert _auth_cookie_names(page) == set()

    page.reload()
    _expect()(_status(page)).to_have_text("Status: signed out", timeout=STEP_MS)


def test_two_users_each_see_their_own_email(oidc_app, oidc_provider, new_page):
    # bob: claims registered at run time (PUT /users/bob), email unlike the subject
    oidc_provider.set_user("bob", {"email": "bob@example.org", "name": "Bob B."})
    # carol@example.net: unknown to the provider, which then makes email = sub
    users = [("bob", "bob@example.org"), ("carol@example.net", "carol@example.net")]
    pages = [new_page() for _ in users]
    for page, (sub, email) in zip(pages, users, strict=True):
        _sign_in(page, oidc_app, oidc_provider, sub)
        _expect_signed_in(page, email, sub)
    for page, (sub, email) in zip(pages, users, strict=True):
        page.reload()  # a new Streamlit session per tab, read from that context's cookie
        _expect_signed_in(page, email, sub)


def test_named_provider_section(oidc_app, oidc_provider, new_page):
    """``[auth.mockidp]`` beside the flat default keys: ``st.login("mockidp")``."""
    page = new_page()
    _sign_in(page, oidc_app, oidc_provider, "dave@example.com", button="Sign in with mockidp")
    _expect_signed_in(page, "dave@example.com", "dave@example.com", NAMED_PROVIDER)


def test_denied_consent_leaves_the_app_signed_out(oidc_app, oidc_provider, new_page):
    page = new_page()
    _open_signed_out(page, oidc_app)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/authorize?**", timeout=STEP_MS)
    page.get_by_role("button", name="Deny", exact=True).click()
    page.wait_for_url(f"{oidc_app}/", timeout=STEP_MS)
    _expect()(_status(page)).to_have_text("Status: signed out", timeout=STEP_MS)
    assert _auth_cookie_names(page) == set()


def test_browsing_via_localhost_when_redirect_uri_says_127_fails_silently(
        oidc_app, oidc_provider, new_page):
    """Gotcha guard: the origin the browser uses must be the one in ``redirect_uri``.

    Authlib keeps the OAuth state in Streamlit's ``_streamlit_session`` cookie, which the
    browser scopes to the host it used (``localhost``). The callback lands on 127.0.0.1
    without that cookie, Streamlit logs "Missing provider for OAuth callback" and shows
    the page signed out: no error reaches the user.
    """
    page = new_page()
    page.context.unroute(NOT_LOOPBACK)  # localhost is loopback too, for this test only
    page.context.route(NOT_LOOPBACK_OR_LOCALHOST, lambda route: route.abort())
    via_localhost = oidc_app.replace("127.0.0.1", "localhost")
    # the callback (at 127.0.0.1, from redirect_uri) sends the browser to 127.0.0.1's /
    _sign_in(page, via_localhost, oidc_provider, "erin@example.com", back_to=oidc_app)
    _expect()(_status(page)).to_have_text("Status: signed out", timeout=STEP_MS)
    assert _auth_cookie_names(page) == set()

"""Fixtures for the OpenID Connect spike: a mock provider and ``streamlit run demo_app.py``.

Both listen on 127.0.0.1 only, on free ports. The Streamlit server runs as a subprocess
in a temporary folder holding ``.streamlit/secrets.toml`` (Streamlit reads secrets from
``$HOME/.streamlit``, the working directory's ``.streamlit`` and the script folder's
``.streamlit``, later ones winning); ``HOME`` points into the temporary folder too, so a
developer's own ``~/.streamlit/secrets.toml`` cannot leak in. The browser is the
``browser`` fixture of ``tests/e2e/conftest.py`` (Debian's Chromium, never downloaded).

The packages the spike needs are not yet project dependencies, so these tests skip (also
under CI) when ``oidc-provider-mock`` or ``Authlib>=1.3.2`` is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from e2e.servers import streamlit_server

from .provider import MockProvider, free_port, write_secrets

HERE = Path(__file__).resolve().parent
DEMO_APP = HERE / "demo_app.py"
NAMED_PROVIDER = "mockidp"
# Only loopback may be reached: the mock's pages link a stylesheet on a CDN, which is
# aborted at once rather than left to time out.
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")
NOT_LOOPBACK_OR_LOCALHOST = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])")

# Users known to the provider from the start: each gets a one-click button on its
# authorization page. The email deliberately differs from the subject.
PREDEFINED_USERS = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice A."},
}


def _require_packages() -> None:
    pytest.importorskip("oidc_provider_mock",
                        reason="pip install oidc-provider-mock (0.3.x on Python 3.11)")
    pytest.importorskip("authlib", minversion="1.3.2",
                        reason='st.login needs Authlib>=1.3.2: pip install "streamlit[auth]"')


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[MockProvider]:
    """A fresh ``oidc-provider-mock`` on 127.0.0.1:<free port>, stopped at the end."""
    _require_packages()
    with MockProvider(PREDEFINED_USERS) as provider:
        assert provider.metadata()["issuer"] == provider.issuer
        yield provider


@pytest.fixture(scope="session")
def oidc_app(chromium: str, oidc_provider: MockProvider,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run demo_app.py`` signed in through ``oidc_provider``; its URL."""
    root = tmp_path_factory.mktemp("oidc-app")
    home = root / "home"
    home.mkdir()
    port = free_port()
    write_secrets(root, provider=oidc_provider, app_port=port,
                  named_providers=[NAMED_PROVIDER])
    env = {**os.environ, "HOME": str(home)}
    with streamlit_server(DEMO_APP, root, port, env) as url:
        yield url


@pytest.fixture
def new_page(browser) -> Iterator[Callable[[], object]]:
    """Open a tab in a new browser context (its own cookie jar): one per user."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.set_default_timeout(20_000)
        context.set_default_navigation_timeout(20_000)
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()

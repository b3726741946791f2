"""A real OpenID Connect provider on loopback, and the secrets.toml that points Streamlit at it.

The provider is ``oidc-provider-mock`` (a Flask app built on Authlib's server side):
discovery, JWKS, authorization-code grant, ID tokens signed with RS256, userinfo and an
end-session endpoint. It keeps users in memory, so every ``MockProvider`` is a fresh one.

How the mock picks the user: its authorization page has a ``sub`` text field and an
"Authorize" button. The ``sub`` typed there is the subject. If no user with that ``sub``
was registered, the mock makes one whose only claim is ``{"email": sub}``. To choose other
claims (an ``email`` that differs from ``sub``, a ``name``) register the user first,
either when the provider starts (``users=`` below: each also gets a one-click button on
the authorization page) or at run time with ``PUT /users/<sub>`` and a JSON object of
claims (``MockProvider.set_user``). Standard claims are released by scope: ``email`` and
``email_verified`` need the ``email`` scope, ``name`` the ``profile`` scope; Streamlit
asks for ``openid email profile`` by default. Non-standard claims are always released.

Any ``client_id`` and ``client_secret`` are accepted and any ``redirect_uri``, unless the
provider is started with ``require_client_registration=True``.

This module imports ``oidc_provider_mock`` only when a provider starts, so collecting the
tests does not fail where the package is missing (the fixtures skip instead).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"
STOP_S = 5


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class MockProvider:
    """``oidc-provider-mock`` served by werkzeug on 127.0.0.1, in a background thread.

    Use as a context manager. ``users`` maps a subject to its claims, e.g.
    ``{"alice": {"email": "alice@example.com", "name": "Alice"}}``.

    The package's own ``run_server_in_thread`` binds to "localhost" (which may resolve to
    ::1) and takes no host, so the server is made here from the public ``app()`` factory.
    """

    def __init__(self, users: Mapping[str, Mapping[str, object]] | None = None,
                 *, port: int = 0, require_nonce: bool = False) -> None:
        self._users = dict(users or {})
        self._port = port
        self._require_nonce = require_nonce
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "provider not started"
        return int(self._server.server_port)

    @property
    def issuer(self) -> str:
        """The issuer, as the mock derives it from the Host of each request."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> MockProvider:
        import oidc_provider_mock
        import werkzeug.serving

        users: Sequence[oidc_provider_mock.User] = [
            oidc_provider_mock.User(sub=sub, claims=dict(claims))
            for sub, claims in self._users.items()
        ]
        app = oidc_provider_mock.app(user_claims=users, require_nonce=self._require_nonce)
        # werkzeug logs every request at INFO; keep pytest's captured log short
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = werkzeug.serving.make_server(LOOPBACK, self._port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="oidc-provider-mock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()  # returns once serve_forever has left its loop
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(STOP_S)
        self._server = None

    def __enter__(self) -> MockProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def metadata(self) -> dict:
        with urllib.request.urlopen(self.metadata_url, timeout=5) as r:
            return json.load(r)

    def set_user(self, sub: str, claims: Mapping[str, object]) -> None:
        """Register (or replace) the claims of ``sub``: ``PUT /users/<sub>``."""
        request = urllib.request.Request(
            f"{self.issuer}/users/{urllib.parse.quote(sub, safe='')}",
            data=json.dumps(dict(claims)).encode(), method="PUT",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 204, r.status


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def write_secrets(workdir: Path, *, provider: MockProvider, app_port: int,
                  client_id: str = "commission-app", client_secret: str = "not-checked",
                  named_providers: Sequence[str] = ()) -> Path:
    """Write ``workdir/.streamlit/secrets.toml`` with an ``[auth]`` section for ``provider``.

    The flat keys make the default provider (``st.login()``); each name in
    ``named_providers`` adds an ``[auth.NAME]`` section for ``st.login("NAME")`` against
    the same provider with its own client id. Names must not contain "_" (Streamlit
    rejects them). ``redirect_uri`` must be the exact origin the browser uses
    (127.0.0.1, not localhost): Streamlit ties the identity cookie to that origin.
    """
    for name in named_providers:
        if "_" in name or name == "default":
            raise ValueError(f"bad provider name {name!r}")
    lines = [
        "[auth]",
        f"redirect_uri = {_toml_string(f'http://{LOOPBACK}:{app_port}/oauth2callback')}",
        f"cookie_secret = {_toml_string(secrets.token_hex(32))}",
        f"client_id = {_toml_string(client_id)}",
        f"client_secret = {_toml_string(client_secret)}",
        f"server_metadata_url = {_toml_string(provider.metadata_url)}",
    ]
    for name in named_providers:
        lines += [
            "",
            f"[auth.{name}]",
            f"client_id = {_toml_string(f'{client_id}-{name}')}",
            f"client_secret = {_toml_string(client_secret)}",
            f"server_metadata_url = {_toml_string(provider.metadata_url)}",
        ]
    path = workdir / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path

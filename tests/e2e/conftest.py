"""A real browser against ``streamlit run app.py``: Debian's Chromium driven by Playwright.

The server runs as a subprocess on a free loopback port, with ``COMMISSION_*``
pointing at temporary copies of ``rules/`` and the sample data and at a temporary
SQLite store, so a test never writes into the repository. Playwright never
downloads a browser: it launches ``/usr/bin/chromium`` (``apt-get install
chromium``). Without it the tests are skipped locally, and fail when ``CI`` is set,
so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.servers import streamlit_server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = os.environ.get("COMMISSION_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        reason = (f"no Chromium at {CHROMIUM}: install Debian's package "
                  "(apt-get install -y chromium); Playwright must not download one")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Temporary copies of the plans and the sample data, and an empty store."""
    root = tmp_path_factory.mktemp("browser-app")
    rules = root / "rules"
    data = root / "data"
    shutil.copytree(REPO / "rules", rules)
    source = REPO / "sample_data"
    if any(source.glob("*.csv")):
        shutil.copytree(source, data)
    else:  # a fresh checkout without the data set: make it as the README says
        from commission.sample import write_sample

        write_sample(data)
    return {"root": root, "rules": rules, "data": data, "db": root / "commission.db"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(chromium: str, app_env: dict[str, Path]) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port; its URL. Stopped at the end."""
    port = _free_port()
    env = {**os.environ, "COMMISSION_RULES": str(app_env["rules"]),
           "COMMISSION_DATA": str(app_env["data"]),
           "COMMISSION_DB": f"sqlite:///{app_env['db']}"}
    with streamlit_server(REPO / "app.py", app_env["root"], port, env) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh tab, tall enough that a screenshot holds the whole page."""
    context = browser.new_context(viewport={"width": 1600, "height": 2400})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

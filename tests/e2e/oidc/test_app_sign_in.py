"""Issue 10 end to end: ``streamlit run app.py`` with a real OpenID Connect provider.

The mock provider (``oidc-provider-mock``) and the app run on 127.0.0.1; the app's
``.streamlit/secrets.toml`` points at the provider, and its store (SQLite, in a
temporary folder) holds the sample data and the people of ``tests/identity_org.py``,
made through :mod:`commission.access`. Chromium signs each person in on the
provider's page, then tries every door: a rep sees only their own pay and is refused
another rep's by the address (``?rep=``), by the direct addresses of the other pages
and by the downloads; a manager sees their team and no one else; finance runs a
draft, the runner's own approval is refused, a different approver approves.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from identity_org import APPROVER, FINANCE, MANAGER, MANAGER_TEAM, REP, make_org

from commission import access
from commission.reports.compare import data_periods
from commission.sample import write_sample
from commission.store import open_store
from e2e.servers import streamlit_server

from .provider import MockProvider, free_port, write_secrets

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[3]
STEP_MS = 90_000  # a first page run imports pandas and computes a period


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    root = tmp_path_factory.mktemp("company")
    data, rules = root / "data", root / "rules"
    write_sample(data)
    shutil.copytree(REPO / "rules", rules)
    url = f"sqlite:///{root / 'commission.db'}"
    make_org(url, data, rules)
    return {"root": root, "data": data, "rules": rules, "url": url}


@pytest.fixture(scope="module")
def app(chromium: str, oidc_provider: MockProvider, company) -> Iterator[str]:
    """``streamlit run app.py`` with sign-in configured against ``oidc_provider``."""
    root = Path(company["root"]) / "server"
    home = root / "home"
    home.mkdir(parents=True)
    port = free_port()
    write_secrets(root, provider=oidc_provider, app_port=port)
    env = {**os.environ, "HOME": str(home), "COMMISSION_DB": str(company["url"]),
           "COMMISSION_DATA": str(company["data"]), "COMMISSION_RULES": str(company["rules"])}
    with streamlit_server(REPO / "app.py", root, port, env) as url:
        yield url


def _expect():
    from playwright.sync_api import expect

    return expect


def sign_in(page, app: str, provider: MockProvider, email: str) -> None:
    """Open the app signed out, sign in on the provider's page as ``email``, come back."""
    page.goto(app)
    _expect()(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible(
        timeout=STEP_MS)
    assert page.get_by_text("Compare plans").count() == 0  # signed out: no menu, no page
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{provider.issuer}/oauth2/authorize?**", timeout=STEP_MS)
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app}/**", timeout=STEP_MS)
    _expect()(page.get_by_text("Signed in as", exact=False)).to_contain_text(
        email, timeout=STEP_MS)


def error_text(page) -> str:
    box = page.locator('[data-testid="stAlertContentError"]').first
    box.wait_for(timeout=STEP_MS)
    return box.inner_text()


def idle(page) -> None:
    time.sleep(0.3)
    page.wait_for_function("""() => !document.querySelector(
        '[data-testid="stStatusWidgetRunningIcon"], [data-stale="true"]')""", timeout=STEP_MS)


def subheader(page) -> str:
    head = page.locator("h3").first
    head.wait_for(timeout=STEP_MS)
    return head.inner_text()


def rep_options(page) -> list[str]:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Rep").first
    box.click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=STEP_MS)
    found = [o.split(" · ")[0] for o in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return found


def audit(company, email: str) -> list[dict]:
    with open_store(str(company["url"])) as store:
        return access.audit_log(access.LOCAL_ADMIN, store, user_email=email)


def test_a_rep_sees_only_their_own_pay_by_every_door(app, oidc_provider, new_page, company,
                                                     artifacts):
    page = new_page()
    sign_in(page, app, oidc_provider, REP)
    assert subheader(page).startswith("Nora Xu (R007)")  # My pay is a rep's first page
    menu = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').all_inner_texts()
    assert [m.split("\n")[-1].strip() for m in menu] == ["My pay"]  # after the icon
    idle(page)
    page.screenshot(path=str(artifacts / "signed_in_rep.png"), full_page=True)

    # the download: the statement is Nora's own
    with page.expect_download(timeout=STEP_MS) as made:
        page.get_by_role("button", name="Statement (HTML)").click()
    html = Path(made.value.path()).read_text()
    assert "Nora Xu" in html and "Carla Varga" not in html

    # the address: another rep's pay, and a rep who does not exist
    for other in ("R006", "R001", "R999"):
        page.goto(f"{app}/my-pay?rep={other}")
        assert f"may not see the pay of rep {other}" in error_text(page)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert page.get_by_role("button", name="Statement (HTML)").count() == 0

    # the direct addresses of the pages a rep may not use
    for path, title in (("batches", "Batches"), ("admin", "Admin"),
                        ("compare", "Compare plans"), ("collections", "Collections")):
        page.goto(f"{app}/{path}")
        assert f"may not open {title}" in error_text(page)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.get_by_role("button").filter(has_text=re.compile("^(Run|Approve|Lock)")
                                                 ).count() == 0
    refused = [(e["action"], e["object"]) for e in audit(company, REP)
               if e["outcome"] == "refused"]
    assert ("page.open", "page:batches") in refused and ("page.open", "page:admin") in refused
    assert sum(a == "pay.view" for a, _o in refused) == 3


def test_signed_out_every_address_shows_only_the_sign_in_page(app, new_page):
    page = new_page()
    for path in ("my-pay?rep=R007", "batches", "admin", "compare"):
        page.goto(f"{app}/{path}")
        _expect()(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible(
            timeout=STEP_MS)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.get_by_text("Nora Xu").count() == 0


def test_a_manager_sees_their_team_and_no_one_else(app, oidc_provider, new_page):
    page = new_page()
    sign_in(page, app, oidc_provider, MANAGER)
    assert subheader(page).startswith("Elena Zhang (R005)")
    idle(page)
    assert rep_options(page) == MANAGER_TEAM
    page.goto(f"{app}/my-pay?rep=R009")
    assert subheader(page).startswith("Ivan Novak (R009)")
    page.goto(f"{app}/my-pay?rep=R007")
    assert "may not see the pay of rep R007" in error_text(page)
    page.goto(f"{app}/batches")
    assert "may not open Batches" in error_text(page)
    page.get_by_role("button", name="Sign out", exact=True).click()  # and signing out
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/end_session?**", timeout=STEP_MS)
    page.get_by_role("button", name="End session", exact=True).click()
    page.goto(f"{app}/my-pay")
    _expect()(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible(
        timeout=STEP_MS)
    assert page.get_by_text("Elena Zhang").count() == 0


def test_finance_runs_a_different_approver_approves_the_runners_approval_is_refused(
        app, oidc_provider, new_page, company, artifacts):
    with open_store(str(company["url"])) as store:
        first = data_periods(store.stored_inputs())[0]
    fiona = new_page()
    sign_in(fiona, app, oidc_provider, FINANCE)
    fiona.goto(f"{app}/batches")
    fiona.get_by_role("button", name=f"Run {first}").click(timeout=STEP_MS)
    fiona.get_by_text(f"Batch 1 ({first}) computed").wait_for(timeout=STEP_MS)
    idle(fiona)
    fiona.get_by_role("button", name="Approve", exact=True).click()
    assert f"{FINANCE} ran batch 1 (run 1) and may not approve it" in error_text(fiona)
    idle(fiona)
    fiona.screenshot(path=str(artifacts / "self_approval_refused.png"), full_page=True)

    april = new_page()
    sign_in(april, app, oidc_provider, APPROVER)
    april.goto(f"{app}/batches")
    april.get_by_role("button", name="Approve", exact=True).click(timeout=STEP_MS)
    april.get_by_text(f"approved by {APPROVER}").first.wait_for(timeout=STEP_MS)
    assert april.get_by_role("button", name="Lock", exact=True).count() == 0
    assert april.get_by_role("button", name=f"Run {first}").count() == 0

    with open_store(str(company["url"])) as store:
        entries = access.audit_log(access.LOCAL_ADMIN, store, obj="batch:1")
    assert [(e["actor"], e["action"], e["outcome"]) for e in entries
            if e["action"] in ("batch.run", "batch.approve")] == [
        (FINANCE, "batch.run", "allowed"), (FINANCE, "batch.approve", "refused"),
        (APPROVER, "batch.approve", "allowed")]

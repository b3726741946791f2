"""The inquiry cycle in a real browser, in local mode (the local administrator acts for
everyone): a rep flags a line of the draft on My pay, finance answers and resolves it
with a correction on Batches, the re-run pays the correction as a manual line, and the
rep reads the answer on My pay.

The same cycle under AppTest is ``tests/ui/test_inquiries_page.py``; this one drives
``streamlit run app.py`` with Chromium (the fixtures of ``conftest.py``). The server's
store is shared by the session's browser tests, so the draft is made for the first
period after the last locked one (the finance test locks the first period).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from commission.payroll import inquiries as rules
from commission.payroll import lifecycle
from commission.reports.compare import data_periods
from commission.store import open_store

pytestmark = pytest.mark.browser

STEP_MS = 30_000  # every wait of a step is bounded by this
REP = "R002"
ANSWER = "Right, the dispute paused the clock"
IDLE = """() => !document.querySelector(
    '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"],'
    + ' [data-stale="true"]')"""


def _wait_idle(page) -> None:
    """Until Streamlit has finished its run: nothing running, no element left stale."""
    time.sleep(0.3)
    page.wait_for_function(IDLE, timeout=STEP_MS)
    time.sleep(0.3)


def _key(page, key: str):
    """The element container of the widget with Streamlit key ``key``."""
    return page.locator(".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key))


def _choose(page, key: str, typed: str, option) -> None:
    """Open the selectbox ``key``, type ``typed`` to filter it, click the matching option."""
    box = _key(page, key).get_by_role("combobox")
    box.click(timeout=STEP_MS)
    box.press("ControlOrMeta+a")
    box.press_sequentially(typed)
    choice = page.get_by_role("option").filter(has_text=option).first
    choice.click(timeout=STEP_MS)
    _wait_idle(page)


def _draft(app_env: dict[str, Path]) -> tuple[str, str]:
    """A draft batch of the first period after the last locked one; its period, store URL."""
    url = f"sqlite:///{app_env['db']}"
    with open_store(url) as store:
        if lifecycle.store_version(store) == 0:
            lifecycle.load(store, app_env["data"], app_env["rules"], by="setup")
        listing = lifecycle.list_batches(store)
        locked = listing.loc[listing["status"] == "locked", "period"]
        periods = [p for p in data_periods(store.stored_inputs())
                   if locked.empty or p > locked.max()]
        period = periods[0]
        lifecycle.run_batch(store, period, by="fiona")
        assert rules.open_count(store, period) == 0
    return period, url


def _my_pay(page, server: str, period: str) -> None:
    """My pay of ``REP`` from the store, for ``period``."""
    page.goto(f"{server}/my-pay?rep={REP}")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Store", exact=True).click(timeout=60_000)  # a cold first page
    _wait_idle(page)
    _choose(page, "my_pay.period", period, re.compile(f"^{period}$"))
    page.get_by_text("Questions about this statement").wait_for(timeout=STEP_MS)


def _batch_of(store, period: str) -> int:
    listing = lifecycle.list_batches(store)
    (batch_id,) = listing.loc[listing["period"] == period, "batch_id"].tolist()
    return int(batch_id)


def test_a_rep_flags_finance_resolves_the_rerun_pays_and_the_rep_reads_it(
        page, server, app_env, artifacts):
    period, url = _draft(app_env)

    # the rep flags a collection line of the draft
    _my_pay(page, server, period)
    _choose(page, "my_pay.inquiry.line", "collection ", re.compile(r"^collection "))
    _choose(page, "my_pay.inquiry.reason", "haircut",
            "The haircut / days late are wrong")
    _key(page, "my_pay.inquiry.comment").locator("textarea").fill("This was paid on time")
    page.get_by_role("button", name="Send to finance").click()
    page.get_by_text("Sent as INQ-000001").wait_for(timeout=STEP_MS)
    _wait_idle(page)
    with open_store(url) as store:
        assert rules.open_count(store, period) == 1

    # finance answers and resolves it with a correction of 12.34
    page.goto(f"{server}/batches")
    page.get_by_text("Inquiries · 1 open").wait_for(timeout=60_000)
    _wait_idle(page)
    _key(page, "batches.answer.1").locator("textarea").fill(ANSWER)
    _key(page, "batches.fix.1").locator("input").fill("12.34")
    _key(page, "batches.inquiry.1.resolve").locator("button").click()
    page.get_by_text("Inquiries · 0 open").wait_for(timeout=STEP_MS)
    page.get_by_text("INQ-000001 resolved").wait_for(timeout=STEP_MS)
    _wait_idle(page)
    with open_store(url) as store:
        (fix,) = rules.commission_adjustments(store).to_dict("records")
        assert (fix["commission_adjustment_id"], fix["rep_id"], fix["amount"]) == (
            "INQ-000001", REP, 1234)

    # finance runs the draft again on the page: it pays the correction as a manual line
    run = page.get_by_role("button", name=f"Run {period}")
    run.click(timeout=STEP_MS)
    page.get_by_text(re.compile(rf"Batch \d+ \({period}\) computed")).wait_for(
        timeout=STEP_MS)
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "inquiry_batches.png"), full_page=True)
    with open_store(url) as store:
        runs = lifecycle.batch_runs(store, _batch_of(store, period))
        assert len(runs) >= 2  # the setup's run and the page's re-run
        lines = lifecycle.batch_lines(store, _batch_of(store, period))
        manual = lines[lines["event_id"] == "INQ-000001"]
        assert manual["rep_id"].tolist() == [REP]
        assert manual["amount"].tolist() == [1234]

    # the rep reads the answer and the correction
    _my_pay(page, server, period)
    page.get_by_text(ANSWER).wait_for(timeout=STEP_MS)
    shown = page.locator('[data-testid="stMain"]').inner_text()
    assert "INQ-000001" in shown and "resolved" in shown
    assert "correction USD 12.34" in shown
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "inquiry_my_pay.png"), full_page=True)

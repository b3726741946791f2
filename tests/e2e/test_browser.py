"""The app in a real browser: what a new user does, and the numbers they see.

Each test drives ``streamlit run app.py`` with Chromium, checks the figures on the
page against the engine run in the test on the same files, and saves a screenshot
of the page in ``artifacts/`` (look at them: a test cannot tell a squashed chart).
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from commission import read_inputs
from commission.engine import calculate
from commission.money import format_money
from commission.plans.language import load_plans
from commission.reports.compare import compare, data_periods, derive_plan

pytestmark = pytest.mark.browser

VARIANT = "collected-stepped-variant-1"
UPDATE_S = 15  # the page must show new figures well within this (it takes well under 1 s)


def usd(cents: int) -> str:
    """Money as a figure shows it: with the currency code (the default setting)."""
    value = int(cents)
    return f"{'-' if value < 0 else ''}USD {format_money(abs(value))}"


def _metric(page, label: str):
    """The value element of the st.metric whose label is exactly ``label``."""
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return box.locator('[data-testid="stMetricValue"]').first


def _wait_change(page, label: str, before: str) -> tuple[str, float]:
    """The metric's new text once it differs from ``before``, and how long that took."""
    start = time.perf_counter()
    while time.perf_counter() - start < UPDATE_S:
        text = _metric(page, label).inner_text(timeout=UPDATE_S * 1000)
        if text != before:
            return text, time.perf_counter() - start
        time.sleep(0.02)
    pytest.fail(f"{label} still shows {before} after {UPDATE_S} s")


IDLE = """() => !document.querySelector(
    '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"],'
    + ' [data-stale="true"]')"""


def _wait_idle(page) -> None:
    """Until Streamlit has finished its run: nothing running, no element left stale."""
    time.sleep(0.3)
    page.wait_for_function(IDLE, timeout=30_000)
    time.sleep(0.3)


def _data(app_env: dict[str, Path]):
    plans, _texts, problems = load_plans(app_env["rules"])
    assert not problems
    inputs, problems = read_inputs(app_env["data"], plans)
    assert inputs is not None, problems
    return inputs, plans


def _record_timing(artifacts: Path, name: str, seconds: float) -> None:
    path = artifacts / "browser_timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = round(seconds, 3)
    path.write_text(json.dumps(data, indent=2) + "\n")


def test_editing_the_variant_haircut_schedule_changes_its_totals(page, server, app_env,
                                                                  artifacts):
    page.goto(server + "/")
    status = _metric(page, "Status quo").inner_text(timeout=60_000)
    _wait_idle(page)
    page.locator(".st-key-variant-base").click()  # start the variant from collected-stepped
    page.get_by_role("option", name=re.compile(r"^collected-stepped ·")).first.click()
    _wait_idle(page)
    # the variant joins the comparison only once a term differs from its base
    assert page.locator('[data-testid="stMetricLabel"]', has_text=VARIANT).count() == 0

    # the third step of the table: more than 90 days late loses 75% instead of 50%
    canvas = page.locator(".st-key-variant-collected-stepped-steps [data-testid='stDataFrame'] "
                          "canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    row_h = 35  # header, then one row per step
    page.mouse.dblclick(box["x"] + box["width"] * 0.85, box["y"] + row_h * 3 + row_h / 2)
    cell = page.locator("input.gdg-input")
    assert cell.input_value() == "50"
    cell.fill("75")
    cell.press("Enter")
    start = time.perf_counter()
    after = _metric(page, VARIANT).inner_text(timeout=UPDATE_S * 1000)
    seconds = time.perf_counter() - start
    _record_timing(artifacts, "variant edit -> new total (browser)", seconds)
    _wait_idle(page)

    inputs, plans = _data(app_env)
    base = plans["collected-stepped"]
    steps = [{"after_days": s.after_days, "haircut": s.haircut} for s in base.late_payment.steps]
    steps[2]["haircut"] = Decimal("0.75")
    late = base.late_payment.model_dump() | {"steps": steps}
    variant, problems = derive_plan(base, VARIANT, {"late_payment": late})
    assert variant is not None, problems
    periods = data_periods(inputs)
    expected = compare(inputs, {**plans, VARIANT: variant}, ["collected-stepped", VARIANT],
                       periods[0], periods[-1])
    assert after == usd(expected.total(VARIANT))
    assert expected.total(VARIANT) < expected.total("collected-stepped")  # a bigger haircut
    assert _metric(page, "Status quo").inner_text() == status  # the baseline is unchanged
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)

    for tab, name in (("Per rep", "compare_per_rep"), ("By month", "compare_by_month"),
                      ("Winners and losers", "compare_winners"),
                      ("Distribution", "compare_distribution"),
                      ("Pay faster or slower", "compare_cost_curve")):
        page.get_by_role("tab", name=tab).click()  # a lazy tab: it reruns to draw
        _wait_idle(page)
        time.sleep(1.0)  # charts draw after the run
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_my_pay_shows_the_reps_projected_payout(page, server, app_env, artifacts):
    inputs, plans = _data(app_env)
    period = data_periods(inputs)[-1]
    result = calculate(inputs, plans, through=period)
    pay = result.payouts
    row = pay[(pay["rep_id"] == "R004") & (pay["period"] == period)]

    page.goto(server + "/my-pay?rep=R004")
    shown = _metric(page, f"Projected payout, {period}").inner_text(timeout=60_000)
    assert shown == usd(int(row["payout"].iloc[0]))
    ytd = pay[(pay["rep_id"] == "R004") & (pay["period"] >= period[:4] + "-01")
              & (pay["period"] <= period)]["payout"].sum()
    assert _metric(page, f"Projected year to date, {period[:4]}").inner_text() == usd(int(ytd))
    assert page.get_by_text("Jonas Evans (R004)").count() == 1
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "my_pay.png"), full_page=True)


def test_finance_loads_runs_approves_and_locks_a_batch(page, server, app_env, artifacts):
    inputs, plans = _data(app_env)
    first = data_periods(inputs)[0]
    engine = calculate(inputs, plans, through=first).payouts
    expected = int(engine.loc[engine["period"] == first, "payout"].sum())

    page.goto(server + "/batches")
    _wait_idle(page)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Load 1 written.").wait_for(timeout=60_000)
    page.get_by_role("button", name=f"Run {first}").click()
    page.get_by_text(f"Batch 1 ({first}) computed").wait_for(timeout=60_000)
    assert _metric(page, "Payout").inner_text() == usd(expected)
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "batches_draft.png"), full_page=True)

    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_text("approved by local-admin@localhost").first.wait_for()
    page.get_by_role("button", name="Lock", exact=True).click()
    page.get_by_text("Locked by local-admin@localhost on").wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    assert _metric(page, "Payout").inner_text() == usd(expected)
    _wait_idle(page)
    page.screenshot(path=str(artifacts / "batches.png"), full_page=True)

"""Compare plans under AppTest, on the part-2 sample (plan changes, quotas, draws, overrides).

Every figure the page shows must be the engine's for the same inputs: the tests
compute it with :mod:`commission.reports.compare` and compare the text. The page
answers management's question: the baseline is the status quo (each rep on their own
plans), a variant appears once edited, a saved scenario stays in the comparison and
never reaches rules/ or payroll, and making one live is a separate step.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from ui.test_app import usd

from commission import read_inputs
from commission.money import format_money
from commission.payroll import lifecycle as batches
from commission.payroll import stored_plans
from commission.plans.language import load_plans
from commission.reports.compare import (
    STATUS_QUO,
    cash_collected,
    compare,
    data_periods,
    derive_plan,
    run_plan,
    shift_payments,
    status_quo_plan,
    variant_from,
)
from commission.sample import write_sample
from commission.store import open_store
from commission.ui.common import last_event_day

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
BASE = "collected-stepped"
VARIANT = "collected-stepped-variant-1"
K = f"variant.{BASE}."


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample2") / "data"
    write_sample(folder)  # part 2: plan changes, quotas, draws, overrides
    return folder


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_dir: Path) -> SimpleNamespace:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    db = f"sqlite:///{tmp_path / 'commission.db'}"
    monkeypatch.setenv("COMMISSION_RULES", str(rules))
    monkeypatch.setenv("COMMISSION_DATA", str(sample_dir))
    monkeypatch.setenv("COMMISSION_DB", db)
    plans, _texts, problems = load_plans(rules)
    assert not problems
    inputs, problems = read_inputs(sample_dir, plans)
    assert inputs is not None, problems
    return SimpleNamespace(rules=rules, data=sample_dir, db=db, plans=plans, inputs=inputs,
                           periods=data_periods(inputs), end=last_event_day(inputs))


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page() -> AppTest:
    return run(AppTest.from_file(APP, default_timeout=180))


def with_base(at: AppTest) -> AppTest:
    at.selectbox(key="variant.base").set_value(BASE)
    return run(at)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a column {column!r}")


def status_quo(env, first=None, last=None, inputs=None):
    inputs = env.inputs if inputs is None else inputs
    label = status_quo_plan(env.plans[BASE])
    return run_plan(inputs, label, first or env.periods[0], last or env.periods[-1],
                    plans=env.plans)


def payout(run_) -> int:
    return int(run_.payouts["payout"].sum())


# --------------------------------------------------------------------------- the baseline


def test_the_status_quo_is_the_baseline_and_every_figure_is_the_engines(env):
    at = open_page()
    shown = metrics(at)
    chosen = at.multiselect(key="compare.plans").value
    assert list(shown) == [STATUS_QUO, *chosen]  # no variant until one is edited
    assert shown[STATUS_QUO] == usd(payout(status_quo(env)))
    expected = compare(env.inputs, env.plans, chosen, env.periods[0], env.periods[-1])
    for pid in chosen:
        assert shown[pid] == usd(expected.total(pid))
    delta = next(m.delta for m in at.metric if m.label == chosen[0])
    assert delta == (f"{usd(expected.total(chosen[0]) - payout(status_quo(env)))} "
                     "vs baseline")
    # the plans most reps are on come first; the status quo differs from each of them
    # because reps are on different plans (and change plans over time)
    assert len({shown[p] for p in shown}) == len(shown)
    assert "change a term to add it to the comparison" in texts(at.caption)


def test_a_variant_appears_once_edited_and_only_it_runs_again(env):
    at = with_base(open_page())
    assert not any(label.startswith(VARIANT) for label in metrics(at))
    at.number_input(key=K + "rate").set_value(5.5)
    run(at)
    variant, problems = derive_plan(env.plans[BASE], VARIANT, {"rate": Decimal("0.055")})
    assert variant is not None, problems
    expected = compare(env.inputs, {VARIANT: variant}, [VARIANT], env.periods[0],
                       env.periods[-1])
    shown = metrics(at)
    assert shown[VARIANT] == usd(expected.total(VARIANT))
    n = len(shown)
    assert f"({n - 1} of {n} plan runs from cache)" in texts(at.caption)


def test_the_waterfall_starts_at_zero_and_labels_every_bar(env):
    from commission.ui import compare as page

    result = compare(env.inputs, env.plans, [BASE, "collected-40day"], env.periods[0],
                     env.periods[-1])
    spec = page.waterfall_chart(result).to_dict(validate=True)
    bars, labels = spec["spec"]["layer"]
    assert bars["encoding"]["x"]["scale"]["zero"] is True
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "text"


# --------------------------------------------------------------------------- scenarios


def test_saving_a_scenario_writes_no_plan_and_it_stays_compared(env):
    before = sorted(p.name for p in env.rules.iterdir())
    at = with_base(open_page())
    at.number_input(key=K + "rate").set_value(5.5)
    run(at)
    shown_before = metrics(at)[VARIANT]
    at.button(key="variant.save").click()
    run(at)
    assert "Saved scenario #1" in texts(at.success)
    assert sorted(p.name for p in env.rules.iterdir()) == before  # nothing in rules/
    with open_store(env.db) as store:
        assert stored_plans(store)[0] == {}  # nor in the plans payroll runs on
    shown = metrics(at)
    assert shown[f"{VARIANT} #1"] == shown_before  # the saved scenario stays compared
    assert VARIANT not in shown  # and is not shown twice
    assert at.multiselect(key="compare.scenarios").value == [1]
    assert not at.get("checkbox") or "variant.overwrite" not in [c.key for c in at.checkbox]


def test_a_variant_from_a_month_leaves_the_months_before_unchanged(env):
    at = with_base(open_page())
    at.number_input(key=K + "rate").set_value(8.0)
    at.radio(key=K + "apply").set_value("from")
    run(at)
    month = "2025-09"
    at.selectbox(key=K + "from_month").set_value(month)
    at.multiselect(key=K + "from_reps").set_value(["R001", "R002"])
    run(at)
    variant, _p = derive_plan(env.plans[BASE], "v", {"rate": Decimal("0.08")})
    moved = variant_from(env.inputs, "v", month, ["R001", "R002"])
    expected = run_plan(moved, variant, env.periods[0], env.periods[-1],
                        plans={**env.plans, "v": variant})
    assert metrics(at)[VARIANT] == usd(payout(expected))
    at.session_state["compare.tab"] = "By month"
    run(at)
    months = table_with(at, "period").set_index("period")
    before = [p for p in months.index if p < month]
    assert before and (months.loc[before, VARIANT] == months.loc[before, STATUS_QUO]).all()
    assert (months.loc[[p for p in months.index if p >= month], VARIANT]
            != months.loc[[p for p in months.index if p >= month], STATUS_QUO]).any()


def test_an_attainment_plan_without_quotas_names_the_reps_and_a_quota_can_be_entered(env):
    at = open_page()
    at.multiselect(key="compare.plans").set_value(["collected-quota-accelerator"])
    run(at)
    warned = texts(at.warning)
    assert "collected-quota-accelerator is left out" in warned and "R001" in warned
    assert "collected-quota-accelerator" not in metrics(at)

    at.selectbox(key="variant.base").set_value("collected-quota-accelerator")
    run(at)
    k = "variant.collected-quota-accelerator."
    reps = env.inputs.reps["rep_id"].tolist()
    at.session_state[k + "quotas"] = {
        "edited_rows": {i: {"quota": 100000.0} for i in range(len(reps))},
        "added_rows": [], "deleted_rows": []}
    at.session_state[k + "brackets_att"] = {"edited_rows": {1: {"rate_pct": 9.0}},
                                            "added_rows": [], "deleted_rows": []}
    run(at)
    variant_id = "collected-quota-accelerator-variant-1"
    assert variant_id in metrics(at)
    assert "collected-quota-accelerator-variant-1 is left out" not in texts(at.warning)


def test_draw_and_override_are_edited_in_the_variant(env):
    at = with_base(open_page())
    at.checkbox(key=K + "draw").check()
    at.checkbox(key=K + "override").check()
    run(at)
    at.number_input(key=K + "draw_amount").set_value(1200.0)
    at.number_input(key=K + "override_rate").set_value(2.0)
    run(at)
    base = env.plans[BASE]
    variant, problems = derive_plan(base, VARIANT, {
        "payout": base.payout.model_dump() | {"draw": {"amount": Decimal(1200),
                                                       "recoverable": True}},
        "override": {"rate": Decimal("0.02")}})
    assert variant is not None, problems
    expected = compare(env.inputs, {VARIANT: variant}, [VARIANT], env.periods[0],
                       env.periods[-1])
    assert metrics(at)[VARIANT] == usd(expected.total(VARIANT))
    yaml_text = at.download_button(key="variant.download").proto
    assert yaml_text.label == "Download YAML"


# --------------------------------------------------------------------------- paying later


def test_cash_pushed_past_the_data_is_still_to_come_not_a_saving(env):
    at = open_page()
    at.slider(key="compare.shift").set_value(30)
    run(at)
    caption = texts(at.caption)
    assert "would fall after the data ends" in caption and "still to come" in caption
    shifted = shift_payments(env.inputs, 30, env.end)
    first, last = env.periods[0], env.periods[-1]
    assert f"cash collected {usd(cash_collected(shifted, first, last))}" in caption
    assert metrics(at)[STATUS_QUO] == usd(payout(status_quo(env, inputs=shifted)))


def test_the_cost_curve_compares_the_same_payments_at_every_shift(env):
    at = open_page()
    at.session_state["compare.tab"] = "Pay faster or slower"
    run(at)
    assert "Every point leaves out" in texts(at.caption)
    curve = table_with(at, "days").set_index("days")
    assert list(curve.index) == list(range(-30, 61, 15))
    held = shift_payments(env.inputs, 0, env.end, hold_back=60)
    at0 = run_plan(held, status_quo_plan(env.plans[BASE]), env.periods[0], env.periods[-1],
                   plans=env.plans)
    assert curve.at[0, STATUS_QUO] == format_money(payout(at0))
    # the same cash at every point: nothing counted as saved by falling off the end
    cash = {d: cash_collected(shift_payments(env.inputs, d, env.end, hold_back=60),
                              env.periods[0], env.periods[-1]) for d in (-30, 0, 60)}
    assert len(set(cash.values())) == 1


# --------------------------------------------------------------------------- making live


def test_making_a_scenario_live_is_a_separate_step_with_a_diff_a_month_and_reps(env):
    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
    at = open_page()
    at.radio(key="compare.source").set_value("store")
    run(at)
    with_base(at)
    at.number_input(key=K + "rate").set_value(6.0)
    run(at)
    at.button(key="variant.save").click()
    run(at)
    with open_store(env.db) as store:  # saved: payroll's plans and assignments unchanged
        assert len(store.stored_inputs().plan_assignments) == len(env.inputs.plan_assignments)
        assert VARIANT not in stored_plans(store)[0]
    at.text_input(key="live.month").set_value("2027-01")
    run(at)
    diff = table_with(at, "term")
    assert diff.iloc[0].tolist()[0] == "rate" and "0.06" in diff.iloc[0].tolist()
    assert at.button(key="live.go").disabled  # not until confirmed
    at.checkbox(key="live.sure").check()
    run(at)
    at.button(key="live.go").click()
    run(at)
    assert "is live from 2027-01-01" in texts(at.success)
    with open_store(env.db) as store:
        assert VARIANT in stored_plans(store)[0]
        a = store.stored_inputs().plan_assignments
        mine = a[a["plan_id"] == VARIANT]
        assert len(mine) >= 1 and (mine["effective_from"] == pd.Timestamp("2027-01-01")).all()


# --------------------------------------------------------------------------- controls and sources


def test_the_period_range_the_shift_and_a_plan_as_the_baseline(env):
    at = open_page()
    chosen = at.multiselect(key="compare.plans").value
    at.select_slider(key="compare.periods").set_range("2025-01", "2025-12")
    at.slider(key="compare.shift").set_value(-20)
    at.selectbox(key="compare.baseline").set_value(chosen[1])
    run(at)
    shifted = shift_payments(env.inputs, -20, env.end)
    expected = compare(shifted, env.plans, [chosen[1], chosen[0]], "2025-01", "2025-12")
    shown = metrics(at)
    assert next(iter(shown)) == chosen[1]
    assert shown[chosen[0]] == usd(expected.total(chosen[0]))
    assert shown[STATUS_QUO] == usd(payout(status_quo(env, "2025-01", "2025-12",
                                                               shifted)))
    assert "payments 20 days sooner" in texts(at.caption)
    at.session_state["compare.tab"] = "Winners and losers"
    run(at)
    winners = table_with(at, f"{chosen[1]} (baseline)").set_index("rep_id")
    w = expected.winners_losers
    row = w[(w["plan_id"] == chosen[0]) & (w["rep_id"] == "R001")].iloc[0]
    assert winners.at["R001", f"change {chosen[0]}"] == format_money(row["change"])


def test_an_invalid_variant_shows_its_problems_and_is_left_out(env):
    at = with_base(open_page())
    at.session_state[K + "steps"] = {"edited_rows": {0: {"haircut_pct": 90.0}},
                                     "added_rows": [], "deleted_rows": []}
    run(at)
    assert "not a valid plan yet" in texts(at.error)
    assert table_with(at, "expected")["column"].tolist() == ["late_payment"]
    assert VARIANT not in metrics(at) and STATUS_QUO in metrics(at)


def test_every_chart_of_the_compare_page_is_valid_vega_lite(env):
    from commission.ui import compare as page

    result = compare(env.inputs, env.plans, [BASE, "collected-40day"], env.periods[0],
                     env.periods[-1], shift_days=-10)
    for chart in (page.waterfall_chart, page.per_rep_chart, page.per_month_chart,
                  page.winners_chart, page.distribution_chart):
        spec = chart(result).to_dict(validate=True)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_uploaded_files_and_the_store_as_sources(env):
    at = open_page()
    at.radio(key="compare.source").set_value("store")
    run(at)
    assert "holds no data yet" in texts(at.info)
    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
    run(at)
    assert metrics(at)[STATUS_QUO] == usd(payout(status_quo(env)))
    assert "Data: store" in texts(at.caption)
    at.radio(key="compare.source").set_value("upload")
    run(at)
    files = [(p.name, p.read_bytes(), "text/csv") for p in sorted(env.data.glob("*.csv"))]
    at.file_uploader(key="compare.upload").set_value(files)
    run(at)
    assert metrics(at)[STATUS_QUO] == usd(payout(status_quo(env)))


def test_nothing_to_compare_is_explained_not_an_error(env):
    at = open_page()
    at.multiselect(key="compare.plans").set_value([])
    run(at)
    assert "to compare it with the status quo" in texts(at.info)
    assert not at.metric

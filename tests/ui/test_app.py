"""Every page of the app under Streamlit's AppTest: set the controls, read the numbers.

Each figure the pages show must be the engine's (or the store's) for the same
inputs, formatted as money: the tests compute it with the core and compare the
text. The app reads ``COMMISSION_DATA``, ``COMMISSION_RULES`` and ``COMMISSION_DB``
from the environment, so each test points it at temporary copies and never
touches the repository's ``rules/`` or ``commission.db``.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from commission import read_inputs
from commission.access import LOCAL_ADMIN
from commission.engine import calculate
from commission.money import format_money
from commission.payroll import lifecycle as batches
from commission.plans.language import load_plans
from commission.reports.compare import data_periods
from commission.reports.outlook import open_invoices
from commission.sample import write_sample
from commission.store import open_store
from commission.ui.common import last_event_day

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")


# --------------------------------------------------------------------------- set-up


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample data set (3,000 invoices), as ``commission sample`` writes it."""
    folder = tmp_path_factory.mktemp("sample") / "data"
    write_sample(folder)  # part 2: plan changes, quotas, draws, overrides, manual lines
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
                           periods=data_periods(inputs), tmp=tmp_path)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    run(at)
    if page is not None:
        at.switch_page(page)
        run(at)
    return at


def usd(cents) -> str:
    """Money as the app shows a figure: with the currency (the default setting, USD)."""
    value = int(cents)
    return f"{'-' if value < 0 else ''}USD {format_money(abs(value))}"


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``."""
    for df in at.dataframe:
        value = df.value
        if column in value.columns:
            return value
    raise AssertionError(f"no table with a column {column!r}")


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["compare.tab"] = label
    return run(at)


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


# Compare plans: tests/ui/test_compare_page.py (on the part-2 sample)


# --------------------------------------------------------------------------- my pay


def my_pay(**query: str) -> AppTest:
    return open_app("commission/ui/my_pay.py", **query)


def test_my_pay_shows_the_engines_payout_year_to_date_and_lines(env):
    at = my_pay()
    at.selectbox(key="my_pay.rep").set_value("R004")
    run(at)
    period = env.periods[-1]
    result = calculate(env.inputs, env.plans, through=period)
    pay = result.payouts
    mine = pay[pay["rep_id"] == "R004"]
    now = mine[mine["period"] == period].iloc[0]
    ytd = mine[(mine["period"] >= period[:4] + "-01") & (mine["period"] <= period)]
    shown = metrics(at)
    assert shown[f"Projected payout, {period}"] == usd(now["payout"])
    assert shown[f"Projected year to date, {period[:4]}"] == usd(ytd["payout"].sum())
    assert shown["Net commission this period"] == usd(now["net"])
    lines = table_with(at, "explanation")
    engine_lines = result.lines[(result.lines["rep_id"] == "R004")
                                & (result.lines["period"] == period)]
    assert len(lines) == len(engine_lines)
    assert sorted(lines["amount"]) == sorted(format_money(v) for v in engine_lines["amount"])
    assert set(lines["explanation"]) == set(engine_lines["explanation"])

    as_of = last_event_day(env.inputs)  # the data's last day: the page's default "as of"
    outlook = open_invoices(env.inputs, env.plans, None, as_of, "R004", lines=result.lines)
    # still to come is net of the haircut already incurred (the collection line of today)
    assert shown["Still to come"] == usd(outlook["commission_to_come"].sum()
                                         - outlook["haircut_now"].sum())
    assert shown["At stake if paid late"] == usd(outlook["at_stake"].sum())
    opened = table_with(at, "commission_to_come")
    assert len(opened) == len(outlook)
    assert "collect by" in texts(at.warning)
    aging = table_with(at, "over 90")
    assert aging["customer"].iloc[-1] == "Total"


def test_my_pay_follows_the_rep_in_the_address_and_the_period(env):
    at = my_pay(rep="R007")
    assert at.selectbox(key="my_pay.rep").value == "R007"
    at.selectbox(key="my_pay.period").set_value("2025-06")
    run(at)
    pay = calculate(env.inputs, env.plans, through="2025-06").payouts
    row = pay[(pay["rep_id"] == "R007") & (pay["period"] == "2025-06")].iloc[0]
    ytd = pay[(pay["rep_id"] == "R007") & (pay["period"] >= "2025-01")]["payout"].sum()
    shown = metrics(at)
    assert shown["Projected payout, 2025-06"] == usd(row["payout"])
    assert shown["Projected year to date, 2025"] == usd(ytd)
    assert at.query_params["rep"] == ["R007"] or at.query_params["rep"] == "R007"


def test_my_pay_on_the_store_mentions_its_batch(env):
    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
        b = batches.run_batch(store, env.periods[0], by="test")
        expected = batches.batch_payouts(store, b.batch_id)
    at = my_pay(rep="R002")
    at.radio(key="my_pay.source").set_value("store")
    at.selectbox(key="my_pay.period").set_value(env.periods[0])
    run(at)
    row = expected[expected["rep_id"] == "R002"].iloc[0]
    assert f"pays you {usd(row['payout'])}" in texts(at.caption)
    assert metrics(at)[f"Projected payout, {env.periods[0]}"] == usd(row["payout"])


def test_my_pay_on_an_empty_store_says_so(env):
    at = my_pay()
    at.radio(key="my_pay.source").set_value("store")
    run(at)
    assert "holds no data yet" in texts(at.info)
    assert not at.metric


# --------------------------------------------------------------------------- batches


def batches_page() -> AppTest:
    return open_app("commission/ui/batches.py")


def test_a_store_a_newer_version_migrated_is_named_on_the_page(env):
    """The page says why the store cannot be opened (not 'check the address'), in one
    line, with the revision shown as plain text."""
    from commission.store import open_store
    from commission.ui.common import plain

    store = open_store(env.db)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_*from*_future'")
    store.close()
    at = batches_page()
    shown = texts(at.error)
    assert plain("0099_*from*_future") in shown, shown  # markup escaped, not rendered
    assert "does not know" in shown and "database address" not in shown


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return run(at)


def test_finance_loads_runs_approves_locks_and_runs_the_next_period(env):
    at = batches_page()
    assert "The store is empty" in texts(at.info)
    click(at, "batches.load")
    assert "Load 1 written." in texts(at.success)

    first, second = env.periods[0], env.periods[1]
    assert at.selectbox(key="batches.period").value == first
    click(at, "batches.run")
    engine = calculate(env.inputs, env.plans, through=first).payouts
    engine = engine[engine["period"] == first]
    shown = metrics(at)
    for col, label in (("payout", "Payout"), ("gross", "Gross"), ("haircuts", "Haircuts"),
                       ("clawbacks", "Clawbacks"), ("net", "Net")):
        assert shown[label] == usd(engine[col].sum()), label
    per_rep = table_with(at, "previous").set_index("rep_id")
    assert per_rep.at["R004", "payout"] == format_money(
        engine.loc[engine["rep_id"] == "R004", "payout"].iloc[0])
    assert {d.proto.label.split(" ·")[0] for d in at.download_button} >= {
        "Payroll export (CSV)", "Lines (CSV)"}
    assert at.button(key="statements.start").proto.label == "Make statements"

    click(at, "batches.approve")
    assert "approved by local-admin@localhost" in texts(at.success)
    click(at, "batches.lock")
    assert "locked by local-admin@localhost" in texts(at.success)
    assert "read-only" in texts(at.info)
    assert not [b for b in at.button if b.key in ("batches.approve", "batches.lock")]
    audit = table_with(at, "step")
    assert audit["step"].tolist() == ["run", "approved", "locked"]
    # statements are made in the background (tests/ui/test_statement_jobs.py)
    assert at.radio(key="statements.format").value == "pdf"

    assert at.selectbox(key="batches.period").value == second
    click(at, "batches.run")
    with open_store(env.db) as store:
        listing = batches.list_batches(store)
        now = batches.show(store, int(listing["batch_id"].iloc[-1]))
        before = batches.show(store, int(listing["batch_id"].iloc[0]))
    assert now.period == second and now.status == "draft"
    shown = next(m for m in at.metric if m.label == "Payout")
    assert shown.value == usd(now.totals["payout"])
    assert shown.delta == (f"{usd(now.totals['payout'] - before.totals['payout'])} "
                           f"vs {first}")
    per_rep = table_with(at, "previous").set_index("rep_id")
    assert per_rep.at["R004", "previous"] == format_money(
        engine.loc[engine["rep_id"] == "R004", "payout"].iloc[0])


def test_finance_can_load_an_uploaded_file_on_top_of_the_store(env):
    at = batches_page()
    click(at, "batches.load")
    at.radio(key="batches.load_from").set_value("upload")
    run(at)
    click(at, "batches.load")
    assert "Choose the CSV files" in texts(at.error)
    text = (env.data / "reps.csv").read_text().replace("umar.ueda@example.com",
                                                        "umar@example.com")
    at.file_uploader(key="batches.upload").set_value(("Reps.csv", text.encode(), "text/csv"))
    click(at, "batches.load")
    assert "Load 2 written." in texts(at.success)
    assert "reps: 1 changed" in texts(at.code)


def test_the_statements_of_a_batch_show_each_reps_payout(env):
    from commission.ui.batches import statements_zip

    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
        summary = batches.run_batch(store, env.periods[0], by="test")
        payouts = batches.batch_payouts(store, summary.batch_id)
        made = statements_zip(LOCAL_ADMIN, store, summary, env.inputs)
        with zipfile.ZipFile(io.BytesIO(made)) as zf:
            names = sorted(zf.namelist())
            r004 = zf.read(f"statement_R004_{env.periods[0]}.html").decode()
    assert names == sorted(f"statement_{r}_{env.periods[0]}.html" for r in payouts["rep_id"])
    payout = payouts.loc[payouts["rep_id"] == "R004", "payout"].iloc[0]
    assert format_money(payout) in r004 and "Jonas Evans" in r004


def test_a_bad_load_lists_its_problems_and_writes_nothing(env):
    bad = env.tmp / "bad"
    shutil.copytree(env.data, bad)
    pay = bad / "payments.csv"
    pay.write_text(pay.read_text().replace("P0000001,I000004,2024-11-04",
                                           "P0000001,I999999,2024-11-04"))
    at = batches_page()
    at.text_input(key="batches.folder").set_value(str(bad))
    click(at, "batches.load")
    assert "Load refused" in texts(at.error)
    assert "unknown invoice I999999" in table_with(at, "expected")["message"].tolist()
    assert "The store is empty" in texts(at.info)


def test_locking_a_batch_whose_data_changed_is_refused_on_the_page(env):
    changed = env.tmp / "changed"
    shutil.copytree(env.data, changed)
    at = batches_page()
    click(at, "batches.load")
    click(at, "batches.run")
    click(at, "batches.approve")
    pay = changed / "payments.csv"
    pay.write_text(pay.read_text().replace("P0000001,I000004,2024-11-04,567.64",
                                           "P0000001,I000004,2024-11-04,567.00"))
    at.text_input(key="batches.folder").set_value(str(changed))
    click(at, "batches.load")
    assert "Load 2 written." in texts(at.success)
    # stale: said at the top, the details in one table, Lock offered no more
    assert "Stale: 1 event changed or arrived: run again." in texts(at.error)
    details = table_with(at, "change")
    assert details[["what", "id", "change"]].values.tolist() == [
        ["payment", "P0000001", "changed (amount 567.64 -> 567.00)"]]
    assert at.button(key="batches.lock").proto.disabled
    with open_store(env.db) as store:
        assert batches.list_batches(store)["status"].tolist() == ["approved"]
    click(at, "batches.run")  # run again: fresh, and Approve is offered again
    assert not [e for e in at.error if "Stale" in e.value]
    assert not at.button(key="batches.approve").proto.disabled


def test_a_catch_up_run_warns_and_needs_a_confirmation(env):
    at = batches_page()
    click(at, "batches.load")
    third = env.periods[2]
    at.selectbox(key="batches.period").set_value(third)
    run(at)
    assert f"would pay 3 months ({env.periods[0]} to {third})" in texts(at.warning)
    assert at.button(key="batches.run").proto.disabled
    at.checkbox(key="batches.catch_up").check()
    run(at)
    click(at, "batches.run")
    assert f"Catch-up: this batch pays 3 months ({env.periods[0]} to {third})" in texts(
        at.caption)
    per_rep = table_with(at, "forfeited")
    assert len(per_rep) == len(env.inputs.reps)


def test_finance_adds_a_manual_line_on_the_batch_page_and_the_draft_turns_stale(env):
    at = batches_page()
    click(at, "batches.load")
    click(at, "batches.run")
    assert not [e for e in at.error if "Stale" in e.value]
    at.selectbox(key="batches.manual_rep").set_value("R004")
    at.text_input(key="batches.manual_amount").set_value("250.00")
    at.text_input(key="batches.manual_reason").set_value("Launch SPIFF")
    at.button[[b.label for b in at.button].index("Add manual line")].click()
    run(at)
    assert "Manual line ML-" in texts(at.success) and "250.00" in texts(at.success)
    lines = table_with(at, "reason")
    assert lines[["rep_id", "amount", "reason", "recorded_by"]].values.tolist() == [
        ["R004", "250.00", "Launch SPIFF", "local-admin@localhost"]]
    assert "1 manual line added or changed: run again" in texts(at.error)
    assert at.button(key="batches.approve").proto.disabled

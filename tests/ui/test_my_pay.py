"""My pay against the store's locked batches: what was paid is the headline, the rest projected.

For each locked month, the headline equals the batch's payout and the year to date
the locked payouts; a month no locked batch pays is labelled projected, and so is
its statement. An unknown ``?rep=`` shows an error, never another rep.
"""

from __future__ import annotations

import pytest
from ui.test_app import REPO, env, metrics, open_app, run, sample_dir, table_with, texts, usd

from commission import access
from commission.access import LOCAL_ADMIN, AccessDenied, Identity
from commission.payroll import lifecycle as batches
from commission.reports.statement import PROJECTED_MARK
from commission.store import open_store

__all__ = ["env", "sample_dir"]  # fixtures used here

LOCKED = 3  # months run, approved and locked


def my_pay_on_store(rep: str, period: str):
    at = open_app("commission/ui/my_pay.py", rep=rep)
    at.radio(key="my_pay.source").set_value("store")
    run(at)
    at.selectbox(key="my_pay.period").set_value(period)
    return run(at)


def close_months(env, months: list[str]) -> dict[str, int]:
    """Run, approve (by someone else) and lock each month; month -> batch id."""
    ids = {}
    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
        for month in months:
            b = batches.run_batch(store, month, by="ann")
            batches.approve(store, b.batch_id, by="bob")
            batches.lock(store, b.batch_id, by="cy")
            ids[month] = b.batch_id
    return ids


def test_for_each_locked_month_the_headline_is_the_batchs_payout(env):
    months = env.periods[:LOCKED]
    ids = close_months(env, months)
    with open_store(env.db) as store:
        paid = {m: batches.batch_payouts(store, b) for m, b in ids.items()}
        lines = {m: batches.batch_lines(store, b) for m, b in ids.items()}
    for rep in ("R002", "R004"):
        for month in months:
            pay = paid[month]
            row = pay[(pay["rep_id"] == rep) & (pay["period"] == month)].iloc[0]
            at = my_pay_on_store(rep, month)
            shown = metrics(at)
            assert shown[f"Paid, {month}"] == usd(row["payout"]), (rep, month)
            assert f"Projected payout, {month}" not in shown
            assert "locked batch" in texts(at.success)
            year = [m for m in months if m[:4] == month[:4] and m <= month]
            expected_ytd = sum(int(paid[m].loc[(paid[m]["rep_id"] == rep)
                                               & (paid[m]["period"] == m), "payout"].iloc[0])
                               for m in year)
            assert shown[f"Paid year to date, {month[:4]}"] == usd(expected_ytd)
            mine = lines[month][(lines[month]["rep_id"] == rep)
                                & (lines[month]["period"] == month)]
            if len(mine):  # every line the batch pays, earlier periods' lines included
                table = table_with(at, "explanation")
                assert len(table) == len(mine)
                assert set(table["prior_period"]) == set(mine["prior_period"].fillna(""))
            assert "statement is a projection" not in texts(at.caption)


def test_a_month_without_a_locked_batch_is_projected_and_so_is_its_statement(env):
    close_months(env, env.periods[:1])
    month = env.periods[1]
    with open_store(env.db) as store:  # a draft for the month: still a projection
        batches.run_batch(store, month, by="ann")
    at = my_pay_on_store("R002", month)
    shown = metrics(at)
    assert f"Projected payout, {month}" in shown and f"Paid, {month}" not in shown
    assert "Projected" in texts(at.info)
    assert "not locked yet" in texts(at.caption)
    assert f'marked "{PROJECTED_MARK}"' in texts(at.caption)
    from commission.reports.statement import render_statement_html

    # the page's statement is the one downloaded: its data marks it projected
    assert PROJECTED_MARK == "PROJECTED \u2014 not a payslip"
    assert "PROJECTED" in render_statement_html(
        {**_any_statement(env, month), "projected": PROJECTED_MARK})


def _any_statement(env, month: str) -> dict:
    from commission.engine import calculate
    from commission.reports.statement import statement_data

    result = calculate(env.inputs, env.plans, through=month)
    return statement_data("R002", month, result.lines, result.payouts, env.inputs, env.plans,
                          f"{month}-28")


def test_an_unknown_rep_in_the_address_is_an_error_never_another_rep(env):
    at = open_app("commission/ui/my_pay.py", rep="R999")
    assert "There is no rep R999" in texts(at.error)
    assert not at.metric and not at.dataframe


def test_the_currency_setting_is_on_every_figure(env):
    close_months(env, env.periods[:1])
    with open_store(env.db) as store:
        access.set_setting(LOCAL_ADMIN, store, "currency", "eur")
        assert access.currency(store) == "EUR"
    at = open_app("commission/ui/my_pay.py", rep="R002")
    assert all(m.value.startswith("EUR ") for m in at.metric), [m.value for m in at.metric]


def test_only_an_administrator_sets_the_currency_and_only_to_a_code(env):
    rep = Identity("r2@example.com", frozenset({"rep"}), "R002", "Rep")
    with open_store(env.db) as store:
        with pytest.raises(AccessDenied):
            access.set_setting(rep, store, "currency", "EUR")
        with pytest.raises(AccessDenied, match="three-letter ISO 4217 code"):
            access.set_setting(LOCAL_ADMIN, store, "currency", "euros")
        assert access.currency(store) == "USD"
        assert access.currency(None) == "USD"


def test_locked_payouts_of_another_rep_are_refused(env):
    close_months(env, env.periods[:1])
    rep = Identity("r2@example.com", frozenset({"rep"}), "R002", "Rep")
    with open_store(env.db) as store:
        with pytest.raises(AccessDenied):
            access.locked_payouts(rep, store, "R004", env.periods[0], env.periods[0])
        with pytest.raises(AccessDenied):
            access.statement(rep, store, 1, "R004")
        mine = access.locked_payouts(rep, store, "R002", env.periods[0], env.periods[0])
        assert set(mine["rep_id"]) == {"R002"}
        only_mine = access.statement_sources(rep, store, 1)
        assert set(only_mine.payouts["rep_id"]) == {"R002"} and only_mine.reps == ["R002"]


def test_every_page_has_the_glossary_and_docs_hold_the_same_words(env):
    from commission.ui import glossary

    for word in ("Haircut", "Clawback", "Penalty", "Reversal", "Carry", "Forfeited", "Draw",
                 "Attainment", "Override"):
        assert any(k.startswith(word) for k in glossary.GLOSSARY), word
    assert (REPO / "docs" / "glossary.md").read_text() == glossary.markdown()
    for page in (None, "commission/ui/my_pay.py", "commission/ui/batches.py",
                 "commission/ui/collections.py", "commission/ui/admin.py"):
        at = open_app(page)
        labels = [e.label for e in at.sidebar.expander]
        assert "Glossary: words of pay" in labels, (page, labels)

"""Open balances kept by loads (migration 0018): exact on every day, after every kind of load.

``open_pieces`` is checked day by day against the ledger's own sum
(:func:`commission.reports.outlook.open_balances`) on generated ledgers with reversals
that reopen invoices; the store's table is checked against the ledger
(``stale_balances``) and the store's aging against the whole-store aging after a first
load, after loads that move a payment to another invoice, reverse one, add one and
change an invoice, and after upgrading a store made before the table existed, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from sqlalchemy import inspect, text
from strategies import inputs_and_plans, make_inputs

from commission.payroll import load
from commission.reports.aging import aging, stored_aging
from commission.reports.outlook import open_balances
from commission.store import open_store
from commission.store.balances import open_pieces, stale_balances

ROOT = Path(__file__).resolve().parents[2]
DAYS = ("2024-10-31", "2024-11-01", "2024-12-15", "2025-03-31", "2025-06-30", "2026-03-01")


def _balance_on(pieces: pd.DataFrame, day: np.datetime64) -> pd.Series:
    """invoice_id -> open balance on ``day`` read from the pieces (open ones only)."""
    start = pieces["open_from"].to_numpy()
    until = pieces["open_until"].to_numpy()
    held = (start <= day) & (np.isnat(until) | (until > day))
    mine = pieces[held]
    assert not mine["invoice_id"].duplicated().any()  # one stretch per invoice and day
    return pd.Series(mine["open_amount"].to_numpy(), index=mine["invoice_id"].to_numpy(),
                     dtype=np.int64).sort_index()


def _ledger_on(inputs, day: np.datetime64) -> pd.Series:
    bal = open_balances(inputs, day)
    bal = bal[bal["open_amount"] > 0]
    return pd.Series(bal["open_amount"].to_numpy(), index=bal["invoice_id"].to_numpy(),
                     dtype=np.int64).sort_index()


def _pieces(inputs) -> pd.DataFrame:
    return open_pieces(inputs.invoices, inputs.payments, inputs.adjustments)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs_and_plans())
def test_the_pieces_give_every_days_open_balance(case) -> None:
    inputs = case[0]
    pieces = _pieces(inputs)
    assert (pieces["open_amount"] > 0).all()
    first = inputs.invoices["invoice_date"].min().to_datetime64().astype("datetime64[D]")
    dates = [inputs.payments["payment_date"], inputs.adjustments["adjustment_date"]]
    last = max([inputs.invoices["invoice_date"].max(), *(d.max() for d in dates if len(d))])
    for day in np.arange(first - 1, last.to_datetime64().astype("datetime64[D]") + 2):
        pd.testing.assert_series_equal(_balance_on(pieces, day), _ledger_on(inputs, day))


def test_the_pieces_of_hand_made_invoices() -> None:
    inputs = make_inputs(
        reps=[("R1", "p")], customers=[("C1", "Acme", None)],
        invoices=[("PAID", "C1", "R1", "2026-01-10", "2026-02-09", "100.00"),
                  ("SAMEDAY", "C1", "R1", "2026-01-10", "2026-02-09", "100.00"),
                  ("EARLY", "C1", "R1", "2026-01-10", "2026-02-09", "100.00"),
                  ("REOPEN", "C1", "R1", "2026-01-10", "2026-02-09", "100.00")],
        payments=[("P1", "PAID", "2026-01-20", "60.00"), ("P2", "PAID", "2026-01-20", "40.00"),
                  ("P3", "SAMEDAY", "2026-01-10", "100.00"),
                  ("P4", "EARLY", "2026-01-05", "30.00"),  # before the invoice: from its date
                  ("P5", "REOPEN", "2026-01-15", "100.00"),
                  ("P6", "REOPEN", "2026-02-01", "-25.00", "P5"),
                  ("P7", "REOPEN", "2026-03-01", "25.00")])
    got = _pieces(inputs).sort_values(["invoice_id", "open_from"], ignore_index=True)
    day = np.datetime64
    assert got["invoice_id"].tolist() == ["EARLY", "PAID", "REOPEN", "REOPEN"]
    assert got["open_from"].tolist() == [day("2026-01-10"), day("2026-01-10"),
                                         day("2026-01-10"), day("2026-02-01")]
    assert got["open_until"].isna().tolist() == [True, False, False, False]
    assert got["open_until"].tolist()[1:] == [day("2026-01-20"), day("2026-01-15"),
                                              day("2026-03-01")]
    assert got["open_amount"].tolist() == [7000, 10000, 10000, 2500]
    assert (got["rep_id"] == "R1").all() and (got["customer_id"] == "C1").all()
    assert (got["due_date"] == day("2026-02-09")).all()


# ----------------------------------------------------------------------------- in the store


def _exact(store) -> None:
    """The table is what the ledger gives, and aging from it is aging from every row."""
    with store.read() as conn:
        assert stale_balances(conn) == []
    inputs = store.stored_inputs()
    for day in DAYS:
        pd.testing.assert_frame_equal(stored_aging(store, day), aging(inputs, day))
    for rep in ("R001", "R002"):  # R002 has split invoices
        pd.testing.assert_frame_equal(stored_aging(store, "2025-03-31", rep),
                                      aging(inputs, "2025-03-31", rep))


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "sample_data" / name, dtype=str, keep_default_na=False)


def _changes(folder: Path) -> tuple[str, str, str]:
    """A load that moves a payment to another invoice (its first invoice reopens), reverses
    a payment in part, adds a payment, and changes an invoice's amount, customer, rep and
    due date. Returns (the moved payment's old invoice, its new invoice, the changed one)."""
    folder.mkdir()
    pay, inv = _csv("payments.csv"), _csv("invoices.csv")
    cash = pay[(pay["reverses_payment_id"] == "") & ~pay["amount"].str.startswith("-")]
    reversed_ = set(pay["reverses_payment_id"])
    moved = cash[~cash["payment_id"].isin(reversed_)].iloc[10]
    unpaid = inv[~inv["invoice_id"].isin(pay["invoice_id"])
                 & ~inv["invoice_id"].isin(_csv("adjustments.csv")["invoice_id"])
                 & (inv["invoice_date"] <= moved["payment_date"])
                 & (inv["amount"].astype(float) > float(moved["amount"]) + 1)]
    target = unpaid.iloc[-1]["invoice_id"]
    pay.loc[pay["payment_id"] == moved["payment_id"], "invoice_id"] = target
    bounced = cash[~cash["payment_id"].isin(reversed_)].iloc[20]
    new = pd.DataFrame([
        {"payment_id": "PREV-1", "invoice_id": bounced["invoice_id"],
         "payment_date": "2025-03-01", "amount": "-1.00",
         "reverses_payment_id": bounced["payment_id"]},
        {"payment_id": "PNEW-1", "invoice_id": target, "payment_date": "2025-03-02",
         "amount": "0.01", "reverses_payment_id": ""}])
    pd.concat([pay, new], ignore_index=True).to_csv(folder / "payments.csv", index=False)
    changed = inv.iloc[-5].copy()
    other = inv.iloc[7]
    changed["amount"], changed["customer_id"] = "123456.78", other["customer_id"]
    changed["rep_id"], changed["due_date"] = other["rep_id"], changed["invoice_date"]
    changed.to_frame().T.to_csv(folder / "invoices.csv", index=False)
    return moved["invoice_id"], target, changed["invoice_id"]


def test_every_load_keeps_the_open_balances_of_what_it_touches(store_url, tmp_path) -> None:
    store = open_store(store_url)
    try:
        load(store, ROOT / "sample_data", ROOT / "rules")
        _exact(store)
        old, new, changed = _changes(tmp_path / "second")
        summary = load(store, tmp_path / "second")
        assert summary.load_id is not None
        _exact(store)
        with store.read() as conn:
            rows = pd.read_sql(text("SELECT * FROM open_balances WHERE invoice_id IN "
                                    "(:a, :b, :c)"), conn, params={"a": old, "b": new,
                                                                   "c": changed})
        mine = rows[rows["invoice_id"] == changed]
        assert len(mine) and (mine["open_amount"] > 100_000_00).all()  # its new amount
    finally:
        store.close()


def test_a_store_made_before_open_balances_upgrades_in_place(store_url) -> None:
    from alembic import command

    from commission.store.migrate import alembic_config, current_revision, head_revision

    store = open_store(store_url)
    try:
        load(store, ROOT / "sample_data", ROOT / "rules")
        with store.write() as conn:
            command.downgrade(alembic_config(conn), "0017_lock_paid_events")
        with store.read() as conn:
            assert "open_balances" not in inspect(conn).get_table_names()
        again = open_store(store.engine.url.render_as_string(hide_password=False))
        try:
            with again.read() as conn:
                assert current_revision(conn) == head_revision()
                assert {ix["name"] for ix in inspect(conn).get_indexes("open_balances")} == {
                    "ix_open_balances_open_until"}
            _exact(again)
        finally:
            again.close()
    finally:
        store.close()


def test_aging_of_a_day_before_any_invoice_and_of_an_empty_store(store_url) -> None:
    store = open_store(store_url)
    try:
        assert stored_aging(store, dt.date(2026, 1, 1)).empty
        load(store, ROOT / "sample_data", ROOT / "rules")
        assert stored_aging(store, "2024-10-31").empty
        assert list(stored_aging(store, "2024-10-31").dtypes.astype(str)) == list(
            aging(store.stored_inputs(), "2024-10-31").dtypes.astype(str))
    finally:
        store.close()

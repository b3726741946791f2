"""The batch console finance can trust (issue 11 items 4, 5, 9; issue 8 item 5).

Catch-up runs are refused unless confirmed and say how many months they cover;
every payout reconciles as net + carried in − carried out − forfeited = payout in
the store, on statements and in the payroll export; a draft whose inputs changed
is stale and cannot be approved; a draft export says DRAFT and keeps its control
total apart; finance adds manual lines with a reason through the access layer.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from commission import access
from commission.access import AccessDenied, Identity
from commission.cli import main
from commission.payroll import lifecycle
from commission.reports.export import (
    CONTROL_COLUMNS,
    EXPORT_COLUMNS,
    MONEY_COLUMNS,
    export_csv_text,
    payroll_export,
)
from commission.reports.statement import period_bounds, statement_data

ROOT = Path(__file__).resolve().parents[2]
RULES, SAMPLE = ROOT / "rules", ROOT / "sample_data"
FINANCE = Identity("fin@example.com", frozenset({"finance"}), None, "Fin")
APPROVER = Identity("appr@example.com", frozenset({"approver"}), None, "Appr")
ADMIN = Identity("admin@example.com", frozenset({"admin"}), None, "Admin")


def identity_holds(payouts) -> None:
    """net + carry_in − carry_out − forfeited = payout, to the cent, for every rep."""
    left = (payouts["net"] + payouts["carry_in"] - payouts["carry_out"]
            - payouts["forfeited"] - payouts["payout"])
    assert (left == 0).all(), payouts[left != 0]


def _lock(store, period: str, catch_up: bool = False) -> int:
    b = access.run_draft(FINANCE, store, period, catch_up=catch_up)
    access.approve_batch(APPROVER, store, b.batch_id)
    access.lock_batch(FINANCE, store, b.batch_id)
    return b.batch_id


# ----------------------------------------------------------------------------- catch-up


def test_a_catch_up_is_refused_unless_confirmed_and_says_how_many_months(csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    assert access.catch_up_months(FINANCE, store, "2026-03") == ["2026-01", "2026-02",
                                                                  "2026-03"]
    with pytest.raises(lifecycle.BatchError, match=r"2026-03 would pay 3 months \(2026-01 to "
                                                   r"2026-03\).*--catch-up"):
        access.run_draft(FINANCE, store, "2026-03")
    assert lifecycle.list_batches(store).empty  # nothing was run
    assert access.catch_up_months(FINANCE, store, "2026-01") == ["2026-01"]
    first = _lock(store, "2026-01")
    assert lifecycle.show(store, first).months == ("2026-01",)
    b = access.run_draft(FINANCE, store, "2026-03", catch_up=True)
    assert b.months == ("2026-02", "2026-03")
    assert "catch-up: covers 2 months (2026-02 to 2026-03)" in b.text()
    runs = [e for e in access.audit_log(ADMIN, store) if e["action"] == "batch.run"]
    assert runs[-1]["details"].get("catch_up") is True


def test_the_cli_refuses_a_catch_up_without_the_flag(csvs, store_url, tmp_path, capsys,
                                                     monkeypatch):
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    db = ["--db", store_url]
    assert main(["user", *db, "add", "fin@example.com", "--name", "Fin", "--role",
                 "finance", "--role", "admin"]) == 0
    me = ["--as", "fin@example.com"]
    assert main(["load", *db, "--data", str(csvs.small(tmp_path / "d")), "--rules", str(RULES),
                 *me]) == 0
    capsys.readouterr()
    assert main(["batch", *db, "run", "--period", "2026-02", *me]) == 2
    assert "would pay 2 months (2026-01 to 2026-02)" in capsys.readouterr().err
    assert main(["batch", *db, "run", "--period", "2026-02", "--catch-up", *me]) == 0
    assert "catch-up: covers 2 months" in capsys.readouterr().out


# ----------------------------------------------------------------------------- forfeited


@pytest.fixture(scope="module")
def sample_batches(tmp_path_factory):
    """The sample data: three months locked one by one, then a five-month catch-up draft."""
    from commission.store import open_store

    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'store.db'}"
    store = open_store(url)
    lifecycle.load(store, SAMPLE, RULES, by="setup")
    ids = [_lock(store, p) for p in ("2024-11", "2024-12", "2025-01")]
    ids.append(access.run_draft(FINANCE, store, "2025-06", catch_up=True).batch_id)
    yield store, ids
    store.close()


def test_every_payout_of_the_sample_batches_reconciles_with_forfeited(sample_batches):
    store, ids = sample_batches
    lost = 0
    for batch_id in ids:
        payouts = lifecycle.batch_payouts(store, batch_id)
        identity_holds(payouts)
        assert lifecycle.show(store, batch_id).totals["forfeited"] == int(
            payouts["forfeited"].sum())
        lost += int(payouts["forfeited"].clip(lower=0).sum())
    catch_up = lifecycle.show(store, ids[-1])
    assert catch_up.months == ("2025-02", "2025-03", "2025-04", "2025-05", "2025-06")
    assert lost > 0  # the advance-marginal plan's 25,000.00 cap bites in the sample


def test_statements_and_the_export_show_the_same_forfeited_to_the_cent(sample_batches):
    store, ids = sample_batches
    inputs = store.stored_inputs()
    for batch_id in ids:
        summary = lifecycle.show(store, batch_id)
        payouts = lifecycle.batch_payouts(store, batch_id)
        lines = lifecycle.batch_lines(store, batch_id)
        plans = lifecycle.batch_plans(store, batch_id)
        frame, _s = access.export_batch(FINANCE, store, batch_id)
        rows = {r["rep_id"]: r for r in csv.DictReader(io.StringIO(export_csv_text(frame)))}
        for p in payouts.itertuples(index=False):
            data = statement_data(p.rep_id, summary.period, lines, payouts, inputs, plans,
                                  period_bounds(summary.period)[1], batch_id=batch_id)
            t = data["totals"]
            assert (t["forfeited"], t["carry_out"], t["payout"]) == (
                p.forfeited, p.carry_out, p.payout)
            assert t["net"] + t["carry_in"] - t["carry_out"] - t["forfeited"] == t["payout"]
            row = rows[p.rep_id]
            cents = {c: int(Decimal(row[c]) * 100) for c in MONEY_COLUMNS}
            assert (cents["forfeited"], cents["carry_out"], cents["payout"], cents["draw"]) == (
                p.forfeited, p.carry_out, p.payout, p.draw)
            assert (cents["net"] + cents["carry_in"] - cents["carry_out"]
                    - cents["forfeited"]) == cents["payout"]


def test_the_store_keeps_the_draw_top_up_and_statements_show_it(sample_batches):
    store, ids = sample_batches
    inputs = store.stored_inputs()
    topped = []
    for batch_id in ids[:3]:
        payouts = lifecycle.batch_payouts(store, batch_id)
        summary = lifecycle.show(store, batch_id)
        for p in payouts[payouts["draw"] > 0].itertuples(index=False):
            data = statement_data(p.rep_id, summary.period, lifecycle.batch_lines(
                store, batch_id), payouts, inputs, lifecycle.batch_plans(store, batch_id),
                period_bounds(summary.period)[1])
            assert data["draw"]["top_up"] == p.draw and p.draw > 0
            topped.append(p.rep_id)
    assert set(topped) <= {"R011", "R012"} and topped  # the new reps on the draw plan


def test_a_batch_stored_before_0013_derives_forfeited_from_the_identity(csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    b = lifecycle.run_batch(store, "2026-01", by="ann")
    with store.write() as conn:  # as a batch written before the columns existed
        conn.exec_driver_sql("UPDATE batch_payouts SET draw = NULL, forfeited = NULL")
    payouts = lifecycle.batch_payouts(store, b.batch_id)
    assert payouts["draw"].tolist() == [0, 0]
    identity_holds(payouts)


# ----------------------------------------------------------------------------- staleness


def test_a_draft_whose_inputs_changed_is_stale_and_cannot_be_approved(csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    b = access.run_draft(FINANCE, store, "2026-01")
    assert not access.batch_staleness(FINANCE, store, b.batch_id).stale
    late = csvs.write(tmp_path / "late", payments=[
        ("P9", "I1", "2026-01-25", "100.00", None), ("P1", "I1", "2026-01-20", "4100.00", None)])
    lifecycle.load(store, late)
    found = access.batch_staleness(APPROVER, store, b.batch_id)
    assert found.headline() == "2 events changed or arrived: run again"
    assert sorted(zip(found.details["id"], found.details["change"], strict=True)) == [
        ("P1", "changed (amount 4,000.00 -> 4,100.00)"), ("P9", "arrived (2026-01-25, 100.00)")]
    with pytest.raises(lifecycle.BatchError, match=r"is stale: 2 events changed or arrived"):
        access.approve_batch(APPROVER, store, b.batch_id)
    failed = [e for e in access.audit_log(ADMIN, store) if e["action"] == "batch.approve"]
    assert failed[-1]["outcome"] == "failed"
    again = access.run_draft(FINANCE, store, "2026-01")
    assert not access.batch_staleness(FINANCE, store, again.batch_id).stale
    access.approve_batch(APPROVER, store, again.batch_id)


def test_plans_assignments_quotas_and_manual_lines_make_a_draft_stale(csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    b = access.run_draft(FINANCE, store, "2026-01")
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in RULES.glob("*.yaml"):
        text = f.read_text()
        if f.stem == "collected-stepped":
            text = text.replace("min_payout: 50", "min_payout: 60")
        (rules / f.name).write_text(text)
    assert lifecycle.store_plans(store, rules)["collected-stepped"] == 2
    lifecycle.load(store, csvs.write(tmp_path / "more", quotas=[("R1", "2026-02", "900.00")]))
    line = access.add_manual_line(FINANCE, store, "R2", "2026-01", 12345, "SPIFF")
    found = access.batch_staleness(FINANCE, store, b.batch_id)
    assert found.headline() == ("plan collected-stepped changed, 1 manual line added or "
                                "changed, 1 quota recorded: run again")
    assert {tuple(r) for r in found.details[["what", "id"]].to_numpy()} == {
        ("plan", "collected-stepped"), ("manual line", line), ("quota", "R1 2026-02")}


# ----------------------------------------------------------------------------- manual lines


def test_finance_adds_a_manual_line_with_who_and_when_and_the_next_run_pays_it(
        csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    first = access.run_draft(FINANCE, store, "2026-01")
    line = access.add_manual_line(FINANCE, store, "R2", "2026-01", -2500, "Returned goods")
    shown = access.manual_lines(APPROVER, store, "2026-01")
    assert shown[["commission_adjustment_id", "rep_id", "amount", "reason", "recorded_by"]
                 ].values.tolist() == [[line, "R2", -2500, "Returned goods", FINANCE.email]]
    assert shown["recorded_at"].notna().all()
    entry = [e for e in access.audit_log(ADMIN, store) if e["action"] == "batch.manual_line"][-1]
    assert entry["actor"] == FINANCE.email and entry["details"]["reason"] == "Returned goods"
    assert access.batch_staleness(FINANCE, store, first.batch_id).manual == 1
    b = access.run_draft(FINANCE, store, "2026-01")
    manual = lifecycle.batch_lines(store, b.batch_id).query("line_kind == 'manual'")
    assert manual[["event_id", "rep_id", "amount"]].values.tolist() == [[line, "R2", -2500]]


def test_a_manual_line_is_refused_for_a_locked_period_and_without_a_reason(
        csvs, store, tmp_path):
    from commission.problems import InputError

    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    _lock(store, "2026-01")
    with pytest.raises(lifecycle.BatchError, match=r"2026-01 is locked .* next open period, "
                                                   r"2026-02"):
        access.add_manual_line(FINANCE, store, "R1", "2026-01", 100, "late bonus")
    with pytest.raises(InputError) as err:
        access.add_manual_line(FINANCE, store, "R1", "2026-02", 100, "")
    assert {p.column for p in err.value.problems} == {"reason"}
    with pytest.raises(InputError):
        access.add_manual_line(FINANCE, store, "R9", "2026-02", 100, "unknown rep")
    assert store.stored_inputs().commission_adjustments.empty


@pytest.mark.parametrize("role", ["rep", "manager", "collector", "credit", "approver",
                                  "planner"])
def test_only_finance_and_admin_add_manual_lines(csvs, store, tmp_path, role):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    who = Identity(f"{role}@example.com", frozenset({role}), "R1" if role == "rep" else None,
                   role)
    with pytest.raises(AccessDenied, match="may not add a manual line for R1"):
        access.add_manual_line(who, store, "R1", "2026-01", 100, "self-awarded")
    assert store.stored_inputs().commission_adjustments.empty
    access.add_manual_line(ADMIN, store, "R1", "2026-01", 100, "approved bonus")


# ----------------------------------------------------------------------------- the export


def test_a_draft_export_says_draft_and_keeps_the_control_total_apart(csvs, store, tmp_path):
    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    b = access.run_draft(FINANCE, store, "2026-01")
    frame, summary = access.export_batch(FINANCE, store, b.batch_id)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert frame["status"].tolist() == ["DRAFT", "DRAFT"] and "TOTAL" not in set(frame["rep_id"])
    assert frame["currency"].tolist() == ["USD", "USD"]
    assert frame["pay_date"].tolist() == ["2026-01-31", "2026-01-31"]
    control = access.export_control(store, frame, summary)
    assert list(control.columns) == CONTROL_COLUMNS and len(control) == 1
    assert control.iloc[0]["reps"] == 2
    for col in MONEY_COLUMNS:
        assert int(control.iloc[0][col]) == int(frame[col].sum())
    access.set_setting(ADMIN, store, "currency", "EUR")
    access.set_setting(ADMIN, store, "pay_date_days", "10")
    with pytest.raises(AccessDenied, match="three-letter"):
        access.set_setting(ADMIN, store, "currency", "euro")
    for typed, kept in (("Yes", "true"), ("OFF", "false"), ("1", "true"), (" false ", "false")):
        access.set_setting(ADMIN, store, "allow_self_approval", typed)
        assert access.setting(store, "allow_self_approval") == kept
    for typo in ("maybe", "ture", "", "enable"):  # kept as typed, it read as "off"
        with pytest.raises(AccessDenied, match="must be true or false"):
            access.set_setting(ADMIN, store, "allow_self_approval", typo)
    assert access.setting(store, "allow_self_approval") == "false"
    access.approve_batch(APPROVER, store, b.batch_id)
    access.lock_batch(FINANCE, store, b.batch_id)
    frame, _s = access.export_batch(FINANCE, store, b.batch_id)
    assert set(frame["status"]) == {"FINAL"} and set(frame["currency"]) == {"EUR"}
    assert set(frame["pay_date"]) == {"2026-02-10"}


def test_the_cli_writes_a_draft_file_name_and_a_control_file(csvs, store_url, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    db, me = ["--db", store_url], ["--as", "fin@example.com"]
    assert main(["user", *db, "add", "fin@example.com", "--name", "Fin", "--role",
                 "finance", "--role", "admin"]) == 0
    assert main(["load", *db, "--data", str(csvs.small(tmp_path / "d")), "--rules", str(RULES),
                 *me]) == 0
    assert main(["batch", *db, "run", "--period", "2026-01", *me]) == 0
    capsys.readouterr()
    assert main(["batch", *db, "export", "1", "--out", str(tmp_path / "pay.csv"), *me]) == 0
    out = capsys.readouterr().out
    assert "DRAFT" in out and not (tmp_path / "pay.csv").exists()
    rows = list(csv.DictReader((tmp_path / "pay_DRAFT.csv").open()))
    control = list(csv.DictReader((tmp_path / "pay_DRAFT_control.csv").open()))
    assert [r["rep_id"] for r in rows] == ["R1", "R2"] and {r["status"] for r in rows} == {
        "DRAFT"}
    assert len(control) == 1 and control[0]["payout"] == "400.00" and control[0]["reps"] == "2"


def test_the_export_takes_an_employee_id_when_the_reps_have_one():
    import pandas as pd

    payouts = pd.DataFrame({"period": ["2026-01"] * 2, "rep_id": ["R1", "R2"],
                            "plan_id": ["p", "p"], **{c: [100, 200] for c in MONEY_COLUMNS}})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["A", "B"], "email": ["a@x", "b@x"],
                         "employee_id": ["E-1", None]})
    frame = payroll_export(payouts, reps, "2026-01", 3)
    assert frame["employee_id"].tolist() == ["E-1", ""]
    without = payroll_export(payouts, reps.drop(columns="employee_id"), "2026-01", 3)
    assert without["employee_id"].tolist() == ["", ""]


# ----------------------------------------------------------------------------- triggers

USED = {
    "plan_assignments": ("UPDATE plan_assignments SET plan_id = 'invoiced-traditional' "
                         "WHERE rep_id = 'R1' AND effective_from = '2026-01-01'",
                         "DELETE FROM plan_assignments WHERE rep_id = 'R1'"),
    "quotas": ("UPDATE quotas SET amount = 100 WHERE quota_period = '2026-Q1'",
               "DELETE FROM quotas WHERE quota_period = '2026-Q1'"),
    "commission_adjustments": ("UPDATE commission_adjustments SET amount = 90000 "
                               "WHERE commission_adjustment_id = 'M1'",
                               "DELETE FROM commission_adjustments "
                               "WHERE commission_adjustment_id = 'M1'"),
}


def test_the_database_refuses_edits_of_what_a_locked_batch_used(csvs, store, tmp_path):
    """Beyond the load's check: SQL run against the store itself is refused by triggers."""
    from sqlalchemy.exc import DBAPIError

    lifecycle.load(store, csvs.small(tmp_path / "data"), RULES)
    lifecycle.load(store, csvs.write(
        tmp_path / "extra",
        plan_assignments=[("R1", "collected-stepped", "2026-01-01"),
                          ("R1", "collected-40day", "2026-04-01")],
        quotas=[("R1", "2026-Q1", "9000.00"), ("R1", "2026-Q2", "9000.00")],
        commission_adjustments=[("M1", "R1", "2026-01-15", "100.00", "SPIFF"),
                                ("M2", "R1", "2026-02-15", "50.00", "SPIFF")]))
    _lock(store, "2026-01")
    for statements in USED.values():
        for sql in statements:
            with pytest.raises(DBAPIError, match=r"a locked batch (used|paid) this"), \
                    store.write() as conn:
                conn.exec_driver_sql(sql)
    # the same kinds of rows that no locked batch used stay editable (a draft's inputs)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE quotas SET amount = 100 WHERE quota_period = '2026-Q2'")
        conn.exec_driver_sql("DELETE FROM plan_assignments WHERE effective_from = '2026-04-01'")
        conn.exec_driver_sql("UPDATE commission_adjustments SET amount = 6000 "
                             "WHERE commission_adjustment_id = 'M2'")
    inputs = store.stored_inputs()
    assert inputs.quotas.set_index("quota_period")["amount"].to_dict() == {
        "2026-Q1": 900000, "2026-Q2": 100}
    assert len(inputs.plan_assignments) == 1
    assert inputs.commission_adjustments.set_index("commission_adjustment_id")[
        "amount"].to_dict() == {"M1": 10000, "M2": 6000}

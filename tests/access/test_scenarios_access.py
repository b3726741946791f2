"""The scenario doors as every role: save, list, open, preview, and make live.

Making a scenario live is a payroll action (finance or admin); a rep, a manager, a
collector, a credit controller, a planner and an approver are refused, and each
refusal is in the audit log. Saving and reading scenarios is for management roles.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commission import access
from commission.access import AccessDenied, Identity
from commission.payroll import lifecycle, stored_plans
from commission.plans.language import load_plans
from commission.problems import InputError

RULES = Path(__file__).resolve().parents[2] / "rules"
REPS = [("R1", "Rep One", "r1@example.com", None, "collected-stepped"),
        ("R2", "Rep Two", "r2@example.com", "R1", "invoiced-traditional")]
INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "1000.00")]
ADMIN = Identity("admin@example.com", frozenset({"admin"}), None, "Admin")
FINANCE = Identity("fin@example.com", frozenset({"finance"}), None, "Fin")


def person(role: str) -> Identity:
    return Identity(f"{role}@example.com", frozenset({role}), "R2" if role == "rep" else None,
                    role)


@pytest.fixture
def loaded(store, csvs, tmp_path):
    data = csvs.write(tmp_path / "data", reps=REPS, customers=[("C1", "Customer", "smb")],
                      invoices=INVOICES, payments=[], adjustments=[])
    lifecycle.load(store, data, RULES, by="setup")
    plan = load_plans(RULES)[0]["collected-stepped"].model_copy(
        update={"id": "stepped-7", "rate": Decimal("0.07")})
    sid = access.save_scenario(ADMIN, store, plan, "collected-stepped")
    return store, plan, sid


def _refused(store, who: Identity, action: str) -> list[dict]:
    return [e for e in access.audit_log(ADMIN, store, user_email=who.email)
            if e["outcome"] == "refused" and e["action"] == action]


@pytest.mark.parametrize("role", ["rep", "manager", "collector", "credit", "planner",
                                  "approver"])
def test_make_live_refuses_everyone_but_finance_and_admin(loaded, role):
    store, _plan, sid = loaded
    who = person(role)
    with pytest.raises(AccessDenied, match="needs the admin or finance role"):
        access.make_scenario_live(who, store, sid, "stepped-7", "2026-03")
    assert len(_refused(store, who, "plan.make_live")) == 1
    assert "stepped-7" not in stored_plans(store)[0]
    assert store.stored_inputs().plan_assignments.empty


@pytest.mark.parametrize("role", ["rep", "manager", "collector", "credit"])
def test_scenarios_are_for_management_roles_only(loaded, role):
    store, plan, sid = loaded
    who = person(role)
    with pytest.raises(AccessDenied):
        access.save_scenario(who, store, plan)
    with pytest.raises(AccessDenied):
        access.list_scenarios(who, store)
    with pytest.raises(AccessDenied):
        access.open_scenario(who, store, sid)
    with pytest.raises(AccessDenied):
        access.preview_make_live(who, store, sid, "x", "2026-03")
    assert len(_refused(store, who, "scenario.save")) == 1
    assert len(_refused(store, who, "scenario.read")) == 3


def test_a_planner_saves_and_reads_and_finance_makes_live_audited(loaded):
    store, plan, _sid = loaded
    planner = person("planner")
    sid = access.save_scenario(planner, store, plan, "collected-stepped", note="try 7%")
    assert access.open_scenario(planner, store, sid).plan.rate == Decimal("0.07")
    assert sid in access.list_scenarios(person("approver"), store)["scenario_id"].tolist()
    proposal = access.make_scenario_live(FINANCE, store, sid, "stepped-7", "2026-02")
    assert proposal.reps == ["R1"]
    entry = [e for e in access.audit_log(ADMIN, store, user_email=FINANCE.email)
             if e["action"] == "plan.make_live"][-1]
    assert entry["outcome"] == "allowed" and entry["object"] == "plan:stepped-7"
    assert entry["details"]["from"] == "2026-02" and entry["details"]["reps"] == ["R1"]
    assert ["rate", "0.05", "0.07"] in entry["details"]["changes"]
    saved = [e for e in access.audit_log(ADMIN, store, user_email=planner.email)
             if e["action"] == "scenario.save"]
    assert saved and saved[0]["object"] == f"scenario:{sid}"


def test_a_refused_make_live_is_recorded_as_failed(loaded):
    store, _plan, sid = loaded
    with pytest.raises(InputError):  # an existing plan id: a change is a new plan id
        access.make_scenario_live(FINANCE, store, sid, "collected-stepped", "2026-02")
    entry = [e for e in access.audit_log(ADMIN, store, user_email=FINANCE.email)
             if e["action"] == "plan.make_live"][-1]
    assert entry["outcome"] == "failed"
    assert any("already in the store" in m for m in entry["details"]["problems"])

"""Scenarios through the one access layer: save, list, open, and make one live.

Saving and reading scenarios needs a management role (``scenario.save``,
``scenario.read``): a scenario is a plan, not anyone's pay. Making one live is a
payroll action (``plan.make_live``: finance or admin), recorded in the audit log
with the terms it changed, the month and the reps; a make-live the lifecycle
refuses is recorded as failed with its problems.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from commission.access.identity import Identity, record, require
from commission.payroll import scenarios
from commission.payroll.lifecycle import BatchError
from commission.payroll.scenarios import Proposal, Scenario
from commission.plans.language import Plan
from commission.problems import InputError
from commission.store import Store


def save_scenario(identity: Identity, store: Store, plan: Plan, base_plan_id: str | None = None,
                  from_period: str | None = None, reps: list[str] | None = None,
                  quota_scale: Decimal | None = None, note: str = "") -> int:
    """Keep a scenario (planner, finance, admin); never a plan payroll runs on."""
    require(store, identity, "scenario.save", f"scenario:{plan.id}", f"save scenario {plan.id}")
    scenario_id = scenarios.save(store, plan, identity.email, base_plan_id, from_period, reps,
                                 quota_scale, note)
    record(store, identity, "scenario.save", f"scenario:{scenario_id}", plan=plan.id,
           base=base_plan_id)
    return scenario_id


def list_scenarios(identity: Identity, store: Store) -> pd.DataFrame:
    """Every saved scenario, newest first."""
    require(store, identity, "scenario.read", "scenarios", "see saved scenarios")
    return scenarios.listing(store)


def open_scenario(identity: Identity, store: Store, scenario_id: int) -> Scenario:
    """One saved scenario (its plan and what-if)."""
    require(store, identity, "scenario.read", f"scenario:{scenario_id}",
            f"open scenario {scenario_id}")
    return scenarios.get(store, scenario_id)


def preview_make_live(identity: Identity, store: Store, scenario_id: int, plan_id: str,
                      month: str, reps: list[str] | None = None) -> Proposal:
    """What making a scenario live would do (no change); InputError lists every problem."""
    require(store, identity, "scenario.read", f"scenario:{scenario_id}",
            f"open scenario {scenario_id}")
    return scenarios.propose(store, scenario_id, plan_id, month, reps)


def make_scenario_live(identity: Identity, store: Store, scenario_id: int, plan_id: str,
                       month: str, reps: list[str] | None = None) -> Proposal:
    """Make a scenario a new plan with assignments from ``month`` (finance, admin); audited."""
    obj = f"scenario:{scenario_id}"
    require(store, identity, "plan.make_live", obj,
            f"make scenario {scenario_id} a live plan")
    try:
        proposal = scenarios.make_live(store, scenario_id, plan_id, month, reps, identity.email)
    except InputError as exc:
        record(store, identity, "plan.make_live", obj, "failed",
               problems=[p.message for p in exc.problems][:20])
        raise
    except BatchError as exc:
        record(store, identity, "plan.make_live", obj, "failed", error=str(exc))
        raise
    record(store, identity, "plan.make_live", f"plan:{proposal.plan.id}",
           **scenarios.describe(proposal))
    return proposal


__all__ = ["list_scenarios", "make_scenario_live", "open_scenario", "preview_make_live",
           "save_scenario"]

"""Scenarios: management's plan variants, kept apart from the plans payroll runs on.

Saving a scenario writes one row of the store's ``scenarios`` table and nothing
else: no plan file, no plan version, no assignment, so the next batch pays exactly
what it would have paid. Making a scenario live is a separate step
(:func:`make_live`): the scenario's terms become a NEW plan id (a changed plan is a
new plan id, and a plan a locked batch used never changes) with ``plan_assignments``
rows from a chosen month for chosen reps, written by the same load every data load
goes through (merge, validation, history rules, one transaction). The month must be
the first of a month after the last locked period: a plan change is prospective.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commission.inputs.checks import check
from commission.inputs.tables import Inputs
from commission.payroll.lifecycle import BatchError, list_batches, load, stored_plans
from commission.periods import parse_period, period_label
from commission.plans.assignments import plans_in_force
from commission.plans.diff import term_changes
from commission.plans.language import Plan, parse_plan, plan_hash
from commission.problems import InputError, Problem
from commission.store import Store
from commission.store import scenarios as db


@dataclass(frozen=True)
class Scenario:
    """A saved scenario: the plan, where it came from, and the what-if it was saved with."""

    scenario_id: int
    plan: Plan
    text: str
    base_plan_id: str | None
    from_period: str | None  # the what-if "from this month" (None: the whole range)
    reps: list[str] | None  # the reps it applies to in the what-if (None: every rep)
    quota_scale: Decimal | None  # every quota times this, in the what-if only
    note: str
    created_by: str
    created_at: dt.datetime
    live_plan_id: str | None = None
    live_from: dt.date | None = None


def save(store: Store, plan: Plan, by: str, base_plan_id: str | None = None,
         from_period: str | None = None, reps: list[str] | None = None,
         quota_scale: Decimal | None = None, note: str = "") -> int:
    """Keep a scenario in the store (never in rules/ or the plans table); its id."""
    if from_period is not None:
        parse_period(from_period)
    text = plan.to_yaml()
    with store.write() as conn:
        return db.add(conn, {
            "plan_id": plan.id, "name": plan.title, "base_plan_id": base_plan_id,
            "yaml_text": text, "sha256": plan_hash(text), "from_period": from_period,
            "reps": None if reps is None else sorted(reps),
            "quota_scale": None if quota_scale is None else format(quota_scale, "f"),
            "note": note, "created_by": by})


def listing(store: Store) -> pd.DataFrame:
    """Every saved scenario, newest first (no plan text)."""
    with store.read() as conn:
        return db.listing(conn)


def get(store: Store, scenario_id: int) -> Scenario:
    """One saved scenario; BatchError when there is none of that id."""
    with store.read() as conn:
        row = db.get(conn, scenario_id)
    if row is None:
        raise BatchError(f"there is no scenario {scenario_id}")
    plan, problems = parse_plan(row["yaml_text"], f"scenario {scenario_id}", stored=True)
    if plan is None:
        raise InputError(problems)
    return Scenario(int(row["scenario_id"]), plan, row["yaml_text"], row["base_plan_id"],
                    row["from_period"], row["reps"],
                    None if row["quota_scale"] is None else Decimal(row["quota_scale"]),
                    row["note"], row["created_by"], row["created_at"], row["live_plan_id"],
                    row["live_from"])


# ----------------------------------------------------------------------------- making live


@dataclass(frozen=True)
class Proposal:
    """What making a scenario live would do, for a person to read before doing it."""

    scenario: Scenario
    plan: Plan  # the scenario's terms under the new plan id
    month: str  # effective from the first day of this month
    earliest: str  # the first month a change may start (after the last locked period)
    reps: list[str]
    current: dict[str, str]  # rep -> the plan in force for them the day before
    base: Plan | None  # the stored plan the scenario derives from
    changes: list[tuple[str, str, str]]  # (term, base, scenario)
    later: list[str] = field(default_factory=list)  # later assignments that stay in force

    @property
    def effective_from(self) -> dt.date:
        return dt.date.fromisoformat(f"{self.month}-01")


def earliest_month(store: Store) -> str | None:
    """The month after the last locked period (None: nothing locked yet, any month)."""
    batches = list_batches(store)
    locked = batches.loc[batches["status"] == "locked", "period"]
    if locked.empty:
        return None
    return str(period_label(np.array([parse_period(str(locked.max())) + 1]))[0])


def _chosen_reps(inputs: Inputs, reps: list[str] | None, base_id: str | None, day: dt.date,
                 problems: list[Problem]) -> tuple[list[str], dict[str, str]]:
    """The reps to move (given, or every rep on the base plan that day) and their plans then."""
    known = inputs.reps["rep_id"].astype(str).tolist()
    before = plans_in_force(inputs.reps, inputs.plan_assignments, np.array(known, dtype=object),
                            np.full(len(known), np.datetime64(day - dt.timedelta(days=1))))
    current = dict(zip(known, [str(p) for p in before], strict=True))
    if reps is None:
        chosen = [r for r in known if current[r] == base_id]
        if not chosen:
            problems.append(Problem("reps", None, "plan_id", base_id, "no rep is on the base "
                                    f"plan {base_id} then", "reps chosen by name"))
    else:
        chosen = sorted(set(reps))
        for r in chosen:
            if r not in current:
                problems.append(Problem("reps", None, "rep_id", r, "unknown rep",
                                        "a rep of the store's data"))
        if not chosen:
            problems.append(Problem("reps", None, "rep_id", None, "no rep chosen",
                                    "one or more reps"))
    return [r for r in chosen if r in current], current


def propose(store: Store, scenario_id: int, plan_id: str, month: str,
            reps: list[str] | None = None) -> Proposal:
    """Check everything making a scenario live needs; every problem at once (InputError)."""
    scenario = get(store, scenario_id)
    problems: list[Problem] = []
    src = f"scenario {scenario_id}"
    stored, _bad = stored_plans(store)
    data = {**scenario.plan.model_dump(mode="python", by_alias=True), "id": plan_id.strip()}
    try:
        plan = Plan.model_validate(data)
    except ValueError:
        problems.append(Problem(src, None, "id", plan_id, "not a usable plan id",
                                "letters, digits, '.', '_' or '-', starting with one of the first"))
        plan = scenario.plan
    if plan.id in stored:
        problems.append(Problem(src, None, "id", plan.id, "a plan of this id is already in the "
                                "store", "a NEW plan id: a changed plan is a new plan id"))
    earliest = earliest_month(store)
    try:
        parse_period(month)
    except ValueError:
        problems.append(Problem(src, None, "effective month", month, "not a month", "YYYY-MM"))
        month = earliest or "1970-01"
    if earliest is not None and month < earliest:
        problems.append(Problem(src, None, "effective month", month, "before the last locked "
                                "period ends: a plan change is prospective only",
                                f"{earliest} or later"))
    inputs = store.stored_inputs()
    day = dt.date.fromisoformat(f"{month}-01")
    chosen, current = _chosen_reps(inputs, reps, scenario.base_plan_id, day, problems)
    a = inputs.plan_assignments
    later = a[a["rep_id"].isin(chosen) & (a["effective_from"] > pd.Timestamp(day))]
    base = stored.get(scenario.base_plan_id or "")
    proposal = Proposal(scenario, plan, month, earliest or "", chosen,
                        {r: current[r] for r in chosen}, base,
                        term_changes(base, plan),
                        [f"{r.rep_id} moves to {r.plan_id} from {r.effective_from:%Y-%m-%d}"
                         for r in later.itertuples(index=False)])
    if not problems:
        problems += _quota_problems(inputs, stored, proposal)
    if problems:
        raise InputError(problems)
    return proposal


def _assignments(proposal: Proposal) -> pd.DataFrame:
    return pd.DataFrame({"rep_id": proposal.reps, "plan_id": proposal.plan.id,
                         "effective_from": pd.Timestamp(proposal.effective_from)})


def _quota_problems(inputs: Inputs, stored: dict[str, Plan], proposal: Proposal
                    ) -> list[Problem]:
    """A plan measuring attainment needs a quota for every moved rep with events."""
    if not proposal.plan.measures_attainment:
        return []
    moved = inputs.replace(plan_assignments=pd.concat(
        [inputs.plan_assignments, _assignments(proposal)], ignore_index=True))
    plans = {**stored, proposal.plan.id: proposal.plan}
    return [p for p in check(moved, plans, plans)
            if p.source == "quotas.csv" and p.record_id in proposal.reps]


def make_live(store: Store, scenario_id: int, plan_id: str, month: str,
              reps: list[str] | None, by: str) -> Proposal:
    """Make a scenario live: a new plan id and assignments from ``month`` (see the module)."""
    proposal = propose(store, scenario_id, plan_id, month, reps)
    with tempfile.TemporaryDirectory(prefix="commission-live-") as tmp:
        folder = Path(tmp) / f"scenario-{scenario_id}-made-live"
        rules = Path(tmp) / "rules"
        folder.mkdir()
        rules.mkdir()
        (rules / f"{proposal.plan.id}.yaml").write_text(proposal.plan.to_yaml(), "utf-8")
        with open(folder / "plan_assignments.csv", "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["rep_id", "plan_id", "effective_from"])
            out.writerows([r, proposal.plan.id, f"{month}-01"] for r in proposal.reps)
        load(store, folder, rules, by=by)
    with store.write() as conn:
        db.mark_live(conn, scenario_id, proposal.plan.id, proposal.effective_from, by)
    return proposal


def describe(proposal: Proposal) -> dict[str, Any]:
    """The audit details of a make-live: what changed, from when, for whom."""
    return {"scenario": proposal.scenario.scenario_id, "plan": proposal.plan.id,
            "from": proposal.month, "reps": proposal.reps,
            "base": proposal.scenario.base_plan_id,
            "changes": [list(c) for c in proposal.changes]}


__all__ = ["Proposal", "Scenario", "describe", "earliest_month", "get", "listing",
           "make_live", "propose", "save"]

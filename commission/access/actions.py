"""The payroll lifecycle as a known person: load, run, approve, lock, export; plans.

Each function checks the identity's roles (AccessDenied and an audit entry when it
may not), calls :mod:`commission.payroll.lifecycle` with the identity's email as
the person recorded on the batch, and records the action in the audit log: done
("allowed") or refused by the lifecycle ("failed", with its message).

Segregation of duties: the person who ran a batch's current draft may not approve
it, unless the setting ``allow_self_approval`` is on (a one-person finance team)
or the app runs in local mode; the approval's audit entry then says so
(``self_approval: true``), and so does the lock's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from commission.access.identity import Identity, record, refuse, require
from commission.payroll import lifecycle
from commission.payroll.summary import BatchSummary, LoadSummary
from commission.payroll.verify import Verification, require_intact, verify
from commission.problems import InputError
from commission.store import Store
from commission.store import identity as db

T = TypeVar("T")


def _perform(store: Store, identity: Identity, action: str, obj: str,
             work: Callable[[], T], **details: Any) -> T:
    """Do ``work`` and record it: allowed when it returns, failed when the lifecycle refuses."""
    try:
        result = work()
    except lifecycle.BatchError as exc:
        record(store, identity, action, obj, "failed", error=str(exc), **details)
        raise
    except InputError as exc:
        record(store, identity, action, obj, "failed", problems=len(exc.problems), **details)
        raise
    if isinstance(result, BatchSummary):
        obj = f"batch:{result.batch_id}"
        details = {"period": result.period, "status": result.status, "run_no": result.run_no,
                   **details}
    record(store, identity, action, obj, **details)
    return result


def _plans_would_change(store: Store, rules_dir: str | Path | None) -> list[str]:
    """The plans in ``rules_dir`` whose text differs from the store's (made effective)."""
    if rules_dir is None:
        return []
    from commission.plans.language import load_plans
    from commission.store import planstore

    _plans, texts, problems = load_plans(rules_dir)
    if problems:
        return []  # the lifecycle reports them
    with store.read() as conn:
        return sorted(planstore.new_versions(conn, texts))


def _require_plans(store: Store, identity: Identity, rules_dir: str | Path | None
                   ) -> list[str]:
    """The plans ``rules_dir`` would make effective, refused unless one may do that."""
    changed = _plans_would_change(store, rules_dir)
    if changed:
        require(store, identity, "plan.effective", "plans",
                f"make plan(s) {', '.join(changed)} effective (they differ from the store's; "
                "leave out --rules to use the stored plans)")
    return changed


# ----------------------------------------------------------------------------- lifecycle


def load_data(identity: Identity, store: Store, data_dir: str | Path,
              rules_dir: str | Path | None = None) -> LoadSummary:
    """Load a folder of CSV files (finance); plans that change need an administrator."""
    require(store, identity, "data.load", "store", "load data")
    _require_plans(store, identity, rules_dir)

    def work() -> LoadSummary:
        return lifecycle.load(store, data_dir, rules_dir, by=identity.email)

    summary = _perform(store, identity, "data.load", "store", work, source=str(data_dir))
    if summary.plans:
        record(store, identity, "plan.effective", "plans", versions=summary.plans)
    return summary


def run_draft(identity: Identity, store: Store, period: str,
              rules_dir: str | Path | None = None) -> BatchSummary:
    """Compute (or recompute) the draft batch of a period (finance)."""
    require(store, identity, "batch.run", f"period:{period}", f"run the batch of {period}")
    changed = _require_plans(store, identity, rules_dir)
    summary = _perform(store, identity, "batch.run", f"period:{period}",
                       lambda: lifecycle.run_batch(store, period, rules_dir, by=identity.email))
    if changed:
        record(store, identity, "plan.effective", "plans", plans=changed)
    return summary


def self_approval_allowed(store: Store) -> bool:
    """The setting ``allow_self_approval`` (a one-person finance team)."""
    with store.read() as conn:
        return db.get_setting(conn, "allow_self_approval").lower() in ("true", "1", "yes", "on")


def approve_batch(identity: Identity, store: Store, batch_id: int,
                  acknowledge_open_inquiries: bool = False) -> BatchSummary:
    """Approve a reviewed draft (approver; not the person who ran it, unless allowed).

    Inquiries of its period still open need ``acknowledge_open_inquiries`` (audited).
    """
    obj = f"batch:{batch_id}"
    require(store, identity, "batch.approve", obj, f"approve batch {batch_id}")
    before = lifecycle.show(store, batch_id)
    details: dict[str, Any] = {}
    if before.run_by == identity.email:
        if identity.local:
            details = {"self_approval": True, "because": "local mode"}
        elif self_approval_allowed(store):
            details = {"self_approval": True, "because": "setting allow_self_approval"}
        else:
            raise refuse(store, identity, "batch.approve", obj,
                         f"{identity.email} ran batch {batch_id} (run {before.run_no}) and may "
                         "not approve it: another approver must (segregation of duties)",
                         run_by=before.run_by, run_no=before.run_no)
    if acknowledge_open_inquiries:
        details["acknowledged_open_inquiries"] = True
    return _perform(store, identity, "batch.approve", obj,
                    lambda: lifecycle.approve(store, batch_id, identity.email,
                                              acknowledge_open_inquiries),
                    run_by=before.run_by, **details)


def lock_batch(identity: Identity, store: Store, batch_id: int) -> BatchSummary:
    """Lock an approved batch (finance or admin)."""
    obj = f"batch:{batch_id}"
    require(store, identity, "batch.lock", obj, f"lock batch {batch_id}")
    before = lifecycle.show(store, batch_id)
    details = ({"self_approval": True} if before.approved_by is not None
               and before.approved_by == before.run_by else {})
    return _perform(store, identity, "batch.lock", obj,
                    lambda: lifecycle.lock(store, batch_id, identity.email), **details)


def export_batch(identity: Identity, store: Store, batch_id: int
                 ) -> tuple[pd.DataFrame, BatchSummary]:
    """The payroll file of a batch (finance): one row per rep and a control total.

    Refused (BatchError) when the batch does not reconcile with its lines.
    """
    from commission.reports.export import payroll_export, reconcile

    obj = f"batch:{batch_id}"
    require(store, identity, "batch.export", obj, f"export batch {batch_id}")

    def work() -> tuple[pd.DataFrame, BatchSummary]:
        require_intact(store, batch_id)  # a locked batch must still match its seal
        summary = lifecycle.show(store, batch_id)
        payouts = lifecycle.batch_payouts(store, batch_id)
        sums = lifecycle.batch_line_sums(store, batch_id, summary.period)  # summed in the db
        problems = reconcile(sums, payouts, summary.period)
        if problems:  # never hand payroll a file that does not add up
            raise lifecycle.BatchError("the batch does not reconcile: " + "; ".join(problems))
        frame = payroll_export(payouts, store.input_table("reps"), summary.period, batch_id)
        return frame, summary

    frame, summary = _perform(store, identity, "batch.export", obj, work)
    return frame, summary


def verify_batch(identity: Identity, store: Store, batch_id: int) -> Verification:
    """Recompute a locked batch's seal and say what differs (finance, approver, admin)."""
    obj = f"batch:{batch_id}"
    require(store, identity, "batch.read", obj, f"verify batch {batch_id}")
    result = verify(store, batch_id)
    record(store, identity, "batch.verify", obj, "allowed" if result.ok else "failed",
           differences=result.differences)
    return result


# ----------------------------------------------------------------------------- plans


def save_plan_variant(identity: Identity, store: Store, plan: Any, rules_dir: str | Path,
                      overwrite: bool = False, note: str = "") -> Path:
    """Save a plan variant as a draft file in ``rules_dir`` (planner); not yet effective."""
    from commission.reports.compare import save_plan

    obj = f"plan:{plan.id}"
    require(store, identity, "plan.save", obj, f"save plan {plan.id}")
    path = save_plan(plan, rules_dir, overwrite=overwrite, note=note)
    record(store, identity, "plan.save", obj, path=str(path), overwrite=overwrite)
    return path


def make_plans_effective(identity: Identity, store: Store, rules_dir: str | Path
                         ) -> dict[str, int]:
    """Store the plans of ``rules_dir`` as new versions: the next batch uses them (admin)."""
    require(store, identity, "plan.effective", "plans", "make plans effective")
    versions = lifecycle.store_plans(store, rules_dir)
    record(store, identity, "plan.effective", "plans", versions=versions)
    return versions


__all__ = ["approve_batch", "export_batch", "load_data", "lock_batch", "make_plans_effective",
           "run_draft", "save_plan_variant", "self_approval_allowed", "verify_batch"]

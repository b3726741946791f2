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
from commission.inputs.tables import Inputs
from commission.payroll import lifecycle
from commission.payroll.staleness import Staleness
from commission.payroll.summary import BatchHeader, BatchSummary, LoadSummary
from commission.payroll.verify import Verification, require_intact, verify
from commission.problems import InputError
from commission.store import Store
from commission.store import identity as db
from commission.store.partitions import StoredPartitions

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
              rules_dir: str | Path | None = None, catch_up: bool = False) -> BatchSummary:
    """Compute (or recompute) the draft batch of a period (finance).

    A period after the first open month is a catch-up (several months in one batch):
    refused unless ``catch_up`` confirms it (audited as ``catch_up: true``).
    """
    require(store, identity, "batch.run", f"period:{period}", f"run the batch of {period}")
    changed = _require_plans(store, identity, rules_dir)
    details = {"catch_up": True} if catch_up else {}
    summary = _perform(store, identity, "batch.run", f"period:{period}",
                       lambda: lifecycle.run_batch(store, period, rules_dir, by=identity.email,
                                                   catch_up=catch_up), **details)
    if changed:
        record(store, identity, "plan.effective", "plans", plans=changed)
    return summary


def self_approval_allowed(store: Store) -> bool:
    """The setting ``allow_self_approval`` (a one-person finance team)."""
    from commission.access.settings import YES

    with store.read() as conn:
        return db.get_setting(conn, "allow_self_approval").strip().lower() in YES


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
    before = lifecycle.header(store, batch_id)  # who ran and approved it (no totals)
    details = ({"self_approval": True} if before.approved_by is not None
               and before.approved_by == before.run_by else {})
    return _perform(store, identity, "batch.lock", obj,
                    lambda: lifecycle.lock(store, batch_id, identity.email), **details)


def export_batch(identity: Identity, store: Store, batch_id: int
                 ) -> tuple[pd.DataFrame, BatchHeader]:
    """The payroll file of a batch (finance): one data row per rep, DRAFT until locked,
    with the currency and pay date of the settings; :func:`export_control` is its
    control total.

    Refused (BatchError) when a locked batch's payouts or plan texts are not what its
    seal holds, or a batch not locked yet does not reconcile with its lines (summed in
    the database). What the export checks, and what it leaves to ``batch verify``:
    docs/security.md.
    """
    from commission.access.settings import currency, pay_date
    from commission.reports.export import DRAFT, FINAL, payroll_export, reconcile

    obj = f"batch:{batch_id}"
    require(store, identity, "batch.export", obj, f"export batch {batch_id}")

    def work() -> tuple[pd.DataFrame, BatchHeader]:
        summary = lifecycle.header(store, batch_id)
        if summary.status == "locked":
            # the file is the sealed payouts: every payout and plan text must still match
            # the seal (lines and paid events: batch verify's; docs/security.md)
            require_intact(store, batch_id, lines=False)
        payouts = lifecycle.batch_payouts(store, batch_id)
        if summary.status != "locked":  # no seal yet: the payouts must add up to the lines
            sums = lifecycle.batch_line_sums(store, batch_id, summary.period)  # in the db
            problems = reconcile(sums, payouts, summary.period)
            if problems:  # never hand payroll a file that does not add up
                raise lifecycle.BatchError("the batch does not reconcile: "
                                           + "; ".join(problems))
        frame = payroll_export(payouts, store.input_table("reps"), summary.period, batch_id,
                               status=FINAL if summary.status == "locked" else DRAFT,
                               currency=currency(store),
                               pay_date=pay_date(store, summary.period).isoformat())
        return frame, summary

    frame, summary = _perform(store, identity, "batch.export", obj, work)
    return frame, summary


def export_control(store: Store, frame: pd.DataFrame, summary: BatchHeader) -> pd.DataFrame:
    """The control total of an export from :func:`export_batch` (a file of its own)."""
    from commission.access.settings import currency, pay_date
    from commission.reports.export import DRAFT, FINAL, control_totals

    return control_totals(frame, summary.period, summary.batch_id,
                          status=FINAL if summary.status == "locked" else DRAFT,
                          currency=currency(store),
                          pay_date=pay_date(store, summary.period).isoformat())


def batch_staleness(identity: Identity, store: Store, batch_id: int) -> Staleness:
    """What changed since a draft was run (finance, approver, admin): a stale draft is
    run again before it is approved."""
    require(store, identity, "batch.read", f"batch:{batch_id}", f"read batch {batch_id}")
    return lifecycle.batch_staleness(store, batch_id)


def catch_up_months(identity: Identity, store: Store, period: str) -> list[str]:
    """The months a run of ``period`` would pay for (more than one: a catch-up)."""
    require(store, identity, "batch.run", f"period:{period}", f"run the batch of {period}")
    return lifecycle.catch_up_months(store, period)


def add_manual_line(identity: Identity, store: Store, rep_id: str, period: str, amount: int,
                    reason: str) -> str:
    """Add a manual commission line for a rep and an open period, with its reason (finance,
    admin); recorded with who and when, audited. A draft of that period is stale until
    it is run again. Returns the line's id."""
    obj = f"rep:{rep_id}"
    require(store, identity, "batch.manual_line", obj,
            f"add a manual line for {rep_id} in {period}")
    line_id, _load = _perform(
        store, identity, "batch.manual_line", obj,
        lambda: lifecycle.add_manual_line(store, rep_id, period, amount, reason,
                                          identity.email),
        period=period, amount=int(amount), reason=reason)
    return line_id


def manual_lines(identity: Identity, store: Store, period: str) -> pd.DataFrame:
    """A period's manual lines with reason, who and when (finance, approver, admin)."""
    require(store, identity, "batch.read", f"period:{period}", f"read the manual lines of "
            f"{period}")
    return lifecycle.manual_lines(store, period)


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


__all__ = [
    "add_manual_line",
    "approve_batch",
    "batch_staleness",
    "catch_up_months",
    "export_batch",
    "export_control",
    "load_data",
    "lock_batch",
    "make_plans_effective",
    "manual_lines",
    "run_draft",
    "save_plan_variant",
    "self_approval_allowed",
    "verify_batch",
]


def calculation_inputs(identity: Identity, store: Store) -> Inputs:
    """Every rep's inputs in the store, for ``calculate --db`` (everyone's pay: finance's)."""
    require(store, identity, "batch.run", "store", "calculate everyone's pay from the store")
    record(store, identity, "calculate.read", "store")
    return store.stored_inputs()


def calculation_partitions(identity: Identity, store: Store, url: str) -> StoredPartitions:
    """What workers read the store ``url`` through, for ``calculate --db --workers``.

    The permission is checked here, by the driver; the workers only read.
    """
    require(store, identity, "batch.run", "store", "calculate everyone's pay from the store")
    record(store, identity, "calculate.read", "store", partitioned=True)
    return StoredPartitions(url)

"""Reading pay: only the reps an identity may see, and a record of views of other people's pay.

A rep sees their own pay; a manager also everyone below them through
``reps.manager_id``, however deep; finance, approvers and administrators see
everyone. Asking for a rep one may not see is refused (AccessDenied, audited);
asking for "everything" returns only what one may see. A view counts as a view
of someone else's pay when the rows handed back belong to a rep other than the
identity's own: it is recorded (repeats within ten minutes are folded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from commission.access.identity import (
    SEE_ALL,
    AccessDenied,
    Identity,
    record_view,
    refuse,
    require,
)
from commission.payroll import lifecycle
from commission.payroll.summary import BatchSummary
from commission.payroll.verify import require_intact
from commission.store import Store

#: what a person who may not read batches sees of the batch list
BATCH_LIST_PUBLIC = ["batch_id", "period", "status"]


def _reps(store: Store) -> dict[str, str | None]:
    with store.read() as conn:
        return dict(conn.exec_driver_sql("SELECT rep_id, manager_id FROM reps").fetchall())


def team_of(managers: dict[str, str | None], rep_id: str) -> set[str]:
    """Every rep below ``rep_id`` through ``manager_id``, however deep (cycles are safe)."""
    below: dict[str, list[str]] = {}
    for rep, manager in managers.items():
        if manager is not None:
            below.setdefault(manager, []).append(rep)
    found: set[str] = set()
    todo = [rep_id]
    while todo:
        for rep in below.get(todo.pop(), []):
            if rep not in found and rep != rep_id:
                found.add(rep)
                todo.append(rep)
    return found


def sees_all(identity: Identity) -> bool:
    return bool(identity.roles & SEE_ALL)


def visible_reps(identity: Identity, store: Store) -> frozenset[str]:
    """The reps whose pay ``identity`` may see."""
    managers = _reps(store)
    if sees_all(identity):
        return frozenset(managers)
    if identity.rep_id is None:
        return frozenset()
    mine = {identity.rep_id}
    if identity.has("manager"):
        mine |= team_of(managers, identity.rep_id)
    return frozenset(mine)


def _scope(identity: Identity, store: Store, obj: str, rep_id: str | None) -> set[str] | None:
    """The reps a read may return (None: everyone), refusing a rep one may not see."""
    if sees_all(identity):
        return None if rep_id is None else {rep_id}
    visible = visible_reps(identity, store)
    if rep_id is None:
        return set(visible)
    if rep_id not in visible:
        raise refuse(store, identity, "pay.view", obj,
                     f"{identity.label} may not see the pay of rep {rep_id}", rep=rep_id)
    return {rep_id}


def _keep(frame: pd.DataFrame, reps: set[str] | None) -> pd.DataFrame:
    if reps is None:
        return frame
    return frame[frame["rep_id"].isin(sorted(reps))].reset_index(drop=True)


def _viewed(identity: Identity, store: Store, obj: str, shown: Iterable[str],
            everyone: bool) -> None:
    others = sorted({str(r) for r in shown} - {identity.rep_id})
    if everyone:
        record_view(store, identity, obj, "all")
    elif others:
        record_view(store, identity, obj, others)


# ----------------------------------------------------------------------------- pay


def pay_lines(identity: Identity, store: Store, batch_id: int,
              rep_id: str | None = None) -> pd.DataFrame:
    """A batch's lines of ``rep_id`` (or of every rep one may see)."""
    obj = f"batch:{batch_id}"
    reps = _scope(identity, store, obj, rep_id)
    lines = _keep(lifecycle.batch_lines(store, batch_id), reps)
    _viewed(identity, store, obj, lines["rep_id"], reps is None)
    return lines


def pay_payouts(identity: Identity, store: Store, batch_id: int,
                rep_id: str | None = None) -> pd.DataFrame:
    """A batch's payouts of ``rep_id`` (or of every rep one may see)."""
    obj = f"batch:{batch_id}"
    reps = _scope(identity, store, obj, rep_id)
    payouts = _keep(lifecycle.batch_payouts(store, batch_id), reps)
    _viewed(identity, store, obj, payouts["rep_id"], reps is None)
    return payouts


def statement(identity: Identity, store: Store, batch_id: int, rep_id: str,
              as_of: dt.date | str | None = None, period: str | None = None
              ) -> dict[str, Any]:
    """The data of a rep's statement for a batch (render it with reports.statement).

    ``period``: one month of a batch that covers several (a catch-up); by default the
    batch's own period.
    """
    from commission.reports.statement import period_bounds, statement_data

    obj = f"batch:{batch_id}"
    _scope(identity, store, obj, rep_id)
    # never a statement of a locked batch whose rows for this rep (or the plans or the
    # seal itself) were altered; other reps' rows are not read (docs/security.md)
    require_intact(store, batch_id, rep_id)
    payouts = lifecycle.batch_payouts(store, batch_id)
    if rep_id not in set(payouts["rep_id"]):
        raise lifecycle.BatchError(f"rep {rep_id!r} has no payout in batch {batch_id}")
    month = period or lifecycle.header(store, batch_id).period
    # only what this rep's statement reads: their lines and invoices (indexed)
    lines = lifecycle.batch_lines(store, batch_id, rep_id)
    inputs, plans = store.rep_inputs(rep_id, batch_id), lifecycle.batch_plans(store, batch_id)
    data = statement_data(rep_id, month, lines, payouts, inputs, plans,
                          as_of or period_bounds(month)[1], batch_id=batch_id)
    _viewed(identity, store, obj, [rep_id], False)
    return data


@dataclass(frozen=True)
class StatementSources:
    """Everything the statements of a batch are made of, read once for all its reps."""

    summary: BatchSummary
    lines: pd.DataFrame
    payouts: pd.DataFrame  # only the reps the identity may see
    inputs: Any  # commission.inputs.Inputs
    plans: dict[str, Any]

    @property
    def reps(self) -> list[str]:
        """The reps with a payout in the batch's period, in order."""
        mine = self.payouts[self.payouts["period"] == self.summary.period]
        return sorted({str(r) for r in mine["rep_id"]})


def statement_sources(identity: Identity, store: Store, batch_id: int,
                      inputs: Any = None) -> StatementSources:
    """A batch's lines, payouts, inputs and plans for every rep one may see (one read each).

    What a batch's statements are generated from: the store is read once, not once
    per rep, and the view of other people's pay is recorded once. ``inputs``: the
    store's inputs when the caller already holds them (they are not pay).
    """
    obj = f"batch:{batch_id}"
    reps = _scope(identity, store, obj, None)
    require_intact(store, batch_id)
    summary = lifecycle.show(store, batch_id)
    payouts = _keep(lifecycle.batch_payouts(store, batch_id), reps)
    lines = _keep(lifecycle.batch_lines(store, batch_id), reps)
    sources = StatementSources(summary, lines, payouts,
                               store.stored_inputs() if inputs is None else inputs,
                               dict(lifecycle.batch_plans(store, batch_id)))
    _viewed(identity, store, obj, payouts["rep_id"], reps is None)
    return sources


def locked_payouts(identity: Identity, store: Store, rep_id: str, first: str,
                   last: str) -> pd.DataFrame:
    """The rep's payout rows of locked batches for the months ``first``..``last``.

    Columns: the batch's payout columns and ``batch_id``. What was paid, as opposed
    to a projection: My pay's headline and year to date.
    """
    obj = "locked-payouts"
    _scope(identity, store, obj, rep_id)
    listing = lifecycle.list_batches(store)
    locked = listing[(listing["status"] == "locked") & (listing["period"] >= first)]
    frames = []
    for batch_id in locked["batch_id"]:  # one read per locked batch (a handful a year)
        pay = lifecycle.batch_payouts(store, int(batch_id))
        pay = pay[(pay["rep_id"] == rep_id) & (pay["period"] >= first) & (pay["period"] <= last)]
        frames.append(pay.assign(batch_id=int(batch_id)))
    _viewed(identity, store, obj, [rep_id], False)
    if not frames:
        return pd.DataFrame({"period": pd.Series([], dtype=object),
                             "rep_id": pd.Series([], dtype=object),
                             "payout": pd.Series([], dtype="int64"),
                             "batch_id": pd.Series([], dtype="int64")})
    return pd.concat(frames, ignore_index=True)


def aging(identity: Identity, store: Store, as_of: dt.date | str,
          rep_id: str | None = None) -> pd.DataFrame:
    """Open invoices by age bucket for ``rep_id`` (or every rep one may see)."""
    from commission.reports.aging import stored_aging

    reps = _scope(identity, store, "aging", rep_id)
    if rep_id is not None and rep_id not in set(store.input_table("reps")["rep_id"]):
        raise lifecycle.BatchError(f"unknown rep {rep_id!r}")
    frame = _keep(stored_aging(store, as_of, rep_id), reps)
    _viewed(identity, store, "aging", frame["rep_id"], reps is None)
    return frame


def check_pay_view(identity: Identity, store: Store, rep_id: str,
                   obj: str = "projection") -> None:
    """Before a door shows pay it computed itself (My pay's projection) for ``rep_id``.

    Refuses (AccessDenied, audited) a rep ``identity`` may not see, and records a
    view of someone else's pay like every other read.
    """
    _scope(identity, store, obj, rep_id)
    _viewed(identity, store, obj, [rep_id], False)


# ----------------------------------------------------------------------------- batches


def batches(identity: Identity, store: Store) -> pd.DataFrame:
    """Every batch; without the batch.read permission only id, period and status."""
    frame = lifecycle.list_batches(store)
    return frame if identity.may("batch.read") else frame[BATCH_LIST_PUBLIC]


def batch_summary(identity: Identity, store: Store, batch_id: int) -> BatchSummary:
    """A batch's summary: totals over every rep, who did what when (finance, approver, admin)."""
    require(store, identity, "batch.read", f"batch:{batch_id}", f"read batch {batch_id}")
    return lifecycle.show(store, batch_id)


def batch_diff(identity: Identity, store: Store, batch_id: int,
               rules_dir: str | Path | None = None) -> list[str]:
    """What changed since a batch was computed (finance, approver, admin)."""
    require(store, identity, "batch.read", f"batch:{batch_id}", f"read batch {batch_id}")
    return lifecycle.diff(store, batch_id, rules_dir)


__all__ = ["AccessDenied", "StatementSources", "aging", "batch_diff", "batch_summary", "batches",
           "check_pay_view", "locked_payouts", "pay_lines", "pay_payouts", "sees_all", "statement",
           "statement_sources", "team_of", "visible_reps"]

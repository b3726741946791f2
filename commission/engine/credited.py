"""Stage 1: expand the paid events to one row per credited rep.

:class:`Ledger` holds what every stage reads from the inputs (positions, day
numbers, amounts), resolved once; :func:`expand_paid` turns the events that
``EventPeriods`` marks as paid into :class:`Credited` rows: one per (event,
credited rep), with the rep's split share and plan code.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commission.inputs.tables import SHARE_SCALE, Inputs
from commission.order import stable_order
from commission.periods import NOT_PAID, day_numbers, last_day
from commission.plans import PlanHistory, PlanTable, merged_disputes


@dataclass(frozen=True)
class EventPeriods:
    """The period (month number) in which each event is paid, or NOT_PAID.

    ``manual`` is for ``commission_adjustments`` (None: none of them is paid).
    """

    invoices: np.ndarray
    payments: np.ndarray
    adjustments: np.ndarray
    manual: np.ndarray | None = field(default=None)

    def manual_periods(self, n: int) -> np.ndarray:
        """The period of each commission adjustment (NOT_PAID when not given)."""
        return np.full(n, NOT_PAID, dtype=np.int64) if self.manual is None else self.manual


@dataclass(frozen=True)
class Ledger:
    """The inputs as the stages read them; events, invoices and reps by row position."""

    inputs: Inputs
    table: PlanTable
    rep_plan: np.ndarray  # plan code of each rep without an assignment (reps.plan_id)
    history: PlanHistory  # the plan in force for a rep on a date
    pay_inv: np.ndarray  # invoice position of each payment
    adj_inv: np.ndarray  # invoice position of each adjustment
    split_inv: np.ndarray  # invoice position of each split
    inv_day: np.ndarray  # day numbers
    due_day: np.ndarray
    pay_day: np.ndarray
    adj_day: np.ndarray
    inv_amount: np.ndarray  # int64 cents
    pay_amount: np.ndarray
    adj_amount: np.ndarray
    disputes: pd.DataFrame  # merged dispute ranges, by invoice position

    @classmethod
    def of(cls, inputs: Inputs, table: PlanTable, rep_plan: np.ndarray) -> Ledger:
        pay_inv, adj_inv, dispute_inv, split_inv = (
            inputs.positions(name, "invoice_id", "invoices", "invoice_id")
            for name in ("payments", "adjustments", "disputes", "splits"))
        inv, pay, adj = inputs.invoices, inputs.payments, inputs.adjustments
        pa_ = inputs.plan_assignments
        history = PlanHistory(inputs.positions("plan_assignments", "rep_id", "reps", "rep_id")
                              if len(pa_) else np.zeros(0, np.int64),
                              day_numbers(pa_["effective_from"]),
                              table.codes(pa_["plan_id"]) if len(pa_) else np.zeros(0, np.int64),
                              rep_plan)
        return cls(
            inputs=inputs, table=table, rep_plan=rep_plan, history=history,
            pay_inv=pay_inv, adj_inv=adj_inv, split_inv=split_inv,
            inv_day=_days(inputs, "invoices", "invoice_date"),
            due_day=_days(inputs, "invoices", "due_date"),
            pay_day=_days(inputs, "payments", "payment_date"),
            adj_day=_days(inputs, "adjustments", "adjustment_date"),
            inv_amount=inv["amount"].to_numpy(dtype=np.int64),
            pay_amount=pay["amount"].to_numpy(dtype=np.int64),
            adj_amount=adj["amount"].to_numpy(dtype=np.int64),
            disputes=inputs.derived(("disputes", "invoices"), "merged disputes", lambda: (
                merged_disputes(inputs.disputes.assign(invoice_id=dispute_inv)))),
        )

    @property
    def n_reps(self) -> int:
        return len(self.inputs.reps)

    def plan_at_end(self, rep: np.ndarray, period: np.ndarray) -> np.ndarray:
        """The plan in force for each rep on the last day of each period (payout rules)."""
        return self.history.on(rep, last_day(period))


def _days(inputs: Inputs, table: str, column: str) -> np.ndarray:
    """Day numbers of a date column, worked out once per Inputs (every plan reads them)."""
    return inputs.derived((table,), f"days {column}",
                          lambda: day_numbers(getattr(inputs, table)[column]))


@dataclass(frozen=True)
class Credited:
    """One row per (event, credited rep): the event's row, the rep, its share and plan."""

    ev: np.ndarray  # row of the event in its table
    rep: np.ndarray  # rep position
    share: np.ndarray  # int64 over SHARE_SCALE
    code: np.ndarray  # the rep's plan code
    share_code: np.ndarray | None = None  # small numbers of the distinct shares, if known

    def __len__(self) -> int:
        return len(self.ev)

    def take(self, mask: np.ndarray) -> Credited:
        """The rows where ``mask`` is set (or at the given positions)."""
        return Credited(self.ev[mask], self.rep[mask], self.share[mask], self.code[mask],
                        None if self.share_code is None else self.share_code[mask])


@dataclass(frozen=True)
class PaidEvents:
    """The paid events of each table, expanded to their credited reps."""

    invoices: Credited
    payments: Credited
    adjustments: Credited


class _Splits:
    """Which reps are credited on each invoice, with their shares (CSR by invoice position)."""

    def __init__(self, ledger: Ledger):
        inputs = ledger.inputs
        inv, sp = inputs.invoices, inputs.splits
        has_split = np.zeros(len(inv), dtype=bool)
        has_split[ledger.split_inv] = True
        own = np.flatnonzero(~has_split)
        inv_pos = np.concatenate([own, ledger.split_inv])
        rep = np.concatenate([
            inputs.positions("invoices", "rep_id", "reps", "rep_id")[own],
            inputs.positions("splits", "rep_id", "reps", "rep_id"),
        ])
        share = np.concatenate([np.full(len(own), SHARE_SCALE, dtype=np.int64),
                                sp["share"].to_numpy(dtype=np.int64)])
        order = stable_order(inv_pos)
        self.rep, self.share = rep[order], share[order]
        self.share_code = pd.factorize(self.share)[0].astype(np.int32)
        self.counts = np.bincount(inv_pos[order], minlength=len(inv))
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)

    def expand(self, ledger: Ledger, table: str, rows: np.ndarray, inv_of: np.ndarray
               ) -> Credited:
        """Every credited rep of the events ``rows`` of ``table`` (``inv_of``: the invoice
        position of each of its rows).

        Who is credited with what share is the same for every plan: it is worked out
        once per set of rows (what-if runs each plan on the same paid events). Each
        row's plan is the rep's plan in force on the invoice's date.
        """
        digest = hashlib.blake2b(np.ascontiguousarray(rows, dtype=np.int64).tobytes(),
                                 digest_size=16).hexdigest()
        memo: dict = ledger.inputs.derived(("invoices", "splits", "reps", table),
                                           f"credited {table}", dict)
        found = memo.get(digest)
        if found is None:
            found = self._credited(rows, inv_of[rows])
            if len(memo) >= 2:  # kept for the latest sets of rows only: memory stays bounded
                memo.clear()
            memo[digest] = found
        ev, rep, share, share_code = found
        plan = (ledger.rep_plan[rep] if ledger.history.empty
                else ledger.history.on(rep, ledger.inv_day[inv_of[ev]]))
        return Credited(ev, rep, share, plan, share_code)

    def _credited(self, rows: np.ndarray, event_inv_pos: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(event row, rep, share, share code) of every credited rep of every event, in
        event order."""
        n = self.counts[event_inv_pos]
        ev = np.repeat(np.arange(len(event_inv_pos)), n)
        first = np.repeat(self.starts[event_inv_pos], n)
        offset = np.arange(len(ev)) - np.repeat(np.cumsum(n) - n, n)
        cr = first + offset
        return rows[ev], self.rep[cr], self.share[cr], self.share_code[cr]


def expand_paid(ledger: Ledger, periods: EventPeriods) -> PaidEvents:
    """The events ``periods`` marks as paid, one row per credited rep, in event order."""
    splits = ledger.inputs.derived(("invoices", "splits", "reps"), "splits",
                                   lambda: _Splits(ledger))
    work = {
        "invoices": (periods.invoices, np.arange(len(ledger.inv_day), dtype=np.int64)),
        "payments": (periods.payments, ledger.pay_inv),
        "adjustments": (periods.adjustments, ledger.adj_inv),
    }
    # the three tables at once (two threads): numpy's repeats and gathers release the GIL
    with ThreadPoolExecutor(max_workers=EXPAND_THREADS) as pool:
        done = dict(zip(work, pool.map(lambda t: splits.expand(
            ledger, t, np.flatnonzero(work[t][0] != NOT_PAID), work[t][1]), work),
            strict=True))
    return PaidEvents(**done)


#: tables expanded at once by :func:`expand_paid`
EXPAND_THREADS = 2

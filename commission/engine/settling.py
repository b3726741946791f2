"""Stage 4: lines that take commission back: reversals, credits, clawbacks, penalties.

A reversal is paid at the reversed payment's r₀ and h₀ (from its collection line,
in this run or an earlier batch); credit notes, discounts and write-offs at the
invoice line's rᵢ (0 without one), a bad-debt penalty at the plan's penalty rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commission.engine.block import LineBlock, factor_money
from commission.engine.common import (
    K_CLAWBACK,
    K_CLAWBACK_REVERSAL,
    K_CREDIT,
    K_PENALTY,
    K_PENALTY_REVERSAL,
    K_REVERSAL,
    PairIndex,
)
from commission.engine.credited import Credited, EventPeriods, Ledger
from commission.engine.rates import RateRegistry
from commission.inputs.tables import ADJUSTMENT_KINDS
from commission.keys import lookup
from commission.plans import SCALE, collected_share, prepaid_share

_CREDIT, _DISCOUNT, _WRITE_OFF, _REINSTATED = (
    ADJUSTMENT_KINDS.index(k) for k in ("credit_note", "discount", "write_off",
                                        "write_off_reversal"))


@dataclass(frozen=True)
class PriorLines:
    """Rates and haircuts of lines paid by earlier (locked) batches.

    Reversals take r₀ and h₀ from the reversed payment's collection line; credits
    and write-offs take rᵢ from the invoice line, whichever batch made it; a
    write-off reversal takes the rate of the write-off's clawback and penalty lines.

    Columns: line_kind, event_id, rep_id, rate_num, rate_den, haircut_num, days_late
    (of the kinds invoice, collection, clawback, penalty), and for plans that measure
    attainment also period, plan_id, base_amount and share of the earning lines
    (invoice, collection, reversal): V₀ of a batch counts the volume earlier
    batches paid, derived from them as base_amount × share (see
    :class:`commission.engine.attainment.PriorVolume`). Without those four columns
    earlier batches add nothing to V₀.

    ``volume``, when given, holds those earning lines (or their sums by line_kind,
    rep_id, plan_id, period and share: the store sums them) for V₀ instead of
    ``frame``, which then needs only the lines whose rates later events take.
    """

    frame: pd.DataFrame
    volume: pd.DataFrame | None = None

    @classmethod
    def empty(cls) -> PriorLines:
        return cls(pd.DataFrame({c: pd.Series([], dtype=object) for c in
                                 ("line_kind", "event_id", "rep_id", "rate_num", "rate_den",
                                  "haircut_num", "days_late")}))


def _prior(prior: PriorLines, kind: str) -> pd.DataFrame:
    return prior.frame[prior.frame["line_kind"] == kind]


@dataclass(frozen=True)
class KnownLines:
    """Lines of one kind made by this run and by earlier batches, by (event, rep)."""

    ev: np.ndarray
    rep: np.ndarray
    ri: np.ndarray
    h: np.ndarray | None = None
    days_late: np.ndarray | None = None

    @classmethod
    def invoices(cls, block: LineBlock, prior: PriorLines, ledger: Ledger,
                 rates: RateRegistry) -> KnownLines:
        """Invoice lines: rᵢ of each (invoice, rep)."""
        return cls.of_kind([block], "invoice", ledger.inputs.invoices["invoice_id"], prior,
                           ledger, rates)

    @classmethod
    def of_kind(cls, blocks: list[LineBlock], kind: str, ids: pd.Series, prior: PriorLines,
                ledger: Ledger, rates: RateRegistry) -> KnownLines:
        """Lines of one kind (their rate) by (event row, rep): this run's and earlier ones."""
        if prior.frame.empty:  # a run without earlier batches (calculate, what-if)
            none = np.zeros(0, dtype=np.int64)
            return cls(ev=np.concatenate([*(b.rows.ev for b in blocks), none]),
                       rep=np.concatenate([*(b.rows.rep for b in blocks), none]),
                       ri=np.concatenate([*(b.ri.astype(np.int64) for b in blocks), none]))
        pr = _prior(prior, kind)
        inputs = ledger.inputs
        return cls(
            ev=np.concatenate([*(b.rows.ev for b in blocks), lookup(pr["event_id"], ids)]),
            rep=np.concatenate([*(b.rows.rep for b in blocks),
                                lookup(pr["rep_id"], inputs.reps["rep_id"])]),
            ri=np.concatenate([*(b.ri for b in blocks),
                               rates.add(list(pr["rate_num"]), list(pr["rate_den"]))]),
        )

    @classmethod
    def collections(cls, block: LineBlock, prior: PriorLines, ledger: Ledger,
                    rates: RateRegistry) -> KnownLines:
        """Collection lines: r₀, h₀ and days late of each (payment, rep)."""
        if prior.frame.empty:  # a run without earlier batches (calculate, what-if)
            return cls(block.rows.ev, block.rows.rep, *(np.asarray(a, dtype=np.int64) for a in
                                                        (block.ri, block.h, block.days_late)))
        pr = _prior(prior, "collection")
        inputs = ledger.inputs
        return cls(
            ev=np.concatenate([block.rows.ev,
                               lookup(pr["event_id"], inputs.payments["payment_id"])]),
            rep=np.concatenate([block.rows.rep, lookup(pr["rep_id"], inputs.reps["rep_id"])]),
            ri=np.concatenate([block.ri, rates.add(list(pr["rate_num"]), list(pr["rate_den"]))]),
            h=np.concatenate([block.h, pr["haircut_num"].to_numpy(dtype=np.int64)]),
            days_late=np.concatenate([block.days_late,
                                      pr["days_late"].to_numpy(dtype=np.int64)]),
        )

    def find(self, ev: np.ndarray, rep: np.ndarray, n_reps: int) -> np.ndarray:
        """Position of each (event, rep) among the known lines, -1 where there is none."""
        return PairIndex(self.ev, self.rep, n_reps).find(ev, rep)


def _adjustment_kinds(ledger: Ledger) -> np.ndarray:
    """Each adjustment's kind as its index in ADJUSTMENT_KINDS (once per Inputs)."""
    adjustments = ledger.inputs.adjustments
    return ledger.inputs.derived(("adjustments",), "adjustment kinds", lambda: (
        pd.Index(ADJUSTMENT_KINDS).get_indexer(adjustments["kind"])))


def reversal_lines(ledger: Ledger, payments: Credited, periods: EventPeriods,
                   collected: LineBlock, prior: PriorLines, rates: RateRegistry
                   ) -> list[LineBlock]:
    """The mirror image of each reversed payment's collection line (none without one).

    ``collected`` is this run's collection block; ``prior`` the earlier batches' lines.
    """
    rows = payments.take(~(ledger.pay_amount[payments.ev] > 0))
    if not len(rows):
        return []
    collections = KnownLines.collections(collected, prior, ledger, rates)
    orig = ledger.inputs.positions("payments", "reverses_payment_id", "payments",
                                   "payment_id")[rows.ev]
    at = collections.find(orig, rows.rep, ledger.n_reps)
    found = at >= 0
    rows, orig, at = rows.take(found), orig[found], at[found]
    assert collections.h is not None and collections.days_late is not None
    ri, h0, late0 = collections.ri[at], collections.h[at], collections.days_late[at]
    ev, table = rows.ev, ledger.table
    x = -ledger.pay_amount[ev]
    rounding = table.half_even[rows.code]
    gross = -factor_money(x, rows.share, ri, collected_share(rows.code, table), rates, rounding,
                          rows.share_code)
    cut = -factor_money(x, rows.share, ri, np.maximum(h0, 0), rates, rounding, rows.share_code)
    return [LineBlock(K_REVERSAL, rows, inv_pos=ledger.pay_inv[ev], event_day=ledger.pay_day[ev],
                      period=periods.payments[ev], base_amount=ledger.pay_amount[ev], ri=ri,
                      gross=gross, haircut=cut, days_late=late0, h=h0, ref=orig)]


def adjustment_lines(ledger: Ledger, adjustments: Credited, periods: EventPeriods,
                     invoiced: LineBlock, prior: PriorLines, rates: RateRegistry
                     ) -> list[LineBlock]:
    """Credits (credit notes, discounts), clawbacks and penalties (write-offs in window).

    ``invoiced`` is this run's invoice block; ``prior`` the earlier batches' lines.
    """
    if not len(adjustments):
        return []
    invoices = KnownLines.invoices(invoiced, prior, ledger, rates)
    rows, table = adjustments, ledger.table
    ev, code = rows.ev, rows.code
    kind = _adjustment_kinds(ledger)[ev]
    inv_pos = ledger.adj_inv[ev]
    at = invoices.find(inv_pos, rows.rep, ledger.n_reps)
    # rᵢ: the invoice line of this run, else of an earlier batch, else 0
    ri_i = np.where(at >= 0, invoices.ri[np.maximum(at, 0)] if len(invoices.ri) else rates.zero,
                    rates.zero)
    p = prepaid_share(code, table)
    gap = ledger.adj_day[ev] - ledger.inv_day[inv_pos]
    in_window = (table.window[code] < 0) | (gap <= table.window[code])
    is_credit = (kind == _CREDIT) | (kind == _DISCOUNT)
    is_wo = (kind == _WRITE_OFF) & in_window
    blocks = []
    for k, mask, ri, f in (
        (K_CREDIT, is_credit & (p > 0), ri_i, p),
        (K_CLAWBACK, is_wo & (p > 0), ri_i, p),
        (K_PENALTY, is_wo & (table.penalty_num[code] > 0), rates.penalty[code],
         np.full(len(rows), SCALE, dtype=np.int64)),
    ):  # over line kinds
        if not mask.any():
            continue
        sub, x = rows.take(mask), ledger.adj_amount[ev[mask]]
        money = -factor_money(x, sub.share, ri[mask], f[mask], rates, table.half_even[sub.code],
                              sub.share_code)
        blocks.append(LineBlock(
            k, sub, inv_pos=inv_pos[mask], event_day=ledger.adj_day[ev[mask]],
            period=periods.adjustments[ev[mask]], base_amount=x, ri=ri[mask], gross=money,
            haircut=np.zeros(len(sub), np.int64), adj=kind[mask], inv_gap=gap[mask]))
    return blocks


def reinstatement_lines(ledger: Ledger, adjustments: Credited, periods: EventPeriods,
                        adjusted: list[LineBlock], prior: PriorLines, rates: RateRegistry
                        ) -> list[LineBlock]:
    """The mirror image of a reinstated write-off's own lines, only where it made them.

    ``clawback_reversal``: +round(y × share × rᵢ × p); ``penalty_reversal``: +round(y ×
    share × penalty_rate), at the rates of the write-off's lines (``adjusted`` this
    run's, ``prior`` earlier batches').
    """
    if not len(adjustments):
        return []
    kind = _adjustment_kinds(ledger)[adjustments.ev]
    rows = adjustments.take(kind == _REINSTATED)
    if not len(rows):
        return []
    ids, table = ledger.inputs.adjustments["adjustment_id"], ledger.table
    target = ledger.inputs.positions("adjustments", "reverses_adjustment_id", "adjustments",
                                     "adjustment_id")[rows.ev]
    y = ledger.adj_amount[rows.ev]
    blocks = []
    for k, wo_kind, name in ((K_CLAWBACK_REVERSAL, K_CLAWBACK, "clawback"),
                             (K_PENALTY_REVERSAL, K_PENALTY, "penalty")):  # over kinds
        known = KnownLines.of_kind([b for b in adjusted if b.kind == wo_kind], name, ids, prior,
                                   ledger, rates)
        at = known.find(target, rows.rep, ledger.n_reps)
        made = at >= 0
        if not made.any():
            continue
        sub, ri = rows.take(made), known.ri[at[made]]
        f = (prepaid_share(sub.code, table) if k == K_CLAWBACK_REVERSAL
             else np.full(len(sub), SCALE, dtype=np.int64))
        money = factor_money(y[made], sub.share, ri, f, rates, table.half_even[sub.code],
                             sub.share_code)
        ev = sub.ev
        blocks.append(LineBlock(
            k, sub, inv_pos=ledger.adj_inv[ev], event_day=ledger.adj_day[ev],
            period=periods.adjustments[ev], base_amount=y[made], ri=ri, gross=money,
            haircut=np.zeros(len(sub), np.int64), ref=target[made]))
    return blocks

"""Events to commission lines, over whole columns, in named stages.

1. :func:`~commission.engine.credited.expand_paid`: each paid event (invoice,
   payment, reversal, adjustment) to one row per credited rep (splits);
2. :func:`~commission.engine.rates.period_rates`: each rep's rate r per period,
   from the volume the plan earns on, in a :class:`RateRegistry`;
3. :mod:`~commission.engine.earning`: invoice and collection lines;
4. :mod:`~commission.engine.settling`: reversal, credit, clawback and penalty lines,
   and the reinstatements of write-offs (clawback_reversal, penalty_reversal);
   :mod:`~commission.engine.period_lines`: override and manual lines;
5. :func:`~commission.engine.assemble.assemble`: the blocks in the contract's order,
   each written once into its final place; the explanations are worded later, only
   when the lines are read (:meth:`RawLines.explanations`).

Every money figure is rounded once. No Python loop runs over events or lines:
loops are over plans, bracket or step positions, or line kinds only.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from commission.engine.assemble import RawLines, Wording, assemble
from commission.engine.attainment import PriorVolume, Volumes
from commission.engine.block import LineBlock
from commission.engine.common import K_COLLECTION, K_INVOICE
from commission.engine.credited import EventPeriods, Ledger, expand_paid
from commission.engine.earning import collection_lines, invoice_lines
from commission.engine.period_lines import manual_lines, override_lines
from commission.engine.rates import RateRegistry, period_rates
from commission.engine.settling import (
    PriorLines,
    adjustment_lines,
    reinstatement_lines,
    reversal_lines,
)
from commission.inputs.tables import Inputs
from commission.plans import PlanTable

__all__ = ["K_COLLECTION", "K_INVOICE", "Blocks", "EventPeriods", "PriorLines", "RawLines",
           "build_blocks", "build_lines"]


@dataclass
class Blocks:
    """Every block of lines of a run, with what the payouts and lines read beside them."""

    blocks: list[LineBlock]
    ledger: Ledger
    rates: RateRegistry
    volumes: Volumes
    #: the blocks' explanations, being worded on a thread (``word``), else None
    words: Future | None = None
    #: the lines' ids, being gathered on that thread (``word``), else None
    ids: Future | None = None


def build_blocks(inputs: Inputs, table: PlanTable, rep_plan: np.ndarray,
                 periods: EventPeriods, prior: PriorLines | None = None,
                 word: bool = False) -> Blocks:
    """Every commission line for the events that ``periods`` marks as paid, kind by kind.

    ``rep_plan`` is the plan code of each row of ``inputs.reps`` (without an
    assignment); ``prior`` the lines of earlier (locked) batches that reversals,
    adjustments and V₀ take their figures from. The blocks are not gathered into
    one table: totals (:class:`~commission.engine.totals.LineTotals`) sum them as
    they are, and :func:`build_lines` assembles them when lines are wanted.
    ``word``: the lines will be shown, so their explanations are worded on a thread
    (:class:`Wording`), the invoice and collection lines while the rest are built.
    """
    prior = prior or PriorLines.empty()
    ledger = Ledger.of(inputs, table, rep_plan)
    wording = Wording(ledger) if word else None  # the lines' ids gathered meanwhile
    paid = expand_paid(ledger, periods)
    rates, volumes = period_rates(ledger, periods, paid,
                                  PriorVolume.of_lines(
                                      prior.frame if prior.volume is None else prior.volume,
                                      ledger))
    invoiced = invoice_lines(ledger, paid.invoices, periods, rates)
    collected = collection_lines(ledger, paid.payments, periods, rates)
    if wording:
        wording.add([invoiced, collected], rates)
    reversed_ = reversal_lines(ledger, paid.payments, periods, collected, prior, rates)
    adjusted = adjustment_lines(ledger, paid.adjustments, periods, invoiced, prior, rates)
    reinstated = reinstatement_lines(ledger, paid.adjustments, periods, adjusted, prior, rates)
    team = override_lines(ledger, paid.payments, periods, rates)
    manual = manual_lines(ledger, periods, rates)
    rest = [*reversed_, *adjusted, *reinstated, *team, *manual]
    if wording:
        wording.add(rest, rates)
    return Blocks([invoiced, collected, *rest], ledger, rates, volumes,
                  wording.done() if wording else None, wording.ids if wording else None)


def build_lines(inputs: Inputs, table: PlanTable, rep_plan: np.ndarray,
                periods: EventPeriods, prior: PriorLines | None = None
                ) -> tuple[RawLines, Ledger, Volumes]:
    """Every commission line (:func:`build_blocks`) in one table, with the ledger and
    the volumes the payouts read (plan in force, attainment)."""
    made = build_blocks(inputs, table, rep_plan, periods, prior)
    return assemble(made.blocks, made.ledger, made.rates), made.ledger, made.volumes

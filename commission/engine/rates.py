"""Stage 2: the rate of each rep in each period, and every rate a line points to.

Volume is summed per (rep, period) over the events the rep's plan earns on
(invoices under an invoiced plan, cash otherwise); the plan prices it with
:func:`commission.plans.rate_over_volume`. Lines refer to their exact rate by
index (``ri``) into one :class:`RateRegistry`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.engine.attainment import PriorVolume, Volumes
from commission.engine.common import PairIndex
from commission.engine.credited import EventPeriods, Ledger, PaidEvents
from commission.plans import SCALE, PlanTable, group_volume, rate_over_volume


class RateRegistry:
    """Every exact rate (num, den as Python ints) a line can point to, by index ``ri``.

    Entries: each (rep, period)'s rate, then each plan's penalty rate, then a zero
    rate ("no invoice line"), then rates carried by earlier batches' lines, added
    as the stages need them.
    """

    def __init__(self, num: np.ndarray, den: np.ndarray, rep_plan: np.ndarray,
                 period: np.ndarray, table: PlanTable):
        self._num = [int(x) for x in num]
        self._den = [int(x) for x in den]
        self._n_plans = max(len(table.plans), 1)
        self._p0 = int(period.min()) if len(period) else 0
        width = (int(period.max()) - self._p0 + 1) if len(period) else 1
        self._periods = PairIndex(rep_plan, period - self._p0, width)
        self.penalty = self._append(table.penalty_num, np.full(len(table.plans), SCALE))
        self.zero = int(self._append(np.zeros(1, np.int64), np.ones(1, np.int64))[0])
        #: a manual line's "no rate" (held as 0/1, written empty)
        self.none = int(self._append(np.zeros(1, np.int64), np.ones(1, np.int64))[0])
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        #: words on how an attainment rate was reached, by ``ri``
        self.notes: dict[int, str] = {}

    def _append(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        start = len(self._num)
        self._num.extend(int(x) for x in num)
        self._den.extend(int(x) for x in den)
        self._arrays = None
        return np.arange(start, len(self._num), dtype=np.int64)

    def of_period(self, rep: np.ndarray, plan: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Index of the rate of each (rep, plan, period)."""
        return self._periods.find(np.asarray(rep, np.int64) * self._n_plans + plan,
                                  period - self._p0)

    def add(self, nums: list, dens: list) -> np.ndarray:
        """Add exact rates (deduplicated) and return each one's index."""
        if len(nums) == 0:
            return np.zeros(0, dtype=np.int64)
        text = pd.Series([f"{int(n)}/{int(d)}" for n, d in zip(nums, dens, strict=True)]
                         ) if len(nums) < 64 else (
            pd.Series(nums).astype(str) + "/" + pd.Series(dens).astype(str))
        codes, uniq = pd.factorize(text)
        pairs = [t.split("/") for t in uniq]  # few: one per distinct rate
        start = len(self._num)
        self._append(np.array([int(n) for n, _ in pairs], dtype=object),
                     np.array([int(d) for _, d in pairs], dtype=object))
        return start + codes.astype(np.int64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(num, den) of every rate, as object arrays indexed by ``ri``."""
        if self._arrays is None:
            self._arrays = (np.array(self._num, dtype=object), np.array(self._den, dtype=object))
        return self._arrays


def period_rates(ledger: Ledger, periods: EventPeriods, paid: PaidEvents,
                 prior: PriorVolume) -> tuple[RateRegistry, Volumes]:
    """The registry of rates, starting with each (rep, plan, period)'s rate over its volume.

    Volume is per rep, period and plan (the plan each invoice keeps for the rep).
    A plan measuring attainment prices the volume on top of V₀ (the earlier months
    of its quota period, this run's and ``prior`` batches') against the rep's quota.
    """
    inv, pay, table = paid.invoices, paid.payments, ledger.table
    invoiced = table.basis_is(np.arange(len(table.plans)), "invoiced")
    keys = pd.DataFrame({
        "rep": np.concatenate([inv.rep, pay.rep]),
        "plan": np.concatenate([inv.code, pay.code]),
        "period": np.concatenate([periods.invoices[inv.ev], periods.payments[pay.ev]]),
    })
    earn = np.concatenate([invoiced[inv.code], ~invoiced[pay.code]])
    cents = np.concatenate([ledger.inv_amount[inv.ev], ledger.pay_amount[pay.ev]])
    share = np.concatenate([inv.share, pay.share])
    groups = keys.drop_duplicates().sort_values(["rep", "plan", "period"], ignore_index=True)
    volume = group_volume(keys[earn], cents[earn], share[earn]).reindex(
        pd.MultiIndex.from_frame(groups), fill_value=0).to_numpy(dtype=object)
    rep, plan, period = (groups[c].to_numpy(dtype=np.int64) for c in ("rep", "plan", "period"))
    vols = Volumes.of(ledger, rep, plan, period, volume, prior)
    num, den = rate_over_volume(plan, volume, table)
    num, den, notes = vols.price(num, den)
    registry = RateRegistry(num, den, rep * max(len(table.plans), 1) + plan, period, table)
    registry.notes = notes  # the first entries of the registry are these rows
    return registry, vols

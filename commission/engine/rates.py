"""Stage 2: the rate of each rep in each period, and every rate a line points to.

Volume is summed per (rep, period) over the events the rep's plan earns on
(invoices under an invoiced plan, cash otherwise); the plan prices it with
:func:`commission.plans.rate_over_volume`. Lines refer to their exact rate by
index (``ri``) into one :class:`RateRegistry`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from commission.engine.attainment import PriorVolume, Volumes
from commission.engine.common import PairIndex, exact_sum, unique_keys
from commission.engine.credited import EventPeriods, Ledger, PaidEvents
from commission.inputs.tables import SHARE_SCALE
from commission.plans import SCALE, PlanTable, rate_over_volume


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
        self._ints: tuple[np.ndarray, np.ndarray] | None = None
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

    def int_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(num, den) of every rate as int64 by ``ri``; None when one does not fit 62 bits."""
        self.arrays()
        return self._ints

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(num, den) of every rate, as object arrays indexed by ``ri``."""
        if self._arrays is None:
            self._arrays = (np.array(self._num, dtype=object), np.array(self._den, dtype=object))
            fits = all(abs(x) < 2**62 for x in self._num) and all(x < 2**62 for x in self._den)
            self._ints = ((self._arrays[0].astype(np.int64), self._arrays[1].astype(np.int64))
                          if fits else None)
        return self._arrays


def _groups(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], n_plans: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """The distinct (rep, plan, period) of several sets of rows, in that order, and each
    part's rows' group.

    One integer key per row, numbered through a table of the keys seen (no sort of
    the rows and no copy of them end to end), instead of frames of three columns: the
    order is the same (rep, then plan, then period).
    """
    periods = [np.asarray(p, dtype=np.int64) for _, _, p in parts]
    filled = [p for p in periods if len(p)]
    p0 = min((int(p.min()) for p in filled), default=0)
    width = max((int(p.max()) for p in filled), default=p0) - p0 + 1
    n_rep = max((int(np.max(r)) + 1 for r, _, _ in parts if len(r)), default=0)
    keys = [(np.asarray(r, dtype=np.int64) * n_plans + c) * width + (p - p0)
            for (r, c, _), p in zip(parts, periods, strict=True)]
    uniq, codes = unique_keys(keys, n_rep * n_plans * width)
    return uniq // width // n_plans, uniq // width % n_plans, uniq % width + p0, codes


def _volume(code: np.ndarray, cents: np.ndarray, share: np.ndarray, n: int) -> np.ndarray:
    """Σ amount × share per group (VOLUME units, Python ints), exactly.

    Unsplit rows (share 1) are summed as int64 cents; only split rows need big products.
    """
    whole = share == SHARE_SCALE
    volume = exact_sum(code[whole], cents[whole], n).astype(object) * SHARE_SCALE
    split = ~whole
    if not split.any():
        return volume
    cents, share, code = cents[split].astype(np.int64), share[split].astype(np.int64), code[split]
    big = max(abs(int(cents.max())), abs(int(cents.min()))) * max(int(share.max()), 1)
    if big * len(cents) < 2**62:  # every product and every sum fits int64
        extra = np.zeros(n, dtype=np.int64)
        np.add.at(extra, code, cents * share)
        return volume + extra.astype(object)
    parts = pd.Series(cents.astype(object) * share.astype(object))
    summed = parts.groupby(code).sum()
    volume[summed.index.to_numpy()] += summed.to_numpy(dtype=object)
    return volume


def period_rates(ledger: Ledger, periods: EventPeriods, paid: PaidEvents,
                 prior: PriorVolume) -> tuple[RateRegistry, Volumes]:
    """The registry of rates, starting with each (rep, plan, period)'s rate over its volume.

    Volume is per rep, period and plan (the plan each invoice keeps for the rep).
    A plan measuring attainment prices the volume on top of V₀ (the earlier months
    of its quota period, this run's and ``prior`` batches') against the rep's quota.
    """
    inv, pay, table = paid.invoices, paid.payments, ledger.table
    invoiced = table.basis_is(np.arange(len(table.plans)), "invoiced")
    rep, plan, period, (inv_group, pay_group) = _groups(
        [(inv.rep, inv.code, periods.invoices[inv.ev]),
         (pay.rep, pay.code, periods.payments[pay.ev])], max(len(table.plans), 1))
    on_inv, on_pay = invoiced[inv.code], ~invoiced[pay.code]  # the rows each plan earns on
    volume = _volume(np.concatenate([inv_group[on_inv], pay_group[on_pay]]),
                     np.concatenate([ledger.inv_amount[inv.ev[on_inv]],
                                     ledger.pay_amount[pay.ev[on_pay]]]),
                     np.concatenate([inv.share[on_inv], pay.share[on_pay]]), len(rep))
    vols = Volumes.of(ledger, rep, plan, period, volume, prior)
    num, den = rate_over_volume(plan, volume, table)
    num, den, notes = vols.price(num, den)
    registry = RateRegistry(num, den, rep * max(len(table.plans), 1) + plan, period, table)
    registry.notes = notes  # the first entries of the registry are these rows
    return registry, vols

"""The rate of a plan over a volume, and the prepaid share: from plan columns only.

A rate is exact, as (numerator, denominator) Python integers: a flat rate, the
bracket a retroactive plan's volume reaches, or a marginal plan's blended rate
(each bracket's rate on its slice of the volume, over the whole volume).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.inputs.tables import SHARE_SCALE
from commission.plans.table import SCALE, PlanTable

#: volume unit: one cent times one billionth of a share
VOLUME_PER_CENT = SHARE_SCALE


def group_volume(keys: pd.DataFrame, cents: np.ndarray, share: np.ndarray) -> pd.Series:
    """Σ amount × share per group of ``keys``, exactly, in VOLUME units (Python ints).

    Unsplit rows (share 1) are summed as int64 cents; only split rows need big products.
    """
    cents = np.asarray(cents, dtype=np.int64)
    share = np.asarray(share, dtype=np.int64)
    cols = list(keys.columns)
    whole = share == SHARE_SCALE
    frame = keys.assign(_c=np.where(whole, cents, 0))
    total = frame.groupby(cols, sort=True)["_c"].sum().astype(object) * SHARE_SCALE
    if (~whole).any():
        part = keys[~whole].assign(
            _v=cents[~whole].astype(object) * share[~whole].astype(object))
        extra = part.groupby(cols, sort=True)["_v"].sum()
        total = total.add(extra.reindex(total.index, fill_value=0), fill_value=0)
    return total.astype(object)


def rate_over_volume(codes: np.ndarray, volume: np.ndarray, table: PlanTable
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The exact rate (num, den, reduced) of each row's plan over its volume (VOLUME units).

    Python integers (object arrays): there is one row per rep and period, not per
    line, and a blended marginal rate's numerator and denominator can be large.
    The loop runs over bracket positions (a plan's few brackets), never over rows.
    """
    t = table.tiers
    n = len(codes)
    v = np.asarray(volume, dtype=object)
    positive = np.array(v > 0, dtype=bool)
    count = t.count[codes]
    reached = np.zeros(n, dtype=np.int64)  # brackets whose from <= volume
    blended = np.zeros(n, dtype=object)  # Σ slice × rate (marginal)
    for j in range(t.start.shape[1]):
        present = j < count
        start = np.where(present, t.start[codes, j], 0).astype(object) * VOLUME_PER_CENT
        reached += present & np.array(start <= v, dtype=bool)
        part = np.maximum(v - start, 0)
        last = ~present | (j + 1 >= count)
        if j + 1 < t.start.shape[1]:
            width = np.where(last, 0, t.start[codes, j + 1]).astype(object) * VOLUME_PER_CENT
            part = np.where(last, part, np.minimum(part, width - start))
        blended = blended + np.where(present, part, 0) * t.rate[codes, j].astype(object)
    first = t.rate[codes, 0].astype(object)
    idx = np.where(positive, np.maximum(reached - 1, 0), 0)
    retro = t.rate[codes, idx].astype(object)
    marginal = t.marginal[codes] & positive
    num = np.where(marginal, blended, np.where(t.marginal[codes], first, retro))
    den = np.where(marginal, np.where(positive, v, 1) * SCALE, SCALE).astype(object)
    num = np.asarray(num, dtype=object)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return num // g, den // g


def attainment_rate(codes: np.ndarray, v0: np.ndarray, v: np.ndarray, quota: np.ndarray,
                    table: PlanTable) -> tuple[np.ndarray, np.ndarray]:
    """The exact rate (num, den) of a batch volume ``v`` on top of ``v0`` (part 2).

    Volumes in VOLUME units, ``quota`` in cents; bracket j covers the cumulative
    volume from ``from_j × quota``. ``marginal``: Σ rate_j × |[V₀, V₀ + v] ∩ bracket
    j| ÷ |v| (with v = 0, the rate of the bracket holding V₀); ``retroactive``: the
    rate of the bracket holding V₀ + v. One row per rep, period and plan; the loop
    runs over bracket positions.
    """
    t = table.tiers
    n = len(codes)
    v0 = np.asarray(v0, dtype=object)
    v = np.asarray(v, dtype=object)
    q = np.asarray(quota, dtype=object) * (VOLUME_PER_CENT // 100)
    count = t.count[codes]
    width = t.start.shape[1]
    starts = [np.where(j < count, t.start[codes, j], 0).astype(object) * q
              for j in range(width)]
    present = [j < count for j in range(width)]
    low = np.minimum(v0, v0 + v)
    high = np.maximum(v0, v0 + v)
    blended = np.zeros(n, dtype=object)
    for j in range(width):  # over bracket positions
        lo = starts[j] if j > 0 else np.minimum(low, starts[0])
        last = ~present[j + 1] if j + 1 < width else np.ones(n, dtype=bool)
        hi = np.where(last, np.maximum(high, lo), starts[j + 1] if j + 1 < width else 0)
        part = np.maximum(np.minimum(high, hi) - np.maximum(low, lo), 0)
        blended = blended + np.where(present[j], part, 0) * t.rate[codes, j].astype(object)
    reach = [np.where(present[j], starts[j], high + abs(high) + 1) for j in range(width)]
    at_start = t.rate[codes, _count_le(reach, v0) - 1].astype(object)
    at_end = t.rate[codes, _count_le(reach, v0 + v) - 1].astype(object)
    moving = np.array(v != 0, dtype=bool)
    marginal = t.marginal[codes]
    num = np.where(marginal & moving, blended,
                   np.where(marginal, at_start, at_end)).astype(object)
    den = np.where(marginal & moving, np.where(moving, abs(v), 1) * SCALE, SCALE).astype(object)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return num // g, den // g


def _count_le(starts: list[np.ndarray], value: np.ndarray) -> np.ndarray:
    """How many bracket starts are ≤ value, at least 1 (below the first is in the first)."""
    count = np.zeros(len(value), dtype=np.int64)
    for start in starts:  # over bracket positions
        count += np.array(start <= value, dtype=bool)
    return np.maximum(count, 1)


def opening_rate(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """Each plan's rate on the first cent (over SCALE): the flat rate, or the first bracket's."""
    return table.tiers.rate[codes, 0]


def prepaid_share(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """p of the contract, over SCALE: 1 invoiced, ``advance_share`` advance, 0 collected."""
    return table.p_num[codes]


def collected_share(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """1 − p over SCALE: the part of the commission paid when the cash is collected."""
    return SCALE - table.p_num[codes]


__all__ = ["VOLUME_PER_CENT", "attainment_rate", "collected_share", "group_volume", "opening_rate",
           "prepaid_share", "rate_over_volume"]

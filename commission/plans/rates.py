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


def opening_rate(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """Each plan's rate on the first cent (over SCALE): the flat rate, or the first bracket's."""
    return table.tiers.rate[codes, 0]


def prepaid_share(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """p of the contract, over SCALE: 1 invoiced, ``advance_share`` advance, 0 collected."""
    return table.p_num[codes]


def collected_share(codes: np.ndarray, table: PlanTable) -> np.ndarray:
    """1 − p over SCALE: the part of the commission paid when the cash is collected."""
    return SCALE - table.p_num[codes]


__all__ = ["VOLUME_PER_CENT", "collected_share", "group_volume", "opening_rate",
           "prepaid_share", "rate_over_volume"]

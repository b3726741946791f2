"""A batch's rate per rep: flat, or tiered on the batch's volume (exact ratios)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.inputs.tables import SHARE_SCALE
from commission.money import to_cents
from commission.plans.table import SCALE, PlanTable, scaled

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


def batch_rates(volume: pd.DataFrame, codes: np.ndarray, table: PlanTable
                ) -> tuple[np.ndarray, np.ndarray]:
    """Rate (num, den) per (rep, period) row of ``volume`` (column ``volume`` in VOLUME units).

    Python integers (object arrays): there is one row per rep and period, not per line,
    and a blended marginal rate's numerator and denominator can be large.
    """
    n = len(volume)
    num = np.zeros(n, dtype=object)
    den = np.ones(n, dtype=object)
    vol = volume["volume"].to_numpy(dtype=object)
    for code, plan in enumerate(table.plans):
        rows = codes == code
        if not rows.any():
            continue
        if plan.rate is not None:
            num[rows] = scaled(plan.rate)
            den[rows] = SCALE
            continue
        assert plan.tiers is not None
        starts = [to_cents(b.from_) * VOLUME_PER_CENT for b in plan.tiers.brackets]
        rates = [scaled(b.rate) for b in plan.tiers.brackets]
        v = vol[rows]
        positive = np.array(v > 0, dtype=bool)
        if plan.tiers.mode == "retroactive":
            # highest bracket whose from <= volume
            idx = np.searchsorted(np.array(starts, dtype=object), v, side="right") - 1
            idx = np.where(positive, np.maximum(idx, 0), 0)
            num[rows] = np.array(rates, dtype=object)[idx]
            den[rows] = SCALE
        else:  # marginal: blended rate over the volume
            total = np.zeros(int(rows.sum()), dtype=object)
            for i, (start, rate) in enumerate(zip(starts, rates, strict=True)):
                part = np.maximum(v - start, 0)
                if i + 1 < len(starts):
                    part = np.minimum(part, starts[i + 1] - start)
                total = total + part * rate
            safe_v = np.where(positive, v, 1)
            num[rows] = np.where(positive, total, rates[0])
            den[rows] = np.where(positive, safe_v * SCALE, SCALE)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return num // g, den // g

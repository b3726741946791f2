"""Line kinds and small helpers shared by the engine's stages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from commission.order import stable_order
from commission.vocabulary import LINE_KINDS

KINDS = LINE_KINDS
(K_INVOICE, K_COLLECTION, K_REVERSAL, K_CREDIT, K_CLAWBACK, K_PENALTY, K_CLAWBACK_REVERSAL,
 K_PENALTY_REVERSAL, K_OVERRIDE, K_MANUAL) = range(10)
#: kinds whose gross counts in a payout's gross (and manual lines when positive)
EARNING_KINDS = (K_INVOICE, K_COLLECTION, K_OVERRIDE)


#: |Σ| below this: a float64 running sum of integers is exact (every partial sum is
#: an integer of at most 53 bits), so ``bincount`` may sum cents
_EXACT_IN_FLOAT = 2**53


def exact_sum(key: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Σ values per key (0..size-1) as exact int64.

    ``bincount`` (fast) when n × max|value| < 2⁵³ proves every float partial sum
    exact, else ``np.add.at`` in integers.
    """
    values = np.asarray(values, dtype=np.int64)
    if len(values) == 0:
        return np.zeros(size, dtype=np.int64)
    if max(abs(int(values.max())), abs(int(values.min()))) * len(values) < _EXACT_IN_FLOAT:
        return np.bincount(key, weights=values, minlength=size).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, key, values)
    return out


def unique_keys(keys: Sequence[np.ndarray], space: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct keys (0..space-1) of several arrays, sorted, and each array's codes
    into them (``np.unique`` with ``return_inverse`` over all of them at once).

    Where the key space is small next to the keys (rep × plan × month), a table of
    the keys seen and its running count number them without sorting the rows.
    """
    keys = [np.asarray(k, dtype=np.int64) for k in keys]
    if space > max(4 * sum(len(k) for k in keys), 1 << 16):
        uniq = np.unique(np.concatenate(keys))
        return uniq, [np.searchsorted(uniq, k) for k in keys]
    seen = np.zeros(space, dtype=bool)
    for k in keys:  # over a few arrays
        seen[k] = True
    number = np.cumsum(seen, dtype=np.int64) - 1
    return np.flatnonzero(seen), [number[k] for k in keys]


def factorize_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of several columns, and one row index per code."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for col in columns:  # over a few columns: one combined integer key, hashed once
        c, size = _small_codes(col)
        if span * size >= 1 << 62:  # the key would overflow: number what it has so far
            key, uniq = pd.factorize(key)
            span = max(len(uniq), 1)
        key, span = key * size + c, span * size
    if span <= max(4 * len(key), 1 << 16):  # few possible rows: number them without hashing
        codes = unique_keys([key], span)[1][0]
    else:
        codes, _ = pd.factorize(key)
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_codes, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes, first


def _small_codes(col: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes 0..size-1 of a column: value − min for integers of a small range, else hashed."""
    col = np.asarray(col)
    if col.dtype.kind in "iu" and len(col):
        low, high = int(col.min()), int(col.max())
        if high - low < 1 << 24:
            return col.astype(np.int64) - low, high - low + 1
    c, uniq = pd.factorize(col)
    return c.astype(np.int64), max(len(uniq), 1)


class PairIndex:
    """Find (a, b) integer pairs among known pairs (first occurrence wins).

    Where the known keys span a small range (a rep's rate per period), a dense table
    answers each query with one gather; otherwise a sorted index and a binary search.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, width: int):
        self.width = max(int(width), 1)
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        order = stable_order(key)
        self.key, self.pos = key[order], order
        self.dense: np.ndarray | None = None
        if len(key) and int(key.max()) - int(key.min()) < max(16 * len(key), 1 << 16):
            self.low = int(self.key[0])
            self.dense = np.full(int(self.key[-1]) - self.low + 1, -1, dtype=np.int64)
            self.dense[self.key[::-1] - self.low] = self.pos[::-1]  # the first one wins

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Position of each pair among the known ones, -1 where unknown."""
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        if len(self.key) == 0:
            return np.full(len(key), -1, dtype=np.int64)
        if self.dense is not None:
            at = key - self.low
            inside = (at >= 0) & (at < len(self.dense))
            return np.where(inside, self.dense[np.where(inside, at, 0)], -1)
        i = np.searchsorted(self.key, key, side="left")
        i_ok = np.minimum(i, len(self.key) - 1)
        hit = (i < len(self.key)) & (self.key[i_ok] == key)
        return np.where(hit, self.pos[i_ok], -1)

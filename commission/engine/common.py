"""Line kinds and small helpers shared by the engine's stages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.vocabulary import LINE_KINDS

KINDS = LINE_KINDS
(K_INVOICE, K_COLLECTION, K_REVERSAL, K_CREDIT, K_CLAWBACK, K_PENALTY, K_CLAWBACK_REVERSAL,
 K_PENALTY_REVERSAL, K_OVERRIDE, K_MANUAL) = range(10)
#: kinds whose gross counts in a payout's gross (and manual lines when positive)
EARNING_KINDS = (K_INVOICE, K_COLLECTION, K_OVERRIDE)


def factorize_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of several columns, and one row index per code."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        c, uniq = pd.factorize(col)
        codes, _ = pd.factorize(codes * max(len(uniq), 1) + c)
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_codes, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes, first


class PairIndex:
    """Find (a, b) integer pairs among known pairs (first occurrence wins)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, width: int):
        self.width = max(int(width), 1)
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        order = np.argsort(key, kind="stable")
        self.key, self.pos = key[order], order

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Position of each pair among the known ones, -1 where unknown."""
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        if len(self.key) == 0:
            return np.full(len(key), -1, dtype=np.int64)
        i = np.searchsorted(self.key, key, side="left")
        i_ok = np.minimum(i, len(self.key) - 1)
        hit = (i < len(self.key)) & (self.key[i_ok] == key)
        return np.where(hit, self.pos[i_ok], -1)

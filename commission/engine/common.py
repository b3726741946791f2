"""Line kinds and a small helper shared by the engine's modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.vocabulary import LINE_KINDS

KINDS = LINE_KINDS
K_INVOICE, K_COLLECTION, K_REVERSAL, K_CREDIT, K_CLAWBACK, K_PENALTY = range(6)


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

"""Stable orders of integer keys, fast: what ``np.argsort(kind="stable")`` gives."""

from __future__ import annotations

import numpy as np


def stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of integer keys, sorting less where they allow.

    numpy sorts keys of 16 bits stably by radix, and other keys stably by merging,
    several times slower than its sort of plain int64 numbers. Keys whose span leaves
    room in an int64 for a row number are sorted as such numbers, the key above and
    the row below: equal keys then keep their rows' order, which is stability.
    """
    key = np.asarray(key)
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = int(key.min()), int(key.max())
    if high - low < 1 << 16:  # radix
        return np.argsort((key - low).astype(np.uint16), kind="stable")
    bits = max((len(key) - 1).bit_length(), 1)
    if high - low >= 1 << (63 - bits):  # no room for the row number
        return np.argsort(key, kind="stable")
    packed = ((key.astype(np.int64) - low) << bits) | np.arange(len(key), dtype=np.int64)
    packed.sort()
    return packed & ((1 << bits) - 1)


__all__ = ["stable_order"]

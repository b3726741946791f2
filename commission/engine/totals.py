"""Sums of the lines per (kind, period, rep), straight from the blocks.

Payouts and what-if need sums, not lines: Σ gross, haircut and amount of each
line kind per rep and month. Each block is one kind, so its sums are two or three
``bincount`` over its own (period, rep) codes; the 1.9M lines of a year are never
gathered into one table for them. Both the full run (the payouts beside the
lines) and the totals-only run (:func:`commission.engine.calculate` with
``totals_only``) read these, so their payouts are the same by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from commission.engine.block import LineBlock
from commission.engine.common import K_MANUAL, exact_sum


@dataclass
class KindSums:
    """One kind's lines per (period − p0, rep): count, Σ gross, haircut and amount.

    ``gain`` is Σ amount of the lines with a positive amount (a manual line counts
    in gross when positive and in clawbacks when negative).
    """

    count: np.ndarray
    gross: np.ndarray
    haircut: np.ndarray
    amount: np.ndarray
    gain: np.ndarray


@dataclass
class LineTotals:
    """Σ per (kind, period, rep) of every line, periods p0..p0+n_per-1 (dense grids)."""

    p0: int
    n_per: int
    n_reps: int
    kinds: dict[int, KindSums]

    @classmethod
    def of(cls, blocks: list[LineBlock], n_reps: int, periods: np.ndarray) -> LineTotals:
        """The sums of ``blocks``, over the months of ``periods`` and of the lines."""
        n_reps = max(int(n_reps), 1)
        periods = np.asarray(periods, dtype=np.int64)
        lows = [int(b.period.min()) for b in blocks if len(b)] + [int(p) for p in periods[:1]]
        highs = [int(b.period.max()) for b in blocks if len(b)] + [int(p) for p in periods[-1:]]
        p0 = min(lows, default=0)  # batch periods come in order: first and last bound them
        n_per = max(highs, default=p0 - 1) - p0 + 1
        size = n_per * n_reps
        kinds: dict[int, KindSums] = {}
        for b in blocks:  # over blocks (line kinds), never lines
            if not len(b):
                continue
            key = (b.period.astype(np.int64) - p0) * n_reps + b.rows.rep
            amount = b.gross - b.haircut
            sums = KindSums(
                count=np.bincount(key, minlength=size).astype(np.int64),
                gross=exact_sum(key, b.gross, size), haircut=exact_sum(key, b.haircut, size),
                amount=exact_sum(key, amount, size),
                gain=(exact_sum(key, np.maximum(amount, 0), size) if b.kind == K_MANUAL
                      else np.zeros(size, np.int64)))
            kinds[b.kind] = _add(kinds[b.kind], sums) if b.kind in kinds else sums
        return cls(p0, n_per, n_reps, kinds)

    def grid(self, kinds: tuple[int, ...], column: str, periods: np.ndarray) -> np.ndarray:
        """Σ ``column`` over ``kinds`` as an (len(periods), n_reps) int64 grid."""
        periods = np.asarray(periods, dtype=np.int64)
        out = np.zeros((len(periods), self.n_reps), dtype=np.int64)
        at = periods - self.p0
        inside = (at >= 0) & (at < self.n_per)
        for k in kinds:  # over line kinds
            sums = self.kinds.get(k)
            if sums is not None:
                out[inside] += getattr(sums, column).reshape(self.n_per, self.n_reps)[
                    at[inside]]
        return out

    def rows(self, kinds: Sequence[int] | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(period, rep, kind) of every combination that has lines (of ``kinds``: all when
        None), sorted by period, rep, kind, and Σ gross, haircut, amount of each."""
        order = sorted(k for k in self.kinds if kinds is None or k in kinds)
        if not order:
            z = np.zeros(0, np.int64)
            return z, z, z, {c: z for c in ("gross", "haircut", "amount")}
        count = np.stack([self.kinds[k].count for k in order], axis=1)  # (cell, kind)
        cell, which = np.nonzero(count)
        kind = np.asarray(order, dtype=np.int64)[which]
        sums = {c: np.stack([getattr(self.kinds[k], c) for k in order], axis=1)[cell, which]
                for c in ("gross", "haircut", "amount")}
        return cell // self.n_reps + self.p0, cell % self.n_reps, kind, sums


def _add(a: KindSums, b: KindSums) -> KindSums:
    return KindSums(*(x + y for x, y in zip(
        (a.count, a.gross, a.haircut, a.amount, a.gain),
        (b.count, b.gross, b.haircut, b.amount, b.gain), strict=True)))

"""Which plan is in force for a rep on a date: the assignment history (part 2).

The plan in force on day d is the rep's assignment with the latest
``effective_from`` ≤ d, or the rep's own plan (``reps.plan_id``) without one.
"""

from __future__ import annotations

import numpy as np


class PlanHistory:
    """Assignments as sorted integer keys; :meth:`on` answers for whole columns.

    ``rep`` are rep positions, ``day`` day numbers, ``plan`` plan codes (or ids) of the
    assignments; ``default`` is each rep's plan without an assignment.
    """

    def __init__(self, rep: np.ndarray, day: np.ndarray, plan: np.ndarray,
                 default: np.ndarray):
        self.default = np.asarray(default)
        rep = np.asarray(rep, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        self._off = int(day.min()) if len(day) else 0
        self._width = (int(day.max()) - self._off + 2) if len(day) else 1
        key = rep * self._width + (day - self._off)
        order = np.argsort(key, kind="stable")
        self._key, self._rep, self._plan = key[order], rep[order], np.asarray(plan)[order]

    @property
    def empty(self) -> bool:
        return len(self._key) == 0

    def on(self, rep: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The plan in force for each (rep, day)."""
        rep = np.asarray(rep, dtype=np.int64)
        out = self.default[rep]
        if self.empty or len(rep) == 0:
            return out
        rel = np.clip(np.asarray(day, dtype=np.int64) - self._off, -1, self._width - 1)
        i = np.searchsorted(self._key, rep * self._width + rel, side="right") - 1
        i_ok = np.maximum(i, 0)
        hit = (i >= 0) & (self._rep[i_ok] == rep) & (rel >= 0)
        return np.where(hit, self._plan[i_ok], out)

    def ever(self) -> tuple[np.ndarray, np.ndarray]:
        """(rep, plan) of every plan a rep is ever under: its own and its assignments'."""
        reps = np.arange(len(self.default), dtype=np.int64)
        return (np.concatenate([reps, self._rep]),
                np.concatenate([self.default, self._plan]))


__all__ = ["PlanHistory"]

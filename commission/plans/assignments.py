"""Which plan is in force for a rep on a date: the assignment history (part 2).

The plan in force on day d is the rep's assignment with the latest
``effective_from`` ≤ d, or the rep's own plan (``reps.plan_id``) without one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def plans_in_force(reps: pd.DataFrame, assignments: pd.DataFrame | None,
                   rep_ids: np.ndarray | pd.Series, dates: np.ndarray | pd.Series,
                   default_plan_ids: np.ndarray | None = None) -> np.ndarray:
    """The plan id in force for each (rep_id, date), vectorised: the engine's rule.

    ``reps`` has rep_id and plan_id (the plan without an assignment, unless
    ``default_plan_ids`` aligned with ``reps`` is given); ``assignments`` has rep_id,
    plan_id, effective_from. A rep id not in ``reps`` gets None.
    """
    rep_index = pd.Index(reps["rep_id"].to_numpy(dtype=object))
    default = (reps["plan_id"].to_numpy(dtype=object) if default_plan_ids is None
               else np.asarray(default_plan_ids, dtype=object))
    ids = pd.Index(pd.unique(np.concatenate([
        default, assignments["plan_id"].to_numpy(dtype=object)
        if assignments is not None and len(assignments) else np.zeros(0, dtype=object)])))
    if assignments is not None and len(assignments):
        a_rep = rep_index.get_indexer(assignments["rep_id"].to_numpy(dtype=object))
        keep = a_rep >= 0
        history = PlanHistory(a_rep[keep], _days(assignments["effective_from"])[keep],
                              ids.get_indexer(assignments["plan_id"].to_numpy(dtype=object))[keep],
                              ids.get_indexer(default))
    else:
        history = PlanHistory(np.zeros(0, np.int64), np.zeros(0, np.int64),
                              np.zeros(0, np.int64), ids.get_indexer(default))
    rep = rep_index.get_indexer(np.asarray(rep_ids, dtype=object))
    found = rep >= 0
    codes = history.on(np.where(found, rep, 0), _days(dates)) if len(rep_index) else \
        np.zeros(len(rep), dtype=np.int64)
    out: np.ndarray = (np.asarray(ids, dtype=object)[codes] if len(ids)
                       else np.full(len(rep), None, dtype=object))
    out[~found] = None
    return out


def _days(dates: np.ndarray | pd.Series) -> np.ndarray:
    values = pd.to_datetime(pd.Series(np.asarray(dates))).to_numpy()
    return values.astype("datetime64[D]").astype(np.int64)


__all__ = ["PlanHistory", "plans_in_force"]

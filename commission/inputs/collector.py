"""Collecting problems about rows of a table, a few of each kind listed, the rest counted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from commission.problems import Problem

#: at most this many problems of one kind are listed; the rest are counted
MAX_PER_KIND = 200

#: a problem's message: one text for every row, or one text per row of the shown rows
Message = str | Callable[[pd.DataFrame], list[str]]


def blank(v: object) -> bool:
    """An empty cell: None, NaN, NA or ''."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == ""


class Collector:
    """Collects problems, listing at most MAX_PER_KIND of one kind and counting the rest."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def rows(self, source: str, frame: pd.DataFrame, mask: np.ndarray | pd.Series,
             column: str | None, id_col: str | None, message: Message, expected: str) -> None:
        """One problem per masked row; ``message`` is a str or a function of the rows."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        bad = frame[mask]
        shown = bad.head(MAX_PER_KIND)
        lines = shown["_line"].tolist() if "_line" in shown else [None] * len(shown)
        ids = shown[id_col].tolist() if id_col and id_col in shown else [None] * len(shown)
        texts = (message(shown) if callable(message) else [message] * len(shown))
        for line, rid, text in zip(lines, ids, texts, strict=True):  # the few rows shown
            self.problems.append(Problem(source, None if pd.isna(line) else int(line), column,
                                         None if blank(rid) else str(rid), text, expected))
        if len(bad) > MAX_PER_KIND:
            rest = len(bad) - MAX_PER_KIND
            first = texts[0] if texts else ""
            self.problems.append(Problem(
                source, None, column, None,
                f"and {rest:,} more rows with the same problem as above ({first})", expected))

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

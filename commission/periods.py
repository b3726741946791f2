"""Months, quarters and years: the one place calendar periods are computed.

The engine numbers a month by months since 1970-01 (``2026-03`` is 674), so a
column of periods is a column of small integers; days are days since 1970-01-01.

>>> parse_period("2026-03")
674
>>> list(period_label([674, 675]))
['2026-03', '2026-04']
>>> int(month_index(np.array(["2026-03-31"], dtype="datetime64[D]"))[0])
674
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NOT_PAID", "day_numbers", "month_index", "parse_period", "period_label"]

NOT_PAID = -1  # an event's period meaning "not paid by this computation"


def month_index(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (the engine's period number) of each date."""
    return np.asarray(dates).astype("datetime64[M]").astype(np.int64)


def period_label(months: np.ndarray | list[int]) -> np.ndarray:
    """Month numbers as 'YYYY-MM' strings."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype(str).astype(object)


def parse_period(text: str) -> int:
    """'2026-03' -> month number; ValueError for anything else.

    >>> parse_period("2026-3")
    Traceback (most recent call last):
    ...
    ValueError: '2026-3' is not a month; expected YYYY-MM
    """
    try:
        y, m = text.split("-")
        if len(y) != 4 or len(m) != 2 or not (y.isdigit() and m.isdigit()):
            raise ValueError
        return int(np.datetime64(f"{int(y):04d}-{int(m):02d}", "M").astype(np.int64))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM") from exc


def day_numbers(dates: pd.Series | np.ndarray, missing: int = 0) -> np.ndarray:
    """Days since 1970-01-01 of each date, as int64; ``missing`` where there is none."""
    d = np.asarray(dates).astype("datetime64[D]")
    return np.where(np.isnat(d), missing, d.astype(np.int64))

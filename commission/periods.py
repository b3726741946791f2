"""Months, quarters and years: the one place calendar periods are computed.

The engine numbers a month by months since 1970-01 (``2026-03`` is 674), so a
column of periods is a column of small integers; days are days since 1970-01-01.

>>> parse_period("2026-03")
674
>>> list(period_label([674, 675]))
['2026-03', '2026-04']
>>> int(month_index(np.array(["2026-03-31"], dtype="datetime64[D]"))[0])
674

Quarters and years (quota periods) are spans of months:

>>> period_span("2026-Q2")
(675, 677)
>>> int(quarter_of(np.array([674]))[0]), quarter_label(quarter_of(np.array([674])))[0]
(224, '2026-Q1')
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "NOT_PAID",
    "QUOTA_FORMS",
    "add_months",
    "day_numbers",
    "last_day",
    "month_index",
    "parse_period",
    "period_label",
    "period_span",
    "quarter_label",
    "quarter_of",
    "span_form",
    "span_label",
    "span_start",
    "year_of",
]

_SPAN = re.compile(r"(?P<year>[0-9]{4})(?:-(?:(?P<month>[0-9]{2})|Q(?P<quarter>[1-4])))?")

NOT_PAID = -1  # an event's period meaning "not paid by this computation"


def month_index(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (the engine's period number) of each date.

    A column of dates spans few distinct days: each day of its span is given its
    month once (the calendar work), and every date takes its day's; a date cast
    straight to a month costs that calendar work per date (twice the time on
    millions of dates). Missing dates (NaT) stay NaT's number either way.
    """
    d = np.asarray(dates)
    if d.dtype.kind != "M" or len(d) < _BY_DAY_FROM:
        return d.astype("datetime64[M]").astype(np.int64)
    days = d.astype("datetime64[D]").view(np.int64)
    missing = np.isnat(d)
    known = days[~missing] if missing.any() else days
    if len(known) == 0:
        return days.copy()  # every date NaT: NaT's number
    low, high = int(known.min()), int(known.max())
    if high - low > len(d):  # a span wider than the dates: each cast is as cheap
        return d.astype("datetime64[M]").astype(np.int64)
    month_of_day = np.arange(low, high + 1).astype("datetime64[D]").astype(
        "datetime64[M]").astype(np.int64)
    months = month_of_day[np.where(missing, low, days) - low]
    months[missing] = days[missing]  # NaT's number, as the cast gives
    return months


#: the number of dates from which :func:`month_index` works day by day
_BY_DAY_FROM = 1 << 12


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


def last_day(months: np.ndarray | list[int]) -> np.ndarray:
    """Day number (days since 1970-01-01) of the last day of each month number.

    >>> int(last_day([673])[0]) == int(np.datetime64("2026-02-28", "D").astype(np.int64))
    True
    """
    m = np.asarray(months, dtype=np.int64)
    return (m + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clipped to the month's last day.

    >>> add_months(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    >>> add_months(date(2024, 11, 1), 24)
    datetime.date(2026, 11, 1)
    """
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def year_of(months: np.ndarray | list[int]) -> np.ndarray:
    """Calendar year of each month number.

    >>> year_of([674, 683]).tolist()
    [2026, 2026]
    """
    return np.asarray(months, dtype=np.int64) // 12 + 1970


def quarter_of(months: np.ndarray | list[int]) -> np.ndarray:
    """Quarter number (quarters since 1970-Q1) of each month number.

    >>> quarter_of([674, 675, 677, 678]).tolist()
    [224, 225, 225, 226]
    """
    return np.asarray(months, dtype=np.int64) // 3


def quarter_label(quarters: np.ndarray | list[int]) -> np.ndarray:
    """Quarter numbers as 'YYYY-Qn' strings.

    >>> quarter_label([224, 227]).tolist()
    ['2026-Q1', '2026-Q4']
    """
    q = np.asarray(quarters, dtype=np.int64)
    years = (q // 4 + 1970).astype(str)
    return np.char.add(np.char.add(years, "-Q"), (q % 4 + 1).astype(str)).astype(object)


def period_span(text: str) -> tuple[int, int]:
    """The first and last month number of a 'YYYY-MM', 'YYYY-Qn' or 'YYYY' period.

    >>> period_span("2026-03")
    (674, 674)
    >>> period_span("2026")
    (672, 683)
    >>> period_span("2026-Q5")
    Traceback (most recent call last):
    ...
    ValueError: '2026-Q5' is not a period; expected YYYY-MM, YYYY-Qn or YYYY
    """
    match = _SPAN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a period; expected YYYY-MM, YYYY-Qn or YYYY")
    first = (int(match["year"]) - 1970) * 12
    if match["month"] is not None:
        return (parse_period(text.strip()),) * 2
    if match["quarter"] is not None:
        first += (int(match["quarter"]) - 1) * 3
        return first, first + 2
    return first, first + 11


#: the calendar quota periods a plan may measure attainment over (``quota.period``)
QUOTA_FORMS = ("month", "quarter", "year")


def span_start(months: np.ndarray | list[int], form: str | np.ndarray) -> np.ndarray:
    """The first month of the month, quarter or year (``form``) that holds each month.

    ``form`` is one of QUOTA_FORMS, or a column of indexes into it (one per month).

    >>> span_start([674, 676], "quarter").tolist(), span_start([676], "year").tolist()
    ([672, 675], [672])
    """
    m = np.asarray(months, dtype=np.int64)
    code = (np.full(len(m), QUOTA_FORMS.index(form), dtype=np.int64) if isinstance(form, str)
            else np.asarray(form, dtype=np.int64))
    return np.select([code == 1, code == 2], [quarter_of(m) * 3, (year_of(m) - 1970) * 12], m)


def span_label(first_months: np.ndarray | list[int], form: str | np.ndarray) -> np.ndarray:
    """'YYYY-MM', 'YYYY-Qn' or 'YYYY' of each span (by its first month).

    >>> span_label([672, 675, 672], np.array([0, 1, 2])).tolist()
    ['2026-01', '2026-Q2', '2026']
    """
    m = np.asarray(first_months, dtype=np.int64)
    code = (np.full(len(m), QUOTA_FORMS.index(form), dtype=np.int64) if isinstance(form, str)
            else np.asarray(form, dtype=np.int64))
    return np.where(code == 1, quarter_label(quarter_of(m)),
                    np.where(code == 2, year_of(m).astype(str).astype(object),
                             period_label(m))).astype(object)


def span_form(text: str) -> str | None:
    """Which form a quota period is written in ('month', 'quarter', 'year'), None if none.

    >>> span_form("2026-Q1"), span_form("2026"), span_form("2026-03"), span_form("26-1")
    ('quarter', 'year', 'month', None)
    """
    try:
        period_span(text)
    except ValueError:
        return None
    text = text.strip()
    return "quarter" if "Q" in text else "month" if "-" in text else "year"

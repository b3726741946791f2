"""The settings payroll files and pages read: the currency and the pay date.

One function per setting, read from the store's settings (``commission setting``,
administrators change them). ``currency`` is an ISO 4217 code written on every
payroll row and figure (default USD); the pay date of a period is its last day plus
``pay_date_days`` days (default 0), printed on the payroll export.
"""

from __future__ import annotations

import datetime as dt
import re

from commission.store import Store
from commission.store import identity as db

CURRENCY_DEFAULT = db.DEFAULT_CURRENCY
_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_PAY_DAYS = 90


#: what a yes-or-no setting accepts (any case), and what it is stored as
YES, NO = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def normal(key: str, value: str) -> str:
    """``value`` as the setting ``key`` keeps it: an upper-case currency code; a yes-or-no
    setting as ``true`` or ``false``."""
    if key == "currency":
        return value.strip().upper()
    if key == "allow_self_approval" and value.strip().lower() in YES + NO:
        return "true" if value.strip().lower() in YES else "false"
    return value


def problem(key: str, value: str) -> str:
    """Why ``value`` is not a valid value of setting ``key`` ('' when it is)."""
    if key == "allow_self_approval" and value not in ("true", "false"):
        return (f"allow_self_approval must be true or false (or yes/no, on/off, 1/0), not "
                f"{value[:40]!r}")
    if key == "currency" and not _CURRENCY.fullmatch(value or ""):
        return f"currency must be a three-letter ISO 4217 code such as USD or EUR, not {value!r}"
    if key == "pay_date_days" and not (value.isdigit() and int(value) <= MAX_PAY_DAYS):
        return f"pay_date_days must be a whole number of days from 0 to {MAX_PAY_DAYS}"
    return ""


def currency(store: Store | None) -> str:
    """The currency code of every figure (setting ``currency``, default USD).

    The one accessor: pages, statements and payroll exports all ask this. Without a
    store (a data folder on its own) it is the default.
    """
    if store is None:
        return CURRENCY_DEFAULT
    with store.read() as conn:
        value = db.get_setting(conn, "currency").strip().upper()
    return value if _CURRENCY.fullmatch(value) else CURRENCY_DEFAULT


def pay_date(store: Store, period: str) -> dt.date:
    """The day a period's payouts are paid: its last day plus ``pay_date_days``."""
    with store.read() as conn:
        days = db.get_setting(conn, "pay_date_days").strip()
    year, month = (int(x) for x in period.split("-"))
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    extra = int(days) if days.isdigit() and int(days) <= MAX_PAY_DAYS else 0
    return first_next - dt.timedelta(days=1) + dt.timedelta(days=extra)


__all__ = ["CURRENCY_DEFAULT", "currency", "normal", "pay_date", "problem"]

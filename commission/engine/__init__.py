"""The pure calculation core: validated tables and plans in, lines and payouts out.

No files, no database, no Streamlit here. ``calculate`` pays every month in
turn (the command line's run); ``compute`` pays one set of events in given
periods with a carry-in and earlier batches' lines (the store's batch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..money import ratio_to_decimal_str
from ..plans import Plan
from ..tables import Inputs
from .explain import explanations
from .lines import (
    KINDS,
    NOT_PAID,
    EventPeriods,
    PriorLines,
    RawLines,
    build_lines,
    month_index,
    period_label,
)
from .params import SCALE, PlanTable
from .payouts import payouts as _payouts

__all__ = [
    "LINE_COLUMNS",
    "NOT_PAID",
    "PAYOUT_COLUMNS",
    "EventPeriods",
    "PriorLines",
    "Result",
    "calculate",
    "compute",
    "event_months",
    "month_index",
    "parse_period",
    "period_label",
]

LINE_COLUMNS = [
    "period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id", "event_date",
    "base_amount", "rate", "days_late", "haircut_pct", "gross", "haircut", "amount",
    "prior_period", "explanation",
]
PAYOUT_COLUMNS = [
    "period", "rep_id", "plan_id", "gross", "haircuts", "clawbacks", "net", "carry_in",
    "payout", "carry_out",
]


@dataclass
class Result:
    """Lines and payouts; money in int64 cents, rates exact (``rate_num``/``rate_den``)."""

    lines: pd.DataFrame
    payouts: pd.DataFrame
    periods: list[str] = field(default_factory=list)


def parse_period(text: str) -> int:
    """'2026-03' -> month number; ValueError for anything else."""
    try:
        y, m = text.split("-")
        if len(y) != 4 or len(m) != 2:
            raise ValueError
        return int(np.datetime64(f"{int(y):04d}-{int(m):02d}", "M").astype(np.int64))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM") from exc


def event_months(inputs: Inputs) -> np.ndarray:
    """Months of every dated event (invoices, payments, adjustments)."""
    return np.concatenate([
        month_index(inputs.invoices["invoice_date"].to_numpy()),
        month_index(inputs.payments["payment_date"].to_numpy()),
        month_index(inputs.adjustments["adjustment_date"].to_numpy()),
    ])


def calculate(inputs: Inputs, plans: Mapping[str, Plan], through: str | None = None,
              plan_override: str | None = None) -> Result:
    """Pay every month from the earliest event's through ``through``, each a batch.

    Each event is paid in its own month; carry-forward flows month to month.
    """
    months = event_months(inputs)
    if len(months) == 0:
        return compute(inputs, plans, _rep_plans(inputs, plan_override),
                       EventPeriods(*(np.zeros(0, np.int64),) * 3), np.zeros(0, np.int64))
    last = parse_period(through) if through else int(months.max())
    first = min(int(months.min()), last)

    def paid_in(dates: pd.Series) -> np.ndarray:
        m = month_index(dates.to_numpy())
        return np.where(m <= last, m, NOT_PAID)

    periods = EventPeriods(
        invoices=paid_in(inputs.invoices["invoice_date"]),
        payments=paid_in(inputs.payments["payment_date"]),
        adjustments=paid_in(inputs.adjustments["adjustment_date"]),
    )
    return compute(inputs, plans, _rep_plans(inputs, plan_override), periods,
                   np.arange(first, last + 1, dtype=np.int64))


def _rep_plans(inputs: Inputs, plan_override: str | None) -> np.ndarray:
    ids = inputs.reps["plan_id"].to_numpy(dtype=object)
    return np.full(len(ids), plan_override, dtype=object) if plan_override else ids


def compute(inputs: Inputs, plans: Mapping[str, Plan], rep_plan_ids: np.ndarray,
            periods: EventPeriods, batch_periods: np.ndarray,
            carry_in: np.ndarray | None = None, prior: PriorLines | None = None) -> Result:
    """Lines for the events ``periods`` marks as paid, and payouts for ``batch_periods``.

    ``rep_plan_ids`` is the plan of each row of ``inputs.reps``; ``carry_in`` the
    carry-out of the last locked batch per rep (0 when None).
    """
    table = PlanTable.build(plans)
    rep_plan = table.codes(rep_plan_ids)
    batch_periods = np.asarray(batch_periods, dtype=np.int64)
    n_reps = len(inputs.reps)
    if carry_in is None:
        carry_in = np.zeros(n_reps, dtype=np.int64)
    raw = build_lines(inputs, table, rep_plan, periods, prior)
    pay = _payouts(raw, n_reps, rep_plan, table, batch_periods, carry_in)
    return Result(
        lines=_lines_frame(raw, inputs, table),
        payouts=_payouts_frame(pay, inputs, table),
        periods=list(period_label(batch_periods)),
    )


def _lines_frame(raw: RawLines, inputs: Inputs, table: PlanTable) -> pd.DataFrame:
    c = raw.cols
    rep_ids = inputs.reps["rep_id"].to_numpy(dtype=object)
    inv_ids = inputs.invoices["invoice_id"].to_numpy(dtype=object)
    used, ri = np.unique(c["ri"], return_inverse=True)
    rate_text = np.array([ratio_to_decimal_str(n, d) for n, d in
                          zip(raw.rate_num[used], raw.rate_den[used], strict=True)], dtype=object)
    h = c["h"]
    prior = c["event_month"] < c["period"]
    frame = pd.DataFrame({
        "period": _labels(c["period"]),
        "rep_id": rep_ids[c["rep"]],
        "plan_id": table.ids[c["plan"]],
        "line_kind": np.array(KINDS, dtype=object)[c["kind"]],
        "event_id": c["event_id"],
        "invoice_id": inv_ids[c["inv_pos"]],
        "event_date": c["event_day"].astype("datetime64[D]").astype("datetime64[s]"),
        "base_amount": c["base_amount"],
        "share": c["share"],
        "rate": rate_text[ri],
        "rate_num": raw.rate_num[c["ri"]],
        "rate_den": raw.rate_den[c["ri"]],
        "days_late": pd.array(np.where(c["days_late"] >= 0, c["days_late"], 0),
                              dtype="Int64"),
        "haircut_num": h,
        "haircut_pct": _haircut_text(h),
        "gross": c["gross"],
        "haircut": c["haircut"],
        "amount": c["amount"],
        "prior_period": np.where(prior, _labels(c["event_month"]), ""),
    })
    frame.loc[c["days_late"] < 0, "days_late"] = pd.NA
    frame["explanation"] = explanations(frame, c, table, c["ref"], c["adj"])
    return frame


def _labels(months: np.ndarray) -> np.ndarray:
    uniq, inv = np.unique(months, return_inverse=True)
    return period_label(uniq)[inv]


def _haircut_text(h: np.ndarray) -> np.ndarray:
    uniq, inv = np.unique(h, return_inverse=True)
    text = np.array(["" if v < 0 else ratio_to_decimal_str(int(v), SCALE) for v in uniq],
                    dtype=object)
    return text[inv]


def _payouts_frame(pay: dict[str, np.ndarray], inputs: Inputs, table: PlanTable
                   ) -> pd.DataFrame:
    rep_ids = inputs.reps["rep_id"].to_numpy(dtype=object)
    frame = pd.DataFrame({
        "period": _labels(pay["period"]) if len(pay["period"]) else np.zeros(0, dtype=object),
        "rep_id": rep_ids[pay["rep"]],
        "plan_id": table.ids[pay["plan"]],
    })
    for col in PAYOUT_COLUMNS[3:]:
        frame[col] = pay[col].astype(np.int64)
    return frame

"""The pure calculation core: validated tables and plans in, lines and payouts out.

No files, no database, no Streamlit here. ``calculate`` pays every month in
turn (the command line's run); ``compute`` pays one set of events in given
periods with a carry-in and earlier batches' lines (the store's batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from commission.engine.assemble import RawLines
from commission.engine.common import (
    K_COLLECTION,
    K_INVOICE,
    K_MANUAL,
    K_OVERRIDE,
    K_REVERSAL,
    KINDS,
)
from commission.engine.credited import EventPeriods
from commission.engine.lines import build_lines
from commission.engine.payouts import payouts as _payouts
from commission.engine.settling import PriorLines
from commission.inputs.tables import Inputs, empty_table
from commission.keys import as_arrow
from commission.money import ratio_to_decimal_str
from commission.periods import NOT_PAID, month_index, parse_period, period_label
from commission.plans import SCALE, Plan, PlanTable
from commission.vocabulary import LINE_COLUMNS, PAYOUT_COLUMNS, PAYOUT_MONEY_COLUMNS

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



@dataclass
class Result:
    """Lines and payouts; money in int64 cents, rates exact (``rate_num``/``rate_den``)."""

    lines: pd.DataFrame
    payouts: pd.DataFrame
    periods: list[str] = field(default_factory=list)


def event_months(inputs: Inputs) -> np.ndarray:
    """Months of every dated event (invoices, payments, adjustments, manual lines)."""
    return np.concatenate([
        month_index(inputs.invoices["invoice_date"].to_numpy()),
        month_index(inputs.payments["payment_date"].to_numpy()),
        month_index(inputs.adjustments["adjustment_date"].to_numpy()),
        month_index(inputs.commission_adjustments["adjustment_date"].to_numpy()),
    ])


def calculate(inputs: Inputs, plans: Mapping[str, Plan], through: str | None = None,
              plan_override: str | None = None) -> Result:
    """Pay every month from the earliest event's through ``through``, each a batch.

    Each event is paid in its own month; carry-forward flows month to month.
    ``plan_override`` values everything under one plan: assignments are ignored.
    """
    if plan_override:
        inputs = inputs.replace(plan_assignments=empty_table("plan_assignments"))
    months = event_months(inputs)
    if len(months) == 0:
        return compute(inputs, plans, _rep_plans(inputs, plan_override),
                       EventPeriods(*(np.zeros(0, np.int64),) * 3), np.zeros(0, np.int64))
    last = parse_period(through) if through else int(months.max())
    first = int(months.min())  # through before the first event: no month to pay

    def paid_in(dates: pd.Series) -> np.ndarray:
        m = month_index(dates.to_numpy())
        return np.where(m <= last, m, NOT_PAID)

    periods = EventPeriods(
        invoices=paid_in(inputs.invoices["invoice_date"]),
        payments=paid_in(inputs.payments["payment_date"]),
        adjustments=paid_in(inputs.adjustments["adjustment_date"]),
        manual=paid_in(inputs.commission_adjustments["adjustment_date"]),
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

    ``rep_plan_ids`` is the plan of each row of ``inputs.reps`` where no
    ``inputs.plan_assignments`` row is in force; ``carry_in`` the carry-out of the last
    locked batch per rep (0 when None); ``prior`` earlier batches' lines (see
    :class:`PriorLines` for the columns V₀ needs).
    """
    table = PlanTable.build(plans)
    rep_plan = table.codes(rep_plan_ids)
    batch_periods = np.asarray(batch_periods, dtype=np.int64)
    n_reps = len(inputs.reps)
    if carry_in is None:
        carry_in = np.zeros(n_reps, dtype=np.int64)
    raw, ledger, volumes = build_lines(inputs, table, rep_plan, periods, prior)
    pay = _payouts(raw, ledger, volumes, batch_periods, carry_in)
    return Result(
        lines=_lines_frame(raw, inputs, table),
        payouts=_payouts_frame(pay, inputs, table),
        periods=list(period_label(batch_periods)),
    )


def _text(words: Sequence[str] | np.ndarray, codes: np.ndarray) -> pd.Series:
    """``words[codes]`` as a column of strings (Arrow-backed, no per-row Python objects)."""
    return pa.array(list(words), pa.string()).take(pa.array(codes)).to_pandas()


def _lines_frame(raw: RawLines, inputs: Inputs, table: PlanTable) -> pd.DataFrame:
    c = raw
    kind = c.kind
    inv_ids = as_arrow(inputs.invoices["invoice_id"])
    pay_ids = as_arrow(inputs.payments["payment_id"])
    adj_ids = as_arrow(inputs.adjustments["adjustment_id"])
    rep_ids = as_arrow(inputs.reps["rep_id"])
    man_ids = as_arrow(inputs.commission_adjustments["commission_adjustment_id"])
    # every event id in one array: invoices, payments, adjustments, reps (override), manual
    parts = (inv_ids, pay_ids, adj_ids, rep_ids, man_ids)
    all_ids = pa.concat_arrays([a.cast(pa.large_string()) for a in parts])
    starts = np.cumsum([0, *(len(a) for a in parts)])
    offset = np.select([kind == K_INVOICE, (kind == K_COLLECTION) | (kind == K_REVERSAL),
                        kind == K_OVERRIDE, kind == K_MANUAL],
                       [0, starts[1], starts[3], starts[4]], starts[2])
    manual = kind == K_MANUAL
    ri, used = pd.factorize(np.where(manual, -1, c.ri))
    rate_text = ["" if r < 0 else ratio_to_decimal_str(raw.rate_num[r], raw.rate_den[r])
                 for r in used]
    invoice_id = inv_ids.take(pa.array(c.inv_pos, mask=c.inv_pos < 0))
    if (c.inv_pos < 0).any():
        invoice_id = invoice_id.fill_null("")
    h_code, h_used = pd.factorize(c.h)
    h_text = ["" if v < 0 else ratio_to_decimal_str(int(v), SCALE) for v in h_used]
    months, month_code = np.unique(c.period, return_inverse=True)
    prior = c.event_month < c.period
    ev_months, ev_code = np.unique(c.event_month, return_inverse=True)
    late = pd.array(c.days_late, dtype="Int64")
    late[c.days_late < 0] = pd.NA
    return pd.DataFrame({
        "period": _text(period_label(months), month_code),
        "rep_id": as_arrow(inputs.reps["rep_id"]).take(pa.array(c.rep)).to_pandas(),
        "plan_id": _text(table.ids, c.plan),
        "line_kind": _text(KINDS, kind),
        "event_id": all_ids.take(pa.array(offset + c.ev_row)).to_pandas(),
        "invoice_id": invoice_id.to_pandas(),
        "event_date": c.event_day.astype("datetime64[D]").astype("datetime64[s]"),
        "base_amount": c.base_amount,
        "share": c.share.astype(np.int64),
        "rate": _text(rate_text, ri),
        "rate_num": raw.rate_num[c.ri],
        "rate_den": raw.rate_den[c.ri],
        "days_late": late,
        "haircut_num": c.h.astype(np.int64),
        "haircut_pct": _text(h_text, h_code),
        "gross": c.gross,
        "haircut": c.haircut,
        "amount": c.amount,
        "prior_period": _text([*period_label(ev_months), ""],
                              np.where(prior, ev_code, len(ev_months))),
        "explanation": raw.explanation.to_pandas(),
    })


def _payouts_frame(pay: dict[str, np.ndarray], inputs: Inputs, table: PlanTable
                   ) -> pd.DataFrame:
    """``payouts.csv``'s columns, then the draw's top-up (cents), its note in words and
    what the payout rules forfeited (cents)."""
    months, codes = np.unique(pay["period"], return_inverse=True)
    frame = pd.DataFrame({
        "period": _text(period_label(months), codes),
        "rep_id": as_arrow(inputs.reps["rep_id"]).take(pa.array(pay["rep"])).to_pandas(),
        "plan_id": _text(table.ids, pay["plan"]),
    })
    for col in PAYOUT_MONEY_COLUMNS:
        frame[col] = pay[col].astype(np.int64)
    frame["attainment"] = pa.array(pay["attainment"], pa.string()).to_pandas()
    frame["draw"] = pay["draw"].astype(np.int64)
    frame["note"] = pa.array(pay["note"], pa.string()).to_pandas()
    frame["forfeited"] = pay["forfeited"].astype(np.int64)
    return frame

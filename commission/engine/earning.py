"""Stage 3: invoice and collection lines, at the rep's rate r of the period.

``invoice``: round(amount × share × r × p), made when p > 0.
``collection``: gross round(c × share × r × (1 − p)), haircut round(c × share × r × h),
made for cash (c > 0) when p < 1 or the plan has a haircut schedule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.engine.block import LineBlock, factor_money, factor_money_pair
from commission.engine.common import K_COLLECTION, K_INVOICE, unique_keys
from commission.engine.credited import Credited, EventPeriods, Ledger
from commission.engine.rates import RateRegistry
from commission.plans import (
    SCALE,
    PlanTable,
    collected_share,
    days_late,
    haircut,
    paused_days,
    prepaid_share,
)


def invoice_lines(ledger: Ledger, invoices: Credited, periods: EventPeriods,
                  rates: RateRegistry) -> LineBlock:
    """The prepaid part of the commission, when the invoice is issued."""
    table = ledger.table
    rows = invoices.take(prepaid_share(invoices.code, table) > 0)
    ev = rows.ev
    period = periods.invoices[ev]
    ri = rates.of_period(rows.rep, rows.code, period)
    base = ledger.inv_amount[ev]
    gross = factor_money(base, rows.share, ri, prepaid_share(rows.code, table), rates,
                         table.half_even[rows.code], rows.share_code)
    return LineBlock(K_INVOICE, rows, inv_pos=ev, event_day=ledger.inv_day[ev], period=period,
                     base_amount=base, ri=ri, gross=gross,
                     haircut=np.zeros(len(rows), np.int64))


def collection_lines(ledger: Ledger, payments: Credited, periods: EventPeriods,
                     rates: RateRegistry) -> LineBlock:
    """The rest of the commission when cash comes in, less the haircut for lateness."""
    table = ledger.table
    cash = ledger.pay_amount[payments.ev] > 0
    code = payments.code
    rows = payments.take(cash & ((table.p_num[code] < SCALE) | table.has_late[code]))
    ev, code = rows.ev, rows.code
    inv_pos = ledger.pay_inv[ev]
    late = days_late(code, table, ledger.inv_day[inv_pos], ledger.due_day[inv_pos],
                     ledger.pay_day[ev], inv_pos, ledger.disputes,
                     paused=_paused(ledger, ev, code))
    has_late = table.has_late[code]
    late = np.where(has_late, late, -1)
    cut_of, cut_code = _haircuts(code, table, np.maximum(late, 0))
    h = np.where(has_late, cut_of, -1)
    period = periods.payments[ev]
    ri = rates.of_period(rows.rep, rows.code, period)
    c = ledger.pay_amount[ev]
    # cut_of is 0 where the plan has no schedule, as np.maximum(h, 0) is
    gross, cut = factor_money_pair(c, rows.share, ri, collected_share(code, table),
                                   (cut_of, cut_code), rates, table.half_even[code],
                                   rows.share_code)
    return LineBlock(K_COLLECTION, rows, inv_pos=inv_pos, event_day=ledger.pay_day[ev],
                     period=period, base_amount=c, ri=ri, gross=gross, haircut=cut,
                     days_late=late, h=h)


def _paused(ledger: Ledger, ev: np.ndarray, code: np.ndarray
            ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Days a dispute paused each row's clock, counted from the invoice date and from the
    due date (None where no row's plan pauses that clock).

    Worked out once per payment and clock for the inputs (every plan of a what-if
    reads them), then taken for the rows.
    """
    table = ledger.table
    pausing = table.pause[code] & table.has_late[code]
    out: list[np.ndarray | None] = []
    for due in (False, True):  # over the two clocks
        if not (pausing & (table.clock_due[code] == due)).any():
            out.append(None)
            continue
        clock = ledger.due_day if due else ledger.inv_day

        def every_payment(clock: np.ndarray = clock) -> np.ndarray:
            return paused_days(ledger.pay_inv, clock[ledger.pay_inv], ledger.pay_day,
                               ledger.disputes)

        paused = ledger.inputs.derived(("payments", "invoices", "disputes"),
                                       f"paused days from {'due' if due else 'invoice'}",
                                       every_payment)
        out.append(paused[ev])
    return out[0], out[1]


def _haircuts(code: np.ndarray, table: PlanTable, late: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`haircut` of each row, worked out once per distinct (plan, days late), and
    small numbers of the distinct haircuts (0 for none)."""
    if len(code) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    code, late = np.asarray(code, dtype=np.int64), np.asarray(late, dtype=np.int64)
    width = int(late.max()) + 1
    keys, (at,) = unique_keys([code * width + late], (int(code.max()) + 1) * width)
    cuts = haircut(keys // width, table, keys % width)
    return cuts[at], pd.factorize(cuts)[0][at]

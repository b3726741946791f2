"""Stage 3: invoice and collection lines, at the rep's rate r of the period.

``invoice``: round(amount × share × r × p), made when p > 0.
``collection``: gross round(c × share × r × (1 − p)), haircut round(c × share × r × h),
made for cash (c > 0) when p < 1 or the plan has a haircut schedule.
"""

from __future__ import annotations

import numpy as np

from commission.engine.block import LineBlock, factor_money
from commission.engine.common import K_COLLECTION, K_INVOICE
from commission.engine.credited import Credited, EventPeriods, Ledger
from commission.engine.rates import RateRegistry
from commission.plans import SCALE, collected_share, days_late, haircut, prepaid_share


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
                         table.half_even[rows.code])
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
                     ledger.pay_day[ev], inv_pos, ledger.disputes)
    has_late = table.has_late[code]
    late = np.where(has_late, late, -1)
    h = np.where(has_late, haircut(code, table, np.maximum(late, 0)), -1)
    period = periods.payments[ev]
    ri = rates.of_period(rows.rep, rows.code, period)
    c = ledger.pay_amount[ev]
    rounding = table.half_even[code]
    gross = factor_money(c, rows.share, ri, collected_share(code, table), rates, rounding)
    cut = factor_money(c, rows.share, ri, np.maximum(h, 0), rates, rounding)
    return LineBlock(K_COLLECTION, rows, inv_pos=inv_pos, event_day=ledger.pay_day[ev],
                     period=period, base_amount=c, ri=ri, gross=gross, haircut=cut,
                     days_late=late, h=h)

"""Stage 4b (part 2): lines of a rep's period rather than of an invoice: overrides, manual.

``override``: for a rep whose period-end plan has ``override: {rate}``, one line per
direct report with cash collected in the batch: round(rate × c), c = Σ amount ×
share of the report's payments (reversals negative), whatever the report's plan.
``manual``: each commission adjustment paid in the batch, money = its amount.
Both are valued under the rep's plan on the last day of the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.engine.block import LineBlock
from commission.engine.common import K_MANUAL, K_OVERRIDE
from commission.engine.credited import Credited, EventPeriods, Ledger
from commission.engine.rates import RateRegistry
from commission.inputs.tables import SHARE_SCALE
from commission.money import mul_round
from commission.periods import NOT_PAID, day_numbers, last_day
from commission.plans import SCALE, VOLUME_PER_CENT, group_volume


def override_lines(ledger: Ledger, payments: Credited, periods: EventPeriods,
                   rates: RateRegistry) -> list[LineBlock]:
    """One ``override`` line per (manager, direct report, period) with c ≠ 0."""
    table = ledger.table
    if not (table.override_num >= 0).any() or not len(payments):
        return []
    manager = ledger.inputs.positions("reps", "manager_id", "reps", "rep_id")
    keys = pd.DataFrame({"rep": payments.rep, "period": periods.payments[payments.ev]})
    c = group_volume(keys, ledger.pay_amount[payments.ev], payments.share)
    report = c.index.get_level_values("rep").to_numpy(dtype=np.int64)
    period = c.index.get_level_values("period").to_numpy(dtype=np.int64)
    cash = c.to_numpy(dtype=object)
    mgr = manager[report]
    keep = (mgr >= 0) & np.array(cash != 0, dtype=bool)
    report, period, cash, mgr = report[keep], period[keep], cash[keep], mgr[keep]
    code = ledger.plan_at_end(mgr, period)
    has = table.override_num[code] >= 0
    report, period, cash, mgr, code = (a[has] for a in (report, period, cash, mgr, code))
    if not len(report):
        return []
    order = np.lexsort((report, mgr, period))
    report, period, cash, mgr, code = (a[order] for a in (report, period, cash, mgr, code))
    rate = table.override_num[code]
    ri = rates.add(list(rate), [SCALE] * len(rate))
    half_even = table.half_even[code]
    one = np.ones(len(report), dtype=np.int64)
    money = mul_round(one, cash * rate.astype(object),
                      np.full(len(report), VOLUME_PER_CENT * SCALE, dtype=object), half_even)
    shown = mul_round(one, cash, np.full(len(report), VOLUME_PER_CENT, dtype=object), half_even)
    rows = Credited(ev=report, rep=mgr, share=np.full(len(report), SHARE_SCALE, np.int64),
                    code=code)
    return [LineBlock(K_OVERRIDE, rows, inv_pos=np.full(len(report), -1), period=period,
                      event_day=last_day(period), base_amount=shown, ri=ri, gross=money,
                      haircut=np.zeros(len(report), np.int64))]


def manual_lines(ledger: Ledger, periods: EventPeriods, rates: RateRegistry
                 ) -> list[LineBlock]:
    """One ``manual`` line per commission adjustment paid: money = amount, no rate."""
    man = ledger.inputs.commission_adjustments
    paid = periods.manual_periods(len(man))
    ev = np.flatnonzero(paid != NOT_PAID)
    if not len(ev):
        return []
    rep = ledger.inputs.positions("commission_adjustments", "rep_id", "reps", "rep_id")[ev]
    period = paid[ev]
    code = ledger.plan_at_end(rep, period)
    amount = man["amount"].to_numpy(dtype=np.int64)[ev]
    rows = Credited(ev=ev, rep=rep, share=np.full(len(ev), SHARE_SCALE, np.int64), code=code)
    return [LineBlock(K_MANUAL, rows, inv_pos=np.full(len(ev), -1), period=period,
                      event_day=day_numbers(man["adjustment_date"])[ev], base_amount=amount,
                      ri=np.full(len(ev), rates.none), gross=amount,
                      haircut=np.zeros(len(ev), np.int64))]

"""Test data: typed Inputs from plain tuples, plans from YAML, and hypothesis strategies.

``make_inputs`` turns rows written the way a person writes them (amounts as
decimal strings, dates as 'YYYY-MM-DD', shares as decimal strings) into the
typed tables of :class:`commission.tables.Inputs`: ids as object strings,
money as int64 cents, shares as int64 billionths, dates as ``datetime64[s]``.

``inputs_and_plans()`` draws small, valid data sets with random plans, as
``(inputs, plans, through)``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from commission.inputs import (
    COLUMNS,
    DATE_COLUMNS,
    MONEY_COLUMNS,
    SHARE_SCALE,
    Inputs,
    empty_table,
)
from commission.money import to_cents
from commission.plans import Plan, parse_plan

# --------------------------------------------------------------------------- building Inputs


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _date_cell(value: Any) -> np.datetime64:
    if _blank(value):
        return np.datetime64("NaT", "s")
    if isinstance(value, dt.date):
        value = value.isoformat()
    return np.datetime64(dt.date.fromisoformat(str(value)).isoformat(), "s")


def share_units(value: Decimal | str) -> int:
    """A share such as '0.6' as int64 billionths (exactly; ValueError otherwise)."""
    scaled = Decimal(str(value)) * SHARE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"share {value} has more than 9 decimals")
    return int(scaled)


def make_table(name: str, rows: list[tuple] | None) -> pd.DataFrame:
    """A typed table from tuples in the contract's column order (``None`` for a blank)."""
    if not rows:
        return empty_table(name)
    columns = COLUMNS[name]
    data: dict[str, pd.Series] = {}
    for i, col in enumerate(columns):
        values = [row[i] if i < len(row) else None for row in rows]
        if col in DATE_COLUMNS:
            data[col] = pd.Series([_date_cell(v) for v in values], dtype="datetime64[s]")
        elif col in MONEY_COLUMNS:
            data[col] = pd.Series([to_cents(Decimal(str(v))) for v in values], dtype="int64")
        elif col == "share":
            data[col] = pd.Series([share_units(v) for v in values], dtype="int64")
        else:
            data[col] = pd.Series([None if _blank(v) else str(v) for v in values],
                                  dtype=object)
    return pd.DataFrame(data)


def make_inputs(  # noqa: PLR0913 - one argument per input table
    reps: list[tuple] | None = None,
    invoices: list[tuple] | None = None,
    payments: list[tuple] | None = None,
    adjustments: list[tuple] | None = None,
    splits: list[tuple] | None = None,
    disputes: list[tuple] | None = None,
    customers: list[tuple] | None = None,
    plan_assignments: list[tuple] | None = None,
    quotas: list[tuple] | None = None,
    commission_adjustments: list[tuple] | None = None,
) -> Inputs:
    """Inputs from tuples in the column order of ``commission.tables.COLUMNS``.

    Short forms: a rep may be ``(rep_id, plan_id)``; a payment may leave out
    ``reverses_payment_id``; a dispute may leave out ``resolved_date``. Without
    ``customers``, one customer row is made for each customer_id of the invoices.
    """
    rep_rows = []
    for row in reps or []:
        if len(row) == 2:
            rep_id, plan_id = row
            row = (rep_id, f"Rep {rep_id}", f"{str(rep_id).lower()}@example.com", None, plan_id)
        rep_rows.append(row)
    if customers is None:
        seen: dict[str, None] = {}
        for invoice in invoices or []:
            seen.setdefault(str(invoice[1]), None)
        customers = [(cid, f"Customer {cid}", None) for cid in seen]
    return Inputs(
        reps=make_table("reps", rep_rows),
        customers=make_table("customers", customers),
        invoices=make_table("invoices", invoices),
        payments=make_table("payments", payments),
        adjustments=make_table("adjustments", adjustments),
        splits=make_table("splits", splits),
        disputes=make_table("disputes", disputes),
        plan_assignments=make_table("plan_assignments", plan_assignments),
        quotas=make_table("quotas", quotas),
        commission_adjustments=make_table("commission_adjustments", commission_adjustments),
    )


#: the contract's worked example plan (collected 5%, steps 30/60, 2% penalty within a year)
WORKED_EXAMPLE_PLAN = """
id: example
basis: collected
rate: 0.05
late_payment:
  steps:
    - {after_days: 30, haircut: 0.10}
    - {after_days: 60, haircut: 0.25}
bad_debt:
  window_days: 365
  penalty_rate: 0.02
"""

#: an invoiced plan whose payouts are capped at 100.00
CAPPED_PLAN = """
id: capped
basis: invoiced
rate: 0.1
payout: {cap: 100}
"""


def plan_from_yaml(text: str, source: str = "test") -> Plan:
    """A plan from YAML text through the real parser (fails the test on a problem)."""
    plan, problems = parse_plan(text, source)
    assert plan is not None and not problems, problems
    return plan


# --------------------------------------------------------------------------- plans

RATES = ("0.05", "0.0375", "0.333333333", "0.04", "0.1", "0.005", "0.06", "1")
HAIRCUTS = ("0.1", "0.015", "0.25", "0.5", "0.333333333", "1")
PER_DAY = ("0.01", "0.015", "0.001", "0.333333333")
ADVANCE_SHARES = ("0.5", "0.25", "0.333333333", "0", "1")
BRACKET_FROMS = ("50", "500", "120.5", "2000")
QUOTA_FROMS = ("0.5", "1", "1.25", "0.33")


@st.composite
def plans(draw: st.DrawFn, plan_id: str = "plan", part2: bool = False) -> Plan:
    """One random valid plan (with ``part2``: quotas, draws and overrides too)."""
    data: dict[str, Any] = {"id": plan_id,
                            "basis": draw(st.sampled_from(["collected", "invoiced", "advance"]))}
    if data["basis"] == "advance":
        data["advance_share"] = Decimal(draw(st.sampled_from(ADVANCE_SHARES)))
    attainment = part2 and draw(st.integers(0, 2)) == 0
    if attainment:
        froms = sorted(draw(st.sets(st.sampled_from(QUOTA_FROMS), max_size=3)), key=Decimal)
        data["quota"] = {"period": draw(st.sampled_from(["month", "quarter", "year"]))}
        data["tiers"] = {
            "mode": draw(st.sampled_from(["marginal", "retroactive"])), "measure": "attainment",
            "brackets": [{"from": Decimal(f), "rate": Decimal(draw(st.sampled_from(RATES)))}
                         for f in ["0", *froms]],
        }
    elif draw(st.booleans()):
        data["rate"] = Decimal(draw(st.sampled_from(RATES)))
    else:
        froms = sorted(draw(st.sets(st.sampled_from(BRACKET_FROMS), max_size=3)), key=Decimal)
        data["tiers"] = {
            "mode": draw(st.sampled_from(["marginal", "retroactive"])),
            "brackets": [{"from": Decimal(f), "rate": Decimal(draw(st.sampled_from(RATES)))}
                         for f in ["0", *froms]],
        }
    if draw(st.booleans()):
        late: dict[str, Any] = {
            "clock": draw(st.sampled_from(["due_date", "invoice_date"])),
            "grace_days": draw(st.sampled_from([0, 0, 3, 10])),
            "pause_during_disputes": draw(st.booleans()),
        }
        if draw(st.booleans()):
            days = sorted(draw(st.sets(st.sampled_from([0, 5, 10, 30, 60]), min_size=1,
                                       max_size=3)))
            cuts = sorted(draw(st.lists(st.sampled_from(HAIRCUTS), min_size=len(days),
                                        max_size=len(days))), key=Decimal)
            late["steps"] = [{"after_days": d, "haircut": Decimal(h)}
                             for d, h in zip(days, cuts, strict=True)]
        else:
            late["linear"] = {
                "start_after_days": draw(st.sampled_from([0, 5, 20, 45])),
                "per_day": Decimal(draw(st.sampled_from(PER_DAY))),
                "max": Decimal(draw(st.sampled_from(["1", "0.5", "0.1"]))),
            }
        data["late_payment"] = late
    if draw(st.booleans()):
        data["bad_debt"] = {
            "window_days": draw(st.sampled_from([None, 0, 30, 90, 365])),
            "penalty_rate": Decimal(draw(st.sampled_from(["0", "0.02", "0.015",
                                                          "0.333333333"]))),
        }
    if draw(st.booleans()):
        data["payout"] = {
            "min_payout": Decimal(draw(st.sampled_from(["0", "0.01", "10", "50"]))),
            "cap": draw(st.sampled_from([None, Decimal("20"), Decimal("100"),
                                         Decimal("1000.50")])),
            "carry_forward_negative": draw(st.booleans()),
        }
    data["rounding"] = draw(st.sampled_from(["half_up", "half_even"]))
    if part2 and draw(st.integers(0, 2)) == 0:
        payout = data.setdefault("payout", {})
        cap = payout.get("cap")
        amount = draw(st.sampled_from(["5", "20", "150.25"]))
        if cap is None or Decimal(amount) <= cap:
            payout["draw"] = {"amount": Decimal(amount), "recoverable": draw(st.booleans())}
    if part2 and draw(st.integers(0, 2)) == 0:
        data["override"] = {"rate": Decimal(draw(st.sampled_from(["0.01", "0.333333333",
                                                                  "0.005"])))}
    return Plan.model_validate(data)


# --------------------------------------------------------------------------- data sets

START = dt.date(2026, 1, 1)
#: amounts in cents: tiny ones that round to halves, and ones that cross the brackets
AMOUNTS = st.one_of(
    st.sampled_from([1, 10, 30, 50, 100, 1_000, 5_000, 12_345, 100_000, 1_000_000]),
    st.integers(min_value=1, max_value=300_000),
)
SPLIT_SHARES = (
    ("0.5", "0.5"),
    ("0.333333333", "0.666666667"),
    ("0.1", "0.9"),
    ("1",),
    ("0.25", "0.25", "0.5"),
    ("0.2", "0.3", "0.5"),
)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@st.composite
def _invoice_events(draw: st.DrawFn, invoice_id: str, invoice_date: dt.date, amount: int,
                    counters: dict[str, int], part2: bool = False
                    ) -> tuple[list[tuple], list[tuple]]:
    """Payments and adjustments of one invoice, dated in order, keeping the invariant.

    A positive event at date d only takes what is left after every earlier positive
    event and the reversals dated before d, so the invariant holds at every date
    whatever the order of the events of one day.
    """
    payments: list[tuple] = []
    adjustments: list[tuple] = []
    added = 0  # payments + credit notes + discounts + write-offs so far
    reversed_before: dict[dt.date, int] = {}  # reversals by date
    unreversed: dict[str, tuple[dt.date, int]] = {}  # payment_id -> (date, left to reverse)
    written_off: dict[str, int] = {}  # write-off adjustment_id -> left to reinstate
    day = invoice_date + dt.timedelta(days=draw(st.integers(0, 90)))
    for _ in range(draw(st.integers(0, 6))):
        day += dt.timedelta(days=draw(st.sampled_from([0, 1, 9, 17, 30, 45, 100])))
        room = amount - added + sum(v for d, v in reversed_before.items() if d < day)
        kind = draw(st.sampled_from(["payment", "payment", "payment", "reversal", "credit_note",
                                     "discount", "write_off",
                                     *(["write_off_reversal"] if part2 else [])]))
        reinstatable = [aid for aid, left in written_off.items() if left > 0]
        if kind == "write_off_reversal" and reinstatable:
            aid = draw(st.sampled_from(reinstatable))
            y = draw(st.integers(1, written_off[aid]))
            written_off[aid] -= y
            reversed_before[day] = reversed_before.get(day, 0) + y  # frees room, like a reversal
            counters["adjustment"] += 1
            adjustments.append((f"A{counters['adjustment']}", invoice_id, day.isoformat(),
                                kind, _money(y), aid))
            continue
        if kind == "write_off_reversal":
            continue
        reversible = [pid for pid, (_, left) in unreversed.items() if left > 0]
        if kind == "reversal" and reversible:
            pid = draw(st.sampled_from(reversible))
            left = unreversed[pid][1]
            x = left if draw(st.booleans()) else draw(st.integers(1, left))
            unreversed[pid] = (unreversed[pid][0], left - x)
            reversed_before[day] = reversed_before.get(day, 0) + x
            counters["payment"] += 1
            payments.append((f"P{counters['payment']}", invoice_id, day.isoformat(),
                             "-" + _money(x), pid))
            continue
        if kind == "reversal" or room <= 0:
            continue
        whole = draw(st.booleans())
        value = room if whole else draw(st.integers(1, room))
        added += value
        if kind == "payment":
            counters["payment"] += 1
            pid = f"P{counters['payment']}"
            unreversed[pid] = (day, value)
            payments.append((pid, invoice_id, day.isoformat(), _money(value), None))
        else:
            counters["adjustment"] += 1
            adjustments.append((f"A{counters['adjustment']}", invoice_id, day.isoformat(),
                                kind, _money(value)))
            if kind == "write_off":
                written_off[f"A{counters['adjustment']}"] = value
    return payments, adjustments


@st.composite
def inputs_and_plans(draw: st.DrawFn, part2: bool = False
                     ) -> tuple[Inputs, dict[str, Plan], str | None]:
    """A small valid data set, its plans, and a ``through`` month or None.

    With ``part2``: plans with quotas, draws and overrides, manager chains, plan
    assignments on month starts, quotas, manual lines and write-off reinstatements.
    """
    n_plans = draw(st.integers(1, 3))
    plan_map = {f"plan{i}": draw(plans(f"plan{i}", part2)) for i in range(1, n_plans + 1)}
    rep_ids = [f"R{i}" for i in range(1, draw(st.integers(2, 3)) + 1)]
    reps = [(r, draw(st.sampled_from(sorted(plan_map)))) for r in rep_ids]
    extra: dict[str, list[tuple]] = {}
    if part2:
        reps, extra = draw(_part2_tables(rep_ids, reps, plan_map))

    counters = {"payment": 0, "adjustment": 0, "dispute": 0}
    invoices, splits, payments, adjustments, disputes = [], [], [], [], []
    for i in range(1, draw(st.integers(1, 6)) + 1):
        invoice_id = f"I{i}"
        invoice_date = START + dt.timedelta(days=draw(st.integers(0, 120)))
        due_date = invoice_date + dt.timedelta(days=draw(st.sampled_from([0, 14, 30, 45, 60])))
        amount = draw(AMOUNTS)
        invoices.append((invoice_id, f"C{draw(st.integers(1, 3))}", draw(st.sampled_from(rep_ids)),
                         invoice_date.isoformat(), due_date.isoformat(), _money(amount)))
        if draw(st.integers(0, 2)) == 0:
            shares = draw(st.sampled_from([s for s in SPLIT_SHARES if len(s) <= len(rep_ids)]))
            who = draw(st.permutations(rep_ids))[: len(shares)]
            splits.extend((invoice_id, r, s) for r, s in zip(who, shares, strict=True))
        more_payments, more_adjustments = draw(
            _invoice_events(invoice_id, invoice_date, amount, counters, part2))
        payments.extend(more_payments)
        adjustments.extend(more_adjustments)
        for _ in range(draw(st.integers(0, 2))):
            counters["dispute"] += 1
            opened = invoice_date + dt.timedelta(days=draw(st.integers(0, 80)))
            resolved = draw(st.one_of(st.none(), st.integers(0, 45)))
            disputes.append((f"D{counters['dispute']}", invoice_id, opened.isoformat(),
                             None if resolved is None else
                             (opened + dt.timedelta(days=resolved)).isoformat()))

    inputs = make_inputs(reps=reps, invoices=invoices, payments=payments,
                         adjustments=adjustments, splits=splits, disputes=disputes, **extra)
    dates = [d for frame, col in ((inputs.invoices, "invoice_date"),
                                  (inputs.payments, "payment_date"),
                                  (inputs.adjustments, "adjustment_date"),
                                  (inputs.commission_adjustments, "adjustment_date"))
             for d in frame[col]]
    first, last = min(dates), max(dates)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month + 1):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    through = draw(st.one_of(st.none(), st.sampled_from(months)))
    return inputs, plan_map, through


QUOTA_AMOUNTS = ("1.00", "500.00", "3000.00", "12345.67")


def _quota_label(year: int, month: int, form: str) -> str:
    if form == "month":
        return f"{year:04d}-{month:02d}"
    if form == "quarter":
        return f"{year:04d}-Q{(month - 1) // 3 + 1}"
    return f"{year:04d}"


@st.composite
def _part2_tables(draw: st.DrawFn, rep_ids: list[str], reps: list[tuple],
                  plan_map: dict[str, Plan]) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """Managers (chains), assignments on month starts, quotas for every rep and quota
    period an attainment plan could need, manual lines."""
    rows = []
    for i, (rep_id, plan_id) in enumerate(reps):
        manager = rep_ids[i - 1] if i > 0 and draw(st.booleans()) else None
        rows.append((rep_id, f"Rep {rep_id}", f"{rep_id.lower()}@example.com", manager, plan_id))
    assignments = []
    for rep_id in rep_ids:
        months = draw(st.sets(st.integers(0, 8), max_size=2))
        for m in sorted(months):
            year, month = 2026 + m // 12, m % 12 + 1
            assignments.append((rep_id, draw(st.sampled_from(sorted(plan_map))),
                                f"{year:04d}-{month:02d}-01"))
    quotas = []
    for rep_id, plan_id in reps:  # every form of a plan the rep is ever under
        ever = {plan_id, *(a[1] for a in assignments if a[0] == rep_id)}
        forms = {plan_map[p].quota.period for p in ever if plan_map[p].quota is not None}
        for form in sorted(forms):
            labels = sorted({_quota_label(2026 + m // 12, m % 12 + 1, form) for m in range(36)})
            quotas.extend((rep_id, label, draw(st.sampled_from(QUOTA_AMOUNTS)))
                          for label in labels)
    manual = []
    for k in range(draw(st.integers(0, 3))):
        day = START + dt.timedelta(days=draw(st.integers(0, 200)))
        cents = draw(st.sampled_from([1, 50, -50, 12_345, -99_999]))
        sign = "-" if cents < 0 else ""
        manual.append((f"M{k + 1}", draw(st.sampled_from(rep_ids)), day.isoformat(),
                       sign + _money(abs(cents)), draw(st.sampled_from(
                           ["SPIFF", "correction of March", " bonus  "]))))
    return rows, {"plan_assignments": assignments, "quotas": quotas,
                  "commission_adjustments": manual}

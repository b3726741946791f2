"""A plain, row-by-row reference implementation of the calculation contract.

This is the oracle the columnar engine is tested against. It is written to be
read next to ``shared/docs/calculation.md`` and ``docs/calculation-notes.md``:
one loop over the events of each month, exact ``Fraction`` arithmetic, and one
rounding per money figure. No vectorisation and no shortcuts.

``reference_calculate(inputs, plans, through=None, plan_override=None)`` returns
``(lines, payouts)``:

- a line is a dict with ``period`` ('YYYY-MM'), ``rep_id``, ``plan_id``,
  ``line_kind`` ('invoice' | 'collection' | 'reversal' | 'credit' | 'clawback' |
  'penalty'), ``event_id``, ``invoice_id``, ``gross``, ``haircut``, ``amount``
  (int cents), ``rate`` (Fraction), ``days_late`` (int or None) and
  ``haircut_pct`` (Fraction or None);
- a payout is a dict with ``period``, ``rep_id``, ``plan_id``, ``gross``,
  ``haircuts``, ``clawbacks``, ``net``, ``carry_in``, ``payout``, ``carry_out``
  (int cents).

Readings chosen where the contract and the notes leave room:

- a plan without ``late_payment`` has no haircut (h = 0) and its lines state no
  ``days_late`` or ``haircut_pct`` (None): lateness means nothing under it;
- lines of one month are made in event order: by date, then invoices before
  payments before adjustments, positive payments before reversals, then by id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from commission.inputs.tables import SHARE_SCALE, Inputs
from commission.plans.language import Plan

LINE_KINDS = ("invoice", "collection", "reversal", "credit", "clawback", "penalty")
LINE_KEYS = ("period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id", "gross",
             "haircut", "amount", "rate", "days_late", "haircut_pct")
PAYOUT_KEYS = ("period", "rep_id", "plan_id", "gross", "haircuts", "clawbacks", "net",
               "carry_in", "payout", "carry_out")


# --------------------------------------------------------------------------- small helpers

def round_fraction(value: Fraction, mode: str) -> int:
    """Round an exact number of cents to an integer, once.

    ``half_up`` rounds a half away from zero (Decimal's ROUND_HALF_UP);
    ``half_even`` rounds a half to the even neighbour (ROUND_HALF_EVEN).
    """
    value = Fraction(value)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    twice = 2 * rest
    if twice > magnitude.denominator:
        whole += 1
    elif twice == magnitude.denominator:
        if mode == "half_up":
            whole += 1
        elif mode == "half_even":
            if whole % 2 == 1:
                whole += 1
        else:
            raise ValueError(f"unknown rounding mode {mode!r}")
    return sign * whole


def exact(value: Decimal | int) -> Fraction:
    """A Decimal from a plan as an exact Fraction (never through a float)."""
    assert not isinstance(value, float)
    return Fraction(value)


def cents_of(value: Decimal) -> int:
    """Currency units with at most 2 decimals (a plan's min_payout or cap) as cents."""
    cents = exact(value) * 100
    assert cents.denominator == 1, value
    return int(cents)


def is_blank(value: Any) -> bool:
    """An empty cell: None, NaN, NaT, pd.NA or an empty string."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except TypeError:  # pd.NA refuses to be a bool
        return True


def as_text(value: Any) -> str | None:
    return None if is_blank(value) else str(value)


def as_date(value: Any) -> dt.date | None:
    """A datetime64 cell (a pandas Timestamp) as a plain date; blank as None."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):  # pandas Timestamp is a datetime
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    if month == 12:
        return f"{year + 1:04d}-01"
    return f"{year:04d}-{month + 1:02d}"


def records(frame: Any) -> list[dict[str, Any]]:
    """The rows of a table as plain dicts, in table order."""
    return [dict(zip(frame.columns, row, strict=True))
            for row in frame.itertuples(index=False, name=None)]


# --------------------------------------------------------------------------- plan arithmetic

def prepaid_share(plan: Plan) -> Fraction:
    """p: 1 for invoiced, advance_share for advance, 0 for collected."""
    if plan.basis == "invoiced":
        return Fraction(1)
    if plan.basis == "advance":
        assert plan.advance_share is not None
        return exact(plan.advance_share)
    return Fraction(0)


def rate_for_volume(plan: Plan, volume: Fraction) -> Fraction:
    """The rate of a rep's batch, from its volume in currency units."""
    if plan.rate is not None:
        return exact(plan.rate)
    assert plan.tiers is not None
    brackets = [(exact(b.from_), exact(b.rate)) for b in plan.tiers.brackets]
    if volume <= 0:
        return brackets[0][1]
    if plan.tiers.mode == "retroactive":
        rate = brackets[0][1]
        for start, bracket_rate in brackets:
            if start <= volume:
                rate = bracket_rate
        return rate
    # marginal: the part of the volume inside bracket i is
    # min(max(volume - from_i, 0), from_{i+1} - from_i); the last bracket is open.
    total = Fraction(0)
    for i, (start, bracket_rate) in enumerate(brackets):
        part = max(volume - start, Fraction(0))
        if i + 1 < len(brackets):
            part = min(part, brackets[i + 1][0] - start)
        total += bracket_rate * part
    return total / volume


def late_settings(plan: Plan) -> tuple[str, int, bool]:
    """(clock, grace_days, pause_during_disputes); the defaults without late_payment."""
    late = plan.late_payment
    if late is None:
        return "due_date", 0, True
    return late.clock, late.grace_days, late.pause_during_disputes


def days_late(plan: Plan, invoice: dict[str, Any], payment_date: dt.date,
              disputes: list[dict[str, Any]]) -> int:
    """(payment_date - clock) - paused days - grace_days, never below 0."""
    clock_name, grace, pause = late_settings(plan)
    clock = invoice["due_date"] if clock_name == "due_date" else invoice["invoice_date"]
    paused: set[dt.date] = set()
    if pause:
        for dispute in disputes:
            start = max(dispute["opened_date"], clock)
            end = dispute["resolved_date"]  # not included
            if end is None or end > payment_date:
                end = payment_date
            day = start
            while day < end:
                paused.add(day)
                day += dt.timedelta(days=1)
    late = (payment_date - clock).days - len(paused) - grace
    return max(late, 0)


def haircut_for(plan: Plan, late: int) -> Fraction:
    """h of a payment that is ``late`` days late."""
    schedule = plan.late_payment
    if schedule is None:
        return Fraction(0)
    if schedule.steps is not None:
        h = Fraction(0)
        for step in schedule.steps:
            if late > step.after_days:
                h = exact(step.haircut)
        return h
    assert schedule.linear is not None
    linear = schedule.linear
    return min(exact(linear.max),
               exact(linear.per_day) * max(0, late - linear.start_after_days))


# --------------------------------------------------------------------------- the calculation

def make_line(period: str, rep_id: str, plan_id: str, event_id: str, invoice_id: str,
              line_kind: str, gross: int, haircut: int, rate: Fraction,
              late: int | None, h: Fraction | None) -> dict[str, Any]:
    """One line: gross - haircut = amount on every line."""
    assert line_kind in LINE_KINDS
    return {
        "period": period, "rep_id": rep_id, "plan_id": plan_id, "line_kind": line_kind,
        "event_id": event_id, "invoice_id": invoice_id, "gross": gross, "haircut": haircut,
        "amount": gross - haircut, "rate": rate, "days_late": late, "haircut_pct": h,
    }


def reference_calculate(inputs: Inputs, plans: dict[str, Plan], through: str | None = None,
                        plan_override: str | None = None
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every month from the earliest event through ``through``: (lines, payouts)."""
    # ---- read the tables into plain Python values
    reps = []
    for row in records(inputs.reps):
        reps.append({"rep_id": str(row["rep_id"]), "plan_id": as_text(row["plan_id"])})

    def plan_id_of(rep_id: str) -> str:
        if plan_override is not None:
            return plan_override
        for rep in reps:
            if rep["rep_id"] == rep_id:
                assert rep["plan_id"] is not None, rep_id
                return rep["plan_id"]
        raise KeyError(f"rep {rep_id} is not in reps")

    invoices: dict[str, dict[str, Any]] = {}
    for row in records(inputs.invoices):
        invoices[str(row["invoice_id"])] = {
            "invoice_id": str(row["invoice_id"]),
            "rep_id": str(row["rep_id"]),
            "invoice_date": as_date(row["invoice_date"]),
            "due_date": as_date(row["due_date"]),
            "amount": int(row["amount"]),
        }

    splits: dict[str, list[tuple[str, Fraction]]] = {}
    for row in records(inputs.splits):
        splits.setdefault(str(row["invoice_id"]), []).append(
            (str(row["rep_id"]), Fraction(int(row["share"]), SHARE_SCALE)))

    def credited(invoice_id: str) -> list[tuple[str, Fraction]]:
        if splits.get(invoice_id):
            return splits[invoice_id]
        return [(invoices[invoice_id]["rep_id"], Fraction(1))]

    disputes: dict[str, list[dict[str, Any]]] = {}
    for row in records(inputs.disputes):
        disputes.setdefault(str(row["invoice_id"]), []).append({
            "opened_date": as_date(row["opened_date"]),
            "resolved_date": as_date(row["resolved_date"]),
        })

    # every event: (date, kind order, is reversal, id, kind, data)
    events: list[tuple[dt.date, int, bool, str, str, dict[str, Any]]] = []
    for invoice in invoices.values():
        events.append((invoice["invoice_date"], 0, False, invoice["invoice_id"], "invoice",
                       invoice))
    for row in records(inputs.payments):
        payment = {
            "payment_id": str(row["payment_id"]),
            "invoice_id": str(row["invoice_id"]),
            "payment_date": as_date(row["payment_date"]),
            "amount": int(row["amount"]),
            "reverses_payment_id": as_text(row["reverses_payment_id"]),
        }
        events.append((payment["payment_date"], 1, payment["amount"] < 0,
                       payment["payment_id"], "payment", payment))
    for row in records(inputs.adjustments):
        adjustment = {
            "adjustment_id": str(row["adjustment_id"]),
            "invoice_id": str(row["invoice_id"]),
            "adjustment_date": as_date(row["adjustment_date"]),
            "kind": str(row["kind"]),
            "amount": int(row["amount"]),
        }
        events.append((adjustment["adjustment_date"], 2, False, adjustment["adjustment_id"],
                       "adjustment", adjustment))
    events.sort(key=lambda e: (e[0], e[1], e[2], e[3]))

    # ---- the months to pay
    if not events:
        return [], []
    first = month_of(events[0][0])
    last = through[:7] if through is not None else month_of(events[-1][0])
    periods: list[str] = []
    period = first
    while period <= last:
        periods.append(period)
        period = next_month(period)

    lines: list[dict[str, Any]] = []
    payouts: list[dict[str, Any]] = []
    invoice_line_rate: dict[tuple[str, str], Fraction] = {}  # (invoice_id, rep_id) -> r_i
    collection_lines: dict[tuple[str, str], dict[str, Any]] = {}  # (payment_id, rep_id)
    carry: dict[str, int] = {rep["rep_id"]: 0 for rep in reps}

    for period in periods:
        month_events = [e for e in events if month_of(e[0]) == period]

        # volume of each rep in this batch, in currency units (exact)
        volume: dict[str, Fraction] = {}
        for _, _, _, _, kind, data in month_events:
            if kind == "adjustment":
                continue
            for rep_id, share in credited(data["invoice_id"]):
                basis = plans[plan_id_of(rep_id)].basis
                earns = (kind == "invoice") if basis == "invoiced" else (kind == "payment")
                if earns:
                    volume[rep_id] = (volume.get(rep_id, Fraction(0))
                                      + Fraction(data["amount"], 100) * share)

        def batch_rate(rep_id: str, volume: dict[str, Fraction] = volume) -> Fraction:
            return rate_for_volume(plans[plan_id_of(rep_id)], volume.get(rep_id, Fraction(0)))

        for _, _, _, event_id, kind, data in month_events:
            invoice = invoices[data["invoice_id"]]
            for rep_id, share in credited(invoice["invoice_id"]):
                plan_id = plan_id_of(rep_id)
                plan = plans[plan_id]
                mode = plan.rounding
                p = prepaid_share(plan)

                def line(line_kind: str, gross: int, haircut: int, rate: Fraction,
                         late: int | None = None, h: Fraction | None = None,
                         where: tuple[str, str, str, str, str] = (
                             period, rep_id, plan_id, event_id, invoice["invoice_id"])
                         ) -> dict[str, Any]:
                    made = make_line(*where, line_kind, gross, haircut, rate, late, h)
                    lines.append(made)
                    return made

                if kind == "invoice":
                    if p > 0:
                        r = batch_rate(rep_id)
                        money = round_fraction(invoice["amount"] * share * r * p, mode)
                        line("invoice", money, 0, r)
                        invoice_line_rate[(invoice["invoice_id"], rep_id)] = r

                elif kind == "payment" and data["amount"] > 0:
                    if p < 1 or plan.late_payment is not None:
                        c = data["amount"]
                        r = batch_rate(rep_id)
                        late = h = None  # a plan without late_payment has no lateness
                        if plan.late_payment is not None:
                            late = days_late(plan, invoice, data["payment_date"],
                                             disputes.get(invoice["invoice_id"], []))
                            h = haircut_for(plan, late)
                        gross = round_fraction(c * share * r * (1 - p), mode)
                        cut = round_fraction(c * share * r * (h or 0), mode)
                        collection_lines[(event_id, rep_id)] = line(
                            "collection", gross, cut, r, late, h)

                elif kind == "payment":  # a reversal of amount -x
                    x = -data["amount"]
                    original = collection_lines.get((data["reverses_payment_id"], rep_id))
                    if original is not None:
                        r0, h0 = original["rate"], original["haircut_pct"]
                        gross = -round_fraction(x * share * r0 * (1 - p), mode)
                        cut = -round_fraction(x * share * r0 * (h0 or 0), mode)
                        line("reversal", gross, cut, r0, original["days_late"], h0)

                elif data["kind"] in ("credit_note", "discount"):
                    if p > 0:
                        ri = invoice_line_rate.get((invoice["invoice_id"], rep_id), Fraction(0))
                        money = -round_fraction(data["amount"] * share * ri * p, mode)
                        line("credit", money, 0, ri)

                else:  # write_off
                    assert data["kind"] == "write_off", data["kind"]
                    window = plan.bad_debt.window_days
                    age = (data["adjustment_date"] - invoice["invoice_date"]).days
                    if window is None or age <= window:
                        w = data["amount"]
                        if p > 0:
                            ri = invoice_line_rate.get((invoice["invoice_id"], rep_id),
                                                       Fraction(0))
                            money = -round_fraction(w * share * ri * p, mode)
                            line("clawback", money, 0, ri)
                        penalty_rate = exact(plan.bad_debt.penalty_rate)
                        if penalty_rate > 0:
                            money = -round_fraction(w * share * penalty_rate, mode)
                            line("penalty", money, 0, penalty_rate)

        # ---- payouts: one row for every rep of reps.csv, zeros included
        for rep in reps:
            rep_id = rep["rep_id"]
            plan_id = plan_id_of(rep_id)
            plan = plans[plan_id]
            mine = [ln for ln in lines if ln["period"] == period and ln["rep_id"] == rep_id]
            gross = sum(ln["gross"] for ln in mine
                        if ln["line_kind"] in ("invoice", "collection"))
            haircuts = sum(ln["haircut"] for ln in mine if ln["line_kind"] == "collection")
            clawbacks = -sum(ln["amount"] for ln in mine
                             if ln["line_kind"] in ("reversal", "credit", "clawback", "penalty"))
            net = gross - haircuts - clawbacks
            assert net == sum(ln["amount"] for ln in mine)
            carry_in = carry[rep_id]
            balance = net + carry_in
            min_payout = cents_of(plan.payout.min_payout)
            if balance < 0:
                paid = 0
                carry_out = balance if plan.payout.carry_forward_negative else 0
            elif balance < min_payout:
                paid = 0
                carry_out = balance
            else:
                paid = balance
                if plan.payout.cap is not None:
                    paid = min(balance, cents_of(plan.payout.cap))
                carry_out = 0
            carry[rep_id] = carry_out
            payouts.append({
                "period": period, "rep_id": rep_id, "plan_id": plan_id, "gross": gross,
                "haircuts": haircuts, "clawbacks": clawbacks, "net": net,
                "carry_in": carry_in, "payout": paid, "carry_out": carry_out,
            })

    return lines, payouts

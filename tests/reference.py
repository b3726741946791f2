"""A plain, row-by-row reference implementation of the calculation contract.

This is the oracle the columnar engine is tested against. It is written to be
read next to ``shared/docs/calculation.md`` (parts 1 and 2) and
``docs/calculation-notes.md``: one loop over the events of each month, exact
``Fraction`` arithmetic, and one rounding per money figure. No vectorisation and
no shortcuts.

``reference_calculate(inputs, plans, through=None, plan_override=None)`` returns
``(lines, payouts)``:

- a line is a dict with ``period`` ('YYYY-MM'), ``rep_id``, ``plan_id``,
  ``line_kind`` (one of ``LINE_KINDS``), ``event_id``, ``invoice_id`` ('' for
  ``override`` and ``manual`` lines), ``gross``, ``haircut``, ``amount`` (int
  cents), ``rate`` (Fraction, None for ``manual``), ``days_late`` (int or None)
  and ``haircut_pct`` (Fraction or None);
- a payout is a dict with ``period``, ``rep_id``, ``plan_id``, ``gross``,
  ``haircuts``, ``clawbacks``, ``net``, ``carry_in``, ``payout``, ``carry_out``
  (int cents) and ``attainment`` (a Decimal with 4 places, or None).

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
from commission.plans import Plan

LINE_KINDS = ("invoice", "collection", "reversal", "credit", "clawback", "penalty",
              "clawback_reversal", "penalty_reversal", "override", "manual")
LINE_KEYS = ("period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id", "gross",
             "haircut", "amount", "rate", "days_late", "haircut_pct")
PAYOUT_KEYS = ("period", "rep_id", "plan_id", "gross", "haircuts", "clawbacks", "net",
               "carry_in", "payout", "carry_out", "attainment")
GROSS_KINDS = ("invoice", "collection", "override")
CLAWBACK_KINDS = ("reversal", "credit", "clawback", "penalty", "clawback_reversal",
                  "penalty_reversal")


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


def last_day(period: str) -> dt.date:
    """The last day of a month 'YYYY-MM'."""
    nxt = next_month(period)
    return dt.date(int(nxt[:4]), int(nxt[5:7]), 1) - dt.timedelta(days=1)


def quota_period_of(period: str, form: str) -> str:
    """The calendar quota period ('YYYY-MM', 'YYYY-Qn' or 'YYYY') holding a month."""
    year, month = period[:4], int(period[5:7])
    if form == "month":
        return period
    if form == "quarter":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    assert form == "year", form
    return year


def records(frame: Any) -> list[dict[str, Any]]:
    """The rows of a table as plain dicts, in table order (none for a missing table)."""
    if frame is None:
        return []
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


def measures_attainment(plan: Plan) -> bool:
    return plan.tiers is not None and getattr(plan.tiers, "measure", "volume") == "attainment"


def bracket_holding(starts: list[Fraction], value: Fraction) -> int:
    """The bracket whose range holds ``value``; anything below the first is in the first."""
    index = 0
    for i, start in enumerate(starts):
        if start <= value:
            index = i
    return index


def tier_rate(plan: Plan, v0: Fraction, v: Fraction, quota: Fraction) -> Fraction:
    """r for a batch volume v on top of V₀, brackets at from × Q (part 2's rule).

    With ``measure: volume`` the caller passes V₀ = 0 and Q = 1: part 1's tiers.
    """
    assert plan.tiers is not None
    starts = [exact(b.from_) * quota for b in plan.tiers.brackets]
    rates = [exact(b.rate) for b in plan.tiers.brackets]
    if plan.tiers.mode == "retroactive":
        return rates[bracket_holding(starts, v0 + v)]
    if v == 0:
        return rates[bracket_holding(starts, v0)]
    low, high = min(v0, v0 + v), max(v0, v0 + v)
    total = Fraction(0)
    for i, rate in enumerate(rates):
        lo = starts[i] if i > 0 else min(low, starts[0])  # below 0 counts in the first
        hi = starts[i + 1] if i + 1 < len(starts) else max(high, lo)
        part = max(Fraction(0), min(high, hi) - max(low, lo))
        total += rate * part
    return total / abs(v)


def rate_for_volume(plan: Plan, volume: Fraction) -> Fraction:
    """Part 1: the rate of a rep's batch from its volume in currency units."""
    if plan.rate is not None:
        return exact(plan.rate)
    return tier_rate(plan, Fraction(0), volume, Fraction(1))


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


# --------------------------------------------------------------------------- the inputs

class Data:
    """The input tables as plain Python values, and who is paid under which plan."""

    def __init__(self, inputs: Inputs, plan_override: str | None):
        self.override = plan_override
        self.reps = [{"rep_id": str(r["rep_id"]), "plan_id": as_text(r["plan_id"]),
                      "manager_id": as_text(r.get("manager_id"))}
                     for r in records(inputs.reps)]
        self.assignments: dict[str, list[tuple[dt.date, str]]] = {}
        for row in records(getattr(inputs, "plan_assignments", None)):
            self.assignments.setdefault(str(row["rep_id"]), []).append(
                (as_date(row["effective_from"]), str(row["plan_id"])))
        self.quotas = {(str(q["rep_id"]), str(q["quota_period"])): Fraction(int(q["amount"]), 100)
                       for q in records(getattr(inputs, "quotas", None))}
        self.invoices = {str(r["invoice_id"]): {
            "invoice_id": str(r["invoice_id"]), "rep_id": str(r["rep_id"]),
            "invoice_date": as_date(r["invoice_date"]), "due_date": as_date(r["due_date"]),
            "amount": int(r["amount"])} for r in records(inputs.invoices)}
        self.splits: dict[str, list[tuple[str, Fraction]]] = {}
        for row in records(inputs.splits):
            self.splits.setdefault(str(row["invoice_id"]), []).append(
                (str(row["rep_id"]), Fraction(int(row["share"]), SHARE_SCALE)))
        self.disputes: dict[str, list[dict[str, Any]]] = {}
        for row in records(inputs.disputes):
            self.disputes.setdefault(str(row["invoice_id"]), []).append({
                "opened_date": as_date(row["opened_date"]),
                "resolved_date": as_date(row["resolved_date"])})
        self.events = self._events(inputs)

    def plan_on(self, rep_id: str, day: dt.date) -> str:
        """The plan in force for a rep on a date: latest assignment on or before it."""
        if self.override is not None:
            return self.override
        chosen = None
        for effective, plan_id in sorted(self.assignments.get(rep_id, [])):
            if effective <= day:
                chosen = plan_id
        if chosen is not None:
            return chosen
        for rep in self.reps:
            if rep["rep_id"] == rep_id:
                assert rep["plan_id"] is not None, rep_id
                return rep["plan_id"]
        raise KeyError(f"rep {rep_id} is not in reps")

    def credited(self, invoice_id: str) -> list[tuple[str, Fraction]]:
        if self.splits.get(invoice_id):
            return self.splits[invoice_id]
        return [(self.invoices[invoice_id]["rep_id"], Fraction(1))]

    def invoice_plan(self, invoice_id: str, rep_id: str) -> str:
        """An invoice keeps, for each credited rep, the plan in force on its invoice_date."""
        return self.plan_on(rep_id, self.invoices[invoice_id]["invoice_date"])

    def _events(self, inputs: Inputs) -> list[tuple]:
        """(date, kind order, is reversal, id, kind, data), in event order."""
        events: list[tuple] = [(inv["invoice_date"], 0, False, inv["invoice_id"], "invoice", inv)
                               for inv in self.invoices.values()]
        for row in records(inputs.payments):
            payment = {"payment_id": str(row["payment_id"]), "invoice_id": str(row["invoice_id"]),
                       "payment_date": as_date(row["payment_date"]), "amount": int(row["amount"]),
                       "reverses_payment_id": as_text(row["reverses_payment_id"])}
            events.append((payment["payment_date"], 1, payment["amount"] < 0,
                           payment["payment_id"], "payment", payment))
        for row in records(inputs.adjustments):
            adjustment = {"adjustment_id": str(row["adjustment_id"]),
                          "invoice_id": str(row["invoice_id"]),
                          "adjustment_date": as_date(row["adjustment_date"]),
                          "kind": str(row["kind"]), "amount": int(row["amount"]),
                          "reverses_adjustment_id": as_text(row.get("reverses_adjustment_id"))}
            events.append((adjustment["adjustment_date"], 2, False,
                           adjustment["adjustment_id"], "adjustment", adjustment))
        for row in records(getattr(inputs, "commission_adjustments", None)):
            manual = {"commission_adjustment_id": str(row["commission_adjustment_id"]),
                      "rep_id": str(row["rep_id"]),
                      "adjustment_date": as_date(row["adjustment_date"]),
                      "amount": int(row["amount"]), "reason": str(row["reason"])}
            events.append((manual["adjustment_date"], 3, False,
                           manual["commission_adjustment_id"], "manual", manual))
        events.sort(key=lambda e: (e[0], e[1], e[2], e[3]))
        return events


# --------------------------------------------------------------------------- the calculation

def make_line(  # noqa: PLR0913 - one argument per field of a line
        period: str, rep_id: str, plan_id: str, event_id: str, invoice_id: str,
              line_kind: str, gross: int, haircut: int, rate: Fraction | None,
              late: int | None, h: Fraction | None) -> dict[str, Any]:
    """One line: gross - haircut = amount on every line."""
    assert line_kind in LINE_KINDS
    return {
        "period": period, "rep_id": rep_id, "plan_id": plan_id, "line_kind": line_kind,
        "event_id": event_id, "invoice_id": invoice_id, "gross": gross, "haircut": haircut,
        "amount": gross - haircut, "rate": rate, "days_late": late, "haircut_pct": h,
    }


class Reference:
    """The months in turn; the state carried between them is explicit here."""

    def __init__(self, data: Data, plans: dict[str, Plan]):
        self.data, self.plans = data, plans
        self.lines: list[dict[str, Any]] = []
        self.payouts: list[dict[str, Any]] = []
        self.invoice_line_rate: dict[tuple[str, str], Fraction] = {}  # (invoice, rep) -> rᵢ
        self.collection_lines: dict[tuple[str, str], dict[str, Any]] = {}  # (payment, rep)
        self.write_off_lines: dict[tuple[str, str], dict[str, Fraction]] = {}  # kind -> rate
        self.volumes: dict[tuple[str, str, str], Fraction] = {}  # (rep, period, plan) -> v
        self.carry: dict[str, int] = {rep["rep_id"]: 0 for rep in data.reps}

    # ---- volume, quota and rate ---------------------------------------------------------
    def month_volumes(self, period: str, month_events: list[tuple]) -> None:
        """Σ amount × share of each rep's earning events, per plan, for this batch."""
        for _, _, _, _, kind, data in month_events:
            if kind not in ("invoice", "payment"):
                continue
            for rep_id, share in self.data.credited(data["invoice_id"]):
                plan_id = self.data.invoice_plan(data["invoice_id"], rep_id)
                basis = self.plans[plan_id].basis
                earns = (kind == "invoice") if basis == "invoiced" else (kind == "payment")
                if earns:
                    key = (rep_id, period, plan_id)
                    self.volumes[key] = (self.volumes.get(key, Fraction(0))
                                         + Fraction(data["amount"], 100) * share)

    def earlier_volume(self, rep_id: str, period: str, plan_id: str) -> Fraction:
        """V₀: the rep's volume under this plan in earlier months of the quota period."""
        form = self.plans[plan_id].quota.period
        this = quota_period_of(period, form)
        return sum((v for (r, p, pl), v in self.volumes.items()
                    if r == rep_id and pl == plan_id and p < period
                    and quota_period_of(p, form) == this), Fraction(0))

    def quota(self, rep_id: str, period: str, plan_id: str) -> Fraction | None:
        form = self.plans[plan_id].quota.period
        return self.data.quotas.get((rep_id, quota_period_of(period, form)))

    def batch_rate(self, rep_id: str, period: str, plan_id: str) -> Fraction:
        plan = self.plans[plan_id]
        v = self.volumes.get((rep_id, period, plan_id), Fraction(0))
        if plan.rate is not None:
            return exact(plan.rate)
        if not measures_attainment(plan):
            return rate_for_volume(plan, v)
        quota = self.quota(rep_id, period, plan_id)
        assert quota is not None, f"no quota for {rep_id} in {period}"
        return tier_rate(plan, self.earlier_volume(rep_id, period, plan_id), v, quota)

    # ---- lines of one event ---------------------------------------------------------------
    def line(self, *args: Any, **kw: Any) -> dict[str, Any]:
        made = make_line(*args, **kw)
        self.lines.append(made)
        return made

    def invoice_event(self, period: str, event_id: str, data: dict[str, Any]) -> None:
        for rep_id, share in self.data.credited(data["invoice_id"]):
            plan_id = self.data.invoice_plan(data["invoice_id"], rep_id)
            plan = self.plans[plan_id]
            p = prepaid_share(plan)
            if p > 0:
                r = self.batch_rate(rep_id, period, plan_id)
                money = round_fraction(data["amount"] * share * r * p, plan.rounding)
                self.line(period, rep_id, plan_id, event_id, data["invoice_id"], "invoice",
                          money, 0, r, None, None)
                self.invoice_line_rate[(data["invoice_id"], rep_id)] = r

    def payment_event(self, period: str, event_id: str, data: dict[str, Any]) -> None:
        invoice = self.data.invoices[data["invoice_id"]]
        for rep_id, share in self.data.credited(invoice["invoice_id"]):
            plan_id = self.data.invoice_plan(invoice["invoice_id"], rep_id)
            plan = self.plans[plan_id]
            p, mode = prepaid_share(plan), plan.rounding
            where = (period, rep_id, plan_id, event_id, invoice["invoice_id"])
            if data["amount"] > 0:
                if p < 1 or plan.late_payment is not None:
                    c = data["amount"]
                    r = self.batch_rate(rep_id, period, plan_id)
                    late = h = None  # a plan without late_payment has no lateness
                    if plan.late_payment is not None:
                        late = days_late(plan, invoice, data["payment_date"],
                                         self.data.disputes.get(invoice["invoice_id"], []))
                        h = haircut_for(plan, late)
                    gross = round_fraction(c * share * r * (1 - p), mode)
                    cut = round_fraction(c * share * r * (h or 0), mode)
                    self.collection_lines[(event_id, rep_id)] = self.line(
                        *where, "collection", gross, cut, r, late, h)
                continue
            x = -data["amount"]  # a reversal at the reversed payment's r₀ and h₀
            original = self.collection_lines.get((data["reverses_payment_id"], rep_id))
            if original is not None:
                r0, h0 = original["rate"], original["haircut_pct"]
                gross = -round_fraction(x * share * r0 * (1 - p), mode)
                cut = -round_fraction(x * share * r0 * (h0 or 0), mode)
                self.line(*where, "reversal", gross, cut, r0, original["days_late"], h0)

    def adjustment_event(self, period: str, event_id: str, data: dict[str, Any]) -> None:
        invoice = self.data.invoices[data["invoice_id"]]
        for rep_id, share in self.data.credited(invoice["invoice_id"]):
            plan_id = self.data.invoice_plan(invoice["invoice_id"], rep_id)
            plan = self.plans[plan_id]
            p, mode = prepaid_share(plan), plan.rounding
            where = (period, rep_id, plan_id, event_id, invoice["invoice_id"])
            ri = self.invoice_line_rate.get((invoice["invoice_id"], rep_id), Fraction(0))
            x = data["amount"]
            if data["kind"] in ("credit_note", "discount"):
                if p > 0:
                    self.line(*where, "credit", -round_fraction(x * share * ri * p, mode), 0,
                              ri, None, None)
            elif data["kind"] == "write_off":
                window = plan.bad_debt.window_days
                age = (data["adjustment_date"] - invoice["invoice_date"]).days
                made: dict[str, Fraction] = {}
                if window is None or age <= window:
                    if p > 0:
                        self.line(*where, "clawback", -round_fraction(x * share * ri * p, mode),
                                  0, ri, None, None)
                        made["clawback"] = ri
                    penalty_rate = exact(plan.bad_debt.penalty_rate)
                    if penalty_rate > 0:
                        self.line(*where, "penalty",
                                  -round_fraction(x * share * penalty_rate, mode), 0,
                                  penalty_rate, None, None)
                        made["penalty"] = penalty_rate
                self.write_off_lines[(event_id, rep_id)] = made
            else:  # write_off_reversal: the mirror image of the write-off's own lines
                assert data["kind"] == "write_off_reversal", data["kind"]
                made = self.write_off_lines.get((data["reverses_adjustment_id"], rep_id), {})
                if "clawback" in made:
                    rate = made["clawback"]
                    self.line(*where, "clawback_reversal",
                              round_fraction(x * share * rate * p, mode), 0, rate, None, None)
                if "penalty" in made:
                    rate = made["penalty"]
                    self.line(*where, "penalty_reversal",
                              round_fraction(x * share * rate, mode), 0, rate, None, None)

    def manual_event(self, period: str, event_id: str, data: dict[str, Any]) -> None:
        plan_id = self.data.plan_on(data["rep_id"], last_day(period))
        self.line(period, data["rep_id"], plan_id, event_id, "", "manual", data["amount"], 0,
                  None, None, None)

    def override_lines(self, period: str, month_events: list[tuple]) -> None:
        """One line per direct report with cash collected, for managers whose plan says so."""
        for manager in self.data.reps:
            plan_id = self.data.plan_on(manager["rep_id"], last_day(period))
            plan = self.plans[plan_id]
            override = getattr(plan, "override", None)
            if override is None:
                continue
            for report in self.data.reps:
                if report["manager_id"] != manager["rep_id"]:
                    continue
                c = Fraction(0)
                for _, _, _, _, kind, data in month_events:
                    if kind != "payment":
                        continue
                    for rep_id, share in self.data.credited(data["invoice_id"]):
                        if rep_id == report["rep_id"]:
                            c += data["amount"] * share
                if c != 0:
                    rate = exact(override.rate)
                    money = round_fraction(rate * c, plan.rounding)
                    self.line(period, manager["rep_id"], plan_id, report["rep_id"], "",
                              "override", money, 0, rate, None, None)

    # ---- payouts --------------------------------------------------------------------------
    def attainment(self, rep_id: str, period: str, plan_id: str) -> Decimal | None:
        plan = self.plans[plan_id]
        if not measures_attainment(plan):
            return None
        quota = self.quota(rep_id, period, plan_id)
        if quota is None:
            return None
        total = (self.earlier_volume(rep_id, period, plan_id)
                 + self.volumes.get((rep_id, period, plan_id), Fraction(0)))
        return Decimal(round_fraction(total / quota * 10_000, "half_even")).scaleb(-4)

    def payout_row(self, period: str, rep_id: str) -> dict[str, Any]:
        plan_id = self.data.plan_on(rep_id, last_day(period))
        plan = self.plans[plan_id]
        mine = [ln for ln in self.lines if ln["period"] == period and ln["rep_id"] == rep_id]
        gross = (sum(ln["gross"] for ln in mine if ln["line_kind"] in GROSS_KINDS)
                 + sum(ln["amount"] for ln in mine
                       if ln["line_kind"] == "manual" and ln["amount"] > 0))
        haircuts = sum(ln["haircut"] for ln in mine if ln["line_kind"] == "collection")
        clawbacks = (-sum(ln["amount"] for ln in mine if ln["line_kind"] in CLAWBACK_KINDS)
                     - sum(ln["amount"] for ln in mine
                           if ln["line_kind"] == "manual" and ln["amount"] < 0))
        net = gross - haircuts - clawbacks
        assert net == sum(ln["amount"] for ln in mine)
        carry_in = self.carry[rep_id]
        paid, carry_out = self.pay(plan, net + carry_in)
        self.carry[rep_id] = carry_out
        return {"period": period, "rep_id": rep_id, "plan_id": plan_id, "gross": gross,
                "haircuts": haircuts, "clawbacks": clawbacks, "net": net,
                "carry_in": carry_in, "payout": paid, "carry_out": carry_out,
                "attainment": self.attainment(rep_id, period, plan_id)}

    @staticmethod
    def pay(plan: Plan, balance: int) -> tuple[int, int]:
        """(payout, carry_out) of a balance: part 1's rule, then the draw's top-up."""
        min_payout = cents_of(plan.payout.min_payout)
        if balance < 0:
            paid, carry_out = 0, (balance if plan.payout.carry_forward_negative else 0)
        elif balance < min_payout:
            paid, carry_out = 0, balance
        else:
            paid, carry_out = balance, 0
            if plan.payout.cap is not None:
                paid = min(balance, cents_of(plan.payout.cap))
        draw = getattr(plan.payout, "draw", None)
        if draw is not None and paid < cents_of(draw.amount):
            top_up = cents_of(draw.amount) - paid
            paid += top_up
            if draw.recoverable:
                carry_out -= top_up
        return paid, carry_out

    # ---- one month ------------------------------------------------------------------------
    def month(self, period: str) -> None:
        month_events = [e for e in self.data.events if month_of(e[0]) == period]
        self.month_volumes(period, month_events)
        handlers = {"invoice": self.invoice_event, "payment": self.payment_event,
                    "adjustment": self.adjustment_event, "manual": self.manual_event}
        for _, _, _, event_id, kind, data in month_events:
            handlers[kind](period, event_id, data)
        self.override_lines(period, month_events)
        for rep in self.data.reps:
            self.payouts.append(self.payout_row(period, rep["rep_id"]))


def reference_calculate(inputs: Inputs, plans: dict[str, Plan], through: str | None = None,
                        plan_override: str | None = None
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every month from the earliest event through ``through``: (lines, payouts)."""
    data = Data(inputs, plan_override)
    if not data.events:
        return [], []
    period = month_of(data.events[0][0])
    last = through[:7] if through is not None else month_of(data.events[-1][0])
    calc = Reference(data, plans)
    while period <= last:
        calc.month(period)
        period = next_month(period)
    return calc.lines, calc.payouts

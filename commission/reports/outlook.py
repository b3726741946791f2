"""What is still to come on open invoices, and what is at stake on the late ones.

Everything here is *as of* a date: only the events dated on or before it are
known. A payment, an adjustment or a dispute dated later has not happened yet,
and a dispute resolved after the date was still open on it.

Days late, the haircut schedule, the rate and the prepaid share come from
:mod:`commission.plans` (the one place each is computed); money is rounded once, by
:func:`commission.money.mul_round`, with the plan's rounding mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commission.inputs import SHARE_SCALE, Inputs
from commission.money import mul_round, ratio_mul, ratio_to_decimal_str
from commission.periods import day_numbers
from commission.plans import (
    SCALE,
    Plan,
    PlanTable,
    collected_share,
    days_late,
    haircut,
    merged_disputes,
    next_growth,
    opening_rate,
    plans_in_force,
)

#: where a row's rate comes from
RATE_PLAN = "plan"  # the plan's flat rate
RATE_LATEST_LINE = "latest line"  # tiered: the rate of the rep's latest earning line
RATE_FIRST_BRACKET = "first bracket"  # tiered, no line yet: the first bracket's rate

OPEN_INVOICE_COLUMNS = [
    "rep_id", "plan_id", "customer_id", "invoice_id", "invoice_date", "due_date", "amount",
    "open_amount", "share", "days_past_due", "days_late_if_paid_today", "haircut_num_now",
    "haircut_pct_now", "rate", "rate_num", "rate_den", "rate_source", "commission_to_come",
    "haircut_now", "net_to_come", "at_stake", "act_by", "next_haircut_num", "next_haircut_pct",
    "clock_paused",
]


def as_day(value: dt.date | str | np.datetime64 | pd.Timestamp) -> np.datetime64:
    """A date (``date``, ISO string, Timestamp or datetime64) as ``datetime64[D]``."""
    return np.datetime64(pd.Timestamp(value).date(), "D")


# --------------------------------------------------------------------------- balances


def open_balances(inputs: Inputs, as_of: dt.date | str) -> pd.DataFrame:
    """Every invoice issued on or before ``as_of`` with what is left of it then.

    Columns: the invoice's columns, ``paid`` (payments net of reversals),
    ``adjusted`` (credit notes, discounts and write-offs) and ``open_amount`` =
    amount − paid − adjusted, all int64 cents and counting only events dated on
    or before ``as_of``. Settled invoices are kept (``open_amount`` 0).
    """
    day = as_day(as_of)
    inv = inputs.invoices
    issued = inv[inv["invoice_date"].to_numpy().astype("datetime64[D]") <= day]
    pay, adj = inputs.payments, inputs.adjustments
    paid = _sum_by_invoice(pay, pay["payment_date"], day)
    adjusted = _sum_by_invoice(adj, adj["adjustment_date"], day)
    ids = issued["invoice_id"]
    out = issued.reset_index(drop=True).copy()
    out["paid"] = paid.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
    out["adjusted"] = adjusted.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
    out["open_amount"] = (out["amount"].to_numpy(dtype=np.int64) - out["paid"].to_numpy()
                          - out["adjusted"].to_numpy())
    return out


def _sum_by_invoice(table: pd.DataFrame, dates: pd.Series, day: np.datetime64) -> pd.Series:
    known = table[dates.to_numpy().astype("datetime64[D]") <= day]
    return known.groupby("invoice_id", sort=False)["amount"].sum().astype(np.int64)


def open_by_rep(inputs: Inputs, day: np.datetime64, rep_id: str | None = None
                ) -> pd.DataFrame:
    """Each credited rep's open invoices (open balance > 0 as of ``day``), one row per pair."""
    bal = open_balances(inputs, day)
    bal = bal[bal["open_amount"] > 0]
    who = credited(inputs)
    if rep_id is not None:
        who = who[who["rep_id"] == rep_id]
    return who.merge(bal, on="invoice_id", how="inner", suffixes=("", "_invoice"))


def credited(inputs: Inputs) -> pd.DataFrame:
    """Who is credited on each invoice: its splits if any, else ``invoices.rep_id`` (share 1).

    Columns invoice_id, rep_id, share (int64 billionths of ``SHARE_SCALE``).
    """
    inv, sp = inputs.invoices, inputs.splits
    split_ids = pd.Index(sp["invoice_id"].to_numpy(dtype=object)).unique()
    own = inv[~inv["invoice_id"].isin(split_ids)]
    return pd.concat([
        pd.DataFrame({"invoice_id": own["invoice_id"].to_numpy(dtype=object),
                      "rep_id": own["rep_id"].to_numpy(dtype=object),
                      "share": np.full(len(own), SHARE_SCALE, dtype=np.int64)}),
        pd.DataFrame({"invoice_id": sp["invoice_id"].to_numpy(dtype=object),
                      "rep_id": sp["rep_id"].to_numpy(dtype=object),
                      "share": sp["share"].to_numpy(dtype=np.int64)}),
    ], ignore_index=True)


def known_disputes(disputes: pd.DataFrame, as_of: dt.date | str) -> pd.DataFrame:
    """The disputes as known on ``as_of``: opened by then; resolved later means still open."""
    day = as_day(as_of)
    opened = disputes["opened_date"].to_numpy().astype("datetime64[D]")
    known = disputes[opened <= day].copy()
    resolved = known["resolved_date"].to_numpy().astype("datetime64[D]")
    later = ~np.isnat(resolved) & (resolved > day)
    known["resolved_date"] = known["resolved_date"].mask(later)
    return known


# --------------------------------------------------------------------------- open invoices


def _row_plans(inputs: Inputs, rep_plan_ids: Mapping[str, str] | np.ndarray | pd.Series | None,
               rows: pd.DataFrame) -> np.ndarray:
    """The plan of each (invoice, rep) row: the plan in force on the invoice date.

    None: the assignments, else ``reps.plan_id`` (the engine's rule); a column aligned
    with ``inputs.reps``: the plan of each rep without an assignment (as for
    ``engine.compute``); a mapping rep_id -> plan_id: that plan, assignments ignored
    (a what-if, as the engine's ``plan_override``).
    """
    reps = rows["rep_id"].to_numpy(dtype=object)
    if isinstance(rep_plan_ids, Mapping):
        return pd.Series(dict(rep_plan_ids), dtype=object).reindex(reps).to_numpy(dtype=object)
    default = None
    if rep_plan_ids is not None:
        default = np.asarray(rep_plan_ids, dtype=object)
        if len(default) != len(inputs.reps):
            raise ValueError("rep_plan_ids must have one plan id per row of inputs.reps")
    return plans_in_force(inputs.reps, inputs.plan_assignments, reps,
                          rows["invoice_date"].to_numpy(), default)


def _latest_rates(lines: pd.DataFrame | None, as_of: np.datetime64) -> pd.DataFrame:
    """Rate (num, den) of each (rep, plan)'s latest invoice or collection line up to ``as_of``."""
    cols = ["rep_id", "plan_id", "rate_num", "rate_den"]
    if lines is None or lines.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    earning = lines[lines["line_kind"].isin(["invoice", "collection"])
                    & (lines["event_date"].to_numpy().astype("datetime64[D]") <= as_of)]
    latest = earning.sort_values(["period", "event_date"], kind="stable").groupby(
        ["rep_id", "plan_id"], sort=False).tail(1)
    return latest[cols].reset_index(drop=True)


def _empty_open_frame() -> pd.DataFrame:
    dates = ("invoice_date", "due_date", "act_by")
    ints = ("amount", "open_amount", "share", "days_past_due", "haircut_num_now",
            "commission_to_come", "haircut_now", "net_to_come", "at_stake", "next_haircut_num")
    data = {}
    for c in OPEN_INVOICE_COLUMNS:
        if c in dates:
            data[c] = pd.Series([], dtype="datetime64[s]")
        elif c in ints:
            data[c] = pd.Series([], dtype=np.int64)
        elif c == "days_late_if_paid_today":
            data[c] = pd.Series([], dtype="Int64")
        elif c == "clock_paused":
            data[c] = pd.Series([], dtype=bool)
        else:
            data[c] = pd.Series([], dtype=object)
    return pd.DataFrame(data)


def open_invoices(inputs: Inputs, plans: Mapping[str, Plan],
                  rep_plan_ids: Mapping[str, str] | np.ndarray | pd.Series | None,
                  as_of: dt.date | str, rep_id: str | None = None, *,
                  lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each credited rep's open invoices as of ``as_of``, with the commission still to come.

    One row per (invoice, credited rep) whose ``open_amount`` (amount − payments net
    of reversals − credit notes − discounts − write-offs, as of ``as_of``) is above
    0. Each row is valued under the plan in force for the rep on the invoice date
    (``inputs.plan_assignments``, else ``reps.plan_id``: :func:`plans_in_force`, the
    engine's rule). ``rep_plan_ids`` may replace ``reps.plan_id`` with a column aligned
    with ``inputs.reps`` (as for ``engine.compute``), or force each rep's plan with a
    mapping rep_id -> plan_id (assignments ignored, as ``plan_override``).

    Money (int64 cents, each figure rounded once with the plan's rounding mode),
    with ``r`` the rate, ``p`` the plan's prepaid share and ``h`` a haircut:

    - ``commission_to_come`` = round(open × share × r × (1 − p)): what collecting the
      balance in one payment would earn before any haircut;
    - ``haircut_now`` = round(open × share × r × h_now), h_now the haircut of a
      payment on ``as_of``;
    - ``net_to_come`` = commission_to_come − haircut_now: "still to come" net of the
      haircut already incurred, exactly the ``collection`` line (contract: round(c × share
      × r × (1 − p)) − round(c × share × r × h)) a payment of the whole balance on
      ``as_of`` makes; negative on an invoiced plan with a haircut (only a cut is left);
    - ``at_stake`` = round(open × share × r × h_next) − haircut_now: what the plan's
      next haircut step would cut in addition, 0 when the haircut can grow no more
      (kept while a dispute pauses the clock: it is what the step cuts once it runs).

    The haircut is on the whole commission (r, not r × (1 − p)), as on a collection
    line, so an invoiced plan with a haircut has something at stake and nothing to come.

    Days: ``days_past_due`` = as_of − due_date (negative before the due date);
    ``days_late_if_paid_today`` is the plan's days late for a payment on ``as_of``
    (clock, grace days and dispute pause included; NA for a plan without
    ``late_payment``). ``act_by`` is the last day a payment keeps today's haircut
    (the day before the haircut next grows), NaT when it can grow no more or while
    an open dispute pauses the clock (``clock_paused``: nobody knows when it resumes).

    Rate: a flat plan's ``rate``. A tiered plan's rate depends on a future month's
    volume, so it is estimated with the rate of the rep's latest ``invoice`` or
    ``collection`` line in ``lines`` under the same plan (dated on or before
    ``as_of``), else with the first bracket's rate; ``rate_source`` says which.
    """
    day = as_day(as_of)
    table = PlanTable.build(plans)
    rows = open_by_rep(inputs, day, rep_id)
    if rows.empty:
        return _empty_open_frame()
    plan_ids = _row_plans(inputs, rep_plan_ids, rows)
    if pd.isna(plan_ids).any():
        missing = sorted(set(rows["rep_id"].to_numpy(dtype=object)[pd.isna(plan_ids)]))
        raise KeyError(f"no plan for rep(s): {', '.join(map(str, missing))}")
    codes = table.codes(plan_ids)
    late = _lateness_as_of(inputs, rows, codes, table, day)
    r_num, r_den, source = _row_rates(table, codes, rows["rep_id"].to_numpy(dtype=object),
                                      plan_ids, lines, day)
    open_cents = rows["open_amount"].to_numpy(dtype=np.int64)
    money = _Money(open_cents, rows["share"].to_numpy(dtype=np.int64), r_num, r_den,
                   table.half_even[codes])
    rate = (r_num, r_den, source)
    return _open_frame(rows, plan_ids, late, rate, money, collected_share(codes, table))


def _open_frame(rows: pd.DataFrame, plan_ids: np.ndarray, late: _Lateness,
                rate: tuple[np.ndarray, np.ndarray, np.ndarray], money: _Money,
                to_come_factor: np.ndarray) -> pd.DataFrame:
    """The rows of :func:`open_invoices`, sorted, in ``OPEN_INVOICE_COLUMNS`` order."""
    r_num, r_den, source = rate
    open_cents = money.open_cents
    to_come = money.at(to_come_factor)
    cut_now, cut_next = money.at(late.h_now), money.at(late.h_next)
    out = pd.DataFrame({
        "rep_id": rows["rep_id"].to_numpy(dtype=object),
        "plan_id": plan_ids,
        "customer_id": rows["customer_id"].to_numpy(dtype=object),
        "invoice_id": rows["invoice_id"].to_numpy(dtype=object),
        "invoice_date": rows["invoice_date"].to_numpy(),
        "due_date": rows["due_date"].to_numpy(),
        "amount": rows["amount"].to_numpy(dtype=np.int64),
        "open_amount": open_cents,
        "share": money.share,
        "days_past_due": late.today - late.due_day,
        "days_late_if_paid_today": pd.array(np.where(late.has_late, late.days_now, 0),
                                            dtype="Int64"),
        "haircut_num_now": late.h_now,
        "haircut_pct_now": _fraction_text(late.h_now, late.has_late),
        "rate": _rate_text(r_num, r_den),
        "rate_num": r_num,
        "rate_den": r_den,
        "rate_source": source,
        "commission_to_come": to_come,
        "haircut_now": cut_now,
        "net_to_come": to_come - cut_now,
        "at_stake": cut_next - cut_now,
        "act_by": late.act_by,
        "next_haircut_num": late.h_next,
        "next_haircut_pct": _fraction_text(late.h_next, late.has_late),
        "clock_paused": late.paused,
    })
    out.loc[~late.has_late, "days_late_if_paid_today"] = pd.NA
    return out.sort_values(["rep_id", "customer_id", "due_date", "invoice_id"], kind="stable",
                           ignore_index=True)[OPEN_INVOICE_COLUMNS]


@dataclass(frozen=True)
class _Lateness:
    """Each row's lateness as of the day: days late, haircut now and next, when to act."""

    today: np.ndarray
    due_day: np.ndarray
    has_late: np.ndarray
    days_now: np.ndarray
    h_now: np.ndarray
    h_next: np.ndarray
    act_by: np.ndarray
    paused: np.ndarray


def _lateness_as_of(inputs: Inputs, rows: pd.DataFrame, codes: np.ndarray, table: PlanTable,
                    day: np.datetime64) -> _Lateness:
    """Days late and haircuts of a payment on ``day``, and the last day to keep today's."""
    n = len(rows)
    inv_day = day_numbers(rows["invoice_date"])
    due_day = day_numbers(rows["due_date"])
    today = np.full(n, int(day.astype(np.int64)), dtype=np.int64)
    invoice_ids = rows["invoice_id"].to_numpy(dtype=object)
    merged = merged_disputes(known_disputes(inputs.disputes, day))
    has_late = table.has_late[codes]
    late_now = days_late(codes, table, inv_day, due_day, today, invoice_ids, merged)
    h_now = haircut(codes, table, late_now)
    # a dispute still open today stops the clock for as long as it stays open
    open_disp = merged[merged["end"].to_numpy() > today[0]]["invoice_id"]
    paused = has_late & table.pause[codes] & pd.Index(invoice_ids).isin(open_disp)
    # days before lateness starts counting (before the clock date, or inside grace):
    # far enough ahead every row is late, and from today on days late grows one a day
    ahead = np.maximum(due_day - today, 0) + table.grace[codes] + 1
    late_ahead = days_late(codes, table, inv_day, due_day, today + ahead, invoice_ids, merged)
    lead = np.maximum(ahead - late_ahead, 0)
    wait, h_next = next_growth(codes, table, late_now, h_now)
    grows = has_late & (wait >= 0) & (h_next > h_now) & ~paused
    act_day = today + lead + np.maximum(wait, 0) - 1
    act_by = np.where(grows, act_day, 0).astype("datetime64[D]").astype("datetime64[s]")
    act_by[~grows] = np.datetime64("NaT")
    return _Lateness(today=today, due_day=due_day, has_late=has_late, days_now=late_now,
                     h_now=h_now, h_next=np.where(h_next > h_now, h_next, h_now),
                     act_by=act_by, paused=paused)


class _Money:
    """round(open × share × r × factor) per row, the plan's rounding, rounded once."""

    def __init__(self, open_cents: np.ndarray, share: np.ndarray, r_num: np.ndarray,
                 r_den: np.ndarray, half_even: np.ndarray):
        n = len(open_cents)
        self.open_cents, self.share, self.half_even = open_cents, share, half_even
        self.num, self.den = ratio_mul(share, np.full(n, SHARE_SCALE, dtype=np.int64),
                                       r_num, r_den)

    def at(self, factor: np.ndarray) -> np.ndarray:
        """The money at ``factor`` (over SCALE)."""
        num, den = ratio_mul(self.num, self.den, factor,
                             np.full(len(factor), SCALE, dtype=np.int64))
        return mul_round(self.open_cents, num, den, self.half_even)


def _row_rates(table: PlanTable, codes: np.ndarray, reps: np.ndarray, plan_ids: np.ndarray,
               lines: pd.DataFrame | None, day: np.datetime64
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate (num, den as Python ints) and its source for each row."""
    n = len(codes)
    num = opening_rate(codes, table).astype(object)  # Python ints
    den = np.full(n, SCALE, dtype=object)
    source = np.full(n, RATE_PLAN, dtype=object)
    latest = _latest_rates(lines, day)
    found = pd.MultiIndex.from_frame(latest[["rep_id", "plan_id"]]).get_indexer(
        pd.MultiIndex.from_arrays([reps, plan_ids])) if len(latest) else np.full(n, -1)
    tiered = table.tiers.tiered[codes]
    source[tiered] = RATE_FIRST_BRACKET
    hit = tiered & (found >= 0)
    if hit.any():
        num[hit] = latest["rate_num"].to_numpy(dtype=object)[found[hit]]
        den[hit] = latest["rate_den"].to_numpy(dtype=object)[found[hit]]
        source[hit] = RATE_LATEST_LINE
    return num, den, source


def _rate_text(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Each row's rate as the lines' ``rate`` text, worded once per distinct rate."""
    key = pd.Series(num, dtype=object).astype(str) + "/" + pd.Series(den, dtype=object).astype(str)
    codes, _ = pd.factorize(key)
    first = pd.Series(np.arange(len(key))).groupby(codes).first().to_numpy()
    text = np.array([ratio_to_decimal_str(int(num[i]), int(den[i])) for i in first],
                    dtype=object)
    return text[codes]


def _fraction_text(h: np.ndarray, has_late: np.ndarray) -> np.ndarray:
    """A haircut over SCALE as the lines' ``haircut_pct`` text ('0.1'); '' without a schedule."""
    uniq, inv = np.unique(h, return_inverse=True)
    text = np.array([ratio_to_decimal_str(int(v), SCALE) for v in uniq], dtype=object)[inv]
    return np.where(has_late, text, "").astype(object)


__all__ = [
    "OPEN_INVOICE_COLUMNS",
    "RATE_FIRST_BRACKET",
    "RATE_LATEST_LINE",
    "RATE_PLAN",
    "as_day",
    "credited",
    "known_disputes",
    "open_balances",
    "open_invoices",
]

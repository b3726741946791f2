"""Plan comparison for management: the same history under several plans, side by side.

Every figure here is a sum of the engine's own payouts and lines: each plan is run
with :func:`commission.engine.calculate` (``plan_override``: every rep on that plan)
through the last period compared, and the months of the range are kept. Nothing is
recomputed, so a total on the compare page is the total the engine would pay.

The months before the range are still computed (each plan's carry-forward flows into
the range exactly as it would have), and events after the range wait, as in a real
run. Money stays int64 cents; a ratio (cost as a share of cash) is an exact Decimal
rounded once for display.

Also here, because they are pure and worth testing without a browser: shifting
payment dates ("customers pay N days later"), and deriving, checking and saving a
variant of a plan from the values of the page's controls.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from commission.engine import Result, calculate, event_months, exact_sum, unique_keys
from commission.inputs import over_time
from commission.inputs.checks import CheckData
from commission.periods import parse_period, period_label, span_label, span_start
from commission.plans.language import Plan, parse_plan
from commission.problems import Problem

#: the rows of the waterfall, from gross commission to payout, in order
WATERFALL_STEPS = ("Gross commission", "Haircuts", "Clawbacks", "Penalties", "Carried in",
                   "Carried out", "Forfeited above cap", "Payout")
#: money columns of the per-plan summary, in display order
SUMMARY_MONEY = ["gross", "haircuts", "clawbacks", "penalties", "net", "carry_in",
                 "carry_out", "forfeited", "payout", "cash_collected"]
#: money columns of the per-rep and per-month tables
TOTAL_MONEY = ["gross", "haircuts", "clawbacks", "penalties", "net", "payout"]
_TOTALS = ["gross", "haircuts", "clawbacks", "net", "payout"]


# --------------------------------------------------------------------------- periods, cash


def data_periods(inputs) -> list[str]:
    """Every month from the earliest event (invoice, payment, adjustment) to the latest."""
    months = event_months(inputs)
    if len(months) == 0:
        return []
    return list(period_label(np.arange(int(months.min()), int(months.max()) + 1)))


def pushed_past(inputs, days: int, end: dt.date | None) -> np.ndarray:
    """Which payments, dated ``days`` later, would fall after ``end`` (the data's last day).

    Such cash has not arrived within the data: it is still to come, not a saving.
    """
    pay = inputs.payments
    if end is None or days <= 0 or len(pay) == 0:
        return np.zeros(len(pay), dtype=bool)
    moved = pay["payment_date"].to_numpy().astype("datetime64[D]") + np.timedelta64(days, "D")
    return np.asarray(moved > np.datetime64(end, "D"), dtype=bool)


def still_to_come(inputs, days: int, end: dt.date | None) -> tuple[int, int]:
    """(count, amount in cents) of the payments :func:`pushed_past` leaves out."""
    mask = pushed_past(inputs, days, end)
    return int(mask.sum()), int(inputs.payments["amount"].to_numpy(np.int64)[mask].sum())


def shift_payments(inputs, days: int, end: dt.date | None = None, hold_back: int | None = None):
    """The inputs with every payment (and reversal) dated ``days`` later (earlier if < 0).

    With ``end`` (the data's last day), the payments that a shift of ``hold_back``
    days (default ``days``) would push past ``end`` are left out: that cash is still
    to come, and counting it as unpaid commission would show a slower collection as
    a saving. Leaving out the same payments at every shift of a curve (``hold_back``
    = its largest shift) compares like with like.

    A payment never moves before its invoice's date (the contract forbids it), so a
    large negative shift stops at the invoice date. The order of one invoice's
    payments is kept (a reversal still follows the payment it reverses), because the
    shift is the same for every payment and clipping at one date keeps order.
    Disputes, adjustments and due dates stay where they are: only customer behaviour
    changes. The shifted inputs are not re-validated: they are a what-if, not data.
    """
    days = int(days)
    held = pushed_past(inputs, days if hold_back is None else int(hold_back), end)
    if held.any():
        inputs = inputs.replace(payments=inputs.payments[~held].reset_index(drop=True))
    if days == 0 or len(inputs.payments) == 0:
        return inputs
    pay = inputs.payments
    moved = pay["payment_date"].to_numpy().astype("datetime64[s]") + np.timedelta64(days, "D")
    issued = pd.Series(inputs.invoices["invoice_date"].to_numpy().astype("datetime64[s]"),
                       index=inputs.invoices["invoice_id"].to_numpy(dtype=object))
    floor = issued.reindex(pay["invoice_id"].to_numpy(dtype=object)).to_numpy()
    known = ~np.isnat(floor)
    moved = np.where(known & (moved < floor), floor, moved).astype("datetime64[s]")
    return inputs.replace(payments=pay.assign(payment_date=moved))


def _in_range(periods: pd.Series, first: str, last: str) -> np.ndarray:
    values = periods.to_numpy(dtype=object)
    return ((values >= first) & (values <= last)).astype(bool)


def cash_collected(inputs, first: str, last: str) -> int:
    """Cash received in the months first..last: Σ positive payments − reversals (cents)."""
    pay = inputs.payments
    if len(pay) == 0:
        return 0
    months = pay["payment_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    inside = (months >= parse_period(first)) & (months <= parse_period(last))
    return int(pay["amount"].to_numpy(dtype=np.int64)[inside].sum())


def check_range(first: str, last: str) -> None:
    """ValueError unless first and last are months (YYYY-MM) with first ≤ last."""
    parse_period(first)
    parse_period(last)
    if first > last:
        raise ValueError(f"the first period {first} is after the last {last}")


# --------------------------------------------------------------------------- one plan


@dataclass(frozen=True)
class PlanRun:
    """One plan applied to every rep: its payouts and penalties in the compared months.

    ``payouts`` has the engine's payout columns (one row per rep and month);
    ``penalties`` the cost of ``penalty`` lines per (period, rep_id), positive cents,
    because the engine's ``clawbacks`` lumps them with reversals, credits and
    clawbacks and management wants them apart.
    """

    plan: Plan
    first: str
    last: str
    payouts: pd.DataFrame
    penalties: pd.DataFrame

    @property
    def plan_id(self) -> str:
        return self.plan.id


def run_plan(inputs, plan: Plan, first: str, last: str,
             plans: Mapping[str, Plan] | None = None) -> PlanRun:
    """Run the engine with every rep on ``plan`` through ``last``; keep first..last.

    With ``plans``, no rep is forced onto ``plan``: each rep is on the plan the inputs
    assign (``reps.plan_id`` and ``plan_assignments``) and ``plan`` only names the run
    (the status quo, or a variant from a month on: :func:`variant_from`).
    """
    check_range(first, last)
    if plans is None:
        result = calculate(inputs, {plan.id: plan}, through=last, plan_override=plan.id,
                           totals_only=True)
    else:
        result = calculate(inputs, dict(plans), through=last, totals_only=True)
    return _plan_run(plan, first, last, result)


def _plan_run(plan: Plan, first: str, last: str, result: Result) -> PlanRun:
    """The months first..last of one plan's result; penalties from its line totals.

    Only totals are read (never ``result.lines``): no line is explained for a what-if.
    """
    pay = result.payouts
    pay = pay[_in_range(pay["period"], first, last)].reset_index(drop=True)
    totals = result.line_totals(kinds=["penalty"])
    pen = totals[_in_range(totals["period"], first, last)]
    penalties = pd.DataFrame({"period": pen["period"].to_numpy(dtype=object),
                              "rep_id": pen["rep_id"].to_numpy(dtype=object),
                              "penalties": -pen["amount"].to_numpy(dtype=np.int64)})
    return PlanRun(plan, first, last, penalties=penalties.reset_index(drop=True), payouts=pay)


# --------------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class ComparisonResult:
    """The tables of a comparison (money int64 cents); the first plan is the baseline.

    - ``summary``: one row per plan: gross, haircuts, clawbacks (reversals, credits
      and clawbacks), penalties, net, carry_in (into the first month), carry_out
      (out of the last), forfeited (above a cap), payout, cash_collected, and
      cost_pct (payout ÷ cash × 100, a Decimal to 0.01; None without cash), and
      change (payout − the baseline's payout).
      payout = net + carry_in − carry_out − forfeited.
    - ``per_rep``: plan, rep and their totals over the range (long form).
    - ``per_month``: plan, period and totals of every rep.
    - ``winners_losers``: each rep's payout under each other plan against the
      baseline: change (cents) and change_pct (Decimal to 0.1, None from 0).
    - ``waterfall``: per plan, the steps from gross commission to payout with the
      running start and end of each bar.
    - ``distribution``: per plan, the spread of the reps' payouts (min, quartiles,
      median, max: each an actual rep's payout, never an average of two).
    """

    plan_ids: list[str]
    names: dict[str, str]
    first: str
    last: str
    shift_days: int
    cash_collected: int
    summary: pd.DataFrame
    per_rep: pd.DataFrame
    per_month: pd.DataFrame
    winners_losers: pd.DataFrame
    waterfall: pd.DataFrame
    distribution: pd.DataFrame

    @property
    def baseline(self) -> str:
        return self.plan_ids[0]

    def total(self, plan_id: str, column: str = "payout") -> int:
        """One figure of the summary, e.g. ``total('collected-40day', 'haircuts')``."""
        row = self.summary[self.summary["plan_id"] == plan_id]
        return int(row[column].iloc[0])


def percent_of(part: int, whole: int, places: int = 2) -> Decimal | None:
    """part ÷ whole × 100 rounded half up to ``places`` decimals; None when whole ≤ 0."""
    if whole <= 0:
        return None
    return (Decimal(int(part)) * 100 / Decimal(int(whole))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Stacked:
    """Every run's payouts and penalties as columns end to end; ``plan`` is each row's
    run (0 = the first), ``pen_*`` the penalties' rows."""

    plan: np.ndarray
    cols: dict[str, np.ndarray]  # period, rep_id (text), money (int64, forfeited too)
    pen_plan: np.ndarray
    pen: dict[str, np.ndarray]  # period, rep_id, penalties


def _all(runs: Sequence[PlanRun]) -> _Stacked:
    """Every run's payouts and penalties stacked, plan in the runs' order.

    One pass of sums over all plans by integer codes instead of groupbys on text per
    plan: the comparison is recomputed on every change of a control, so its own cost
    matters.
    """
    def stack(frames: list[pd.DataFrame], names: list[str]) -> dict[str, np.ndarray]:
        return {c: np.concatenate([f[c].to_numpy(dtype=object if c in ("period", "rep_id")
                                                 else np.int64) for f in frames])
                for c in names}

    cols = stack([r.payouts for r in runs], ["period", "rep_id", *_TOTALS, "carry_in",
                                             "carry_out"])
    cols["forfeited"] = cols["net"] + cols["carry_in"] - cols["payout"] - cols["carry_out"]
    pen = stack([r.penalties for r in runs], ["period", "rep_id", "penalties"])
    return _Stacked(np.repeat(np.arange(len(runs)), [len(r.payouts) for r in runs]), cols,
                    np.repeat(np.arange(len(runs)), [len(r.penalties) for r in runs]), pen)


def _totals(stacked: _Stacked, plan_ids: Sequence[str], by: str | None, cols: list[str]
            ) -> pd.DataFrame:
    """Sums of ``cols`` by plan (and ``by``), with penalties apart from the other
    clawbacks: plan_id, ``by``, ``cols`` and penalties, by plan then ``by`` sorted,
    only the groups that have payouts."""
    n_pay = len(stacked.plan)
    pay_key, pen_key, n_by, values = stacked.plan, stacked.pen_plan, 1, None
    if by is not None:
        codes, values = pd.factorize(np.concatenate([stacked.cols[by], stacked.pen[by]]),
                                     sort=True)
        n_by = max(len(values), 1)
        pay_key = stacked.plan * n_by + codes[:n_pay]
        pen_key = stacked.pen_plan * n_by + codes[n_pay:]
    groups, (at,) = unique_keys([pay_key], len(plan_ids) * n_by)
    inside = np.zeros(len(plan_ids) * n_by, dtype=np.int64) - 1
    inside[groups] = np.arange(len(groups))
    pen_at = inside[pen_key]
    kept = pen_at >= 0  # penalties of a group without payouts are not shown (as before)
    out: dict[str, Any] = {"plan_id": np.asarray(plan_ids, dtype=object)[groups // n_by]}
    if by is not None:
        out[by] = np.asarray(values, dtype=object)[groups % n_by]
    for c in cols:
        out[c] = exact_sum(at, stacked.cols[c], len(groups))
    out["penalties"] = exact_sum(pen_at[kept], stacked.pen["penalties"][kept], len(groups))
    out["clawbacks"] = out["clawbacks"] - out["penalties"]
    frame = pd.DataFrame(out)
    frame["plan_id"] = frame["plan_id"].astype(object)
    return frame


def _summary(stacked: _Stacked, runs: Sequence[PlanRun], cash: int) -> pd.DataFrame:
    first, last = runs[0].first, runs[0].last
    ids = [r.plan_id for r in runs]
    per = _totals(stacked, ids, None, [*_TOTALS, "forfeited"]).set_index("plan_id")
    periods = stacked.cols["period"]
    carry_in = exact_sum(stacked.plan, np.where(periods == first, stacked.cols["carry_in"], 0),
                         len(runs))
    carry_out = exact_sum(stacked.plan, np.where(periods == last, stacked.cols["carry_out"],
                                                 0), len(runs))
    rows = []
    for i, r in enumerate(runs):  # over plans
        pid = r.plan_id
        t = per.loc[pid] if pid in per.index else pd.Series(0, index=per.columns)
        rows.append({
            "plan_id": pid, "name": r.plan.title, "gross": int(t["gross"]),
            "haircuts": int(t["haircuts"]), "clawbacks": int(t["clawbacks"]),
            "penalties": int(t["penalties"]), "net": int(t["net"]),
            "carry_in": int(carry_in[i]), "carry_out": int(carry_out[i]),
            "forfeited": int(t["forfeited"]), "payout": int(t["payout"]),
            "cash_collected": int(cash), "cost_pct": percent_of(int(t["payout"]), cash)})
    frame = pd.DataFrame(rows)
    for c in SUMMARY_MONEY:
        frame[c] = frame[c].astype(np.int64)
    frame["change"] = frame["payout"] - frame["payout"].iloc[0]  # against the baseline
    return frame


def _waterfall(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s in summary.to_dict("records"):
        effects = [("Haircuts", -s["haircuts"]), ("Clawbacks", -s["clawbacks"]),
                   ("Penalties", -s["penalties"]), ("Carried in", s["carry_in"]),
                   ("Carried out", -s["carry_out"]), ("Forfeited above cap", -s["forfeited"])]
        rows.append((s["plan_id"], 0, WATERFALL_STEPS[0], s["gross"], 0, s["gross"], "total"))
        level = s["gross"]
        for i, (step, amount) in enumerate(effects, start=1):
            kind = "increase" if amount > 0 else "decrease"
            rows.append((s["plan_id"], i, step, amount, level, level + amount, kind))
            level += amount
        assert level == s["payout"], (s["plan_id"], level, s["payout"])
        rows.append((s["plan_id"], len(effects) + 1, WATERFALL_STEPS[-1], s["payout"], 0,
                     s["payout"], "total"))
    frame = pd.DataFrame(rows, columns=["plan_id", "order", "step", "amount", "start", "end",
                                        "kind"])
    for c in ("order", "amount", "start", "end"):
        frame[c] = frame[c].astype(np.int64)
    return frame


def _quantile(sorted_values: np.ndarray, q: float) -> int:
    """The inverted-CDF quantile: an actual value, so cents stay whole."""
    n = len(sorted_values)
    k = min(max(int(np.ceil(q * n)) - 1, 0), n - 1)
    return int(sorted_values[k])


def _distribution(per_rep: pd.DataFrame, plan_ids: Sequence[str]) -> pd.DataFrame:
    rows = []
    for pid in plan_ids:
        values = np.sort(per_rep.loc[per_rep["plan_id"] == pid, "payout"].to_numpy(np.int64))
        if len(values) == 0:
            rows.append((pid, 0, 0, 0, 0, 0, 0))
            continue
        rows.append((pid, len(values), int(values[0]), _quantile(values, 0.25),
                     _quantile(values, 0.5), _quantile(values, 0.75), int(values[-1])))
    return pd.DataFrame(rows, columns=["plan_id", "reps", "min", "p25", "median", "p75", "max"])


def _winners_losers(per_rep: pd.DataFrame, plan_ids: Sequence[str]) -> pd.DataFrame:
    cols = ["plan_id", "rep_id", "name", "baseline_payout", "payout", "change", "change_pct"]
    base = per_rep[per_rep["plan_id"] == plan_ids[0]].set_index("rep_id")["payout"]
    parts = []
    for pid in plan_ids[1:]:
        mine = per_rep[per_rep["plan_id"] == pid].set_index("rep_id")
        before = base.reindex(mine.index, fill_value=0).to_numpy(np.int64)
        after = mine["payout"].to_numpy(np.int64)
        frame = pd.DataFrame({
            "plan_id": pid, "rep_id": mine.index.to_numpy(dtype=object),
            "name": mine["name"].to_numpy(dtype=object), "baseline_payout": before,
            "payout": after, "change": after - before,
            "change_pct": [percent_of(a - b, b, 1) if b > 0 else None
                           for a, b in zip(after, before, strict=True)],
        })
        parts.append(frame.sort_values(["change", "rep_id"], ascending=[False, True],
                                       kind="stable"))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    return pd.concat(parts, ignore_index=True)[cols]


def combine(runs: Sequence[PlanRun], reps: pd.DataFrame, cash: int,
            shift_days: int = 0) -> ComparisonResult:
    """The comparison tables of plan runs over the same inputs and months."""
    if not runs:
        raise ValueError("nothing to compare: no plan given")
    first, last = runs[0].first, runs[0].last
    if any((r.first, r.last) != (first, last) for r in runs):
        raise ValueError("every plan must be run over the same months")
    plan_ids = [r.plan_id for r in runs]
    if len(set(plan_ids)) != len(plan_ids):
        raise ValueError(f"a plan is listed twice: {', '.join(plan_ids)}")
    names = pd.Series(reps["name"].to_numpy(dtype=object),
                      index=reps["rep_id"].to_numpy(dtype=object))
    stacked = _all(runs)
    summary = _summary(stacked, runs, cash)
    per_rep = _totals(stacked, plan_ids, "rep_id", _TOTALS)
    per_rep["name"] = names.reindex(per_rep["rep_id"]).fillna("").to_numpy(dtype=object)
    per_rep = per_rep[["plan_id", "rep_id", "name", *TOTAL_MONEY]]
    per_month = _totals(stacked, plan_ids, "period", _TOTALS)[
        ["plan_id", "period", *TOTAL_MONEY]]
    return ComparisonResult(
        plan_ids=plan_ids, names={r.plan_id: r.plan.title for r in runs}, first=first,
        last=last, shift_days=int(shift_days), cash_collected=int(cash), summary=summary,
        per_rep=per_rep, per_month=per_month,
        winners_losers=_winners_losers(per_rep, plan_ids), waterfall=_waterfall(summary),
        distribution=_distribution(per_rep, plan_ids))


def compare(inputs, plans: Mapping[str, Plan], plan_ids: Sequence[str], first_period: str,
            last_period: str, shift_days: int = 0) -> ComparisonResult:
    """Every plan of ``plan_ids`` applied to every rep over first..last; the first is the baseline.

    ``shift_days`` moves every payment that many days later (earlier when negative)
    before the engine runs, to show how each plan's cost depends on how fast
    customers pay. The app calls :func:`run_plan` and :func:`combine` itself so it can
    cache each plan's run; the result is the same.
    """
    plan_ids = list(plan_ids)
    if not plan_ids:
        raise ValueError("pick at least one plan")
    unknown = [p for p in plan_ids if p not in plans]
    if unknown:
        raise ValueError(f"unknown plan(s): {', '.join(unknown)}")
    check_range(first_period, last_period)
    shifted = shift_payments(inputs, shift_days)
    runs = [run_plan(shifted, plans[pid], first_period, last_period) for pid in plan_ids]
    return combine(runs, shifted.reps, cash_collected(shifted, first_period, last_period),
                   shift_days)


# --------------------------------------------------------------------------- what-ifs

#: the id of the status-quo column: each rep on the plans the data assigns them
STATUS_QUO = "Status quo"
#: the days of the cost-versus-days curve
CURVE_DAYS = tuple(range(-30, 61, 15))


def status_quo_plan(like: Plan) -> Plan:
    """A label for the status-quo run (its terms are never used: each rep keeps their plan)."""
    return like.model_copy(update={"id": STATUS_QUO, "name": "Status quo",
                                   "description": "Each rep on the plans assigned to them."})


def variant_from(inputs, plan_id: str, month: str, reps: Iterable[str] | None = None):
    """The inputs with ``reps`` (None: every rep) on ``plan_id`` from the first of ``month``.

    Everything before the month keeps the plans the data assigns; the reps' own
    assignments from that month on give way to the variant (the what-if is "this plan
    from then on"). Run it with :func:`run_plan` and ``plans`` holding the variant.
    """
    parse_period(month)
    rep_ids = (inputs.reps["rep_id"].astype(object).tolist() if reps is None
               else sorted(set(reps)))
    start = pd.Timestamp(f"{month}-01")
    a = inputs.plan_assignments
    keep = a[~(a["rep_id"].isin(rep_ids) & (a["effective_from"] >= start))]
    added = pd.DataFrame({"rep_id": pd.Series(rep_ids, dtype=a["rep_id"].dtype),
                          "plan_id": pd.Series([plan_id] * len(rep_ids),
                                               dtype=a["plan_id"].dtype),
                          "effective_from": pd.Series([start] * len(rep_ids),
                                                      dtype=a["effective_from"].dtype)})
    merged = pd.concat([keep, added], ignore_index=True).sort_values(
        ["rep_id", "effective_from"], kind="stable", ignore_index=True)
    return inputs.replace(plan_assignments=merged)


def scale_quotas(inputs, scale: Decimal | None = None,
                 amounts: Mapping[str, int] | None = None, form: str | None = None):
    """The inputs with every quota times ``scale`` (half up to the cent), and the reps of
    ``amounts`` given that quota (cents) for every ``form`` period of the data.

    A what-if on finance's quota rows: a scenario never changes quotas.csv.
    """
    q = inputs.quotas
    if scale is not None and scale != 1 and len(q):
        cents = [int((Decimal(int(v)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                 for v in q["amount"].to_numpy(np.int64)]
        q = q.assign(amount=np.asarray(cents, dtype=np.int64))
    if amounts and form is not None:
        months = event_months(inputs)
        firsts = np.unique(span_start(np.arange(int(months.min()), int(months.max()) + 1),
                                      form)) if len(months) else np.zeros(0, np.int64)
        labels = list(span_label(firsts, form))
        rows = pd.DataFrame([(r, lab, int(c)) for r, c in sorted(amounts.items())
                             for lab in labels], columns=["rep_id", "quota_period", "amount"])
        q = pd.concat([q[~q["rep_id"].isin(list(amounts))], rows.astype(
            {c: q[c].dtype for c in rows.columns})], ignore_index=True).sort_values(
            ["rep_id", "quota_period"], kind="stable", ignore_index=True)
    return inputs.replace(quotas=q)


def missing_quotas(inputs, plans: Mapping[str, Plan], plan_override: str | None = None
                   ) -> dict[str, list[str]]:
    """rep -> the quota periods they have events in but no quota, under an attainment plan.

    The engine cannot value attainment without a quota; the page names these reps
    (and lets a quota be entered) instead of failing.
    """
    if not any(p.measures_attainment for p in plans.values()):
        return {}
    data = CheckData.of(inputs, list(plans), plans, plan_override)
    out: dict[str, list[str]] = {}
    for problem in over_time.missing_quotas(data):
        if problem.record_id is not None:
            period = problem.message.split(", where plan")[0].rsplit(" in ", 1)[-1]
            out.setdefault(problem.record_id, []).append(period)
    return out


def cost_curve(points: Mapping[int, ComparisonResult]) -> pd.DataFrame:
    """plan_id, days, payout, cash_collected and cost_pct for each shift's comparison."""
    rows = [{"plan_id": r.plan_id, "days": int(days), "payout": int(r.payout),
             "cash_collected": int(r.cash_collected), "cost_pct": r.cost_pct}
            for days, result in sorted(points.items())
            for r in result.summary.itertuples(index=False)]
    frame = pd.DataFrame(rows, columns=["plan_id", "days", "payout", "cash_collected",
                                        "cost_pct"])
    for c in ("days", "payout", "cash_collected"):
        frame[c] = frame[c].astype(np.int64)
    return frame


# --------------------------------------------------------------------------- variants


def decimal_of(value: Any, places: int) -> Decimal:
    """A number from a control as an exact Decimal with at most ``places`` decimals.

    Controls hand back floats; ``str(0.1)`` is ``'0.1'``, so going through the text
    keeps what the user typed, and the quantize drops binary noise such as
    ``0.30000000000000004``. Trailing zeros are dropped so the YAML reads naturally.
    """
    try:
        d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    return _plain(d)


def _plain(d: Decimal) -> Decimal:
    """``Decimal('5.000')`` -> ``5``, ``0.0500`` -> ``0.05``, never an exponent form."""
    d = d.normalize()
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d


def share_of_percent(value: Any, places: int = 4) -> Decimal:
    """A percentage typed in a control (``12.5``) as the plan's share (``0.125``), exactly."""
    return _plain(decimal_of(value, places) / 100)


def percent_of_share(share: Decimal | None) -> float:
    """A plan's share as the percentage a control shows (display only)."""
    return 0.0 if share is None else float(share * 100)


def next_variant_id(base_id: str, taken: Iterable[str]) -> str:
    """``<base>-variant-<n>`` with the smallest n not already taken."""
    taken = set(taken)
    n = 1
    while f"{base_id}-variant-{n}" in taken:
        n += 1
    return f"{base_id}-variant-{n}"


def _loc(loc: tuple) -> str:
    return ".".join("from" if p == "from_" else str(p) for p in loc)


def derive_plan(base: Plan, new_id: str, changes: Mapping[str, Any],
                name: str | None = None) -> tuple[Plan | None, list[Problem]]:
    """A new plan: ``base`` with the top-level keys of ``changes`` replaced, validated.

    ``changes`` uses the plan language's keys and values (``basis``, ``rate`` or
    ``tiers``, ``late_payment``, ``bad_debt``, ``payout``, ...; Decimals for rates and
    amounts). A key set to None is removed (e.g. ``late_payment: None`` for no
    haircut, ``rate: None`` when switching to tiers). Returns (plan, []) or
    (None, problems) naming the key, never raising for a bad value.
    """
    data = base.model_dump(mode="python", by_alias=True)
    data.update({"id": (new_id or "").strip(), "description": f"Derived from {base.id}."})
    data["name"] = name if name is not None else f"{base.title} (variant)"
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    source = f"variant {data['id'] or '(no id)'}"
    try:
        return Plan.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = _loc(err["loc"]) or None
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "value_error":
                expected, msg = msg, "invalid value"
            elif err["type"] == "missing":
                expected, msg = "this key to be given", "required key is missing"
            else:
                expected = "a valid value for this key"
            problems.append(Problem(source, None, key, data["id"] or None, msg, expected))
        return None, problems


def plan_file_text(plan: Plan, note: str = "") -> str:
    """The YAML file of a plan: a comment saying where it came from, then the plan."""
    head = f"# {plan.title}\n"
    if note:
        head += "".join(f"# {line}\n" for line in note.splitlines())
    return head + plan.to_yaml()


def save_plan(plan: Plan, rules_dir: str | Path, overwrite: bool = False, note: str = ""
              ) -> Path:
    """Write ``rules_dir/<id>.yaml``; FileExistsError when a file of that id exists.

    A plan file is never overwritten, ``overwrite`` or not (it is kept for callers
    written before that rule): the plan behind an id may be the one a locked batch
    paid with, and a change is a new plan id (issue 9).

    The text is parsed back before it is written and must give the very same plan,
    so a saved file is always one ``load_plans`` accepts. An existing ``<id>.yml``
    counts as existing too (two files for one id would be ambiguous). The file is
    written under a temporary name and renamed, so a reader never sees half a plan.
    """
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        raise FileNotFoundError(f"no folder {rules_dir}")
    path = rules_dir / f"{plan.id}.yaml"
    others = [p for p in (path, rules_dir / f"{plan.id}.yml") if p.exists()]
    if others:
        raise FileExistsError(f"{others[0]} already exists: a plan file is never overwritten "
                              "(a change is a new plan id); save the variant under a new id")
    text = plan_file_text(plan, note)
    again, problems = parse_plan(text, str(path), expected_id=plan.id)
    if again is None or problems or again != plan:
        raise ValueError(f"the plan does not read back as written: {problems}")
    tmp = rules_dir / f".{plan.id}.yaml.tmp-{os.getpid()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    for other in others:
        if other != path:
            other.unlink()
    return path


__all__ = [
    "CURVE_DAYS",
    "STATUS_QUO",
    "SUMMARY_MONEY",
    "TOTAL_MONEY",
    "WATERFALL_STEPS",
    "ComparisonResult",
    "PlanRun",
    "cash_collected",
    "check_range",
    "combine",
    "compare",
    "cost_curve",
    "data_periods",
    "decimal_of",
    "derive_plan",
    "missing_quotas",
    "next_variant_id",
    "percent_of",
    "percent_of_share",
    "plan_file_text",
    "pushed_past",
    "run_plan",
    "save_plan",
    "scale_quotas",
    "share_of_percent",
    "shift_payments",
    "status_quo_plan",
    "still_to_come",
    "variant_from",
]

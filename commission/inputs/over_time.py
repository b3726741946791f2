"""The named checks of part 2's tables: plan assignments, quotas, manual lines and
write-off reversals (each returns its problems, as in :mod:`commission.inputs.checks`).

Quota forms and the missing-quota rule need the plans themselves; without them
(a door that only knows plan ids) those two checks find nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from commission.inputs.collector import Collector
from commission.inputs.tables import ADJUSTMENT_KINDS
from commission.keys import lookup
from commission.money import format_money
from commission.order import stable_order
from commission.periods import (
    QUOTA_FORMS,
    day_numbers,
    span_form,
    span_label,
    span_start,
)
from commission.plans.assignments import PlanHistory
from commission.problems import Problem

_WRITE_OFF, _REVERSAL = ADJUSTMENT_KINDS.index("write_off"), ADJUSTMENT_KINDS.index(
    "write_off_reversal")
_SHAPE = {"month": "YYYY-MM", "quarter": "YYYY-Qn", "year": "YYYY"}


def _each(template: str, *cols: str) -> Callable[[pd.DataFrame], list[str]]:
    return lambda r: [template.format(*v) for v in zip(*(r[c] for c in cols), strict=True)]


def _rep_positions(d, name: str) -> np.ndarray:
    return d.inputs.positions(name, "rep_id", "reps", "rep_id")


def assignments(d) -> list[Problem]:
    """Assignments name known reps and plans, start on a month's first day, once per date."""
    out = Collector()
    a, src = d.t["plan_assignments"], "plan_assignments.csv"
    if a.empty:
        return []
    out.rows(src, a, a["rep_id"].notna().to_numpy() & (_rep_positions(d, "plan_assignments") < 0),
             "rep_id", "rep_id", _each("unknown rep {}", "rep_id"), "a rep that exists")
    unknown = a["plan_id"].notna().to_numpy() & (
        lookup(a["plan_id"], pd.Series(d.plan_ids, dtype=object)) < 0)
    out.rows(src, a, unknown, "plan_id", "rep_id", _each("unknown plan {}", "plan_id"),
             f"one of the plans in rules/ ({', '.join(d.plan_ids) or 'none found'})")
    day = a["effective_from"].to_numpy().astype("datetime64[D]")
    not_first = ~np.isnat(day) & (day != day.astype("datetime64[M]").astype("datetime64[D]"))
    a = a.assign(_day=day.astype(str))
    out.rows(src, a, not_first, "effective_from", "rep_id",
             _each("effective_from {} is not the first day of a month", "_day"),
             "the first day of a month (YYYY-MM-01)")
    twice = a.duplicated(["rep_id", "effective_from"], keep=False).to_numpy()
    out.rows(src, a, twice, "effective_from", "rep_id",
             _each("two assignments of rep {} on {}", "rep_id", "_day"),
             "at most one assignment per rep and date")
    return out.problems


def _quota_forms(d) -> pd.DataFrame:
    """(rep, form) of every quota form a rep's plans (own and assigned) measure."""
    reps = d.t["reps"]
    own = pd.DataFrame({"rep": np.arange(len(reps)), "plan_id": reps["plan_id"].to_numpy()})
    a = d.t["plan_assignments"]
    assigned = pd.DataFrame({"rep": _rep_positions(d, "plan_assignments"),
                             "plan_id": a["plan_id"].to_numpy()})
    both = pd.concat([own, assigned], ignore_index=True)
    if d.plan_override is not None:
        both["plan_id"] = d.plan_override
    form = {pid: p.quota.period for pid, p in d.plans.items() if p.quota is not None}
    both["form"] = both["plan_id"].map(form)
    return both.dropna(subset=["form"]).drop_duplicates(["rep", "form"])


def quotas(d) -> list[Problem]:
    """Quotas of known reps, positive, once per period, in the form of the rep's plan."""
    out = Collector()
    q, src = d.t["quotas"], "quotas.csv"
    if q.empty:
        return []
    rep = _rep_positions(d, "quotas")
    out.rows(src, q, q["rep_id"].notna().to_numpy() & (rep < 0), "rep_id", "rep_id",
             _each("unknown rep {}", "rep_id"), "a rep that exists")
    out.rows(src, q, (q["amount"] <= 0).to_numpy(), "amount", "rep_id",
             lambda r: [f"quota {format_money(int(v))} is not positive" for v in r["amount"]],
             "an amount more than 0")
    forms = np.array([span_form(str(v)) if isinstance(v, str) else None
                      for v in q["quota_period"].to_numpy()], dtype=object)  # few rows
    out.rows(src, q, q["quota_period"].notna().to_numpy() & pd.isna(forms), "quota_period",
             "rep_id", _each("{} is not a period", "quota_period"),
             "a quota period as YYYY-MM, YYYY-Qn or YYYY")
    twice = q.duplicated(["rep_id", "quota_period"], keep=False).to_numpy()
    out.rows(src, q, twice, "quota_period", "rep_id",
             _each("two quotas of rep {} for {}", "rep_id", "quota_period"),
             "one quota per rep and quota period")
    if d.plans:
        have = _quota_forms(d)
        wanted = have.groupby("rep")["form"].agg(lambda f: sorted(set(f))).to_dict()
        wrong = np.array([pd.notna(f) and r in wanted and f not in wanted[r]
                          for r, f in zip(rep, forms, strict=True)], dtype=bool)
        out.rows(src, q.assign(_want=[" or ".join(_SHAPE[f] for f in wanted.get(r, []))
                                      for r in rep]), wrong, "quota_period", "rep_id",
                 _each("{} is not in the form of the rep's plan's quota period",
                       "quota_period"),
                 "the form of the plan's quota.period (month YYYY-MM, quarter YYYY-Qn, year "
                 "YYYY)")
    return out.problems


def manual_lines(d) -> list[Problem]:
    """Manual lines name a known rep, a non-zero amount and a reason."""
    out = Collector()
    m, src = d.t["commission_adjustments"], "commission_adjustments.csv"
    if m.empty:
        return []
    idc = "commission_adjustment_id"
    rep = _rep_positions(d, "commission_adjustments")
    out.rows(src, m, m["rep_id"].notna().to_numpy() & (rep < 0), "rep_id", idc,
             _each("unknown rep {}", "rep_id"), "a rep that exists")
    out.rows(src, m, (m["amount"] == 0).to_numpy(), "amount", idc, "amount is 0",
             "a bonus (> 0) or a deduction (< 0), never 0")
    reason = m["reason"].astype(object)
    empty = reason.isna().to_numpy() | (reason.astype(str).str.strip() == "").to_numpy()
    out.rows(src, m, empty, "reason", idc, "a manual line with no reason",
             "the reason finance gives for the line (shown on the rep's statement)")
    return out.problems


def write_off_reversals(d) -> list[Problem]:
    """A write-off reversal reinstates a write-off of its invoice, dated no later, within it."""
    out = Collector()
    adj, src = d.t["adjustments"], "adjustments.csv"
    if adj.empty:
        return []
    kind = pd.Index(ADJUSTMENT_KINDS).get_indexer(adj["kind"].astype(object))
    named = adj["reverses_adjustment_id"].notna().to_numpy()
    wor = kind == _REVERSAL
    out.rows(src, adj, wor & ~named, "reverses_adjustment_id", "adjustment_id",
             "a write-off reversal naming no write-off",
             "the adjustment_id of the write-off it reinstates")
    out.rows(src, adj, ~wor & named, "reverses_adjustment_id", "adjustment_id",
             "only a write_off_reversal names an adjustment to reverse",
             "reverses_adjustment_id empty for this kind")
    target = d.inputs.positions("adjustments", "reverses_adjustment_id", "adjustments",
                                "adjustment_id")
    ok = wor & named
    out.rows(src, adj, ok & (target < 0), "reverses_adjustment_id", "adjustment_id",
             _each("reinstates unknown adjustment {}", "reverses_adjustment_id"),
             "the id of an existing write-off")
    ok &= target >= 0
    t = np.maximum(target, 0)
    not_wo = ok & (kind[t] != _WRITE_OFF)
    out.rows(src, adj, not_wo, "reverses_adjustment_id", "adjustment_id",
             _each("reinstates {}, which is not a write-off", "reverses_adjustment_id"),
             "the id of a write-off")
    ok &= ~not_wo
    inv = adj["invoice_id"].to_numpy(dtype=object)
    other = ok & (inv[t] != inv)
    out.rows(src, adj, other, "reverses_adjustment_id", "adjustment_id",
             _each("reinstates {}, a write-off of another invoice", "reverses_adjustment_id"),
             "a write-off of the same invoice")
    day = adj["adjustment_date"].to_numpy()
    later = ok & ~other & (day[t] > day)
    out.rows(src, adj, later, "adjustment_date", "adjustment_id",
             _each("dated before the write-off {} it reinstates", "reverses_adjustment_id"),
             "a reinstatement dated on or after its write-off")
    _beyond(adj, ok & ~other, t, out)
    return out.problems


def _beyond(adj: pd.DataFrame, ok: np.ndarray, target: np.ndarray, out: Collector) -> None:
    """The reinstatements of one write-off never exceed it."""
    amount = adj["amount"].to_numpy(dtype=np.int64)
    total = np.zeros(len(adj), dtype=np.int64)
    np.add.at(total, target[ok], amount[ok])
    over = ok & (total[target] > amount[target])
    last = over & ~pd.Series(np.where(over, target, -1)).duplicated(keep="last").to_numpy()
    rows = adj.assign(_total=total[target], _wo=amount[target])
    out.rows("adjustments.csv", rows, last, "amount", "adjustment_id",
             lambda r: [f"reinstatements of {v} total {format_money(int(t))}, more than the "
                        f"{format_money(int(w))} written off" for v, t, w in
                        zip(r["reverses_adjustment_id"], r["_total"], r["_wo"], strict=True)],
             "reinstatements of a write-off never exceeding it")


def missing_quotas(d) -> list[Problem]:
    """A quota for every rep and quota period with an event valued under an attainment plan."""
    if not d.plans or not any(p.measures_attainment for p in d.plans.values()):
        return []
    override = d.plans.get(d.plan_override) if d.plan_override is not None else None
    if override is not None and not override.measures_attainment:
        return []  # every event valued under one plan that needs no quota
    inv = d.t["invoices"]
    n_inv = len(inv)
    split_inv = d.positions("splits", "invoice_id", "invoices")
    has_split = np.zeros(n_inv, dtype=bool)
    has_split[split_inv[split_inv >= 0]] = True
    own = np.flatnonzero(~has_split)
    credited = pd.DataFrame({
        "inv": np.concatenate([own, split_inv]),
        "rep": np.concatenate([d.positions("invoices", "rep_id", "reps")[own],
                               d.positions("splits", "rep_id", "reps")])})
    credited = credited[(credited["inv"] >= 0) & (credited["rep"] >= 0)]
    ids = np.array(sorted(d.plans), dtype=object)
    plan_code = lookup(pd.Series(d.t["reps"]["plan_id"].to_numpy(dtype=object)),
                       pd.Series(ids))
    a = d.t["plan_assignments"]
    history = PlanHistory(_rep_positions(d, "plan_assignments"),
                          day_numbers(a["effective_from"]), lookup(a["plan_id"], pd.Series(ids)),
                          plan_code)
    inv_day = day_numbers(inv["invoice_date"])
    code = history.on(credited["rep"].to_numpy(), inv_day[credited["inv"].to_numpy()])
    if d.plan_override is not None:
        code = np.full(len(code), int(np.flatnonzero(ids == d.plan_override)[0]))
    attain = np.array([d.plans[i].measures_attainment for i in ids], dtype=bool)
    form = np.array([QUOTA_FORMS.index(d.plans[i].quota.period) if d.plans[i].quota else 0
                     for i in ids], dtype=np.int64)
    credited = credited.assign(code=code)[(code >= 0) & attain[np.maximum(code, 0)]]
    if credited.empty:
        return []
    ev_inv = np.concatenate([np.arange(n_inv), d.positions("payments", "invoice_id", "invoices"),
                             d.positions("adjustments", "invoice_id", "invoices")])
    ev_month = np.concatenate([d.inputs.months(t, c) for t, c in (
        ("invoices", "invoice_date"), ("payments", "payment_date"),
        ("adjustments", "adjustment_date"))])
    rep, code, f, start = _needed_spans(
        credited["inv"].to_numpy(), credited["rep"].to_numpy(), credited["code"].to_numpy(),
        ev_inv, ev_month, form, n_inv)
    reps = d.t["reps"]["rep_id"].to_numpy(dtype=object)
    need = pd.DataFrame({"rep_id": reps[rep], "quota_period": span_label(start, f),
                         "plan_id": ids[code]}
                        ).sort_values(["rep_id", "quota_period"], ignore_index=True)
    q = d.t["quotas"]
    have = set(zip(q["rep_id"].astype(object), q["quota_period"].astype(object), strict=True))
    miss = np.array([k not in have for k in zip(need["rep_id"], need["quota_period"],
                                                strict=True)], dtype=bool)
    out = Collector()
    out.rows("quotas.csv", need, miss, "quota_period", "rep_id",
        _each("no quota for {} in {}, where plan {} measures attainment and has events",
              "rep_id", "quota_period", "plan_id"),
        "a quota row (rep_id, quota_period, amount > 0) for every period with events")
    return out.problems


__all__ = ["assignments", "manual_lines", "missing_quotas", "quotas",
           "write_off_reversals"]


def _needed_spans(inv: np.ndarray, rep: np.ndarray, code: np.ndarray, ev_inv: np.ndarray,
                  ev_month: np.ndarray, form: np.ndarray, n_inv: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rep, plan code, quota form, first month) of each quota span in which a credited
    row (``inv``, ``rep``, ``code``) has an event of its invoice, once per (rep, form,
    span): the first in the order of the credited rows, then of the events.

    The events are laid out by invoice (a stable sort keeps their order) and each
    credited row takes its invoice's, instead of joining millions of rows as frames.
    """
    known = ev_inv >= 0
    ev_inv, ev_month = ev_inv[known], ev_month[known]
    month = ev_month[stable_order(ev_inv)]
    counts = np.bincount(ev_inv, minlength=n_inv)
    n = counts[inv]
    row = np.repeat(np.arange(len(inv)), n)
    at = np.arange(len(row)) + np.repeat((np.cumsum(counts) - counts)[inv] - (np.cumsum(n) - n), n)
    f = form[code[row]]
    start = span_start(month[at], f)
    first = _first_of_each(rep[row], f, start)
    return rep[row[first]], code[row[first]], f[first], start[first]


def _first_of_each(*columns: np.ndarray) -> np.ndarray:
    """The row of the first occurrence of each distinct row of integer ``columns``, in
    row order."""
    if len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for c in columns:  # over a few columns
        low, span = int(c.min()), int(c.max()) - int(c.min()) + 1
        if (int(key.max()) + 1) * span >= 2**62:  # no room: let pandas number them
            return np.flatnonzero(~pd.DataFrame(dict(enumerate(columns))).duplicated())
        key = key * span + (c - low)
    _, first = np.unique(key, return_index=True)
    return np.sort(first)

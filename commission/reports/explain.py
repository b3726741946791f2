"""Why a rep's payout changed: a waterfall from one payout to another, by cause, to the cent.

Two *sides* (a period of ``commission.calculate``'s result, a stored batch, a draft
and its re-run, ...) each hold a rep's lines, payout row and the plans they were
computed with. :func:`explain_change` splits ``payout_after − payout_before`` into
causes (cash collected, rate, haircuts, reversals, credits and write-offs, late
data, overrides, manual lines, plan change, carry in, carry out, draws, forfeited
by the cap); every cause lists the lines (or payout figures) behind it, each with
the cents it contributes, and the causes add up to the difference exactly.
docs/explain.md defines the decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from commission.money import format_money, mul_round
from commission.plans import SCALE, Plan

#: the causes, in the order the waterfall lists them: (key, label)
CAUSES: tuple[tuple[str, str], ...] = (
    ("cash", "Cash collected (more or less)"),
    ("rate", "A different tier rate or attainment"),
    ("plan_change", "Plan change"),
    ("haircut", "Customers paying later (haircuts)"),
    ("reversals", "Reversals and bounced payments"),
    ("credits", "Credits, write-offs and recoveries"),
    ("late_data", "Late data paid as prior period"),
    ("override", "Manager overrides (your team's cash)"),
    ("manual", "Manual lines (bonuses, corrections, deductions)"),
    ("other", "Other lines"),
    ("carry_in", "Carry in"),
    ("carry_out", "Carry out"),
    ("draw", "Draws and their recovery"),
    ("forfeited", "Forfeited (above the cap, or a negative balance not carried)"),
)
LABELS = dict(CAUSES)
#: line kinds whose gross is split into cash, rate and plan change
EARNING_KINDS = ("invoice", "collection")
#: every other line kind -> its cause (a kind not named here goes to "other")
KIND_CAUSE = {
    "reversal": "reversals",
    "credit": "credits", "clawback": "credits", "penalty": "credits",
    "clawback_reversal": "credits", "penalty_reversal": "credits",
    "override": "override",
    "manual": "manual",
}
DETAIL_COLUMNS = ["side", "period", "line_kind", "event_id", "invoice_id", "plan_id", "amount",
                  "explanation"]


@dataclass
class Side:
    """One payout to compare: a rep's lines, payout row and plans (and the row before it).

    ``payout`` is the payout row (period, plan_id, net, carry_in, payout, carry_out; int
    cents). ``previous`` is the payout row whose carry_out is this side's carry_in (the
    month before, or the batch's base batch), only used to tell a recoverable draw's
    recovery apart from other carry; ``previous_plans`` are the plans it was computed with.
    """

    label: str
    lines: pd.DataFrame | list[dict[str, Any]]
    payout: Mapping[str, Any] | None
    plans: Mapping[str, Plan]
    previous: Mapping[str, Any] | None = None
    previous_plans: Mapping[str, Plan] | None = None


@dataclass
class Cause:
    """One step of the waterfall: its cents, and the lines behind them (each with its cents)."""

    key: str
    label: str
    amount: int
    lines: list[dict[str, Any]] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.lines, columns=DETAIL_COLUMNS)


@dataclass
class Explanation:
    """The waterfall: ``before`` + Σ cause amounts = ``after``, in cents."""

    rep_id: str
    before_label: str
    after_label: str
    before: int
    after: int
    causes: list[Cause]

    @property
    def change(self) -> int:
        return self.after - self.before

    def nonzero(self) -> list[Cause]:
        return [c for c in self.causes if c.amount != 0]

    def frame(self) -> pd.DataFrame:
        """The waterfall as rows: start, each non-zero cause, end (money in cents)."""
        rows = [{"step": f"Paid {self.before_label}", "amount": self.before, "lines": 0}]
        rows += [{"step": c.label, "amount": c.amount, "lines": len(c.lines)}
                 for c in self.nonzero()]
        rows.append({"step": f"Paid {self.after_label}", "amount": self.after, "lines": 0})
        return pd.DataFrame(rows)

    def sentence(self) -> str:
        """One sentence: "Compared with 2025-01 (1,200.00): +300.00: cash collected +..."."""
        if self.change == 0 and not self.nonzero():
            return (f"Compared with {self.before_label} ({format_money(self.before)}): "
                    "no change.")
        parts = ", ".join(f"{c.label.lower()} {_signed(c.amount)}" for c in self.nonzero())
        return (f"Compared with {self.before_label} ({format_money(self.before)}): "
                f"{_signed(self.change)} ({parts}).")

    def text(self, detail: bool = True) -> str:
        out = [f"{self.rep_id}: paid {format_money(self.before)} in {self.before_label}, "
               f"{format_money(self.after)} in {self.after_label}: {_signed(self.change)}"]
        for c in self.nonzero():
            out.append(f"  {_signed(c.amount):>14}  {c.label}")
            if detail:
                for r in c.lines:
                    what = " ".join(dict.fromkeys(
                        str(r[k]) for k in ("line_kind", "event_id", "invoice_id") if r[k]))
                    out.append(f"  {'':>14}    {_signed(r['amount']):>12}  {r['side']} "
                               f"{r['period']}: {what}")
        out.append(f"  {_signed(self.change):>14}  total change "
                   f"(= {format_money(self.after)} − {format_money(self.before)})")
        return "\n".join(out)


def _signed(cents: int) -> str:
    return ("+" if cents >= 0 else "−") + format_money(abs(int(cents)))


# ----------------------------------------------------------------------------- lines


class _Ledger:
    """Contributions to each cause: one row per (cause, line), cents that add up."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, cause: str, side: str, line: Mapping[str, Any], amount: int) -> None:
        if amount == 0:
            return
        self.rows.append({"cause": cause, "side": side, "period": str(line.get("period", "")),
                          "line_kind": str(line.get("line_kind", "")),
                          "event_id": _blank(line.get("event_id")),
                          "invoice_id": _blank(line.get("invoice_id")),
                          "plan_id": _blank(line.get("plan_id")), "amount": int(amount),
                          "explanation": _blank(line.get("explanation"))})


def _blank(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def _factor(plan: Plan | None, kind: str) -> Fraction:
    """The share of the commission a line of ``kind`` pays: p for invoice, 1 − p otherwise."""
    p = Fraction(plan.prepaid_share) if plan is not None else Fraction(0)
    return p if kind == "invoice" else 1 - p


def _at_rate(line: Mapping[str, Any], rate: Fraction, plan: Plan | None) -> int:
    """The line's gross at ``rate``: round(base × share × rate × factor), the plan's rounding."""
    exact = (Fraction(int(line["share"]), SCALE) * rate * _factor(plan, str(line["line_kind"])))
    mode = plan.rounding if plan is not None else "half_up"
    return int(mul_round(np.array([int(line["base_amount"])], dtype=np.int64),
                         np.array([exact.numerator], dtype=object),
                         np.array([exact.denominator], dtype=object), mode)[0])


def _rate(line: Mapping[str, Any]) -> Fraction:
    return Fraction(int(line["rate_num"]), int(line["rate_den"]))


def _references(before: Side) -> tuple[dict[tuple[str, str], Fraction], dict[str, Fraction]]:
    """The earlier side's rate by (kind, plan) and by kind (its period-end plan first)."""
    by_plan: dict[tuple[str, str], Fraction] = {}
    by_kind: dict[str, Fraction] = {}
    end_plan = (before.payout or {}).get("plan_id")
    rows = [r for r in _rows(before.lines) if _earning(r)]
    rows.sort(key=lambda r: r["plan_id"] != end_plan)  # the period-end plan's rates first
    for r in rows:
        by_plan.setdefault((r["line_kind"], r["plan_id"]), _rate(r))
        by_kind.setdefault(r["line_kind"], _rate(r))
    return by_plan, by_kind


def _rows(lines: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(lines, list):
        return lines
    if not len(lines):
        return []
    cols = {c: lines[c].tolist() for c in lines.columns}
    return [dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]


def _prior(r: Mapping[str, Any]) -> bool:
    return bool(_blank(r.get("prior_period")))


def _earning(r: Mapping[str, Any]) -> bool:
    return r["line_kind"] in EARNING_KINDS and not _prior(r)


def _line_causes(ledger: _Ledger, before: Side, after: Side) -> None:
    for side, sign in ((before, -1), (after, 1)):
        name = "before" if side is before else "after"
        for r in _rows(side.lines):
            if _prior(r):
                ledger.add("late_data", name, r, sign * int(r["amount"]))
            elif r["line_kind"] in EARNING_KINDS:
                ledger.add("haircut", name, r, -sign * int(r["haircut"]))
                if side is before:
                    ledger.add("cash", name, r, -int(r["gross"]))
            else:
                ledger.add(KIND_CAUSE.get(r["line_kind"], "other"), name, r,
                           sign * int(r["amount"]))
    _gross_after(ledger, before, after)


def _gross_after(ledger: _Ledger, before: Side, after: Side) -> None:
    """The later side's gross: at the earlier rate (cash), and the rate or plan effect."""
    by_plan, by_kind = _references(before)
    for r in _rows(after.lines):
        if not _earning(r):
            continue
        gross = int(r["gross"])
        kind, plan_id = r["line_kind"], r["plan_id"]
        plan = after.plans.get(plan_id)
        ref, cause = None, "rate"
        if (kind, plan_id) in by_plan:
            ref = by_plan[(kind, plan_id)]
            if before.plans.get(plan_id) != plan:  # same id, another version of the plan
                cause = "plan_change"
        elif kind in by_kind:
            ref, cause = by_kind[kind], "plan_change"
        at_ref = gross if ref is None else _at_rate(r, ref, plan)
        ledger.add("cash", "after", r, at_ref)
        ledger.add(cause, "after", r, gross - at_ref)


# ----------------------------------------------------------------------------- payout rows


def _cents(v: Decimal | None) -> int | None:
    return None if v is None else int(Decimal(v) * 100)


def _draw(plan: Plan | None) -> tuple[int, bool]:
    """(draw amount in cents, recoverable) of a plan's payout rules; (0, False) without one."""
    draw = getattr(getattr(plan, "payout", None), "draw", None)
    if draw is None:
        return 0, False
    return _cents(getattr(draw, "amount", 0)) or 0, bool(getattr(draw, "recoverable", False))


def _part_one(balance: int, plan: Plan | None) -> int:
    """Part 1's payout of a balance under the plan's payout rules (cap included)."""
    rules = getattr(plan, "payout", None)
    minimum = _cents(getattr(rules, "min_payout", None)) or 0
    cap = _cents(getattr(rules, "cap", None))
    if balance < 0 or balance < minimum:
        return 0
    return balance if cap is None else min(balance, cap)


def _top_up(row: Mapping[str, Any] | None, plans: Mapping[str, Plan] | None) -> tuple[int, bool]:
    """The draw's top-up t of a payout row, and whether it is recoverable."""
    if row is None or not plans:
        return 0, False
    plan = plans.get(str(row["plan_id"]))
    amount, recoverable = _draw(plan)
    if amount <= 0:
        return 0, False
    p1 = _part_one(int(row["net"]) + int(row["carry_in"]), plan)
    return max(0, amount - p1), recoverable


def _payout_terms(side: Side) -> dict[str, int]:
    """payout = net + carry_in' − recovered − carry_out' − forfeited + top_up (docs/explain.md)."""
    row = side.payout
    if row is None:
        return {"payout": 0, "net": 0, "carry_in": 0, "carry_out": 0, "draw": 0, "forfeited": 0}
    net, ci, co, paid = (int(row[k]) for k in ("net", "carry_in", "carry_out", "payout"))
    t, recoverable = _top_up(row, side.plans)
    t_prev, prev_recoverable = _top_up(side.previous, side.previous_plans or side.plans)
    recovered = t_prev if prev_recoverable else 0
    co_part1 = co + t if recoverable else co
    ci_rest = ci + recovered
    forfeited = net + ci_rest - recovered - co_part1 + t - paid
    return {"payout": paid, "net": net, "carry_in": ci_rest, "carry_out": co_part1,
            "draw": t - recovered, "forfeited": forfeited}


def _payout_causes(ledger: _Ledger, before: Side, after: Side) -> None:
    for side, sign in ((before, -1), (after, 1)):
        name = "before" if side is before else "after"
        terms = _payout_terms(side)
        row = {"period": (side.payout or {}).get("period", side.label),
               "plan_id": (side.payout or {}).get("plan_id", "")}
        line_sum = sum(int(r["amount"]) for r in _rows(side.lines))
        ledger.add("other", name, {**row, "line_kind": "net not equal to its lines"},
                   sign * (terms["net"] - line_sum))
        for key, kind, direction in (("carry_in", "carry in", 1), ("carry_out", "carry out", -1),
                                     ("draw", "draw top-up less recovery", 1),
                                     ("forfeited", "forfeited above the cap", -1)):
            ledger.add(key, name, {**row, "line_kind": kind}, sign * direction * terms[key])


# ----------------------------------------------------------------------------- the waterfall


def explain_change(rep_id: str, before: Side, after: Side) -> Explanation:
    """The waterfall from ``before``'s payout to ``after``'s for ``rep_id``, exact to the cent."""
    before = _only(before, rep_id)
    after = _only(after, rep_id)
    ledger = _Ledger()
    _line_causes(ledger, before, after)
    _payout_causes(ledger, before, after)
    causes = {key: Cause(key, label, 0) for key, label in CAUSES}
    for row in ledger.rows:
        cause = causes[row.pop("cause")]
        cause.amount += row["amount"]
        cause.lines.append(row)
    paid = (_payout_terms(before)["payout"], _payout_terms(after)["payout"])
    total = sum(c.amount for c in causes.values())
    if total != paid[1] - paid[0]:  # the definition telescopes; this never happens
        raise AssertionError(f"waterfall of {rep_id} does not add up: {total} != "
                             f"{paid[1] - paid[0]}")
    return Explanation(rep_id, before.label, after.label, paid[0], paid[1],
                       list(causes.values()))


def _only(side: Side, rep_id: str) -> Side:
    lines = [r for r in _rows(side.lines) if r.get("rep_id", rep_id) == rep_id]
    return Side(side.label, lines, side.payout, side.plans, side.previous, side.previous_plans)


def _payout_row(payouts: pd.DataFrame, rep_id: str, period: str) -> dict[str, Any] | None:
    rows = payouts[(payouts["rep_id"] == rep_id) & (payouts["period"] == period)]
    return None if rows.empty else rows.iloc[0].to_dict()


def result_side(lines: pd.DataFrame, payouts: pd.DataFrame, plans: Mapping[str, Plan],
                rep_id: str, period: str, label: str | None = None) -> Side:
    """A side from a calculation's (or a batch's) lines and payouts: ``rep_id`` in ``period``."""
    mine = lines[(lines["rep_id"] == rep_id) & (lines["period"] == period)]
    periods = sorted(set(payouts.loc[payouts["period"] < period, "period"]))
    previous = _payout_row(payouts, rep_id, periods[-1]) if periods else None
    return Side(label or period, mine.reset_index(drop=True), _payout_row(payouts, rep_id, period),
                plans, previous, plans)


def result_sides(lines: pd.DataFrame, payouts: pd.DataFrame, plans: Mapping[str, Plan]
                 ) -> dict[tuple[str, str], Side]:
    """Every (rep, period) of a calculation as a side, grouping the lines once."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in _rows(lines):
        by_key.setdefault((r["rep_id"], r["period"]), []).append(r)
    rows = _rows(payouts)
    rows.sort(key=lambda r: (r["rep_id"], r["period"]))
    sides: dict[tuple[str, str], Side] = {}
    previous: dict[str, Any] | None = None
    for row in rows:
        if previous is not None and previous["rep_id"] != row["rep_id"]:
            previous = None
        key = (row["rep_id"], row["period"])
        sides[key] = Side(row["period"], by_key.get(key, []), row, plans, previous, plans)
        previous = row
    return sides


def explain_periods(result: Any, plans: Mapping[str, Plan], rep_id: str, period_from: str,
                    period_to: str) -> Explanation:
    """The waterfall between two periods of a ``commission.calculate`` result."""
    known = set(result.payouts["period"])
    for p in (period_from, period_to):
        if p not in known:
            raise ValueError(f"{p} is not a period of this calculation "
                             f"({min(known) if known else '-'} to {max(known) if known else '-'})")
    if rep_id not in set(result.payouts["rep_id"]):
        raise ValueError(f"unknown rep {rep_id!r}")
    return explain_change(
        rep_id,
        result_side(result.lines, result.payouts, plans, rep_id, period_from),
        result_side(result.lines, result.payouts, plans, rep_id, period_to))


__all__ = ["CAUSES", "Cause", "Explanation", "Side", "explain_change", "explain_periods",
           "result_side", "result_sides"]

"""The variant editor of Compare plans: a plan's terms as controls, no YAML to write.

Every widget's key starts with ``variant.<base id>.``: picking another base plan
shows fresh controls holding that plan's terms, and going back finds the edits.
Besides the plan's terms (rate or tiers, haircut, bad debt, payout, draw, override,
quota period and attainment brackets), a variant carries its what-if: from which
month and for which reps it applies, and the quota amounts it is computed with
(a uniform scale, or one amount per rep for every quota period). Quota amounts
are finance's inputs: the what-if never changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from commission.plans.language import Plan
from commission.problems import Problem
from commission.reports.compare import (
    decimal_of,
    next_variant_id,
    percent_of_share,
    share_of_percent,
)

BASIS_WORDS = {"collected": "Collected (on cash)", "invoiced": "Invoiced",
               "advance": "Advance (part at invoicing)"}
SCHEDULES = {"none": "No haircut", "steps": "Steps", "linear": "Linear"}
QUOTA_PERIODS = ["month", "quarter", "year"]
APPLY = {"all": "To every rep, every month", "from": "From a month, to chosen reps"}


@dataclass(frozen=True)
class WhatIf:
    """How a variant is applied: to every rep from the start, or from a month to some reps;
    and the quota amounts it is computed with."""

    month: str | None = None  # None: every month, every rep on the variant
    reps: tuple[str, ...] | None = None  # None: every rep
    quota_scale: Decimal | None = None  # every quota times this
    quota_amounts: tuple[tuple[str, int], ...] = field(default_factory=tuple)  # rep, cents

    @property
    def plain(self) -> bool:
        return (self.month is None and self.quota_scale in (None, Decimal(1))
                and not self.quota_amounts)

    def key(self) -> str:
        return f"{self.month}|{self.reps}|{self.quota_scale}|{self.quota_amounts}"


def _steps_frame(plan: Plan) -> pd.DataFrame:
    lp = plan.late_payment
    steps = lp.steps if lp is not None and lp.steps else []
    if not steps:
        steps_rows = [(30, 10.0), (60, 25.0)]
    else:
        steps_rows = [(s.after_days, percent_of_share(s.haircut)) for s in steps]
    return pd.DataFrame({"after_days": pd.array([r[0] for r in steps_rows], dtype="Int64"),
                         "haircut_pct": [float(r[1]) for r in steps_rows]})


def _brackets_frame(plan: Plan, attainment: bool) -> pd.DataFrame:
    """The brackets as the editor shows them: attainment brackets' ``from`` in % of quota."""
    same = plan.tiers is not None and plan.measures_attainment == attainment
    if same and plan.tiers is not None:
        scale = 100 if attainment else 1
        rows = [(float(b.from_) * scale, percent_of_share(b.rate)) for b in plan.tiers.brackets]
    else:
        rate = percent_of_share(plan.rate if plan.rate is not None
                                else plan.tiers.brackets[0].rate if plan.tiers else None)
        rows = [(0.0, rate), (100.0 if attainment else 100000.0, rate + 1)]
    return pd.DataFrame({"from": [r[0] for r in rows], "rate_pct": [r[1] for r in rows]})


def _rows(frame: pd.DataFrame, cols: tuple[str, str], source: str, key: str
          ) -> tuple[list[tuple[Any, Any]], list[Problem]]:
    """Filled rows of an editable table; a half-filled row is a problem, an empty one is ignored."""
    rows, problems = [], []
    for i, (a, b) in enumerate(zip(frame[cols[0]], frame[cols[1]], strict=True), start=1):
        if pd.isna(a) and pd.isna(b):
            continue
        if pd.isna(a) or pd.isna(b):
            problems.append(Problem(source, i, key, None, "a row with an empty cell",
                                    f"both {cols[0]} and {cols[1]}"))
            continue
        rows.append((a, b))
    return rows, problems


def _rate_controls(base: Plan, k: str, source: str, problems: list[Problem]
                   ) -> dict[str, Any]:
    """Basis, advance share and the rate (flat or tiers) of a variant; problems appended."""
    changes: dict[str, Any] = {}
    st.markdown("**Commission**")
    basis = st.selectbox("Basis", list(BASIS_WORDS), format_func=BASIS_WORDS.get,
                         index=list(BASIS_WORDS).index(base.basis), key=k + "basis")
    changes["basis"] = basis
    changes["advance_share"] = None
    if basis == "advance":
        adv = st.number_input("Advanced at invoicing, %", 0.0, 100.0, step=5.0,
                              value=percent_of_share(base.advance_share or Decimal("0.5")),
                              key=k + "advance")
        changes["advance_share"] = share_of_percent(adv)
    kind = st.radio("Rate", ["flat", "tiers"], horizontal=True, key=k + "rate_kind",
                    index=0 if base.rate is not None else 1,
                    format_func={"flat": "Flat rate", "tiers": "Tiers"}.get)
    if kind == "flat":
        default = base.rate if base.rate is not None else base.tiers.brackets[0].rate
        rate = st.number_input("Rate, %", 0.0, 100.0, value=percent_of_share(default),
                               step=0.25, format="%.4g", key=k + "rate")
        changes.update(rate=share_of_percent(rate), tiers=None, quota=None)
    else:
        changes.update(_tier_controls(base, k, source, problems))
    return changes


def _tier_controls(base: Plan, k: str, source: str, problems: list[Problem]
                   ) -> dict[str, Any]:
    """Tiers on the month's volume, or attainment brackets on a quota period's volume."""
    m1, m2 = st.columns(2)
    mode = m1.selectbox("Tiers mode", ["marginal", "retroactive"], key=k + "tier_mode",
                        index=1 if base.tiers and base.tiers.mode == "retroactive" else 0)
    measure = m2.selectbox("Measured on", ["volume", "attainment"], key=k + "measure",
                           index=1 if base.measures_attainment else 0,
                           format_func={"volume": "the month's volume",
                                        "attainment": "attainment of quota"}.get)
    attainment = measure == "attainment"
    period = None
    if attainment:
        period = st.selectbox("Quota period", QUOTA_PERIODS, key=k + "quota_period",
                              index=QUOTA_PERIODS.index(base.quota.period) if base.quota
                              else 1)
    label = "attainment from %" if attainment else "volume from"
    edited = st.data_editor(
        _brackets_frame(base, attainment), key=k + ("brackets_att" if attainment
                                                    else "brackets"),
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "from": st.column_config.NumberColumn(
                label, min_value=0.0, step=10.0 if attainment else 1000.0, format="%.2f",
                help="The bracket's rate applies from this attainment (% of the quota "
                     "period's quota)" if attainment else
                     "The bracket's rate applies from this month's volume"),
            "rate_pct": st.column_config.NumberColumn("rate %", min_value=0.0,
                                                      max_value=100.0, step=0.25)})
    rows, errs = _rows(edited, ("from", "rate_pct"), source, "tiers.brackets")
    problems += errs
    rows.sort(key=lambda r: float(r[0]))
    brackets = [{"from": share_of_percent(f) if attainment else decimal_of(f, 2),
                 "rate": share_of_percent(r)} for f, r in rows]
    return {"rate": None, "quota": {"period": period} if attainment else None,
            "tiers": {"mode": mode, "measure": measure, "brackets": brackets}}


def _late_controls(base: Plan, k: str, source: str, problems: list[Problem]
                   ) -> dict[str, Any] | None:
    """The late-payment haircut of a variant (None: no haircut); problems appended."""
    st.markdown("**Late-payment haircut**")
    lp = base.late_payment
    current = "none" if lp is None else ("steps" if lp.steps is not None else "linear")
    schedule = st.radio("Schedule", list(SCHEDULES), format_func=SCHEDULES.get,
                        index=list(SCHEDULES).index(current), horizontal=True,
                        key=k + "schedule")
    if schedule == "none":
        return None
    late: dict[str, Any] = {}
    if schedule == "steps":
        st.caption("A payment more than *N* days late loses the haircut % of its "
                   "commission.")
        edited = st.data_editor(
            _steps_frame(base), key=k + "steps", num_rows="dynamic", hide_index=True,
            width="stretch",
            column_config={
                "after_days": st.column_config.NumberColumn(
                    "days late >", min_value=0, step=1, format="%d", width=88,
                    help="More than this many days late"),
                "haircut_pct": st.column_config.NumberColumn(
                    "haircut %", min_value=0.0, max_value=100.0, step=0.5, width=88)})
        rows, errs = _rows(edited, ("after_days", "haircut_pct"), source,
                           "late_payment.steps")
        problems += errs
        rows.sort(key=lambda r: int(r[0]))
        late["steps"] = [{"after_days": int(d), "haircut": share_of_percent(h)}
                         for d, h in rows]
    else:
        lin = lp.linear if lp is not None and lp.linear is not None else None
        start = st.number_input("Starts after days late", 0, 3650, step=1,
                                value=lin.start_after_days if lin else 40,
                                key=k + "lin_start")
        per_day = st.number_input("Haircut per day, %", 0.0, 100.0, step=0.1,
                                  value=percent_of_share(lin.per_day) if lin else 1.0,
                                  format="%.4g", key=k + "lin_per_day")
        top = st.number_input("At most, %", 0.0, 100.0, step=5.0,
                              value=percent_of_share(lin.max) if lin else 100.0,
                              key=k + "lin_max")
        late["linear"] = {"start_after_days": int(start),
                          "per_day": share_of_percent(per_day),
                          "max": share_of_percent(top)}
    clocks = ["due_date", "invoice_date"]
    late["clock"] = st.selectbox(
        "Days late counted from", clocks, key=k + "clock",
        index=clocks.index(lp.clock) if lp is not None else 0,
        format_func={"due_date": "the due date", "invoice_date": "the invoice date"}.get)
    late["grace_days"] = int(st.number_input(
        "Grace days", 0, 365, step=1, value=lp.grace_days if lp is not None else 0,
        key=k + "grace"))
    late["pause_during_disputes"] = st.checkbox(
        "Pause the clock during disputes", key=k + "pause",
        value=lp.pause_during_disputes if lp is not None else True)
    return late


def _payout_controls(base: Plan, k: str) -> dict[str, Any]:
    """Bad debt, payout terms and rounding of a variant."""
    changes: dict[str, Any] = {}
    st.markdown("**Bad debt and payout**")
    bd, pay = base.bad_debt, base.payout
    penalty = st.number_input("Penalty on write-offs, %", 0.0, 100.0, step=0.5,
                              value=percent_of_share(bd.penalty_rate), format="%.4g",
                              key=k + "penalty")
    any_time = st.checkbox("Write-offs count at any time (no window)",
                           value=bd.window_days is None, key=k + "no_window")
    window = None
    if not any_time:
        window = int(st.number_input("Window, days after invoicing", 0, 3650, step=30,
                                     value=bd.window_days or 365, key=k + "window"))
    changes["bad_debt"] = {"window_days": window, "penalty_rate": share_of_percent(penalty)}
    min_payout = st.number_input("Minimum payout", 0.0, 1e9, step=10.0, format="%.2f",
                                 value=float(pay.min_payout), key=k + "min_payout")
    no_cap = st.checkbox("No cap", value=pay.cap is None, key=k + "no_cap")
    cap = None
    if not no_cap:
        cap = decimal_of(st.number_input(
            "Cap: most paid in one month", 0.01, 1e9, step=1000.0, format="%.2f",
            value=float(pay.cap) if pay.cap is not None else 25000.0, key=k + "cap"), 2)
    carry = st.checkbox("Carry a negative balance forward", key=k + "carry",
                        value=pay.carry_forward_negative)
    changes["payout"] = {"min_payout": decimal_of(min_payout, 2), "cap": cap,
                         "carry_forward_negative": carry, "draw": _draw_controls(base, k)}
    changes["override"] = _override_controls(base, k)
    changes["rounding"] = st.selectbox(
        "Rounding", ["half_up", "half_even"], key=k + "rounding",
        index=0 if base.rounding == "half_up" else 1)
    return changes


def _draw_controls(base: Plan, k: str) -> dict[str, Any] | None:
    """A guaranteed draw: a month paying less is topped up (recoverable or not)."""
    draw = base.payout.draw
    if not st.checkbox("Guaranteed draw", value=draw is not None, key=k + "draw"):
        return None
    amount = st.number_input("Draw: topped up to, per month", 0.01, 1e9, step=100.0,
                             format="%.2f", key=k + "draw_amount",
                             value=float(draw.amount) if draw else 1500.0)
    recoverable = st.checkbox("Recoverable from later commission", key=k + "draw_recoverable",
                              value=draw.recoverable if draw else True)
    return {"amount": decimal_of(amount, 2), "recoverable": recoverable}


def _override_controls(base: Plan, k: str) -> dict[str, Any] | None:
    """A manager's override on each direct report's collections."""
    ov = base.override
    if not st.checkbox("Override on direct reports' collections", value=ov is not None,
                       key=k + "override"):
        return None
    rate = st.number_input("Override rate, %", 0.0, 100.0, step=0.25, format="%.4g",
                           key=k + "override_rate",
                           value=percent_of_share(ov.rate) if ov else 1.0)
    return {"rate": share_of_percent(rate)}


def variant_controls(base: Plan, taken: set[str]) -> tuple[dict[str, Any], list[Problem],
                                                           str, str, bool]:
    """The controls of a variant of ``base``: (changes, problems, id, name, include).

    Every widget's key starts with ``variant.<base id>.``: picking another base plan
    shows fresh controls holding that plan's terms, and going back finds the edits.
    """
    k = f"variant.{base.id}."
    problems: list[Problem] = []
    c1, c2, c3 = st.columns([2, 3, 1], vertical_alignment="bottom")
    vid = c1.text_input("Variant id", value=next_variant_id(base.id, taken), key=k + "id",
                        help="The plan id of the scenario if you save it (never a file in "
                             "rules/: making it live is a separate step)")
    name = c2.text_input("Name", value=f"{base.title} (variant)", key=k + "name")
    include = c3.checkbox("Compare it", value=True, key=k + "include")
    source = f"variant {vid}"
    changes: dict[str, Any] = {}

    rate_col, late_col, other_col = st.columns(3, gap="large")
    with rate_col:
        changes.update(_rate_controls(base, k, source, problems))
    with late_col:
        changes["late_payment"] = _late_controls(base, k, source, problems)
    with other_col:
        changes.update(_payout_controls(base, k))
    return changes, problems, vid.strip(), name.strip(), include



def what_if_controls(base: Plan, attainment: bool, periods: list[str], reps: pd.DataFrame,
                     on_base: list[str]) -> tuple[WhatIf, list[Problem]]:
    """From which month and for whom the variant applies, and the quotas it is run with.

    ``reps`` has rep_id and name; ``on_base`` the reps on the base plan today (the
    default choice of reps from a month).
    """
    k = f"variant.{base.id}."
    problems: list[Problem] = []
    st.markdown("**Apply the variant**")
    how = st.radio("Apply", list(APPLY), format_func=APPLY.get, horizontal=True,
                   key=k + "apply", label_visibility="collapsed")
    month, chosen = None, None
    if how == "from" and periods:
        c1, c2 = st.columns([1, 3])
        month = c1.selectbox("From the month", periods, index=len(periods) // 2,
                             key=k + "from_month",
                             help="Everything before this month stays as it was (each rep on "
                                  "the plans assigned to them); from it on, the chosen reps "
                                  "are on the variant.")
        names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=True))
        picked = c2.multiselect("Reps (none chosen: every rep)", list(names),
                                default=[r for r in on_base if r in names],
                                format_func=lambda r: f"{r} {names.get(r, '')}",
                                key=k + "from_reps")
        chosen = tuple(sorted(picked)) if picked else None
    scale: Decimal | None = None
    amounts: tuple[tuple[str, int], ...] = ()
    if attainment:
        scale, amounts = _quota_controls(k, reps, problems)
    return WhatIf(month, chosen, scale, amounts), problems


def _quota_controls(k: str, reps: pd.DataFrame, problems: list[Problem]
                    ) -> tuple[Decimal | None, tuple[tuple[str, int], ...]]:
    """A uniform scale of the data's quotas, and a quota per rep for every period."""
    st.markdown("**Quotas of the what-if** (the data's quotas are never changed)")
    pct = st.number_input("Every quota at, % of the data's", 1.0, 1000.0, 100.0, step=5.0,
                          key=k + "quota_scale")
    frame = pd.DataFrame({"rep_id": reps["rep_id"].astype(str).to_numpy(),
                          "quota": pd.array([None] * len(reps), dtype="Float64")})
    edited = st.data_editor(
        frame, key=k + "quotas", hide_index=True, width="stretch", disabled=["rep_id"],
        column_config={"rep_id": st.column_config.TextColumn("rep"),
                       "quota": st.column_config.NumberColumn(
                           "quota for every period (blank: the data's)", min_value=0.01,
                           step=1000.0, format="%.2f")})
    amounts = []
    for rep, value in zip(edited["rep_id"], edited["quota"], strict=True):
        if pd.isna(value):
            continue
        if float(value) <= 0:
            problems.append(Problem("variant quotas", None, "quota", str(rep),
                                    "a quota of 0 or less", "an amount more than 0"))
            continue
        amounts.append((str(rep), int(decimal_of(value, 2) * 100)))
    scale = decimal_of(pct, 4) / 100
    return (None if scale == 1 else scale), tuple(amounts)

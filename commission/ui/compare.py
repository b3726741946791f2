"""Compare plans (management): the same history under several plans, side by side.

Pick two to four plans of ``rules/``, derive a variant with the page's controls,
shift every payment N days to see how sensitive each plan's cost is to how fast
customers pay, and read the totals, the waterfall from gross to payout, each rep's
payout, the months, the winners and losers against the baseline and the spread.

Each plan's engine run is cached by (data, the plan's exact terms, months, shift),
so changing one control recomputes only what it touches: editing the variant
reruns the engine for the variant alone (a few hundredths of a second on the
sample data) and every other plan comes from the cache.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from commission import access
from commission.access import Identity
from commission.plans.language import Plan
from commission.problems import Problem
from commission.reports.compare import (
    SUMMARY_MONEY,
    TOTAL_MONEY,
    ComparisonResult,
    PlanRun,
    cash_collected,
    combine,
    data_periods,
    decimal_of,
    derive_plan,
    next_variant_id,
    percent_of_share,
    plan_file_text,
    run_plan,
    share_of_percent,
    shift_payments,
)
from commission.ui import common, session

MAX_PLANS = 4  # from rules/; a variant may come on top
SHIFT_LIMIT = 90  # days, either way
BASIS_WORDS = {"collected": "Collected (on cash)", "invoiced": "Invoiced",
               "advance": "Advance (part at invoicing)"}
SCHEDULES = {"none": "No haircut", "steps": "Steps", "linear": "Linear"}
MEASURES = [  # (summary column, label) of the side-by-side table, in order
    ("gross", "Gross commission"), ("haircuts", "Haircuts"), ("clawbacks", "Clawbacks"),
    ("penalties", "Penalties"), ("net", "Net commission"), ("carry_in", "Carried in"),
    ("carry_out", "Carried out"), ("forfeited", "Forfeited above cap"),
    ("payout", "Total payout"), ("cash_collected", "Cash collected"),
]
COST_LABEL = "Cost, % of cash collected"
PER_REP_HIDDEN = ("Each rep's figures are for finance, approvers and administrators (who see "
                  "everyone's pay); the totals, months and distribution are for everyone here.")
TABS = ["Totals", "Per rep", "By month", "Winners and losers", "Distribution"]


# --------------------------------------------------------------------------- cached engine runs


@st.cache_resource(show_spinner=False, max_entries=32)
def _shifted(data_key: str, shift: int, _inputs):
    return shift_payments(_inputs, shift)


_ENGINE_RUNS = [0]  # engine runs made (cache misses), to say how many came from the cache
_TERMS_ID = "plan"  # every plan is run under this id: the cache holds terms, not names


def terms_of(plan: Plan) -> Plan:
    """The plan with its id, name and description blanked: what the engine's figures depend on.

    A variant that still has its base plan's terms (as it does before any edit) then
    shares the base plan's cached run instead of running the engine again.
    """
    return plan.model_copy(update={"id": _TERMS_ID, "name": "", "description": ""})


@st.cache_resource(show_spinner=False, max_entries=512)
def _run(data_key: str, terms_yaml: str, first: str, last: str, shift: int, _inputs,
         _terms: Plan) -> PlanRun:
    """One engine run, keyed by the plan's exact terms: a changed term runs again."""
    _ENGINE_RUNS[0] += 1
    return run_plan(_inputs, _terms, first, last)


@st.cache_resource(show_spinner=False, max_entries=16)
def _periods(data_key: str, _inputs) -> list[str]:
    return data_periods(_inputs)


def comparison(data: common.Data, plans: list[Plan], first: str, last: str,
               shift: int) -> tuple[ComparisonResult, int]:
    """The comparison of ``plans`` (the first is the baseline); and how many runs were cached."""
    shifted = _shifted(data.key, shift, data.inputs)
    before = _ENGINE_RUNS[0]
    runs = []
    for p in plans:
        terms = terms_of(p)
        run = _run(data.key, terms.to_yaml(), first, last, shift, shifted, terms)
        runs.append(replace(run, plan=p, payouts=run.payouts.assign(plan_id=p.id)))
    computed = _ENGINE_RUNS[0] - before
    result = combine(runs, shifted.reps, cash_collected(shifted, first, last), shift)
    return result, max(len(plans) - computed, 0)


# --------------------------------------------------------------------------- the variant


def _steps_frame(plan: Plan) -> pd.DataFrame:
    lp = plan.late_payment
    steps = lp.steps if lp is not None and lp.steps else []
    if not steps:
        steps_rows = [(30, 10.0), (60, 25.0)]
    else:
        steps_rows = [(s.after_days, percent_of_share(s.haircut)) for s in steps]
    return pd.DataFrame({"after_days": pd.array([r[0] for r in steps_rows], dtype="Int64"),
                         "haircut_pct": [float(r[1]) for r in steps_rows]})


def _brackets_frame(plan: Plan) -> pd.DataFrame:
    if plan.tiers is not None:
        rows = [(float(b.from_), percent_of_share(b.rate)) for b in plan.tiers.brackets]
    else:
        rate = percent_of_share(plan.rate)
        rows = [(0.0, rate), (100000.0, rate + 1)]
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
        changes.update(rate=share_of_percent(rate), tiers=None)
    else:
        mode = st.selectbox("Tiers mode", ["marginal", "retroactive"], key=k + "tier_mode",
                            index=1 if base.tiers and base.tiers.mode == "retroactive"
                            else 0)
        edited = st.data_editor(
            _brackets_frame(base), key=k + "brackets", num_rows="dynamic", hide_index=True,
            width="stretch",
            column_config={
                "from": st.column_config.NumberColumn("volume from", min_value=0.0,
                                                      help="The month's volume from which "
                                                           "the bracket's rate applies",
                                                      step=1000.0, format="%.2f"),
                "rate_pct": st.column_config.NumberColumn("rate %", min_value=0.0,
                                                          max_value=100.0, step=0.25)})
        rows, errs = _rows(edited, ("from", "rate_pct"), source, "tiers.brackets")
        problems += errs
        rows.sort(key=lambda r: float(r[0]))
        changes.update(rate=None, tiers={"mode": mode, "brackets": [
            {"from": decimal_of(f, 2), "rate": share_of_percent(r)} for f, r in rows]})
    return changes


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
                         "carry_forward_negative": carry}
    changes["rounding"] = st.selectbox(
        "Rounding", ["half_up", "half_even"], key=k + "rounding",
        index=0 if base.rounding == "half_up" else 1)
    return changes


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
                        help="The file name if you save it: rules/<id>.yaml")
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


def variant_section(identity: Identity, rules: common.Rules) -> Plan | None:
    """The variant editor; the variant to compare, or None (problems shown, or left out)."""
    flash = st.session_state.pop("compare.flash", None)
    if flash:
        st.success(flash)
    with st.expander("Variant: change a plan's terms without writing YAML", expanded=True):
        ids = sorted(rules.plans)
        preferred = "collected-stepped" if "collected-stepped" in ids else ids[0]
        base_id = st.selectbox("Start from", ids, index=ids.index(preferred),
                               key="variant.base",
                               format_func=lambda p: f"{p} · {rules.plans[p].title}")
        base = rules.plans[base_id]
        changes, problems, vid, name, include = variant_controls(base, set(rules.plans))
        plan, found = derive_plan(base, vid, changes, name=name or None)
        problems += found
        if problems or plan is None:
            common.show_problems(problems, "The variant is not a valid plan yet; it is left out "
                                           "of the comparison")
            return None
        existing = rules.plans.get(plan.id)
        clash = existing is not None and existing != plan
        if clash:
            st.warning(f"rules/{plan.id}.yaml already holds a different plan: give the variant "
                       "another id (a plan file is never overwritten). It is left out of the "
                       "comparison until then.")
        elif existing is not None:
            st.caption(f"Saved as rules/{plan.id}.yaml.")
        s1, s2, s3 = st.columns(3, vertical_alignment="center")
        if identity.may("plan.save"):
            if s2.button("Save to rules/", key="variant.save", disabled=existing == plan):
                _save(identity, plan, rules, False, base)
        else:
            s1.caption("Read-only: saving a variant needs the planner or admin role. Download "
                       "its YAML to propose it.")
        s3.download_button("Download YAML", plan_file_text(plan, _note(base)),
                           file_name=f"{plan.id}.yaml", mime="application/x-yaml",
                           key="variant.download", on_click="ignore")
    return plan if include and not clash else None


def _note(base: Plan) -> str:
    return f"Derived from {base.id} on the compare page."


def _save(identity: Identity, plan: Plan, rules: common.Rules, overwrite: bool,
          base: Plan) -> None:
    store = common.open_current_store()
    if store is None:
        return
    try:
        path = access.save_plan_variant(identity, store, plan, rules.folder,
                                        overwrite=overwrite, note=_note(base))
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    except FileExistsError:
        st.error(f"rules/{plan.id}.yaml already exists and is never overwritten (a change is "
                 "a new plan id): change the variant id.")
        return
    except (OSError, ValueError) as exc:
        st.error(f"The plan was not saved: {exc}")
        return
    st.session_state["compare.flash"] = f"Saved {path}. It is now one of the plans in rules/."
    st.rerun()


# --------------------------------------------------------------------------- results


def _units(cents: pd.Series) -> pd.Series:
    """Cents as currency units, for chart axes only (tables keep exact text)."""
    return cents.astype("int64") / 100


def side_by_side(result: ComparisonResult) -> pd.DataFrame:
    """The summary with plans as columns and measures as rows, money as text."""
    s = result.summary.set_index("plan_id")
    rows = []
    for col, label in MEASURES:
        rows.append({"measure": label, **{p: common.money(s.at[p, col])
                                          for p in result.plan_ids}})
    rows.append({"measure": COST_LABEL, **{p: common.pct(s.at[p, "cost_pct"])
                                           for p in result.plan_ids}})
    return pd.DataFrame(rows, columns=["measure", *result.plan_ids])


def waterfall_chart(result: ComparisonResult) -> alt.FacetChart:
    """Per plan, horizontal bars from gross commission down to payout.

    The axis does not start at zero: haircuts and clawbacks are a few percent of the
    gross and would be invisible next to it.
    """
    w = result.waterfall.assign(start_u=_units(result.waterfall["start"]),
                                end_u=_units(result.waterfall["end"]),
                                text=[common.money(v) for v in result.waterfall["amount"]])
    totals = w[w["kind"] == "total"]["end_u"]
    low = float(totals.min()) * 0.9 if len(totals) else 0.0
    order = list(dict.fromkeys(w["step"]))
    chart = alt.Chart(w).mark_bar(clip=True).encode(
        y=alt.Y("step:N", sort=order, title=None),
        x=alt.X("start_u:Q", title="amount", scale=alt.Scale(domainMin=low, zero=False),
                axis=alt.Axis(format="~s", tickCount=4)),
        x2="end_u:Q",
        color=alt.Color("kind:N", title=None,
                        scale=alt.Scale(domain=["total", "decrease", "increase"],
                                        range=["#4c78a8", "#e45756", "#54a24b"])),
        tooltip=[alt.Tooltip("plan_id:N", title="plan"), alt.Tooltip("step:N"),
                 alt.Tooltip("text:N", title="amount")])
    return chart.properties(width=230, height=170).facet(
        facet=alt.Facet("plan_id:N", title=None, sort=result.plan_ids),
        columns=min(3, len(result.plan_ids)))


def _plan_color(result: ComparisonResult, legend: bool = True) -> alt.Color:
    """The same colour for a plan on every chart of the page."""
    return alt.Color("plan_id:N", title="plan", sort=result.plan_ids,
                     scale=alt.Scale(domain=result.plan_ids),
                     legend=alt.Legend(orient="bottom", labelLimit=320) if legend else None)


def per_rep_chart(result: ComparisonResult) -> alt.Chart:
    data = result.per_rep.assign(payout_u=_units(result.per_rep["payout"]),
                                 text=[common.money(v) for v in result.per_rep["payout"]],
                                 rep=result.per_rep["rep_id"] + " " + result.per_rep["name"])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("rep:N", title=None, axis=alt.Axis(labelAngle=-30, labelOverlap=False)),
        xOffset=alt.XOffset("plan_id:N", sort=result.plan_ids),
        y=alt.Y("payout_u:Q", title="payout", axis=alt.Axis(format="~s")),
        color=_plan_color(result),
        tooltip=["rep:N", alt.Tooltip("plan_id:N", title="plan"),
                 alt.Tooltip("text:N", title="payout")]).properties(height=340)


def per_month_chart(result: ComparisonResult) -> alt.Chart:
    m = result.per_month
    data = m.assign(month=pd.to_datetime(m["period"] + "-01"), payout_u=_units(m["payout"]),
                    text=[common.money(v) for v in m["payout"]])
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("yearmonth(month):T", title=None),
        y=alt.Y("payout_u:Q", title="payout", axis=alt.Axis(format="~s")),
        color=_plan_color(result),
        tooltip=[alt.Tooltip("period:N", title="month"), alt.Tooltip("plan_id:N", title="plan"),
                 alt.Tooltip("text:N", title="payout")]).properties(height=320)


def winners_chart(result: ComparisonResult) -> alt.FacetChart:
    """Per plan against the baseline, each rep's change: green gains, red losses."""
    w = result.winners_losers
    data = w.assign(change_u=_units(w["change"]), rep=w["rep_id"] + " " + w["name"],
                    text=[common.money(v) for v in w["change"]],
                    side=["gains" if v > 0 else "loses" for v in w["change"]])
    reps = list(result.per_rep.loc[result.per_rep["plan_id"] == result.baseline, "rep_id"]
                + " " + result.per_rep.loc[result.per_rep["plan_id"] == result.baseline,
                                           "name"])
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("rep:N", title=None, sort=reps, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("change_u:Q", title="change", axis=alt.Axis(format="~s", tickCount=4)),
        color=alt.Color("side:N", title=None, scale=alt.Scale(
            domain=["gains", "loses"], range=["#54a24b", "#e45756"])),
        tooltip=["rep:N", alt.Tooltip("plan_id:N", title="plan"),
                 alt.Tooltip("text:N", title="change")])
    others = result.plan_ids[1:]
    return chart.properties(width=max(150, 720 // max(len(others), 1)), height=alt.Step(22)
                            ).facet(column=alt.Column("plan_id:N", title=None, sort=others))


def distribution_chart(result: ComparisonResult) -> alt.LayerChart:
    r = result.per_rep
    data = r.assign(payout_u=_units(r["payout"]), text=[common.money(v) for v in r["payout"]],
                    rep=r["rep_id"] + " " + r["name"])
    x = alt.X("plan_id:N", title=None, sort=result.plan_ids,
              axis=alt.Axis(labelAngle=0, labelAlign="center", labelLimit=260))
    y = alt.Y("payout_u:Q", title="total payout per rep", scale=alt.Scale(zero=False),
              axis=alt.Axis(format="~s"))
    box = alt.Chart(data).mark_boxplot(extent="min-max", size=40, opacity=0.5).encode(
        x=x, y=y, color=_plan_color(result, legend=False))
    dots = alt.Chart(data).mark_circle(size=45, color="#333").encode(
        x=x, y=y, tooltip=["rep:N", alt.Tooltip("text:N", title="payout")])
    return (box + dots).properties(height=340)


def _wide(frame: pd.DataFrame, index: list[str], plan_ids: list[str], value: str
          ) -> pd.DataFrame:
    wide = frame.pivot(index=index, columns="plan_id", values=value)[plan_ids]
    return wide.reset_index().rename_axis(columns=None)


def winners_table(result: ComparisonResult) -> pd.DataFrame:
    """Rep, baseline payout, then for each other plan: payout, change and change %."""
    w = result.winners_losers
    base = result.per_rep[result.per_rep["plan_id"] == result.baseline]
    out = base[["rep_id", "name", "payout"]].rename(
        columns={"payout": f"{result.baseline} (baseline)"}).reset_index(drop=True)
    for pid in result.plan_ids[1:]:
        mine = w[w["plan_id"] == pid].set_index("rep_id")
        out[pid] = mine["payout"].reindex(out["rep_id"]).to_numpy()
        out[f"change {pid}"] = mine["change"].reindex(out["rep_id"]).to_numpy()
        out[f"change % {pid}"] = [common.pct(v, 1) for v in
                                  mine["change_pct"].reindex(out["rep_id"]).to_numpy()]
    if len(result.plan_ids) > 1:
        out = out.sort_values(f"change {result.plan_ids[1]}", ascending=False, kind="stable")
    return out


PER_REP_FILES = ("per_rep.csv", "winners_losers.csv")


def csv_files(result: ComparisonResult, per_rep: bool = True) -> dict[str, str]:
    """Every table of the comparison as CSV text (money as plain two-decimal amounts).

    Without ``per_rep`` the tables that name reps are left out.
    """
    files = {
        "summary.csv": common.csv_text(result.summary, [*SUMMARY_MONEY, "change"]),
        "per_rep.csv": common.csv_text(result.per_rep, TOTAL_MONEY),
        "per_month.csv": common.csv_text(result.per_month, TOTAL_MONEY),
        "winners_losers.csv": common.csv_text(result.winners_losers,
                                              ["baseline_payout", "payout", "change"]),
        "waterfall.csv": common.csv_text(result.waterfall, ["amount", "start", "end"]),
        "distribution.csv": common.csv_text(result.distribution,
                                            ["min", "p25", "median", "p75", "max"]),
    }
    return files if per_rep else {k: v for k, v in files.items() if k not in PER_REP_FILES}


def _download(result: ComparisonResult, name: str, label: str = "Download CSV") -> None:
    """A download made when it is clicked, not on every rerun (it is not free)."""
    st.download_button(label, lambda: csv_files(result)[name], file_name=name,
                       mime="text/csv", key=f"compare.download.{name}", on_click="ignore")


def _chart(chart: alt.TopLevelMixin, stretch: bool = True) -> None:
    """An Altair chart, drawn from its spec without re-validating it on every rerun.

    Validating the spec against the Vega-Lite schema is most of the cost of a chart
    and these specs are fixed in code: they are checked once by the tests instead.
    """
    st.vega_lite_chart(spec=chart.to_dict(validate=False),
                       width="stretch" if stretch else "content")


def _winners_tab(result: ComparisonResult) -> None:
    if len(result.plan_ids) < 2:
        st.info("Pick a second plan to see winners and losers.")
        return
    st.caption(f"Each rep's total payout against the baseline {result.baseline}; "
               "positive: the rep earns more.")
    table = winners_table(result)
    money_cols = [c for c in table.columns if c not in ("rep_id", "name")
                  and not c.startswith("change %")]
    common.show_table(table, money_cols,
                      right=[c for c in table.columns if c.startswith("change %")],
                      key="compare.winners", height=common.table_height(len(table), 30))
    _chart(winners_chart(result), stretch=False)
    _download(result, "winners_losers.csv")


def show_results(result: ComparisonResult, seconds: float, cached: int,
                 last_day: dt.date | None = None, per_rep: bool = True) -> None:
    """The comparison; ``per_rep`` False (who may not see every rep's pay): totals only."""
    s = result.summary.set_index("plan_id")
    cols = st.columns(len(result.plan_ids))
    for col, pid in zip(cols, result.plan_ids, strict=True):
        payout = int(s.at[pid, "payout"])
        delta = (None if pid == result.baseline
                 else f"{common.money(s.at[pid, 'change'])} vs baseline")
        col.metric(pid, common.money(payout), delta=delta or "baseline",
                   delta_color="inverse" if delta else "off",
                   delta_arrow="auto" if delta else "off",
                   help=f"{result.names[pid]}: total payout {result.first} to {result.last}",
                   border=True)
        cost = common.pct(s.at[pid, "cost_pct"])
        col.caption(f"{cost or 'n/a'} of cash collected")
    later = "later" if result.shift_days > 0 else "sooner"
    shift = (f"payments {abs(result.shift_days)} days {later}" if result.shift_days
             else "payments as recorded")
    st.caption(f"{result.first} to {result.last} · cash collected "
               f"{common.money(result.cash_collected)} · {shift} · every rep on each plan · "
               f"computed in {seconds * 1000:,.0f} ms ({cached} of {len(result.plan_ids)} "
               "plan runs from cache)")
    # lazy tabs: only the open tab's charts and tables are built on a rerun
    tabs = st.tabs(TABS, key="compare.tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open is not False:
            table = side_by_side(result)
            common.show_table(table, right=result.plan_ids, key="compare.summary",
                              height=common.table_height(len(table)))
            _chart(waterfall_chart(result), stretch=False)
            _download(result, "summary.csv", "Download totals (CSV)")
            _download(result, "waterfall.csv", "Download waterfall (CSV)")
    with tabs[1]:
        if tabs[1].open and not per_rep:
            st.info(PER_REP_HIDDEN)
        elif tabs[1].open:
            _chart(per_rep_chart(result))
            per_rep = _wide(result.per_rep, ["rep_id", "name"], result.plan_ids, "payout")
            common.show_table(per_rep, result.plan_ids, key="compare.per_rep",
                              height=common.table_height(len(per_rep), 30))
            _download(result, "per_rep.csv")
    with tabs[2]:
        if tabs[2].open:
            if last_day is not None and last_day.strftime("%Y-%m") == result.last:
                st.caption(f"The data ends on {last_day}: {result.last} is a part month.")
            _chart(per_month_chart(result))
            months = _wide(result.per_month, ["period"], result.plan_ids, "payout")
            common.show_table(months, result.plan_ids, key="compare.per_month",
                              height=common.table_height(len(months), 30))
            _download(result, "per_month.csv")
    with tabs[3]:
        if tabs[3].open and not per_rep:
            st.info(PER_REP_HIDDEN)
        elif tabs[3].open:
            _winners_tab(result)
    with tabs[4]:
        if tabs[4].open:
            _chart(distribution_chart(result))
            common.show_table(result.distribution, ["min", "p25", "median", "p75", "max"],
                              key="compare.distribution")
            _download(result, "distribution.csv")
    st.download_button("Download every table (ZIP)",
                       lambda: common.zip_bytes(csv_files(result, per_rep)),
                       file_name=f"comparison_{result.first}_{result.last}.zip",
                       mime="application/zip", key="compare.download.zip", on_click="ignore")


# --------------------------------------------------------------------------- the page


def default_plans(ids: list[str], data: common.Data) -> list[str]:
    """The plans the reps are on today first (what management compares against), then others."""
    used = set(data.inputs.reps["plan_id"].dropna())
    ordered = [p for p in ids if p in used] + [p for p in ids if p not in used]
    reps, quotas = data.inputs.reps["rep_id"], data.inputs.quotas["rep_id"]
    if not reps.isin(quotas).all():  # every rep on a plan measuring attainment needs quotas
        plans = common.rules().plans
        ordered = [p for p in ordered if p not in plans or not plans[p].measures_attainment]
    return ordered[:MAX_PLANS]


def render() -> None:
    identity = session.guard("compare")
    st.title("Compare plans")
    st.caption("The same history under each plan, every rep on it in turn: what each plan "
               "costs, who wins and who loses, and how it reacts when customers pay faster "
               "or slower. Figures come straight from the engine.")
    rules = common.rules()
    if rules.problems:
        common.show_problems(rules.problems, f"Some plan files in {rules.folder} have problems; "
                                             "they are left out", level="warning")
    if not rules.plans:
        st.info(f"No plans to compare: {rules.folder} holds no valid plan file.")
        return
    data = common.pick_data("compare", allow_folder=identity.local)
    if data is None:
        return
    periods = _periods(data.key, data.inputs)
    if not periods:
        st.info("The data holds no invoices, payments or adjustments: nothing to compare.")
        return
    ids = sorted(rules.plans)
    with st.sidebar:
        st.subheader("Comparison")
        if len(periods) > 1:
            first, last = st.select_slider("Months compared", options=periods,
                                           value=(periods[0], periods[-1]),
                                           key="compare.periods")
        else:
            first = last = periods[0]
        shift = st.slider("Customers pay N days later (negative: sooner)", -SHIFT_LIMIT,
                          SHIFT_LIMIT, 0, step=1, key="compare.shift",
                          help="Moves every payment (and reversal) by N days, never before "
                               "its invoice's date, to show how sensitive each plan's cost is "
                               "to collection.")
        chosen = st.multiselect("Plans from rules/ (two to four)", ids,
                                default=default_plans(ids, data), max_selections=MAX_PLANS,
                                key="compare.plans")
        baseline = None
        if chosen:
            baseline = st.selectbox("Baseline (winners and losers against it)", chosen,
                                    key="compare.baseline")
    st.caption(f"Data: {data.label} · plans: {rules.folder}")
    variant = variant_section(identity, rules)
    plans = [rules.plans[p] for p in chosen]
    if baseline in chosen:
        plans.sort(key=lambda p: p.id != baseline)
    if variant is not None and variant.id not in chosen:
        plans.append(variant)
    if len(plans) < 2:
        st.info("Pick at least two plans (or one plan and the variant) to compare them.")
        return
    clock = common.Stopwatch()
    with st.spinner("Computing..."):
        result, cached = comparison(data, plans, first, last, shift)
    seconds = clock.seconds
    st.session_state["compare.seconds"] = seconds
    show_results(result, seconds, cached, common.last_event_day(data.inputs),
                 per_rep=identity.local or access.sees_all(identity))


if __name__ == "__main__":
    from commission.ui.compare import render as _render  # the imported module holds the caches

    _render()

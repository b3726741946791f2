"""Compare plans (management): the same history under several plans, side by side.

The baseline is the status quo: each rep on the plan assigned to them (the data's
``reps.plan_id`` and ``plan_assignments``). Beside it, plans of ``rules/`` with
every rep on each in turn, saved scenarios, and a variant derived with the page's
controls, applied to every rep from the start or from a chosen month to chosen
reps. Shift every payment N days to see how sensitive each plan's cost is to how
fast customers pay, and read the totals, the waterfall from gross to payout, each
rep's payout, the months, the winners and losers against the baseline, the spread
and the cost-versus-days curve.

A variant is saved as a scenario in the store (never in ``rules/`` nor in the plans
payroll runs on); making a scenario live is a separate step for finance or an
administrator (:mod:`commission.ui.scenarios_section`).

Each run is cached by (data, the exact terms, the what-if, months, shift), so
changing one control recomputes only what it touches: editing the variant reruns
the engine for the variant alone and every other column comes from the cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from commission import access
from commission.access import Identity
from commission.plans.assignments import plans_in_force
from commission.plans.language import Plan
from commission.reports.compare import (
    CURVE_DAYS,
    STATUS_QUO,
    SUMMARY_MONEY,
    TOTAL_MONEY,
    ComparisonResult,
    PlanRun,
    cash_collected,
    combine,
    cost_curve,
    data_periods,
    derive_plan,
    missing_quotas,
    plan_file_text,
    run_plan,
    scale_quotas,
    shift_payments,
    status_quo_plan,
    still_to_come,
    variant_from,
)
from commission.ui import common, scenarios_section, session
from commission.ui.variant import WhatIf, variant_controls, what_if_controls

MAX_PLANS = 4  # from rules/; the status quo, scenarios and a variant may come on top
SHIFT_LIMIT = 90  # days, either way
MEASURES = [  # (summary column, label) of the side-by-side table, in order
    ("gross", "Gross commission"), ("haircuts", "Haircuts"), ("clawbacks", "Clawbacks"),
    ("penalties", "Penalties"), ("net", "Net commission"), ("carry_in", "Carried in"),
    ("carry_out", "Carried out"), ("forfeited", "Forfeited above cap"),
    ("payout", "Total payout"), ("cash_collected", "Cash collected"),
]
COST_LABEL = "Cost, % of cash collected"
PER_REP_HIDDEN = ("Each rep's figures are for finance, approvers and administrators (who see "
                  "everyone's pay); the totals, months and distribution are for everyone here.")
TABS = ["Totals", "Per rep", "By month", "Winners and losers", "Distribution",
        "Pay faster or slower"]


# --------------------------------------------------------------------------- what is compared


@dataclass(frozen=True)
class Column:
    """One column of the comparison: a plan and how it is applied.

    ``kind``: ``all`` (every rep on ``plan``), ``status`` (each rep on their assigned
    plans: the status quo), ``from`` (the status quo until ``what_if.month``, then the
    chosen reps on ``plan``).
    """

    plan: Plan
    kind: str = "all"
    what_if: WhatIf = field(default_factory=WhatIf)

    def key(self) -> str:
        terms = "" if self.kind == "status" else terms_of(self.plan).to_yaml()
        return f"{self.kind}|{terms}|{self.what_if.key()}"


def status_column(data: common.Data) -> Column:
    like = next(iter(data.plans.values()))
    return Column(status_quo_plan(like), "status")


def column_of(plan: Plan, what_if: WhatIf) -> Column:
    return Column(plan, "from" if what_if.month else "all", what_if)


# --------------------------------------------------------------------------- cached engine runs


@st.cache_resource(show_spinner=False, max_entries=64)
def _shifted(data_key: str, shift: int, end: dt.date | None, hold: int | None, _inputs):
    return shift_payments(_inputs, shift, end, hold)


_ENGINE_RUNS = [0]  # engine runs made (cache misses), to say how many came from the cache
_TERMS_ID = "plan"  # every plan is run under this id: the cache holds terms, not names
_VARIANT_ID = "what-if.variant"  # the variant's id among the data's plans (from a month)


def terms_of(plan: Plan) -> Plan:
    """The plan with its id, name and description blanked: what the engine's figures depend on.

    A variant that still has its base plan's terms (as it does before any edit) then
    shares the base plan's cached run instead of running the engine again.
    """
    return plan.model_copy(update={"id": _TERMS_ID, "name": "", "description": ""})


def _what_if_inputs(inputs, column: Column):
    w = column.what_if
    if w.quota_scale is None and not w.quota_amounts:
        return inputs
    form = column.plan.quota.period if column.plan.quota else None
    return scale_quotas(inputs, w.quota_scale, dict(w.quota_amounts), form)


@st.cache_resource(show_spinner=False, max_entries=512)
def _run(data_key: str, column_key: str, first: str, last: str, shift: int, hold: int | None,
         _inputs, _column: Column, _plans: dict[str, Plan]) -> PlanRun | dict[str, list[str]]:
    """One engine run, keyed by the exact terms and what-if: a changed term runs again.

    Returns the reps missing a quota (rep -> periods) instead when an attainment plan
    cannot be valued: the page names them, the engine is not asked.
    """
    inputs = _what_if_inputs(_inputs, _column)
    if _column.kind == "status":
        plans: dict[str, Plan] | None = _plans
        label = _column.plan
        missing = missing_quotas(inputs, _plans)
    elif _column.kind == "from":
        label = _column.plan.model_copy(update={"id": _VARIANT_ID})
        plans = {**_plans, _VARIANT_ID: label}
        inputs = variant_from(inputs, _VARIANT_ID, str(_column.what_if.month),
                              _column.what_if.reps)
        missing = missing_quotas(inputs, plans)
    else:
        label = terms_of(_column.plan)
        plans = None
        missing = missing_quotas(inputs, {_TERMS_ID: label}, _TERMS_ID)
    if missing:
        return missing
    _ENGINE_RUNS[0] += 1
    return run_plan(inputs, label, first, last, plans=plans)


@st.cache_resource(show_spinner=False, max_entries=16)
def _periods(data_key: str, _inputs) -> list[str]:
    return data_periods(_inputs)


@dataclass
class Computed:
    """A comparison (None when fewer than one column could run), the cached-run count, and
    the columns left out for missing quotas (label -> rep -> periods)."""

    result: ComparisonResult | None
    cached: int
    left_out: dict[str, dict[str, list[str]]]


def comparison(data: common.Data, columns: list[Column], first: str, last: str, shift: int,
               end: dt.date | None = None, hold: int | None = None) -> Computed:
    """The comparison of ``columns`` (the first is the baseline) at one shift of payments."""
    shifted = _shifted(data.key, shift, end, hold, data.inputs)
    before = _ENGINE_RUNS[0]
    runs, left_out = [], {}
    for c in columns:
        run = _run(data.key, c.key(), first, last, shift, hold, shifted, c, data.plans)
        if isinstance(run, dict):
            left_out[c.plan.id] = run
            continue
        runs.append(replace(run, plan=c.plan, payouts=run.payouts.assign(plan_id=c.plan.id)))
    computed = _ENGINE_RUNS[0] - before
    if not runs:
        return Computed(None, 0, left_out)
    result = combine(runs, shifted.reps, cash_collected(shifted, first, last), shift)
    return Computed(result, max(len(runs) - computed, 0), left_out)


# --------------------------------------------------------------------------- the variant


def _current_plans(data: common.Data) -> dict[str, str]:
    """rep -> the plan in force for them on the data's last day (the status quo now)."""
    inputs = data.inputs
    day = pd.Timestamp(common.last_event_day(inputs))
    ids = inputs.reps["rep_id"].to_numpy(dtype=object)
    now = plans_in_force(inputs.reps, inputs.plan_assignments, ids, [day] * len(ids))
    return dict(zip([str(r) for r in ids], [str(p) for p in now], strict=True))


def _unchanged(plan: Plan, base: Plan) -> bool:
    return terms_of(plan) == terms_of(base)


def variant_section(identity: Identity, bases: dict[str, Plan], data: common.Data,
                    periods: list[str]) -> Column | None:
    """The variant editor; the variant's column, or None (unedited, invalid, or left out)."""
    flash = st.session_state.pop("compare.flash", None)
    if flash:
        st.success(flash)
    current = _current_plans(data)
    with st.expander("Variant: change a plan's terms without writing YAML", expanded=True):
        ids = sorted(bases)
        used = pd.Series(list(current.values())).value_counts()
        preferred = next((p for p in used.index if p in bases), ids[0])
        base_id = st.selectbox("Start from", ids, index=ids.index(preferred),
                               key="variant.base",
                               format_func=lambda p: f"{p} · {bases[p].title}")
        base = bases[base_id]
        changes, problems, vid, name, include = variant_controls(base, set(bases))
        plan, found = derive_plan(base, vid, changes, name=name or None)
        problems += found
        attainment = plan is not None and plan.measures_attainment
        on_base = [r for r, p in current.items() if p == base_id]
        what_if, found = what_if_controls(base, attainment, periods, data.inputs.reps, on_base)
        problems += found
        if problems or plan is None:
            common.show_problems(problems, "The variant is not a valid plan yet; it is left out "
                                           "of the comparison")
            return None
        _save_controls(identity, plan, base, what_if)
    if _unchanged(plan, base) and what_if.plain:
        st.caption(f"The variant is still {base_id} as it is: change a term to add it to the "
                   "comparison.")
        return None
    return column_of(plan, what_if) if include else None


def _note(base: Plan) -> str:
    return f"Derived from {base.id} on the compare page."


def _save_controls(identity: Identity, plan: Plan, base: Plan, what_if: WhatIf) -> None:
    s1, s2, s3 = st.columns(3, vertical_alignment="center")
    if identity.may("scenario.save"):
        if s2.button("Save as a scenario", key="variant.save",
                     help="Kept in the store's scenarios, never in rules/ nor in the plans "
                          "payroll runs on"):
            _save(identity, plan, base, what_if)
    else:
        s1.caption("Read-only: saving a scenario needs the planner, finance or admin role. "
                   "Download its YAML to propose it.")
    s3.download_button("Download YAML", plan_file_text(plan, _note(base)),
                       file_name=f"{plan.id}.yaml", mime="application/x-yaml",
                       key="variant.download", on_click="ignore")


def _save(identity: Identity, plan: Plan, base: Plan, what_if: WhatIf) -> None:
    store = common.open_current_store()
    if store is None:
        return
    try:
        sid = access.save_scenario(identity, store, plan, base.id, what_if.month,
                                   list(what_if.reps) if what_if.reps else None,
                                   what_if.quota_scale, note=_note(base))
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    scenarios_section.remember(sid)
    st.session_state["compare.flash"] = (f"Saved scenario #{sid} ({plan.id}). It stays in the "
                                         "comparison; payroll is unchanged.")
    st.rerun()


def scenario_columns(chosen: list[tuple[int, Any]]) -> list[Column]:
    """Saved scenarios as columns, each under ``<plan id> #<scenario id>``."""
    out = []
    for sid, sc in chosen:
        what_if = WhatIf(sc.from_period, tuple(sc.reps) if sc.reps else None, sc.quota_scale)
        plan = sc.plan.model_copy(update={"id": f"{sc.plan.id} #{sid}"})
        out.append(column_of(plan, what_if))
    return out


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
    """Per plan, horizontal bars from gross commission down to payout, from zero.

    The axis starts at zero so no bar is cut, and every bar carries its amount as
    text: haircuts and clawbacks are a few percent of the gross and read from the
    label even where the bar is thin.
    """
    w = result.waterfall.assign(start_u=_units(result.waterfall["start"]),
                                end_u=_units(result.waterfall["end"]),
                                text=[common.money(v) for v in result.waterfall["amount"]])
    w = w.assign(label_at=w[["start_u", "end_u"]].max(axis=1))
    order = list(dict.fromkeys(w["step"]))
    y = alt.Y("step:N", sort=order, title=None)
    bars = alt.Chart().mark_bar().encode(
        y=y, x=alt.X("start_u:Q", title="amount", scale=alt.Scale(zero=True),
                     axis=alt.Axis(format="~s", tickCount=4)),
        x2="end_u:Q",
        color=alt.Color("kind:N", title=None,
                        scale=alt.Scale(domain=["total", "decrease", "increase"],
                                        range=["#4c78a8", "#c23b3b", "#2f7d32"])),
        tooltip=[alt.Tooltip("plan_id:N", title="plan"), alt.Tooltip("step:N"),
                 alt.Tooltip("text:N", title="amount")])
    labels = alt.Chart().mark_text(align="left", dx=3, fontSize=10, color="#222").encode(
        y=y, x="label_at:Q", text="text:N")
    return alt.layer(bars, labels, data=w).properties(width=260, height=190).facet(
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


def _shift_caption(result: ComparisonResult, held: tuple[int, int], last_day: dt.date | None
                   ) -> str:
    if not result.shift_days:
        return "payments as recorded"
    later = "later" if result.shift_days > 0 else "sooner"
    text = f"payments {abs(result.shift_days)} days {later}"
    if held[0]:
        text += (f" ({held[0]:,} payments of {common.money(held[1])} would fall after the data "
                 f"ends on {last_day}: still to come, left out of every plan and of cash "
                 "collected, so they never count as a saving)")
    return text


def show_results(result: ComparisonResult, seconds: float, cached: int,
                 last_day: dt.date | None = None, held: tuple[int, int] = (0, 0),
                 curve: Callable[[], None] | None = None, per_rep: bool = True) -> None:
    """The comparison; ``per_rep`` False (who may not see every rep's pay): totals only.

    ``held``: the payments the shift pushed past the data's end (count, cents);
    ``curve`` draws the pay-faster-or-slower tab when it is open.
    """
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
    shift = _shift_caption(result, held, last_day)
    st.caption(f"{result.first} to {result.last} · cash collected "
               f"{common.money(result.cash_collected)} · {shift} · the status quo: each rep on "
               "their own plans; a plan of rules/: every rep on it · "
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
    with tabs[5]:
        if tabs[5].open and curve is not None:
            curve()
    st.download_button("Download every table (ZIP)",
                       lambda: common.zip_bytes(csv_files(result, per_rep)),
                       file_name=f"comparison_{result.first}_{result.last}.zip",
                       mime="application/zip", key="compare.download.zip", on_click="ignore")


# --------------------------------------------------------------------------- pay faster or slower


def curve_tab(data: common.Data, columns: list[Column], first: str, last: str,
              end: dt.date) -> None:
    """Total payout (and cost as % of cash) of each column for payments shifted -30..+60 days.

    The payments a +60-day shift would push past the data's last day are left out of
    every point, on every side: that cash is still to come, not a saving.
    """
    hold = max(CURVE_DAYS)
    n, amount = still_to_come(data.inputs, hold, end)
    points, left = {}, {}
    with st.spinner("Computing the curve..."):
        for days in CURVE_DAYS:
            got = comparison(data, columns, first, last, days, end, hold)
            left.update(got.left_out)
            if got.result is not None:
                points[days] = got.result
    if not points:
        return
    curve = cost_curve(points)
    st.caption(f"Every point leaves out the {n:,} payments ({common.money(amount)}) of the "
               f"last {hold} days before the data ends on {end}: pushed {hold} days later they "
               "would fall after the data, where their commission is still to come, and "
               "would look like a saving. Negative days: customers pay sooner (never before "
               "the invoice date).")
    shown = curve.assign(payout_u=curve["payout"].astype("int64") / 100,
                         text=[common.money(v) for v in curve["payout"]],
                         cost=[common.pct(v) for v in curve["cost_pct"]])
    order = list(dict.fromkeys(curve["plan_id"]))
    chart = alt.Chart(shown).mark_line(point=True).encode(
        x=alt.X("days:Q", title="days customers pay later (negative: sooner)"),
        y=alt.Y("payout_u:Q", title="total payout", axis=alt.Axis(format="~s"),
                scale=alt.Scale(zero=False)),
        color=alt.Color("plan_id:N", title="plan", sort=order, scale=alt.Scale(domain=order),
                        legend=alt.Legend(orient="bottom", labelLimit=320)),
        tooltip=[alt.Tooltip("plan_id:N", title="plan"), "days:Q",
                 alt.Tooltip("text:N", title="payout"), alt.Tooltip("cost:N", title="cost")]
    ).properties(height=320)
    _chart(chart)
    table = curve.pivot(index="days", columns="plan_id", values="payout")[order]
    common.show_table(table.reset_index().rename_axis(columns=None), order,
                      key="compare.curve", height=common.table_height(len(table)))
    st.download_button("Download the curve (CSV)",
                       lambda: common.csv_text(curve, ["payout", "cash_collected"]),
                       file_name="cost_curve.csv", mime="text/csv",
                       key="compare.download.cost_curve.csv", on_click="ignore")


# --------------------------------------------------------------------------- the page


def default_plans(ids: list[str], data: common.Data) -> list[str]:
    """The plans the reps are on today first (what management compares against), then others.

    Plans measuring attainment come only when every rep has quotas (every rep is put on
    each plan in turn); picked anyway, the page names the reps without one.
    """
    counts = data.inputs.reps["plan_id"].dropna().value_counts()
    used = sorted((p for p in counts.index if p in ids), key=lambda p: (-counts[p], p))
    ordered = used + [p for p in ids if p not in used]
    reps, quotas = data.inputs.reps["rep_id"], data.inputs.quotas["rep_id"]
    if not reps.isin(quotas).all():
        plans = common.rules().plans
        ordered = [p for p in ordered if p not in plans or not plans[p].measures_attainment]
    return ordered[:MAX_PLANS - 1]


def _sidebar(periods: list[str], ids: list[str], data: common.Data
             ) -> tuple[str, str, int, list[str], str]:
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
                               "its invoice's date. Payments pushed past the data's last day "
                               "are still to come: left out of every plan and of cash.")
        chosen = st.multiselect("Plans from rules/, every rep on each", ids,
                                default=default_plans(ids, data), max_selections=MAX_PLANS,
                                key="compare.plans")
        baseline = st.selectbox("Baseline (winners and losers against it)",
                                [STATUS_QUO, *chosen], key="compare.baseline",
                                format_func=lambda p: "Status quo (each rep's own plan)"
                                if p == STATUS_QUO else p)
    return first, last, shift, chosen, baseline


def _columns(data: common.Data, rules: common.Rules, chosen: list[str], baseline: str,
             extra: list[Column]) -> list[Column]:
    """Status quo, the chosen plans, then scenarios and the variant; the baseline first;
    a column with the same terms and what-if as an earlier one is shown once."""
    columns = [status_column(data), *(Column(rules.plans[p]) for p in chosen), *extra]
    seen: dict[str, Column] = {}
    for c in columns:
        seen.setdefault(c.key(), c)
    unique: list[Column] = []
    ids: set[str] = set()
    for c in seen.values():
        if c.plan.id not in ids:
            unique.append(c)
            ids.add(c.plan.id)
    unique.sort(key=lambda c: c.plan.id != baseline)
    return unique


def _left_out(left: dict[str, dict[str, list[str]]]) -> None:
    for pid, reps in left.items():
        who = ", ".join(f"{r} ({', '.join(p[:3])}{'...' if len(p) > 3 else ''})"
                        for r, p in sorted(reps.items()))
        st.warning(f"{pid} is left out: it measures attainment of a quota, and these reps have "
                   f"no quota for periods with events: {who}. Enter a quota for them in the "
                   "variant (quotas of the what-if), or load their quotas.")


def render() -> None:
    identity = session.guard("compare")
    st.title("Compare plans")
    st.caption("What the plans would cost against the status quo (each rep on their own "
               "plan), who wins and who loses, and how it reacts when customers pay faster "
               "or slower. Figures come straight from the engine. Nothing here changes what "
               "payroll pays.")
    rules = common.rules()
    if rules.problems:
        common.show_problems(rules.problems, f"Some plan files in {rules.folder} have problems; "
                                             "they are left out", level="warning")
    data = common.pick_data("compare", allow_folder=identity.local)
    if data is None:
        return
    periods = _periods(data.key, data.inputs)
    if not periods:
        st.info("The data holds no invoices, payments or adjustments: nothing to compare.")
        return
    first, last, shift, chosen, baseline = _sidebar(periods, sorted(rules.plans), data)
    st.caption(f"Data: {data.label} · plans: {rules.folder}")
    bases = {**rules.plans, **data.plans}
    if not bases or not data.plans:
        st.info(f"No plans to compare: neither {rules.folder} nor the data's source holds a "
                "valid plan.")
        return
    variant = variant_section(identity, bases, data, periods)
    saved = scenario_columns(scenarios_section.section(identity, bases, data.inputs.reps,
                                                       periods[-1]))
    columns = _columns(data, rules, chosen, baseline, [*saved, *([variant] if variant else [])])
    end = common.last_event_day(data.inputs)
    clock = common.Stopwatch()
    with st.spinner("Computing..."):
        got = comparison(data, columns, first, last, shift, end)
    _left_out(got.left_out)
    if got.result is None or len(got.result.plan_ids) < 2:
        st.info("Pick a plan, a saved scenario or change the variant to compare it with the "
                "status quo.")
        return
    seconds = clock.seconds
    st.session_state["compare.seconds"] = seconds
    held = still_to_come(data.inputs, shift, end)
    show_results(got.result, seconds, got.cached, end, held,
                 lambda: curve_tab(data, columns, first, last, end),
                 per_rep=identity.local or access.sees_all(identity))


if __name__ == "__main__":
    from commission.ui.compare import render as _render  # the imported module holds the caches

    _render()

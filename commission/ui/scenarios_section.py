"""Saved scenarios on Compare plans: list, reopen, download, upload and make live.

Scenarios live in the store's own table, apart from the plans payroll runs on:
saving one writes nothing to ``rules/`` nor to the plans or assignments a batch
reads. Making one live is a separate, deliberate step for finance or an
administrator (``plan.make_live``): the page shows the terms it changes against the
plan it derives from and against each chosen rep's current plan, the month it takes
effect and the reps; it becomes a NEW plan id with assignments from that month.
Every call goes through :mod:`commission.access`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from commission import access
from commission.access import Identity
from commission.payroll import BatchError
from commission.plans.diff import term_changes
from commission.plans.language import Plan, parse_plan
from commission.problems import InputError
from commission.ui import common, session

PICK = "compare.scenarios"  # the multiselect of saved scenarios compared
ADD = "compare.scenarios.add"  # scenario ids to add to it on the next run (just saved)
LIVE_ROLES = "finance or admin"


def remember(scenario_id: int) -> None:
    """Keep a just-saved scenario in the comparison (added before the widget is drawn)."""
    st.session_state[ADD] = [*st.session_state.get(ADD, []), int(scenario_id)]


def _listing(identity: Identity, store) -> pd.DataFrame | None:
    try:
        return access.list_scenarios(identity, store)
    except access.AccessDenied as exc:
        session.refused(exc)
        return None


def _label(row: dict[str, Any]) -> str:
    live = f" · live as {row['live_plan_id']}" if row.get("live_plan_id") else ""
    return f"#{row['scenario_id']} {row['plan_id']} · {row['name']} · {row['created_by']}{live}"


def section(identity: Identity, bases: dict[str, Plan], reps: pd.DataFrame,
            last_period: str) -> list[tuple[int, Any]]:
    """The saved scenarios expander; the scenarios picked for the comparison (id, Scenario)."""
    store = common.open_current_store()
    with st.expander("Saved scenarios: reopen, share, make live", expanded=bool(
            st.session_state.get(PICK) or st.session_state.get(ADD))):
        if store is None:
            return []
        frame = _listing(identity, store)
        if frame is None:
            return []
        rows = {int(r["scenario_id"]): r for r in frame.to_dict("records")}
        pending = [s for s in st.session_state.pop(ADD, []) if s in rows]
        if pending:
            st.session_state[PICK] = list(dict.fromkeys(
                [*st.session_state.get(PICK, []), *pending]))
        if not rows:
            st.caption("No scenario saved yet. Edit the variant above and save it, or upload "
                       "a plan's YAML below. Scenarios never change what payroll pays.")
        picked = st.multiselect("Compare saved scenarios", list(rows), key=PICK,
                                format_func=lambda s: _label(rows[s]))
        chosen = _opened(identity, store, picked)
        if rows:
            _download(chosen)
        _upload(identity, store)
        if rows:
            _make_live(identity, store, rows, bases, reps, last_period)
    return chosen


def _opened(identity: Identity, store, picked: list[int]) -> list[tuple[int, Any]]:
    out = []
    for sid in picked:
        try:
            out.append((sid, access.open_scenario(identity, store, sid)))
        except access.AccessDenied as exc:
            session.refused(exc)
        except InputError as exc:
            common.show_problems(exc.problems, f"Scenario {sid} cannot be read")
        except BatchError as exc:
            st.error(str(exc))
    return out


def _download(chosen: list[tuple[int, Any]]) -> None:
    for sid, sc in chosen:
        st.download_button(f"Download scenario #{sid} ({sc.plan.id}) as YAML", sc.text,
                           file_name=f"{sc.plan.id}.yaml", mime="application/x-yaml",
                           key=f"scenario.download.{sid}", on_click="ignore")


def _upload(identity: Identity, store) -> None:
    """Share a scenario: a plan YAML someone downloaded becomes a saved scenario here."""
    if not identity.may("scenario.save"):
        return
    file = st.file_uploader("Upload a plan's YAML as a scenario", type=["yaml", "yml"],
                            key="scenario.upload")
    if file is None:
        return
    plan, problems = parse_plan(file.getvalue().decode("utf-8", "replace"), file.name)
    if plan is None:
        common.show_problems(problems, f"{file.name} is not a plan")
        return
    if st.button(f"Save {plan.id} as a scenario", key="scenario.upload.save"):
        try:
            sid = access.save_scenario(identity, store, plan, None,
                                       note=f"uploaded from {file.name}")
        except access.AccessDenied as exc:
            session.refused(exc)
            return
        remember(sid)
        st.session_state["compare.flash"] = f"Saved scenario #{sid} ({plan.id})."
        st.rerun()


def _next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def _make_live(identity: Identity, store, rows: dict[int, dict], bases: dict[str, Plan],
               reps: pd.DataFrame, last_period: str) -> None:
    st.markdown("**Make a scenario live** (a separate step: a new plan id, assignments from a "
                "month; payroll pays it from that month only)")
    if not identity.may("plan.make_live"):
        st.caption(f"Making a scenario live needs the {LIVE_ROLES} role.")
        return
    c1, c2, c3 = st.columns([3, 2, 1])
    sid = c1.selectbox("Scenario", list(rows), key="live.scenario",
                       format_func=lambda s: _label(rows[s]))
    plan_id = c2.text_input("New plan id", value=str(rows[sid]["plan_id"]),
                            key=f"live.plan_id.{sid}")
    month = c3.text_input("From month", value=_next_month(last_period), key="live.month",
                          help="YYYY-MM; after the last locked period (prospective only)")
    names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=True))
    picked = st.multiselect("Reps (none chosen: every rep on the base plan then)", list(names),
                            format_func=lambda r: f"{r} {names[r]}", key=f"live.reps.{sid}")
    try:
        proposal = access.preview_make_live(identity, store, sid, plan_id, month,
                                            picked or None)
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    except InputError as exc:
        common.show_problems(exc.problems, "This scenario cannot be made live as set")
        return
    except BatchError as exc:
        st.error(str(exc))
        return
    _show_proposal(proposal, bases)
    sure = st.checkbox("I have checked the terms, the month and the reps", key="live.sure")
    if st.button("Make live", key="live.go", type="primary", disabled=not sure):
        _go_live(identity, store, sid, plan_id, month, picked or None)


def _show_proposal(proposal, bases: dict[str, Plan]) -> None:
    """The terms it changes against its base and against each rep's current plan."""
    base = proposal.scenario.base_plan_id or "(none)"
    st.write(f"Plan **{common.plain(proposal.plan.id)}** from {proposal.month}-01 for "
             f"{len(proposal.reps)} rep(s): {common.plain(', '.join(proposal.reps))}.")
    changes = pd.DataFrame(proposal.changes, columns=["term", f"base {base}", "scenario"])
    if changes.empty:
        st.caption(f"The terms are the same as {base}'s.")
    else:
        st.caption(f"Terms that differ from the base plan {base}:")
        common.show_table(changes, key="live.diff")
    others = sorted(set(proposal.current.values()) - {proposal.scenario.base_plan_id})
    for pid in others:
        who = [r for r, p in proposal.current.items() if p == pid]
        diff = pd.DataFrame(term_changes(bases.get(pid), proposal.plan),
                            columns=["term", f"now {pid}", "scenario"])
        st.caption(f"Against {pid}, the current plan of {', '.join(who)}:")
        common.show_table(diff, key=f"live.diff.{pid}")
    if proposal.later:
        st.info("Later assignments stay in force: " + "; ".join(proposal.later))


def _go_live(identity: Identity, store, sid: int, plan_id: str, month: str,
             reps: list[str] | None) -> None:
    try:
        proposal = access.make_scenario_live(identity, store, sid, plan_id, month, reps)
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    except InputError as exc:
        common.show_problems(exc.problems, "The scenario was not made live")
        return
    except BatchError as exc:
        st.error(f"The scenario was not made live: {exc}")
        return
    st.session_state["compare.flash"] = (
        f"Plan {proposal.plan.id} is live from {proposal.month}-01 for "
        f"{', '.join(proposal.reps)}: the next batch from {proposal.month} pays it; months "
        "before are unchanged.")
    st.rerun()

"""The collections desk page (collectors and credit): worklist, records, signal, performance.

A thin door: every figure comes from :mod:`commission.collections`. Records
(contacts, disputes, arrangements) need the store as the data source; until sign-in
lands, the person types their name and role, and the desk enforces the role rules.
Route it from app.py, e.g. under "Finance":
``st.Page("commission/ui/collections.py", title="Collections", icon=":material/call:",
url_path="collections")``.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from commission.collections import desk
from commission.collections.credit import credit_signal
from commission.collections.ladder import load_ladder
from commission.collections.performance import by_rep, by_step
from commission.collections.worklist import worklist
from commission.problems import InputError
from commission.ui import common, session

MONEY = ["open_amount", "commission_now", "next_step_cost", "keep_after", "promise_amount"]


def _ladder():
    ladder, problems = load_ladder(common.rules_dir() / "collections.yaml")
    if problems:
        common.show_problems(problems, "The ladder file has problems.")
    return ladder


def _records(data: common.Data) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    store = data.extra.get("store")
    return (desk.contacts(store), desk.arrangements(store)) if store else (None, None)


def worklist_tab(data: common.Data, ladder, as_of: dt.date) -> None:
    owner = st.selectbox("Owner", ["all", "collector", "rep", "manager", "credit"],
                         key="coll.owner")
    contacts, arrangements = _records(data)
    work = worklist(data.inputs, data.plans, ladder, as_of, contacts, arrangements,
                    owner=None if owner == "all" else owner).drop(columns="step_index")
    c = st.columns(3)
    c[0].metric("Overdue invoices", len(work), border=True)
    c[1].metric("Open", common.money(int(work["open_amount"].sum())), border=True)
    c[2].metric("Broken promises", int((work["promise_status"] == "broken").sum()), border=True)
    common.show_table(work, MONEY, key="coll.work", wide=["action", "last_outcome"])
    st.download_button("Worklist CSV", common.csv_text(work, MONEY), "worklist.csv")


def _actor() -> desk.Actor:
    c = st.columns(2)
    name = c[0].text_input("Your name (a rep: the rep id)", key="coll.actor")
    role = c[1].selectbox("Your role", desk.ROLES, key="coll.role")
    return desk.Actor(name, role)


def records_tab(data: common.Data) -> None:
    store = data.extra.get("store")
    if store is None:
        st.info("Pick the store as the data source to record contacts, disputes and "
                "arrangements.")
        return
    actor = _actor()
    with st.form("coll.contact"):
        st.subheader("Log a contact")
        c = st.columns(3)
        entry = desk.Contact(c[0].text_input("Invoice"), c[1].date_input("Date"),
                             c[2].selectbox("Channel", desk.CHANNELS),
                             st.text_area("Outcome", max_chars=desk.MAX_TEXT),
                             c[0].text_input("Promise amount (optional)") or None,
                             c[1].date_input("Promised date", value=None))
        if st.form_submit_button("Record contact"):
            _try(lambda: desk.record_contact(store, actor, entry), "Contact recorded.")
    with st.form("coll.dispute"):
        st.subheader("Open or resolve a dispute")
        c = st.columns(3)
        what = c[0].radio("Action", ["open", "resolve"], horizontal=True)
        ref, day = c[1].text_input("Invoice (open) or dispute id (resolve)"), c[2].date_input("On")
        note = st.text_input("Note")
        if st.form_submit_button("Record"):
            act = desk.open_dispute if what == "open" else desk.resolve_dispute
            _try(lambda: act(store, actor, ref, day, note), f"Dispute {what} recorded; the "
                 "next batch sees it.")


def _try(action, done: str) -> None:
    try:
        action()
    except InputError as exc:
        common.show_problems(exc.problems, "Nothing was recorded:")
        return
    st.success(done)
    st.cache_resource.clear()


def signal_tab(data: common.Data, ladder, as_of: dt.date) -> None:
    signal = credit_signal(data.inputs, as_of, ladder.credit_signal)
    if st.checkbox("Only flagged customers", value=True, key="coll.flagged"):
        signal = signal[signal["flag"] != "ok"]
    common.show_table(signal, ["write_off_amount"], key="coll.signal", wide=["reason"])


def performance_tab(data: common.Data, ladder, as_of: dt.date) -> None:
    reps = by_rep(data.inputs, ladder, as_of)
    st.altair_chart(alt.Chart(reps).mark_line(point=True).encode(
        x="quarter:N", y="share_within_terms:Q", color="rep_id:N"), width="stretch")
    st.altair_chart(alt.Chart(reps).mark_bar().encode(
        x="quarter:N", y="share_collected_after_rep:Q", color="rep_id:N", xOffset="rep_id:N"),
        width="stretch")
    common.show_table(reps, key="coll.perf.rep")
    steps = by_step(data.inputs, ladder, as_of)
    st.altair_chart(alt.Chart(steps).mark_bar().encode(
        x="quarter:N", y="invoices:Q", color="step:N"), width="stretch")
    common.show_table(steps, ["amount"], key="coll.perf.step")


def render() -> None:
    identity = session.guard("collections")
    st.title("Collections")
    data = common.pick_data("collections", allow_upload=False, allow_folder=identity.local)
    ladder = _ladder()
    if data is None or ladder is None:
        return
    with st.sidebar:
        as_of = st.date_input("As of", value=common.last_event_day(data.inputs),
                              key="coll.as_of")
    tabs = st.tabs(["Worklist", "Record", "Credit signal", "Performance"])
    with tabs[0]:
        worklist_tab(data, ladder, as_of)
    with tabs[1]:
        records_tab(data)
    with tabs[2]:
        signal_tab(data, ladder, as_of)
    with tabs[3]:
        performance_tab(data, ladder, as_of)


render()

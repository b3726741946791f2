"""The collections desk page (collectors and credit): worklist, records, signal, performance.

A thin door: every figure comes from :mod:`commission.collections` through
:mod:`commission.access`, as the signed-in person (collector, credit, finance,
admin may open it; see :mod:`commission.ui.session`). Records (contacts, disputes,
arrangements) need the store as the data source and are written as that person,
in the role they act in; a form is shown only to those whose roles may use it
(arrangements: credit and finance), and the access layer refuses the rest.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import streamlit as st

from commission import access
from commission.collections import desk
from commission.collections.ladder import load_ladder
from commission.ui import common, session
from commission.ui.desk_section import _try, contact_form

MONEY = ["open_amount", "commission_now", "next_step_cost", "keep_after", "promise_amount"]


def _ladder():
    ladder, problems = load_ladder(common.rules_dir() / "collections.yaml")
    if problems:
        common.show_problems(problems, "The ladder file has problems.")
    return ladder


def _store(data: common.Data):
    return data.extra.get("store")


def worklist_tab(identity: access.Identity, data: common.Data, ladder, as_of: dt.date) -> None:
    owner = st.selectbox("Owner", ["all", "collector", "rep", "manager", "credit"],
                         key="coll.owner")
    try:
        work = access.collections_worklist(identity, _store(data), data.inputs, data.plans,
                                           ladder, as_of,
                                           owner=None if owner == "all" else owner)
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    work = work.drop(columns="step_index")
    c = st.columns(3)
    c[0].metric("Overdue invoices", len(work), border=True)
    c[1].metric("Open", common.money(int(work["open_amount"].sum())), border=True)
    c[2].metric("Broken promises", int((work["promise_status"] == "broken").sum()), border=True)
    common.show_table(work, MONEY, key="coll.work", wide=["action", "last_outcome"])
    st.download_button("Worklist CSV", common.csv_text(work, MONEY), "worklist.csv")


def _dispute_form(identity: access.Identity, store) -> None:
    with st.form("coll.dispute"):
        st.subheader("Open or resolve a dispute")
        c = st.columns(3)
        what = c[0].radio("Action", ["open", "resolve"], horizontal=True, key="coll.d.what")
        ref = c[1].text_input("Invoice (open) or dispute id (resolve)", key="coll.d.ref")
        day = c[2].date_input("On", key="coll.d.day")
        note = st.text_input("Note", key="coll.d.note")
        if st.form_submit_button("Record", key="coll.d.submit"):
            act = access.open_dispute if what == "open" else access.resolve_dispute
            _try(lambda: act(identity, store, ref, day, note),
                 f"Dispute {what} recorded; the next batch sees it.")


def _arrangement_form(identity: access.Identity, store) -> None:
    with st.form("coll.arrange"):
        st.subheader("Record a payment arrangement")
        c = st.columns(3)
        entry = desk.Arrangement(
            c[0].text_input("Invoice", key="coll.a.invoice"),
            c[1].date_input("Agreed on", key="coll.a.day"),
            int(c[2].number_input("Installments", 1, 60, 3, key="coll.a.n")),
            c[0].text_input("Installment amount", key="coll.a.amount"),
            c[1].date_input("First installment due", key="coll.a.first"),
            int(c[2].number_input("Days between installments", 1, 366, 30, key="coll.a.every")),
            st.text_input("Note", key="coll.a.note"))
        if st.form_submit_button("Record arrangement", key="coll.a.submit"):
            _try(lambda: access.record_arrangement(identity, store, entry),
                 "Arrangement recorded.")


def records_tab(identity: access.Identity, data: common.Data) -> None:
    store = _store(data)
    if store is None:
        st.info("Pick the store as the data source to record contacts, disputes and "
                "arrangements.")
        return
    st.caption(f"Recorded as {common.plain(identity.label)}.")
    contact_form(identity, store, None, key="coll.contact")
    if identity.may("collections.dispute"):
        _dispute_form(identity, store)
    if identity.may("collections.arrange"):
        _arrangement_form(identity, store)
    else:
        st.caption("Payment arrangements are recorded by credit or finance.")


def signal_tab(identity: access.Identity, data: common.Data, ladder, as_of: dt.date) -> None:
    signal = access.customer_credit(identity, _store(data), data.inputs, as_of,
                                    ladder.credit_signal)
    if st.checkbox("Only flagged customers", value=True, key="coll.flagged"):
        signal = signal[signal["flag"] != "ok"]
    common.show_table(signal, ["write_off_amount"], key="coll.signal", wide=["reason"])


def performance_tab(identity: access.Identity, data: common.Data, ladder,
                    as_of: dt.date) -> None:
    try:
        reps = access.collections_performance(identity, _store(data), data.inputs, ladder,
                                              as_of, by="rep")
        steps = access.collections_performance(identity, _store(data), data.inputs, ladder,
                                               as_of, by="step")
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    st.altair_chart(alt.Chart(reps).mark_line(point=True).encode(
        x="quarter:N", y="share_within_terms:Q", color="rep_id:N"), width="stretch")
    st.altair_chart(alt.Chart(reps).mark_bar().encode(
        x="quarter:N", y="share_collected_after_rep:Q", color="rep_id:N", xOffset="rep_id:N"),
        width="stretch")
    common.show_table(reps, key="coll.perf.rep")
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
        worklist_tab(identity, data, ladder, as_of)
    with tabs[1]:
        records_tab(identity, data)
    with tabs[2]:
        signal_tab(identity, data, ladder, as_of)
    with tabs[3]:
        performance_tab(identity, data, ladder, as_of)


render()

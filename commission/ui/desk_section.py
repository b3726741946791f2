"""The collections desk on My pay: the rep's own worklist, their customers' credit signal,
and logging a contact on their own invoices. Also the contact form of the Collections page.

Everything goes through :mod:`commission.access` as the signed-in person: the
worklist and credit signal hold only the reps and customers one may see, and a rep
may log contacts on their own invoices only (AccessDenied otherwise, recorded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from commission import access
from commission.collections import desk
from commission.collections.ladder import load_ladder
from commission.problems import InputError
from commission.ui import common, session

#: the worklist as a rep reads it
MINE = {"invoice_id": "invoice", "customer_name": "customer", "days_past_due": "days late",
        "step": "step", "owner": "owner", "next_step": "next step",
        "next_step_date": "next step on", "open_amount": "open",
        "commission_now": "you keep", "collect_by": "collect by",
        "keep_after": "keep after that", "dispute": "dispute",
        "last_contact_date": "last contact", "promise_status": "promise"}
SIGNAL = ["customer_id", "customer_name", "flag", "reason", "paid_invoices", "avg_days_late",
          "share_paid_late", "open_disputes", "write_offs", "write_off_amount"]


def _try(action: Callable[[], object], done: str) -> None:
    """Do a desk action; its problems or refusal on the page, else ``done``."""
    try:
        action()
    except InputError as exc:
        common.show_problems(exc.problems, "Nothing was recorded:")
        return
    except access.AccessDenied as exc:
        session.refused(exc)
        return
    st.success(done)
    st.cache_resource.clear()


def contact_form(identity: access.Identity, store, invoices: list[str] | None,
                 key: str) -> None:
    """Log a contact (and any promise to pay); ``invoices``: pick among these (a rep's own)."""
    with st.form(key):
        st.subheader("Log a contact")
        c = st.columns(3)
        invoice = (c[0].selectbox("Invoice", invoices, key=f"{key}.invoice")
                   if invoices is not None else c[0].text_input("Invoice", key=f"{key}.invoice"))
        entry = desk.Contact(invoice or "", c[1].date_input("Date", key=f"{key}.date"),
                             c[2].selectbox("Channel", desk.CHANNELS, key=f"{key}.channel"),
                             st.text_area("Outcome", max_chars=desk.MAX_TEXT,
                                          key=f"{key}.outcome"),
                             c[0].text_input("Promise amount (optional)",
                                             key=f"{key}.promise") or None,
                             c[1].date_input("Promised date", value=None,
                                             key=f"{key}.promise_date"))
        if st.form_submit_button("Record contact", key=f"{key}.submit"):
            _try(lambda: access.record_contact(identity, store, entry), "Contact recorded.")


def _ladder():
    ladder, problems = load_ladder(common.rules_dir() / "collections.yaml")
    if problems:
        common.show_problems(problems, "The ladder file has problems.", level="warning")
    return ladder


def _mine(work: pd.DataFrame) -> pd.DataFrame:
    return work[list(MINE)].rename(columns=MINE)


def render(identity: access.Identity, data: common.Data, rep_id: str, as_of: dt.date) -> None:
    """The section: nothing for those who may not see this rep's worklist."""
    store = data.extra.get("store")
    if not access.may_see_worklist(identity, store, rep_id):
        return
    ladder = _ladder()
    if ladder is None:
        return
    st.markdown("#### Collections: your overdue invoices")
    work = access.collections_worklist(identity, store, data.inputs, data.plans, ladder,
                                       as_of, rep_id=rep_id)
    if work.empty:
        st.info("No overdue open invoices.")
    else:
        st.caption("Where each overdue invoice stands on the collections ladder, who works it "
                   "now, and what you keep if it is collected by the date shown.")
        common.show_table(_mine(work), ["open", "you keep", "keep after that"],
                          key="my_pay.desk.work", height=common.table_height(len(work), 15))
    signal = access.customer_credit(identity, store, data.inputs, as_of, ladder.credit_signal,
                                    rep_id=rep_id)
    st.markdown("#### Credit signal of your customers")
    st.caption("How each customer pays: before selling more on credit, look at the flag.")
    common.show_table(signal[[c for c in SIGNAL if c in signal]], ["write_off_amount"],
                      key="my_pay.desk.signal", wide=["reason"])
    mine = (identity.has("rep") and identity.rep_id == rep_id) or identity.may(
        "collections.contact")
    if store is not None and mine and not work.empty:
        contact_form(identity, store, sorted(set(work["invoice_id"])), key="my_pay.desk.contact")

"""Inquiries and payout changes on the pages: sections My pay and the batch console include.

- :func:`compared_section` (My pay): "Compared with last month", the waterfall of
  :mod:`commission.reports.explain`, each cause with its lines.
- :func:`my_questions_section` (My pay): the rep's inquiries and finance's answers,
  and a form to flag a line of the period's draft (or the whole statement).
- :func:`console_section` (Batches): the open inquiries of the batch's period; finance
  answers, resolves with a correction, or declines each.
- :func:`acknowledge` (Batches): the acknowledgement an approval with open inquiries needs.

Every action goes through :mod:`commission.access`. Until sign-in reaches these
pages the person is :func:`current_identity`: the signed-in identity the app keeps
in ``st.session_state["identity"]`` when there is one, else local mode (one person on
one machine), under the name typed in the console's sidebar.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import streamlit as st

from commission.access import AccessDenied, Identity
from commission.access import inquiries as ask
from commission.money import to_cents
from commission.payroll import BatchError
from commission.reports.explain import explain_periods
from commission.store.inquiries import REASONS
from commission.ui import common

STATEMENT = "(the statement as a whole)"


@contextmanager
def _errors(what: str) -> Iterator[None]:
    """A refusal or a mistake shown on the page, never a traceback."""
    try:
        with common.user_errors(what):
            yield
    except AccessDenied as exc:
        st.error(f"{what}: {exc}")


def current_identity(name: str = "") -> Identity:
    """The signed-in identity (local mode: the local administrator); ``name`` is unused."""
    from commission.ui import session

    return session.current()


# ----------------------------------------------------------------------------- My pay


def compared_section(result: Any, plans: Any, rep_id: str, period: str) -> None:
    """Compared with last month: each cause of the change, to the cent, with its lines."""
    periods = [p for p in result.periods if p < period]
    if not periods:
        return
    explained = explain_periods(result, plans, rep_id, periods[-1], period)
    st.markdown("#### Compared with last month")
    st.caption(explained.sentence())
    frame = explained.frame()
    common.show_table(frame[["step", "amount"]], ["amount"], key="my_pay.compared",
                      height=common.table_height(len(frame), 16))
    with st.expander("The lines behind each cause"):
        for cause in explained.nonzero():
            st.markdown(f"**{cause.label}**: {common.money(cause.amount)}")
            common.show_table(cause.frame(), ["amount"], key=f"my_pay.cause.{cause.key}",
                              height=common.table_height(len(cause.lines), 8))


def _batch_for(me: Identity, store, period: str) -> dict[str, Any] | None:
    from commission import access

    listing = access.batches(me, store)
    mine = listing[listing["period"] == period]
    return None if mine.empty else mine.iloc[0].to_dict()


def _plain(text: Any) -> str:
    """A person's words shown as they are: markdown and HTML characters escaped."""
    out = str(text or "")
    for ch in "\\`*_{}[]()<>#+-.!|~$":
        out = out.replace(ch, "\\" + ch)
    return out


def _answers(frame: pd.DataFrame) -> None:
    """Each inquiry: reference, reason, line, status; the rep's words; finance's answer."""
    for r in frame.to_dict("records"):
        line = f"{r['line_kind']} {r['event_id']}" if r["event_id"] else "the statement"
        rolled = f" (rolled from {r['opened_period']})" if r["rolled"] else ""
        text = (f"**{r['reference']}** · {r['reason_text']} · {_plain(line)} · {r['status']}"
                f"{rolled}\n\n> {_plain(r['comment']) or '(no comment)'}")
        if r["answer"]:
            text += f"\n\nAnswer from {_plain(r['answered_by'])}: {_plain(r['answer'])}"
        if r["correction_amount"] is not None:
            text += f" · correction {common.money(int(r['correction_amount']))}"
        st.markdown(text)


def my_questions_section(store, rep_id: str, period: str) -> None:
    """The rep's inquiries on this period, the answers, and a form to flag a line."""
    if store is None:
        return
    me = current_identity()
    st.markdown("#### Questions about this statement")
    try:
        mine = ask.list_inquiries(me, store, rep_id=rep_id)
    except AccessDenied as exc:
        st.caption(str(exc))
        return
    mine = mine[(mine["period"] == period) | (mine["opened_period"] == period)]
    if len(mine):
        _answers(mine)
    batch = _batch_for(me, store, period)
    if batch is None or batch["status"] == "locked":
        st.caption("Questions are raised on a draft statement; "
                   + ("this period is locked." if batch else "there is no draft yet."))
        return
    _flag_form(me, store, int(batch["batch_id"]), rep_id)


def _flag_form(me: Identity, store, batch_id: int, rep_id: str) -> None:
    from commission import access

    lines = access.pay_lines(me, store, batch_id, rep_id)
    choices = [STATEMENT, *[f"{k} {e}" for k, e in zip(lines["line_kind"], lines["event_id"],
                                                        strict=True)]]
    with st.form("my_pay.inquiry", clear_on_submit=True):
        st.caption(f"Flag a line of draft batch {batch_id} for finance to check.")
        line = st.selectbox("Line", choices, key="my_pay.inquiry.line")
        reason = st.selectbox("Reason", list(REASONS), format_func=REASONS.get,
                              key="my_pay.inquiry.reason")
        comment = st.text_area("Comment", max_chars=1000, key="my_pay.inquiry.comment")
        if st.form_submit_button("Send to finance", key="my_pay.inquiry.send"):
            kind, event = (None, None) if line == STATEMENT else line.split(" ", 1)
            with _errors("Inquiry refused"):
                row = ask.open_inquiry(me, store, batch_id, rep_id, reason, comment, kind,
                                       event)
                st.success(f"Sent as {row['reference']}.")


# ----------------------------------------------------------------------------- batch console


def console_section(store, batch_id: int, period: str, status: str, name: str = "") -> None:
    """The inquiries of the batch's period: finance answers, resolves or declines each."""
    me = current_identity(name)
    frame = ask.list_inquiries(me, store, period=period)
    opened = frame[frame["status"] == "open"]
    st.markdown(f"#### Inquiries · {len(opened)} open")
    if frame.empty:
        st.caption("No rep has raised an inquiry on this period.")
        return
    _answers(frame[frame["status"] != "open"])
    for r in opened.to_dict("records"):
        _answer_form(me, store, r, batch_id, locked=status == "locked")


def _answer_form(me: Identity, store, r: dict[str, Any], batch_id: int, locked: bool) -> None:
    ref = r["reference"]
    line = f"{r['line_kind']} {r['event_id']}" if r["event_id"] else "the statement"
    with st.form(f"batches.inquiry_form.{r['inquiry_id']}"):
        st.markdown(f"**{ref}** · {_plain(r['rep_id'])} · {r['reason_text']} · {_plain(line)}"
                    f"\n\n> {_plain(r['comment']) or '(no comment)'}"
                    + (f"\n\nAnswered so far: {_plain(r['answer'])}" if r["answer"] else ""))
        text = st.text_area("Answer (the rep reads it)", key=f"batches.answer.{r['inquiry_id']}")
        amount = st.text_input("Correction (a manual line, e.g. 125.00)",
                               key=f"batches.fix.{r['inquiry_id']}")
        c1, c2, c3 = st.columns(3)
        key = f"batches.inquiry.{r['inquiry_id']}"
        answered = c1.form_submit_button("Answer", key=f"{key}.answer")
        resolved = c2.form_submit_button("Resolve with correction", key=f"{key}.resolve",
                                         disabled=locked)
        declined = c3.form_submit_button("Decline", key=f"{key}.decline")
        act = ("resolve" if resolved else "decline" if declined else
               "answer" if answered else None)
    if act is None:
        return
    with _errors(f"{ref} not changed"):
        if act == "resolve":
            try:
                cents = to_cents(amount.replace(",", "").strip() or "0")
            except ValueError as exc:
                raise BatchError(f"{amount!r} is not an amount like 125.00") from exc
            ask.resolve_inquiry(me, store, r["inquiry_id"], text, cents)
        elif act == "decline":
            ask.decline_inquiry(me, store, r["inquiry_id"], text)
        else:
            ask.answer_inquiry(me, store, r["inquiry_id"], text)
        st.session_state["batches.flash"] = (f"{ref} {act}d" if act != "answer"
                                             else f"{ref} answered", "")
        st.session_state["batches.select"] = int(batch_id)
        st.rerun()


def acknowledge(store, period: str) -> bool | None:
    """None when no inquiry of ``period`` is open; else whether the approver acknowledged."""
    from commission.payroll.inquiries import open_count

    waiting = open_count(store, period)
    if not waiting:
        return None
    return st.checkbox(f"Approve with {waiting} open inquiry(ies): they roll to the next "
                       "period when this batch locks", key="batches.acknowledge")


def workbook_download(identity: Identity, store, batch_id: int, period: str, where: Any
                      ) -> None:
    """The payroll export and the batch's lines as one .xlsx workbook (sheets, totals rows).

    Read through the access layer, so it is offered only to whoever may export payroll.
    """
    from commission import access
    from commission.reports.xlsx import payroll_workbook

    if not identity.may("batch.export"):
        return

    def workbook() -> bytes:
        export, _summary = access.export_batch(identity, store, batch_id)
        return payroll_workbook(export, access.pay_lines(identity, store, batch_id))

    where.download_button(
        "Payroll and lines (XLSX)", workbook,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name=f"payroll_{period}_batch{batch_id}.xlsx", key="batches.xlsx",
        on_click="ignore")


__all__ = ["acknowledge", "compared_section", "console_section", "current_identity",
           "my_questions_section", "workbook_download"]

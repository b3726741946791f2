"""My pay (reps): what I will be paid this period and why, and what is still to come.

The period's payout is the engine's, run month by month through the period on the
rep's own plan (a projection until finance locks the batch; when the store has a
batch for the period, its figure is shown next to it). The lines, the open
invoices with the commission still to come and the "collect by" dates, and the
aging all come from :func:`commission.reports.statement.statement_data`, the same
data the printed statement is made of, so the page and the PDF always agree.

Who is shown is the access layer's to say (:mod:`commission.ui.session`): a rep
sees their own pay, a manager picks among their team, finance, approvers and
administrators among everyone. ``?rep=R001`` in the address preselects one of
those; any other rep is refused on the page and in the audit log. Signed in, the
data is the store's; in local mode (one person, every role) any source.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from commission import access
from commission.engine import Result, calculate
from commission.files import file_part
from commission.reports.compare import data_periods
from commission.reports.outlook import as_day, credited, known_disputes, open_balances
from commission.reports.statement import (
    PROJECTED_MARK,
    SharedFrames,
    period_bounds,
    render_statement_html,
    render_statement_pdf,
    shared_frames,
    statement_data,
)
from commission.ui import common, session
from commission.ui import inquiries as inquiries_ui

ACTIONS_SHOWN = 8  # "collect by" prompts listed above the tables; the rest are in the table


@st.cache_resource(show_spinner=False, max_entries=32)
def _result(data_key: str, plans_key: str, through: str, _inputs, _plans) -> Result:
    """The engine on every month through ``through``, each rep on their own plan."""
    return calculate(_inputs, _plans, through=through)


@st.cache_resource(show_spinner=False, max_entries=16)
def _periods(data_key: str, _inputs) -> list[str]:
    return data_periods(_inputs)


@st.cache_resource(show_spinner=False, max_entries=8)
def _projected_shared(data_key: str, plans_key: str, through: str, as_of: str, _result: Result,
                      _inputs, _plans) -> SharedFrames:
    """Open invoices and aging of every rep, once: switching rep reads nothing again."""
    return shared_frames(_result.lines, _inputs, _plans, as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _projected_statement(data_key: str, plans_key: str, rep_id: str, period: str, as_of: str,
                         _result: Result, _inputs, _plans, _shared: SharedFrames
                         ) -> dict[str, Any]:
    """The projection's statement data of one rep (cached per data version and rep)."""
    sdata = statement_data(rep_id, period, _result.lines, _result.payouts, _inputs, _plans,
                           _shared)
    sdata["projected"] = PROJECTED_MARK
    return sdata


@st.cache_resource(show_spinner=False, max_entries=8)
def _batch_sources(data_key: str, batch_id: int, who: tuple, as_of: str, _identity, _store,
                   _inputs) -> tuple[access.StatementSources, SharedFrames]:
    """A locked batch's statement sources as ``who`` may see them, and their shared frames.

    A locked batch never changes, so this is read once per batch, person and day.
    """
    sources = access.statement_sources(_identity, _store, batch_id, inputs=_inputs)
    return sources, shared_frames(sources.lines, sources.inputs, sources.plans, as_of)


def _who(identity: access.Identity) -> tuple:
    """What a cached read of pay depends on about the person: who, and their roles now."""
    return (identity.email, identity.rep_id, tuple(sorted(identity.roles)))


def default_as_of(period: str, inputs) -> dt.date:
    """The end of the period, or the data's last day if that comes first."""
    _start, end = period_bounds(period)
    return min(end, common.last_event_day(inputs))


def year_to_date(payouts: pd.DataFrame, rep_id: str, period: str) -> int:
    """The rep's payouts from January of the period's year through the period (cents)."""
    mine = payouts[(payouts["rep_id"] == rep_id) & (payouts["period"] >= period[:4] + "-01")
                   & (payouts["period"] <= period)]
    return int(mine["payout"].sum())


def open_disputes(inputs, rep_id: str, as_of: dt.date) -> pd.DataFrame:
    """The rep's invoices under a dispute still open on ``as_of``, with what is open on them."""
    day = as_day(as_of)
    disputes = known_disputes(inputs.disputes, day)
    disputes = disputes[disputes["resolved_date"].isna()]
    mine = credited(inputs)
    mine = mine[mine["rep_id"] == rep_id]
    rows = disputes[disputes["invoice_id"].isin(mine["invoice_id"])]
    cols = ["dispute_id", "invoice_id", "customer", "opened_date", "days_open", "open_amount"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    bal = open_balances(inputs, day).set_index("invoice_id")
    names = inputs.customers.set_index("customer_id")["name"]
    customer = bal["customer_id"].reindex(rows["invoice_id"]).to_numpy(dtype=object)
    opened = rows["opened_date"].to_numpy().astype("datetime64[D]")
    return pd.DataFrame({
        "dispute_id": rows["dispute_id"].to_numpy(dtype=object),
        "invoice_id": rows["invoice_id"].to_numpy(dtype=object),
        "customer": names.reindex(customer).fillna("").to_numpy(dtype=object),
        "opened_date": opened.astype(str),
        "days_open": (day - opened).astype(np.int64),
        "open_amount": bal["open_amount"].reindex(rows["invoice_id"]).fillna(0)
        .to_numpy(dtype=np.int64),
    }).sort_values(["opened_date", "dispute_id"], ignore_index=True)


def statement_lines(data: dict[str, Any]) -> pd.DataFrame:
    """The statement's lines as one table: customer, invoice, date, what, why, money."""
    rows = []
    for cust in data["customers"]:
        for inv in cust["invoices"]:
            for line in inv["lines"]:
                rows.append({"customer": cust["name"], "invoice_id": inv["invoice_id"],
                             "date": line["date"], "kind": line["kind"],
                             "explanation": line["explanation"], "gross": line["gross"],
                             "haircut": line["haircut"], "amount": line["amount"],
                             "prior_period": line["prior_period"]})
    cols = ["customer", "invoice_id", "date", "kind", "gross", "haircut", "amount",
            "prior_period", "explanation"]  # the long text last: the money is seen first
    return pd.DataFrame(rows, columns=cols)


def open_invoice_table(data: dict[str, Any]) -> pd.DataFrame:
    cols = ["customer", "invoice_id", "due_date", "status", "open_amount", "share",
            "haircut_pct", "commission_to_come", "haircut_now", "net_to_come", "at_stake",
            "action"]
    return pd.DataFrame([{c: r[c] for c in cols} for r in data["outlook"]["rows"]], columns=cols)


def aging_table(data: dict[str, Any]) -> pd.DataFrame:
    buckets = data["aging"]["columns"]
    rows = [{"customer": r["customer"], "invoices": r["invoices"],
             **dict(zip(buckets, r["buckets"], strict=True)), "total": r["total"]}
            for r in data["aging"]["rows"]]
    total = data["aging"]["total"]
    if total is not None:
        rows.append({"customer": "Total", "invoices": total["invoices"],
                     **dict(zip(buckets, total["buckets"], strict=True)),
                     "total": total["total"]})
    return pd.DataFrame(rows, columns=["customer", "invoices", *buckets, "total"])


def _batch_note(data: common.Data, rep_id: str, period: str) -> None:
    """Under a projection: whether a draft batch for the period exists, and what it pays."""
    store = data.extra.get("store")
    if store is None:
        st.caption("The data folder has no batches: every figure here is a projection.")
        return
    identity = session.current()
    listing = access.batches(identity, store)
    mine = listing[listing["period"] == period]
    if mine.empty:
        st.caption(f"No batch for {period} in the store yet: the payout is a projection.")
        return
    b = mine.iloc[0]
    pay = access.pay_payouts(identity, store, int(b["batch_id"]), rep_id)
    amount = common.money(int(pay["payout"].iloc[0])) if len(pay) else "nothing"
    st.caption(f"Batch {int(b['batch_id'])} for {period} ({b['status']}, not locked yet) "
               f"pays you {amount}.")


def locked_payouts(identity: access.Identity, data: common.Data, rep_id: str,
                   period: str) -> pd.DataFrame:
    """The rep's locked payouts from January of the period's year through the period."""
    store = data.extra.get("store")
    if store is None:
        return pd.DataFrame({"period": pd.Series([], dtype=object),
                             "payout": pd.Series([], dtype="int64"),
                             "batch_id": pd.Series([], dtype="int64")})
    return access.locked_payouts(identity, store, rep_id, period[:4] + "-01", period)


def _statement(identity: access.Identity, data: common.Data, rep_id: str, period: str,
               as_of: dt.date, paid: pd.DataFrame) -> dict[str, Any]:
    """The locked batch's statement for the period, else the projection's (marked so)."""
    day = as_of.isoformat()
    row = paid[paid["period"] == period]
    if len(row):
        batch_id = int(row["batch_id"].iloc[0])
        store = data.extra["store"]
        access.check_pay_view(identity, store, rep_id, f"batch:{batch_id}")  # every run
        sources, shared = _batch_sources(data.key, batch_id, _who(identity), day, identity,
                                         store, data.inputs)
        sdata = statement_data(rep_id, period, sources.lines, sources.payouts, sources.inputs,
                               sources.plans, shared, batch_id=batch_id)
        return sdata
    result = _result(data.key, data.plans_key, period, data.inputs, data.plans)
    shared = _projected_shared(data.key, data.plans_key, period, day, result, data.inputs,
                               data.plans)
    return _projected_statement(data.key, data.plans_key, rep_id, period, day, result,
                                data.inputs, data.plans, shared)


def _visible(identity: access.Identity, data: common.Data) -> list[str]:
    """The reps of the data whose pay this identity may see (local mode: every rep)."""
    ids = sorted(str(r) for r in data.inputs.reps["rep_id"])
    if identity.local:
        return ids
    return [r for r in ids if r in access.visible_reps(identity, data.extra["store"])]


def _rep_choice(identity: access.Identity, data: common.Data) -> str | None:
    """The rep to show: one's own, a team member or anyone, as the identity may see.

    ``?rep=`` may only pick among those; any other is refused (and recorded), and
    nobody's pay is shown.
    """
    ids = _visible(identity, data)
    wanted = st.query_params.get("rep")
    if wanted and wanted not in ids:
        if not identity.local:
            try:
                access.check_pay_view(identity, data.extra["store"], wanted)
            except access.AccessDenied as exc:
                session.refused(exc)
                return None
        st.error(f"There is no rep {common.plain(wanted)} in the data, so no pay is shown: "
                 "check the link (its ?rep= part).")
        return None
    if not ids:
        st.info("The data has no reps." if identity.local else
                "Your user is not linked to a rep, so there is no pay of yours to show. An "
                "administrator links a user to a rep (Admin page).")
        return None
    mine = identity.rep_id if identity.rep_id in ids else None
    if len(ids) == 1:
        rep_id = ids[0]
    else:
        names = dict(zip(data.inputs.reps["rep_id"], data.inputs.reps["name"], strict=True))
        index = ids.index(wanted) if wanted in ids else ids.index(mine) if mine else 0
        rep_id = st.sidebar.selectbox("Rep", ids, index=index, key="my_pay.rep",
                                      format_func=lambda r: f"{r} · {names.get(r, '')}")
    if not identity.local:
        access.check_pay_view(identity, data.extra["store"], rep_id)
    st.query_params["rep"] = rep_id
    return rep_id


def _headline(data: common.Data, sdata: dict[str, Any], rep: pd.Series, rep_id: str,
              period: str, result: Result, paid: pd.DataFrame) -> None:
    """Who, which plan, and the five figures a rep looks at first.

    A period a locked batch paid shows that batch's payout ("Paid"); any other is
    "Projected", and says so. Year to date is what locked batches paid.
    """
    plan = sdata["plan"]
    st.subheader(common.plain(f"{rep['name']} ({rep_id}) · {sdata['period_label']}"))
    st.caption(f"Plan {plan['id']}: {plan['title']}. " + " ".join(plan["summary"]))
    t, out = sdata["totals"], sdata["outlook"]
    projected = bool(sdata["projected"])
    c = st.columns(5)
    if projected:
        c[0].metric(f"Projected payout, {period}", common.money(t["payout"]), border=True,
                    help="What the engine would pay you for this period from the data so "
                         "far. Not paid until finance locks a batch for it.")
    else:
        c[0].metric(f"Paid, {period}", common.money(t["payout"]), border=True,
                    help=f"What locked batch {sdata['batch_id']} pays you for {period}.")
    _year_to_date(c[1], data, result, rep_id, period, paid)
    c[2].metric("Net commission this period", common.money(t["net"]), border=True,
                help="Gross − haircuts − amounts taken back (reversals, credits, clawbacks, "
                     "penalties), before carry-forward, minimum and cap.")
    c[3].metric("Still to come", common.money(out["net_to_come"]), border=True,
                help="The commission on your open invoices if they are collected in full "
                     "today, less the haircut already incurred on the late ones.")
    c[4].metric("At stake if paid late", common.money(out["at_stake"]), border=True,
                help="What the next haircut step would cut on your open invoices.")
    if projected:
        st.info(f"**Projected**: no locked batch pays {period} yet. These figures come from "
                "the data so far and may change; the statement downloads are marked "
                "PROJECTED.", icon=":material/pending:")
        _batch_note(data, rep_id, period)
    else:
        st.success(f"**Paid**: locked batch {sdata['batch_id']} pays you these figures for "
                   f"{period}, lines of earlier periods included.", icon=":material/lock:")
    _attainment_note(sdata)
    if sdata["carry_note"]:
        st.info(sdata["carry_note"])
    st.caption(f"Data: {data.label} · open invoices as of {sdata['as_of']} · amounts in "
               f"{common.currency()}")


def _year_to_date(col, data: common.Data, result: Result, rep_id: str, period: str,
                  paid: pd.DataFrame) -> None:
    """Paid year to date (locked batches); a data folder has none, so there it is projected."""
    year = period[:4]
    if data.extra.get("store") is None:
        col.metric(f"Projected year to date, {year}",
                   common.money(year_to_date(result.payouts, rep_id, period)), border=True,
                   help="The engine's payouts from January through this period: a "
                        "projection (a data folder has no batches).")
        return
    months = sorted(set(paid["period"]))
    col.metric(f"Paid year to date, {year}", common.money(int(paid["payout"].sum())),
               border=True, help="What locked batches paid you from January through this "
                                 "period" + (f" ({', '.join(months)})." if months
                                             else ": nothing is locked yet."))


def _attainment_note(sdata: dict[str, Any]) -> None:
    """Attainment against quota and how much more collection reaches the next accelerator."""
    att = sdata.get("attainment")
    if att:
        st.info(f"Attainment {att['attainment_pct']} of your {common.money(att['quota'])} "
                f"quota for {att['quota_period']}. {att['sentence'][:1].upper()}"
                f"{att['sentence'][1:]}.".replace("..", "."))
    draw = sdata.get("draw")
    if draw and draw["outstanding"]:
        st.caption(f"Draw still to recover from future commission: "
                   f"{common.money(draw['outstanding'])}.")


def _act_now(rows: list[dict[str, Any]]) -> None:
    """The open invoices whose haircut grows soon, most urgent first."""
    actions = [r for r in rows if r["action"].startswith("collect by")]
    if actions:
        actions.sort(key=lambda r: (r["act_by"], -r["at_stake"], r["invoice_id"]))
        items = [f"- **{r['invoice_id']}** · {r['customer']} ({r['status']}): {r['action']}"
                 for r in actions[:ACTIONS_SHOWN]]
        if len(actions) > ACTIONS_SHOWN:
            items.append(f"- and {len(actions) - ACTIONS_SHOWN} more in the open invoices "
                         "below")
        st.warning("**Act now: the haircut grows on these invoices soon**\n\n"
                   + "\n".join(items), icon=":material/schedule:")


def _lines_section(sdata: dict[str, Any], rep_id: str, period: str) -> pd.DataFrame:
    """The period's statement lines (returned for the CSV download)."""
    t = sdata["totals"]
    st.markdown(f"#### Statement lines, {sdata['period_label']}")
    lines = statement_lines(sdata)
    if lines.empty:
        st.info(f"No commission lines for {rep_id} in {period}.")
    else:
        st.caption(f"{len(lines)} lines · gross {common.money(t['gross'])} − haircuts "
                   f"{common.money(t['haircuts'])} − taken back (reversals, credits, "
                   f"clawbacks, penalties) {common.money(t['clawbacks'])} "
                   f"= net {common.money(t['net'])}; carried in {common.money(t['carry_in'])}, "
                   f"carried out {common.money(t['carry_out'])}")
        common.show_table(lines, ["gross", "haircut", "amount"], key="my_pay.lines",
                          labels={"invoice_id": "invoice", "prior_period": "for period"},
                          wide=["explanation"], height=common.table_height(len(lines), 15))
    return lines


def _open_section(sdata: dict[str, Any]) -> None:
    st.markdown("#### Open invoices: commission still to come")
    opened = open_invoice_table(sdata)
    if opened.empty:
        st.info("No open invoices: everything is collected.")
    else:
        common.show_table(opened, ["open_amount", "commission_to_come", "haircut_now",
                                   "net_to_come", "at_stake"], key="my_pay.open",
                          labels={"invoice_id": "invoice", "haircut_pct": "haircut now",
                                  "commission_to_come": "to come", "haircut_now":
                                  "lost if paid today", "net_to_come": "to come, net",
                                  "at_stake": "at stake", "action": "collect by"},
                          height=common.table_height(len(opened), 15))
    for note in sdata["footnotes"]:
        st.caption(note)


def _aging_section(sdata: dict[str, Any]) -> None:
    st.markdown("#### Aging of your customers")
    aging = aging_table(sdata)
    if aging.empty:
        st.info("No open balances.")
    else:
        st.caption("What each customer still owes, by days past due (the whole balance, also "
                   "where you have a share).")
        common.show_table(aging, [*sdata["aging"]["columns"], "total"], key="my_pay.aging",
                          height=common.table_height(len(aging), 25))


def _disputes_section(data: common.Data, rep_id: str, as_of: dt.date) -> None:
    st.markdown("#### Open disputes")
    disputes = open_disputes(data.inputs, rep_id, as_of)
    if disputes.empty:
        st.info("No open disputes.")
    else:
        st.caption("While a dispute is open the lateness clock is paused (if your plan says "
                   "so): resolving it starts the clock again.")
        common.show_table(disputes, ["open_amount"], key="my_pay.disputes",
                          labels={"invoice_id": "invoice", "opened_date": "opened",
                                  "days_open": "days open", "open_amount": "open amount"})


# ----------------------------------------------------------------------------- collections desk
# (issue 12) the rep's own worklist, their customers' credit signal, logging a contact


def _collections_section(identity: access.Identity, data: common.Data, rep_id: str,
                         as_of: dt.date) -> None:
    """The collections desk for this rep (commission/ui/desk_section.py), if one may see it."""
    from commission.ui import desk_section

    desk_section.render(identity, data, rep_id, as_of)


# ----------------------------------------------------------------------------- end collections desk


def _downloads(sdata: dict[str, Any], lines: pd.DataFrame, rep_id: str, period: str) -> None:
    """The statement (marked PROJECTED unless a locked batch paid it) and the lines."""
    name = f"statement_{file_part(rep_id)}_{period}" + ("_PROJECTED" if sdata["projected"] else "")
    d1, d2, d3 = st.columns(3)
    if sdata["projected"]:
        st.caption(f"The statement is a projection: it is marked \"{PROJECTED_MARK}\".")
    d1.download_button("Statement (HTML)", render_statement_html(sdata),
                       file_name=f"{name}.html", mime="text/html", key="my_pay.html",
                       on_click="ignore")
    d2.download_button("Statement (PDF)", lambda: render_statement_pdf(sdata),
                       file_name=f"{name}.pdf", mime="application/pdf", key="my_pay.pdf",
                       on_click="ignore")
    d3.download_button("Lines (CSV)", common.csv_text(lines, ["gross", "haircut", "amount"]),
                       file_name=f"lines_{file_part(rep_id)}_{period}.csv", mime="text/csv",
                       key="my_pay.csv", on_click="ignore")


def _reason(exc: Exception) -> str:
    """Why a statement could not be made, in words (not a KeyError's quoted repr)."""
    text = str(exc.args[0]) if exc.args else str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _data(identity: access.Identity) -> common.Data | None:
    """Local mode: the source picker; signed in: the store (read through the access layer)."""
    if identity.local:
        return common.pick_data("my_pay", allow_upload=False)
    return common.store_data()


def render() -> None:
    identity = session.guard("my-pay")
    st.title("My pay")
    data = _data(identity)
    if data is None:
        return
    rep_id = _rep_choice(identity, data)
    if rep_id is None:
        return
    periods = _periods(data.key, data.inputs)
    if not periods:
        st.info("The data holds no invoices, payments or adjustments yet: nothing is paid.")
        return
    with st.sidebar:
        period = st.selectbox("Period", periods[::-1], key="my_pay.period")
        as_of = st.date_input("Open invoices as of", value=default_as_of(period, data.inputs),
                              key=f"my_pay.as_of.{period}",
                              help="What is still open, overdue and at stake on this day.")
    rep = data.inputs.reps.set_index("rep_id").loc[rep_id]
    with st.spinner("Computing your pay..."):
        result = _result(data.key, data.plans_key, period, data.inputs, data.plans)
        paid = locked_payouts(identity, data, rep_id, period)
        try:
            sdata = _statement(identity, data, rep_id, period, as_of, paid)
        except (KeyError, ValueError, access.AccessDenied) as exc:
            st.error(f"There is no statement for {rep_id} in {period}. "
                     f"{common.plain(_reason(exc))}")
            return
    _headline(data, sdata, rep, rep_id, period, result, paid)
    _act_now(sdata["outlook"]["rows"])
    lines = _lines_section(sdata, rep_id, period)
    inquiries_ui.compared_section(result, data.plans, rep_id, period)  # why it changed
    inquiries_ui.my_questions_section(data.extra.get("store"), rep_id, period)
    _open_section(sdata)
    _aging_section(sdata)
    _disputes_section(data, rep_id, as_of)
    _collections_section(identity, data, rep_id, as_of)
    _downloads(sdata, lines, rep_id, period)

if __name__ == "__main__":
    from commission.ui.my_pay import render as _render  # the imported module holds the caches

    _render()

"""Batches (finance): load the data, run a period's draft, review, approve, lock, export.

Every step is one call into :mod:`commission.access` as the signed-in person (the
same functions as the command line): it refuses what their roles may not do (only
finance loads, runs and exports, only an approver approves and never their own
run, finance or an administrator locks), records it in the audit log, and the
payroll lifecycle refuses what must not happen (a locked period, a lock of a stale
draft). A step the identity may not take is not offered. The page shows what it
returns: the load summary or the problems table, the batch's totals
and per-rep payouts next to the previous period's, the payroll export and the
statements; a locked batch is shown read-only, with its audit trail.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from commission import access, payroll
from commission.access import Identity
from commission.money import to_cents
from commission.reports.compare import data_periods
from commission.reports.export import DRAFT, FINAL, export_csv_text, export_file_name
from commission.ui import common, session, statement_panel
from commission.ui import inquiries as inquiries_ui
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

STATUS_ICON = {"draft": ":material/edit_note:", "approved": ":material/thumb_up:",
               "locked": ":material/lock:"}
PAYOUT_LABELS = {"rep_id": "rep", "plan_id": "plan", "carry_in": "carried in",
                 "forfeited": "forfeited",
                 "carry_out": "carried out", "previous": "previous payout",
                 "change": "change"}


# --------------------------------------------------------------------------- reading the store


@st.cache_resource(show_spinner=False, max_entries=8)
def _store_periods(url: str, version: int, _store) -> list[str]:
    return data_periods(_store.stored_inputs())


def previous_batch(listing: pd.DataFrame, period: str) -> dict[str, Any] | None:
    """The batch of the latest period before ``period``, if any."""
    before = listing[listing["period"] < period]
    return None if before.empty else before.iloc[-1].to_dict()


def payouts_against(identity: Identity, store, batch_id: int,
                    previous: dict[str, Any] | None, reps: pd.DataFrame) -> pd.DataFrame:
    """The batch's payouts per rep, with the previous period's payout and the change."""
    pay = access.pay_payouts(identity, store, batch_id)
    names = reps.set_index("rep_id")["name"]
    out = pay.assign(name=names.reindex(pay["rep_id"]).fillna("").to_numpy(dtype=object))
    if previous is not None:
        before = access.pay_payouts(identity, store,
                                    int(previous["batch_id"])).set_index("rep_id")
        out["previous"] = before["payout"].reindex(out["rep_id"]).fillna(0).to_numpy(np.int64)
    else:
        out["previous"] = np.zeros(len(out), dtype=np.int64)
    out["change"] = out["payout"].to_numpy(np.int64) - out["previous"].to_numpy(np.int64)
    if "forfeited" not in out:
        out["forfeited"] = np.zeros(len(out), dtype=np.int64)
    return out[["rep_id", "name", "plan_id", *PAYOUT_MONEY_COLUMNS, "forfeited", "previous",
                "change"]]


# --------------------------------------------------------------------------- steps


def _when(value: Any) -> str:
    """A stored UTC timestamp to the second; '' for none."""
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _plans_folder(identity: Identity) -> Path | None:
    """The rules folder when the identity may make plans effective; else the stored plans."""
    return common.rules_dir() if identity.may("plan.effective") else None


def _done(message: str, batch_id: int | None = None, details: str = "") -> None:
    """Remember what happened, show that batch next, and run the page again to show it."""
    st.session_state["batches.flash"] = (message, details)
    if batch_id is not None:
        st.session_state["batches.select"] = int(batch_id)
    st.rerun()


def load_section(identity: Identity, store, empty: bool) -> None:
    if not identity.may("data.load"):
        return
    rules = _plans_folder(identity)
    with st.expander("1 · Load data into the store", expanded=empty):
        st.caption("Validated as a whole against what the store holds, then written in one "
                   "transaction, or not at all. "
                   + ("The plans of the rules folder are stored as a new version when their "
                      "text changed." if rules else "The store's plans stay as they are "
                      "(making plans effective needs an administrator)."))
        how = st.radio("From", ["folder", "upload"], horizontal=True, key="batches.load_from",
                       format_func={"folder": "A data folder",
                                    "upload": "Uploaded CSV files"}.get)
        folder = files = None
        if how == "folder":
            folder = st.text_input("Data folder", value=str(common.data_dir()),
                                   key="batches.folder")
        else:
            files = st.file_uploader("CSV files (any of the tables: a partial load updates "
                                     "rows by id)", type="csv", accept_multiple_files=True,
                                     key="batches.upload")
        if not st.button("Load", key="batches.load", type="primary"):
            return
        with common.user_errors("Load refused"), st.spinner("Loading and validating..."):
            if how == "folder":
                summary = access.load_data(identity, store, folder, rules)
            elif not files:
                st.error("Choose the CSV files to load first.")
                return
            else:
                with tempfile.TemporaryDirectory(prefix="commission-load-") as tmp:
                    refused = common.stage_uploads([(f.name, f.getvalue()) for f in files], tmp)
                    if refused:  # an upload never chooses a path (issue 9)
                        common.show_problems(refused, "Load refused: these uploads are not "
                                                      "files of the data set; nothing was written")
                        return
                    summary = access.load_data(identity, store, tmp, rules)
            if summary.changed:
                _done(f"Load {summary.load_id} written.", details=summary.text())
            _done("Nothing changed: the store already holds this data.")


def run_section(identity: Identity, store, periods: list[str], listing: pd.DataFrame
                ) -> None:
    if not identity.may("batch.run"):
        return
    with st.expander("2 · Run a draft batch", expanded=True):
        locked = listing[listing["status"] == "locked"]
        after = [p for p in periods if locked.empty or p > locked["period"].max()]
        if not after:
            st.info("Every month of the data is locked. Load later data to run the next "
                    "period.")
            return
        drafts = listing[listing["status"] != "locked"]
        default = drafts["period"].min() if not drafts.empty else after[0]
        c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
        period = c1.selectbox("Period", after, index=after.index(default) if default in after
                              else 0, key="batches.period")
        c2.caption("Pays every event dated by the end of the period that no locked batch has "
                   "paid (late data for a locked month is paid here), with the last locked "
                   "batch's carry-forward. Running a period again replaces its draft.")
        months = open_months(locked, after, period)
        catch_up = False
        if len(months) > 1:
            st.warning(payroll.catch_up_warning(months) + ". Running the months one by one "
                       "pays each month under its own cap.", icon=":material/warning:")
            catch_up = st.checkbox(f"Run {period} as one catch-up batch of {len(months)} "
                                   "months", key="batches.catch_up")
        if not st.button(f"Run {period}", key="batches.run", type="primary",
                         disabled=len(months) > 1 and not catch_up):
            return
        with common.user_errors(f"Run of {period} refused"), \
                st.spinner(f"Computing {period}..."):
            summary = access.run_draft(identity, store, period, _plans_folder(identity),
                                       catch_up=catch_up)
            _done(f"Batch {summary.batch_id} ({summary.period}) computed: run "
                  f"{summary.run_no}, {summary.lines:,} lines, payout "
                  f"{common.money(summary.totals['payout'])}.", summary.batch_id)


def open_months(locked: pd.DataFrame, after: list[str], period: str) -> list[str]:
    """The months a run of ``period`` pays for: from the first open month (after the last
    locked period, else the data's first month) to ``period``."""
    if locked.empty:
        first = np.datetime64(after[0], "M") if after else np.datetime64(period, "M")
    else:
        first = np.datetime64(locked["period"].max(), "M") + 1
    last = np.datetime64(period, "M")
    return [str(m) for m in np.arange(min(first, last), last + 1)]


def review_section(identity: Identity, store, listing: pd.DataFrame, inputs) -> None:
    st.markdown("### 3 · Review, approve, lock")
    view = listing.assign(**{c: [_when(v) for v in listing[c]]
                             for c in ("run_at", "approved_at", "locked_at")},
                          **{c: [_text(v) for v in listing[c]]
                             for c in ("run_by", "approved_by", "locked_by")})
    common.show_table(view, ["payout"], key="batches.list",
                      height=common.table_height(len(view), 8),
                      labels={"batch_id": "batch", "run_no": "run", "run_by": "run by",
                              "approved_by": "approved by", "locked_by": "locked by",
                              "run_at": "run at (UTC)",
                              "approved_at": "approved at (UTC)",
                              "locked_at": "locked at (UTC)"})
    ids = [int(b) for b in listing["batch_id"]]
    wanted = st.session_state.pop("batches.select", None)
    if wanted in ids:  # a step just acted on this batch: show it
        st.session_state["batches.batch"] = wanted
    elif st.session_state.get("batches.batch") not in ids:
        st.session_state["batches.batch"] = ids[-1]
    status = dict(zip(listing["batch_id"].astype(int), listing["status"], strict=True))
    period_of = dict(zip(listing["batch_id"].astype(int), listing["period"], strict=True))
    batch_id = st.selectbox("Batch", ids, key="batches.batch",
                            format_func=lambda b: f"{period_of[b]} · batch {b} · {status[b]}")
    summary = access.batch_summary(identity, store, batch_id)
    previous = previous_batch(listing, summary.period)
    prev_totals = (access.batch_summary(identity, store, int(previous["batch_id"])).totals
                   if previous else None)

    st.markdown(f"#### {STATUS_ICON.get(summary.status, '')} Batch {summary.batch_id} · "
                f"{summary.period} · {summary.status}")
    cols = st.columns(6)
    for col, key, label in zip(cols, ["payout", "gross", "haircuts", "clawbacks", "net",
                                      "carry_out"],
                               ["Payout", "Gross", "Haircuts", "Clawbacks", "Net",
                                "Carried out"], strict=True):
        delta = None
        if prev_totals is not None:
            change = summary.totals[key] - prev_totals[key]
            delta = f"{common.money(change)} vs {previous['period']}"
        col.metric(label, common.money(summary.totals[key]), delta=delta,
                   delta_color="off", border=True)
    carry = (f"batch {summary.base_batch_id} ({summary.base_period})"
             if summary.base_batch_id else "none (first locked batch)")
    against = (f" · compared with batch {int(previous['batch_id'])} ({previous['period']})"
               if previous else "")
    st.caption(f"{summary.events['invoices']:,} invoices, {summary.events['payments']:,} "
               f"payments, {summary.events['adjustments']:,} adjustments → "
               f"{summary.lines:,} lines ({summary.prior_lines:,} for earlier periods) · "
               f"{summary.reps} reps · carry-in from {carry}{against}")

    _forfeited_note(summary)
    stale = _staleness_banner(identity, store, summary)
    _actions(identity, store, summary, stale)
    inquiries_ui.console_section(store, summary.batch_id, summary.period, summary.status)

    st.markdown("#### Per rep")
    per_rep = payouts_against(identity, store, batch_id, previous, inputs.reps)
    common.show_table(per_rep, [*PAYOUT_MONEY_COLUMNS, "forfeited", "previous", "change"],
                      labels=PAYOUT_LABELS,
                      key="batches.per_rep", height=common.table_height(len(per_rep), 25))
    manual_section(identity, store, summary, inputs)
    _downloads(identity, store, summary, inputs)
    _audit(identity, store, summary)


def _forfeited_note(summary: payroll.BatchSummary) -> None:
    """Catch-up and forfeited money, where everyone reviewing sees them."""
    months = summary.months
    if len(months) > 1:
        st.caption(f"Catch-up: this batch pays {len(months)} months ({months[0]} to "
                   f"{months[-1]}) in one; caps and minimums applied once, to the merged "
                   "balance.")
    lost = int(summary.totals.get("forfeited", 0))
    if lost > 0:
        st.warning(f"Forfeited under payout caps: {common.money(lost)} "
                   f"(net + carried in − carried out − forfeited = payout; per rep below).",
                   icon=":material/money_off:")
    elif lost < 0:
        st.caption(f"The plans gave {common.money(-lost)} beyond the balance (draws not "
                   "recovered, negative balances not carried); per rep below as forfeited.")


def _staleness_banner(identity: Identity, store, summary: payroll.BatchSummary) -> bool:
    """At the top of a draft: what changed since its run, and the details on demand."""
    if summary.status == "locked":
        return False
    found = access.batch_staleness(identity, store, summary.batch_id)
    if not found.stale:
        return False
    st.error(f"Stale: {found.headline()}.", icon=":material/sync_problem:")
    with st.expander(f"What changed ({len(found.details):,})"):
        st.dataframe(found.details, hide_index=True, key="batches.stale_details",
                     height=common.table_height(len(found.details), 12))
    return True


def manual_section(identity: Identity, store, summary: payroll.BatchSummary, inputs) -> None:
    """The period's manual lines (reason, who, when); finance adds one with a reason."""
    st.markdown("#### Manual lines")
    lines = access.manual_lines(identity, store, summary.period)
    if lines.empty:
        st.caption(f"No manual lines dated in {summary.period}.")
    else:
        view = lines.assign(recorded_at=[_when(v) for v in lines["recorded_at"]])
        common.show_table(view, ["amount"], key="batches.manual",
                          height=common.table_height(len(view), 8),
                          labels={"commission_adjustment_id": "line", "rep_id": "rep",
                                  "adjustment_date": "date", "recorded_by": "recorded by",
                                  "recorded_at": "recorded at (UTC)"})
    if not identity.may("batch.manual_line"):
        return
    if summary.status == "locked":
        st.caption("The period is locked: a manual line goes to the next open period.")
        return
    with st.form("batches.manual_form", clear_on_submit=True):
        c1, c2 = st.columns([1, 1])
        rep = c1.selectbox("Rep", list(inputs.reps["rep_id"]), key="batches.manual_rep")
        amount = c2.text_input("Amount (negative for a deduction)", key="batches.manual_amount")
        reason = st.text_input("Reason (shown on the rep's statement)",
                               key="batches.manual_reason")
        if not st.form_submit_button("Add manual line"):
            return
    with common.user_errors("Manual line refused"):
        try:
            cents = to_cents(amount.strip().replace(",", ""))
        except (ValueError, ArithmeticError):
            st.error(f"{amount!r} is not an amount: write e.g. 250.00 or -75.50")
            return
        line_id = access.add_manual_line(identity, store, str(rep), summary.period, cents,
                                         reason)
        _done(f"Manual line {line_id} added for {rep}: {common.money(cents)}. The draft of "
              f"{summary.period} is stale until it is run again.", summary.batch_id)


def _actions(identity: Identity, store, summary: payroll.BatchSummary,
             stale: bool = False) -> None:
    if summary.status == "locked":
        st.info(f"Locked by {summary.locked_by} on {summary.locked_at:%Y-%m-%d %H:%M} UTC: "
                "read-only. Late data for this month is paid by the next period's batch.",
                icon=":material/lock:")
        return
    button, note = st.columns([1, 4], vertical_alignment="center")
    if summary.status == "draft":
        note.caption(f"Run by {summary.run_by}. Review the totals and the per-rep payouts, "
                     "then an approver who did not run it approves. A draft can be run again "
                     "at any time (the run replaces it).")
        if not identity.may("batch.approve"):
            return
        with note:
            acknowledged = bool(inquiries_ui.acknowledge(store, summary.period))
        if button.button("Approve", key="batches.approve", type="primary", disabled=stale,
                         help="Run it again first: the inputs changed" if stale else None):
            with common.user_errors("Approval refused"):
                access.approve_batch(identity, store, summary.batch_id,
                                     acknowledge_open_inquiries=acknowledged)
                _done(f"Batch {summary.batch_id} ({summary.period}) approved by "
                      f"{identity.email}.", summary.batch_id)
    elif summary.status == "approved":
        note.caption(f"Approved by {summary.approved_by}. Locking makes it read-only and marks "
                     "its events paid; run it again instead if anything changed.")
        if not identity.may("batch.lock"):
            return
        if button.button("Lock", key="batches.lock", type="primary", disabled=stale,
                         help="Run it again first: the inputs changed" if stale else None):
            with common.user_errors("Lock refused"), st.spinner("Locking..."):
                access.lock_batch(identity, store, summary.batch_id)
                _done(f"Batch {summary.batch_id} ({summary.period}) locked by "
                      f"{identity.email}.", summary.batch_id)


def _statement_parts(identity: Identity, store, summary: payroll.BatchSummary):
    """A batch's lines, payouts and plans, read through the access layer (one audit entry)."""
    lines = access.pay_lines(identity, store, summary.batch_id)
    payouts = access.pay_payouts(identity, store, summary.batch_id)
    return lines, payouts, payroll.batch_plans(store, summary.batch_id)


def statements_zip(identity: Identity, store, summary: payroll.BatchSummary, inputs) -> bytes:
    """Every statement of the batch the identity may see (HTML), dated the end of its period."""
    from commission.reports.statement_jobs import generate

    with tempfile.TemporaryDirectory(prefix="commission-statements-") as tmp:
        out = Path(tmp) / "statements.zip"
        generate(access.statement_sources(identity, store, summary.batch_id, inputs), "html",
                 out)
        return out.read_bytes()


def export_text(identity: Identity, store, batch_id: int, control: bool = False) -> str:
    """The payroll export as CSV (finance; recorded), its control total with ``control``,
    or why it was refused."""
    try:
        frame, summary = access.export_batch(identity, store, batch_id)
    except (access.AccessDenied, payroll.BatchError) as exc:
        return f"refused: {exc}\n"
    return export_csv_text(access.export_control(store, frame, summary) if control else frame)


def lines_text(identity: Identity, store, batch_id: int) -> str:
    lines = access.pay_lines(identity, store, batch_id)
    return common.csv_text(lines.drop(columns=["rate_num", "rate_den", "haircut_num"]),
                           ["base_amount", "gross", "haircut", "amount"])


def _downloads(identity: Identity, store, summary: payroll.BatchSummary, inputs) -> None:
    if summary.status == "locked":  # never hand out an altered locked batch
        from commission.payroll.verify import verify

        check = verify(store, summary.batch_id)
        if not check.ok:
            st.error(check.text())
            return
    d1, d2, d3 = st.columns(3)
    final = summary.status == "locked"
    if identity.may("batch.export"):
        status = FINAL if final else DRAFT
        d1.download_button("Payroll export (CSV)" + ("" if final else " · DRAFT"),
                           lambda: export_text(identity, store, summary.batch_id),
                           mime="text/csv", key="batches.export", on_click="ignore",
                           file_name=export_file_name(summary.period, summary.batch_id, status))
        d1.download_button("Control total (CSV)" + ("" if final else " · DRAFT"),
                           lambda: export_text(identity, store, summary.batch_id, True),
                           mime="text/csv", key="batches.export_control", on_click="ignore",
                           file_name=export_file_name(summary.period, summary.batch_id, status,
                                                      "payroll_control"))
    with d2:  # made in the background, with progress (commission/ui/statement_panel.py)
        statement_panel.render(identity, store, summary, inputs)
    d3.download_button("Lines (CSV)", lambda: lines_text(identity, store, summary.batch_id),
                       mime="text/csv", key="batches.lines",
                       file_name=f"lines_{summary.period}_batch{summary.batch_id}.csv",
                       on_click="ignore")
    inquiries_ui.workbook_download(identity, store, summary.batch_id, summary.period, d1)


def _audit(identity: Identity, store, summary: payroll.BatchSummary) -> None:
    with st.expander("Audit trail", expanded=summary.status == "locked"):
        steps = [("run", summary.run_by, summary.run_at),
                 ("approved", summary.approved_by, summary.approved_at),
                 ("locked", summary.locked_by, summary.locked_at)]
        st.dataframe(pd.DataFrame([{"step": s, "by": by, "at (UTC)": _when(at)}
                                   for s, by, at in steps if by]), hide_index=True)
        st.markdown("**Runs**")
        runs = payroll.batch_runs(store, summary.batch_id)
        st.dataframe(runs.assign(run_at=[_when(v) for v in runs["run_at"]]), hide_index=True)
        st.markdown("**Plan versions used**")
        st.dataframe(pd.DataFrame([{"plan": p, "version": v, "sha256": sha}
                                   for p, (v, sha) in summary.plans.items()]),
                     hide_index=True)
        st.caption(f"Events digest {summary.events_digest} · fingerprint "
                   f"{summary.fingerprint}")
        if summary.status != "locked":
            st.caption("What changed in the inputs since the run shows at the top of the "
                       "batch (commission batch diff lists it in full).")


# --------------------------------------------------------------------------- the page


def render() -> None:
    identity = session.guard("batches")
    st.title("Batches")
    flash = st.session_state.pop("batches.flash", None)
    if flash:
        st.success(flash[0])
        if flash[1]:
            st.code(flash[1], language=None)
    store = common.open_current_store()
    if store is None:
        return
    st.caption(f"Store: {store.url} · plans from {common.rules_dir()} · you act as "
               f"{identity.label}")
    version = common.store_version(store)
    load_section(identity, store, empty=version == 0)
    if version == 0:
        st.info("The store is empty: finance loads a data folder (step 1) to run a batch.")
        return
    periods = _store_periods(store.url, version, store)
    listing = access.batches(identity, store)
    run_section(identity, store, periods, listing)
    if listing.empty:
        st.info("No batches yet: finance runs a draft for a period (step 2).")
        return
    inputs, _plans, _problems = common.store_contents(store.url, version, store)
    review_section(identity, store, listing, inputs)


if __name__ == "__main__":
    from commission.ui.batches import render as _render  # the imported module holds the caches

    _render()

"""The worklist: every open overdue invoice on a date, its ladder step, owner and what is at stake.

Days past due on the ladder are counted on the plan's clock (``late_payment.clock``
of the plan of the rep credited on the invoice: due_date or invoice_date) with
the days inside the invoice's disputes paused exactly as the plan pauses them
(``pause_during_disputes``; a plan without ``late_payment`` has the contract's
defaults: due_date clock, pauses on). Grace days are not subtracted: they are the
rep's allowance, not the customer's. The disputes are merged with the plans' own
:func:`commission.plans.lateness.merged_disputes`, as known on the date.

The money comes from :func:`commission.reports.outlook.open_invoices`, the figures
the engine pays: ``commission_now`` is what collecting the open balance by
``collect_by`` would pay the rep (the collection line: gross − haircut), and
``next_step_cost`` what the next haircut step would take from it after that day.
One row per (invoice, credited rep): a split invoice shows once per rep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from commission.collections.ladder import Ladder
from commission.inputs.tables import Inputs
from commission.money import format_money
from commission.plans import Plan, merged_disputes
from commission.reports.outlook import as_day, known_disputes, open_invoices

NO_STEP = ""
WORKLIST_COLUMNS = [
    "invoice_id", "customer_id", "customer_name", "rep_id", "rep_name", "plan_id", "due_date",
    "calendar_days_past_due", "days_past_due", "step", "owner", "involvement", "action",
    "copy", "next_step", "next_owner", "next_step_date", "open_amount", "commission_now",
    "collect_by", "next_step_cost", "keep_after", "dispute", "clock_paused",
    "last_contact_date", "last_contact_by", "last_channel", "last_outcome",
    "promise_amount", "promise_date", "promise_status", "arrangement",
]
CONTACT_COLUMNS = ["contact_id", "invoice_id", "contact_date", "actor", "actor_role", "channel",
                   "outcome", "promise_amount", "promise_date"]


def empty_contacts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in CONTACT_COLUMNS})


def _plan_terms(plans: Mapping[str, Plan], plan_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(clock is the invoice date, disputes pause) of each row's plan."""
    terms = {pid: ((p.late_payment.clock == "invoice_date") if p.late_payment else False,
                   p.late_payment.pause_during_disputes if p.late_payment else True)
             for pid, p in plans.items()}
    frame = pd.DataFrame.from_dict(terms, orient="index", columns=["inv", "pause"])
    got = frame.reindex(plan_ids)
    return got["inv"].to_numpy(dtype=bool), got["pause"].fillna(True).to_numpy(dtype=bool)


def paused_days(invoice_ids: np.ndarray, clock: np.ndarray, today: int | np.ndarray,
                 merged: pd.DataFrame) -> np.ndarray:
    """Days in [clock, today) inside a merged dispute of the row's invoice (columnar);
    ``today`` is one day number or one per row."""
    rows = pd.DataFrame({"pos": np.arange(len(invoice_ids)), "invoice_id": invoice_ids,
                         "clock": clock})
    both = rows.merge(merged, on="invoice_id", how="inner")
    if both.empty:
        return np.zeros(len(invoice_ids), dtype=np.int64)
    lo = np.maximum(both["start"].to_numpy(dtype=np.int64), both["clock"].to_numpy())
    until = np.broadcast_to(np.asarray(today, dtype=np.int64), (len(invoice_ids),))
    hi = np.minimum(both["end"].to_numpy(dtype=np.int64), until[both["pos"].to_numpy()])
    days = np.maximum(hi - lo, 0)
    return np.bincount(both["pos"].to_numpy(), weights=days,
                       minlength=len(invoice_ids)).astype(np.int64)


def ladder_clock(rows: pd.DataFrame, inputs: Inputs, plans: Mapping[str, Plan],
                 as_of: dt.date | str) -> pd.DataFrame:
    """Days past due on the plan's clock, after pauses; dispute status and whether paused now.

    ``rows`` needs invoice_id, plan_id, invoice_date, due_date. Returns a frame aligned
    with it: days_past_due, dispute ('open', 'resolved' or ''), clock_paused.
    """
    day = as_day(as_of)
    today = int(day.astype(np.int64))
    on_invoice, pause = _plan_terms(plans, rows["plan_id"].to_numpy(dtype=object))
    due = rows["due_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    issued = rows["invoice_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    clock = np.where(on_invoice, issued, due)
    known = known_disputes(inputs.disputes, day)
    merged = merged_disputes(known)
    ids = rows["invoice_id"].to_numpy(dtype=object)
    paused = np.where(pause, paused_days(ids, clock, today, merged), 0)
    open_now = known.loc[known["resolved_date"].isna(), "invoice_id"]
    is_open = pd.Index(ids).isin(open_now)
    had = pd.Index(ids).isin(known["invoice_id"])
    return pd.DataFrame({
        "days_past_due": np.maximum(today - clock - paused, 0),
        "dispute": np.where(is_open, "open", np.where(had, "resolved", "")).astype(object),
        "clock_paused": is_open & pause,
    })


def _steps(ladder: Ladder, days: np.ndarray, paused: np.ndarray, today: int) -> dict:
    """The step each row is on and the next one, with the day it is reached (NaT if paused)."""
    s = ladder.steps
    at = np.array(ladder.day_array(), dtype=np.int64)
    idx = np.searchsorted(at, days, side="right") - 1
    nxt = idx + 1
    has_next = nxt < len(s)

    def pick(values: list, i: np.ndarray, ok: np.ndarray) -> np.ndarray:
        arr = np.array([*values, NO_STEP], dtype=object)
        return arr[np.where(ok, i, len(values))]

    on = idx >= 0
    next_day = today + np.where(has_next, at[np.minimum(nxt, len(s) - 1)] - days, 0)
    next_date = next_day.astype("datetime64[D]").astype("datetime64[s]")
    next_date[~has_next | paused] = np.datetime64("NaT")
    return {
        "step": pick([x.name for x in s], idx, on),
        "owner": pick([x.owner for x in s], idx, on),
        "involvement": pick([x.involvement for x in s], idx, on),
        "action": pick([x.action for x in s], idx, on),
        "copy": pick([",".join(x.copy_to) for x in s], idx, on),
        "step_index": np.where(on, idx, -1),
        "next_step": pick([x.name for x in s], nxt, has_next),
        "next_owner": pick([x.owner for x in s], nxt, has_next),
        "next_step_date": next_date,
    }


def _names(inputs: Inputs, table: str, key: str) -> pd.Series:
    frame = getattr(inputs, table)
    return pd.Series(frame["name"].to_numpy(dtype=object), index=frame[key].to_numpy(dtype=object))


def worklist(inputs: Inputs, plans: Mapping[str, Plan], ladder: Ladder, as_of: dt.date | str,
             contacts: pd.DataFrame | None = None, arrangements: pd.DataFrame | None = None, *,
             owner: str | None = None, rep_id: str | None = None) -> pd.DataFrame:
    """Every open invoice past its due date on ``as_of``, sorted by money at stake.

    Money at stake is the open balance (largest first), then the commission the next
    haircut step would cost, then the invoice id. ``owner`` keeps the rows whose
    current step that owner works or is copied on; ``rep_id`` one rep's rows.
    """
    day = as_day(as_of)
    rows = open_invoices(inputs, plans, None, day, rep_id)
    rows = rows[(day - rows["due_date"].to_numpy().astype("datetime64[D]")).astype(np.int64) > 0]
    rows = rows.reset_index(drop=True)
    clock = ladder_clock(rows, inputs, plans, day)
    today = int(day.astype(np.int64))
    steps = _steps(ladder, clock["days_past_due"].to_numpy(), clock["clock_paused"].to_numpy(),
                   today)
    keep = (rows["commission_to_come"] - rows["haircut_now"]).to_numpy(dtype=np.int64)
    out = pd.DataFrame({
        "invoice_id": rows["invoice_id"], "customer_id": rows["customer_id"],
        "customer_name": _names(inputs, "customers", "customer_id").reindex(
            rows["customer_id"]).fillna("").to_numpy(dtype=object),
        "rep_id": rows["rep_id"],
        "rep_name": _names(inputs, "reps", "rep_id").reindex(rows["rep_id"]).fillna(
            "").to_numpy(dtype=object),
        "plan_id": rows["plan_id"], "due_date": rows["due_date"],
        "calendar_days_past_due": rows["days_past_due"].to_numpy(dtype=np.int64),
        "days_past_due": clock["days_past_due"].to_numpy(dtype=np.int64),
        **{k: v for k, v in steps.items() if k != "step_index"},
        "open_amount": rows["open_amount"].to_numpy(dtype=np.int64),
        "commission_now": keep, "collect_by": rows["act_by"],
        "next_step_cost": rows["at_stake"].to_numpy(dtype=np.int64),
        "keep_after": keep - rows["at_stake"].to_numpy(dtype=np.int64),
        "dispute": clock["dispute"], "clock_paused": clock["clock_paused"],
        "step_index": steps["step_index"],
    })
    out = _with_contacts(out, inputs, contacts, day)
    out["arrangement"] = _arrangement_note(out["invoice_id"], arrangements, day)
    out = _filter(out, ladder, owner)
    out = out.sort_values(["open_amount", "next_step_cost", "invoice_id", "rep_id"],
                          ascending=[False, False, True, True], kind="stable", ignore_index=True)
    return out[[*WORKLIST_COLUMNS, "step_index"]]


def _filter(out: pd.DataFrame, ladder: Ladder, owner: str | None) -> pd.DataFrame:
    if owner is None:
        return out
    copied = out["copy"].str.split(",").apply(lambda c: owner in c)  # few distinct values
    return out[(out["owner"] == owner) | copied.to_numpy(dtype=bool)]


def _with_contacts(out: pd.DataFrame, inputs: Inputs, contacts: pd.DataFrame | None,
                   day: np.datetime64) -> pd.DataFrame:
    """Last contact and latest promise (kept, broken or pending) of each row's invoice."""
    c = empty_contacts() if contacts is None else contacts
    c = c[pd.to_datetime(c["contact_date"]).to_numpy().astype("datetime64[D]") <= day]
    c = c.sort_values(["contact_date", "contact_id"], kind="stable")
    last = c.groupby("invoice_id", sort=False).tail(1).set_index("invoice_id")
    ids = out["invoice_id"]
    out["last_contact_date"] = pd.to_datetime(last["contact_date"]).reindex(ids).to_numpy()
    for col, src in (("last_contact_by", "actor"), ("last_channel", "channel"),
                     ("last_outcome", "outcome")):
        out[col] = last[src].reindex(ids).fillna("").to_numpy(dtype=object)
    promises = promise_status(c[c["promise_amount"].notna()], inputs, day)
    latest = promises.groupby("invoice_id", sort=False).tail(1).set_index("invoice_id")
    out["promise_amount"] = latest["promise_amount"].reindex(ids).astype("Int64").to_numpy()
    out["promise_date"] = pd.to_datetime(latest["promise_date"]).reindex(ids).to_numpy()
    out["promise_status"] = latest["promise_status"].reindex(ids).fillna("").to_numpy(
        dtype=object)
    return out


def promise_status(promises: pd.DataFrame, inputs: Inputs, day: np.datetime64) -> pd.DataFrame:
    """Each promise as 'kept' (paid in full between the contact and the promised date),
    'broken' (the date passed before ``day`` without that) or 'pending'."""
    p = promises.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
    pay = inputs.payments[["invoice_id", "payment_date", "amount"]]
    both = p[["_row", "invoice_id", "contact_date", "promise_date"]].merge(
        pay, on="invoice_id", how="inner")
    when = both["payment_date"].to_numpy().astype("datetime64[D]")
    inside = ((when >= pd.to_datetime(both["contact_date"]).to_numpy().astype("datetime64[D]"))
              & (when <= pd.to_datetime(both["promise_date"]).to_numpy().astype("datetime64[D]"))
              & (when <= day))
    paid = both[inside].groupby("_row")["amount"].sum()
    got = paid.reindex(p["_row"], fill_value=0).to_numpy(dtype=np.int64)
    amount = p["promise_amount"].to_numpy(dtype=np.int64)
    due = pd.to_datetime(p["promise_date"]).to_numpy().astype("datetime64[D]")
    status = np.where(got >= amount, "kept", np.where(due < day, "broken", "pending"))
    return p.drop(columns="_row").assign(promise_status=status.astype(object), promise_paid=got)


def _arrangement_note(ids: pd.Series, arrangements: pd.DataFrame | None,
                      day: np.datetime64) -> np.ndarray:
    if arrangements is None or arrangements.empty:
        return np.full(len(ids), "", dtype=object)
    a = arrangements[pd.to_datetime(arrangements["agreed_date"]).to_numpy().astype(
        "datetime64[D]") <= day].sort_values(["agreed_date", "arrangement_id"], kind="stable")
    last = a.groupby("invoice_id", sort=False).tail(1).set_index("invoice_id")
    text = (last["installments"].astype(str) + " x " + last["installment_amount"].map(
        format_money) + " from " + pd.to_datetime(last["first_due_date"]).dt.strftime(
        "%Y-%m-%d") + " (" + last["actor"].astype(str) + ")")
    return text.reindex(ids).fillna("").to_numpy(dtype=object)


__all__ = ["CONTACT_COLUMNS", "WORKLIST_COLUMNS", "empty_contacts", "ladder_clock",
           "paused_days", "promise_status", "worklist"]

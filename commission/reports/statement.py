"""A rep's statement for one period: what is paid and why, and what is still to come.

:func:`statement_data` gathers plain data (ints in cents, ISO date strings, text)
from the engine's lines and payouts and the inputs; :func:`render_statement_html`
turns it into a printable page and :func:`render_statement_pdf` prints that same
page to PDF with WeasyPrint. No database: the store, CLI and app pass DataFrames.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from commission.inputs.tables import SHARE_SCALE, Inputs
from commission.money import cents_text, format_money, ratio_to_decimal_str
from commission.periods import parse_period, span_label, span_start
from commission.plans.language import Plan
from commission.reports.aging import BUCKET_COLUMNS, TOTAL, aging
from commission.reports.export import line_totals
from commission.reports.outlook import RATE_FIRST_BRACKET, RATE_LATEST_LINE, as_day, open_invoices
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

TEMPLATES = Path(__file__).parent / "templates"
#: an open invoice due within this many days (or overdue) gets a "collect by" note
SOON_DAYS = 14
#: the mark on a statement that no locked batch has paid (My pay's projection)
PROJECTED_MARK = "PROJECTED — not a payslip"

KIND_WORDS = {
    "invoice": "Invoice",
    "collection": "Payment",
    "reversal": "Reversal",
    "credit": "Credit",
    "clawback": "Clawback",
    "penalty": "Penalty",
    "override": "Override",
    "manual": "Manual",
}
_KIND_ORDER = {k: i for i, k in enumerate(KIND_WORDS)}


# --------------------------------------------------------------------------- words


def percent(value: Decimal | int, den: int = 1) -> str:
    """A ratio as a percentage, as the lines' explanations word it (at most 8 decimals).

    Decimal('0.05') -> '5%'; (7, 150) -> '4.66666667%'.
    """
    if isinstance(value, Decimal):
        num, d = value.as_integer_ratio()
    else:
        num, d = int(value), 1
    return ratio_to_decimal_str(num * 100, d * int(den), places=8) + "%"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """'2026-03' -> (2026-03-01, 2026-03-31)."""
    y, m = (int(x) for x in period.split("-"))
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def period_label(period: str) -> str:
    """'2026-03' -> 'March 2026'."""
    start, _ = period_bounds(period)
    return f"{calendar.month_name[start.month]} {start.year}"


def plan_summary(plan: Plan) -> list[str]:
    """The plan's terms in a few short sentences, for the statement's header."""
    sentences = [_basis_sentence(plan), _late_sentence(plan), _write_off_sentence(plan),
                 _payout_sentence(plan)]
    return [s for s in sentences if s]


def _rate_text(plan: Plan) -> str:
    if plan.rate is not None:
        return percent(plan.rate)
    assert plan.tiers is not None
    parts = [f"{percent(b.rate)} from {format_money(int(b.from_ * 100))}"
             for b in plan.tiers.brackets]
    brackets = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"tiered ({plan.tiers.mode}) on the month's volume, {brackets}"


def _basis_sentence(plan: Plan) -> str:
    rate = _rate_text(plan)
    if plan.basis == "collected":
        return f"Commission on cash collected: {rate}."
    if plan.basis == "invoiced":
        return f"Commission at invoicing: {rate}."
    assert plan.advance_share is not None
    return (f"Commission {percent(plan.advance_share)} advanced at invoicing, the rest "
            f"on collection: {rate}.")


def _late_sentence(plan: Plan) -> str:
    lp = plan.late_payment
    if lp is None:
        return ""
    clock = "the due date" if lp.clock == "due_date" else "the invoice date"
    terms = [f"counted from {clock}"]
    if lp.grace_days:
        terms.append(f"after {lp.grace_days} grace days")
    if lp.pause_during_disputes:
        terms.append("paused during disputes")
    if lp.steps is not None:
        sched = ", ".join(f"{percent(s.haircut)} after {s.after_days} days late"
                          for s in lp.steps)
    else:
        assert lp.linear is not None
        sched = (f"{percent(lp.linear.per_day)} a day after {lp.linear.start_after_days} "
                 f"days late, at most {percent(lp.linear.max)}")
    return f"Late-payment haircut: {sched} ({', '.join(terms)})."


def _write_off_sentence(plan: Plan) -> str:
    bd = plan.bad_debt
    if not (bd.penalty_rate or plan.basis != "collected"):
        return ""
    window = ("at any time" if bd.window_days is None
              else f"within {bd.window_days} days of invoicing")
    what = []
    if plan.basis != "collected":
        what.append("the commission paid at invoicing is clawed back")
    if bd.penalty_rate:
        what.append(f"a {percent(bd.penalty_rate)} penalty is charged")
    return f"Write-offs {window}: {' and '.join(what)}."


def _payout_sentence(plan: Plan) -> str:
    pay = plan.payout
    terms = []
    if pay.min_payout:
        terms.append(f"minimum payout {format_money(int(pay.min_payout * 100))}")
    if pay.cap is not None:
        terms.append(f"at most {format_money(int(pay.cap * 100))} paid per month")
    if not pay.carry_forward_negative:
        terms.append("a negative balance is not carried forward")
    return f"Payout: {'; '.join(terms)}." if terms else ""


def _share_text(share: int) -> str:
    return "" if share == SHARE_SCALE else percent(share, SHARE_SCALE)


def _text(value: Any) -> str:
    """A cell as text: '' for None, NaN or NA."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _iso(value: Any) -> str:
    return "" if pd.isna(value) else str(np.datetime64(value, "D"))


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SharedFrames:
    """The frames over every rep that many statements of one day share, computed once.

    Statements for a whole batch (or My pay switching rep) would otherwise read all
    the open invoices and aging again for each rep, and look for each rep's lines,
    invoices and customers in the whole batch's (400 statements of a batch of a
    million invoices: 1.9M lines scanned 400 times).
    """

    day: np.datetime64
    open_frame: pd.DataFrame  # open_invoices(inputs, plans, None, day, lines=lines), every rep
    aging_frame: pd.DataFrame  # aging(inputs, day), every rep
    lines: pd.DataFrame | None = None  # the lines ``rep_rows`` are positions in
    rep_rows: Mapping[str, np.ndarray] = field(default_factory=dict)  # rep -> its rows
    invoices: pd.DataFrame | None = None  # inputs.invoices by invoice_id
    invoice_rows: Mapping[str, int] = field(default_factory=dict)  # id -> row in invoices
    customer_names: pd.Series | None = None  # name by customer_id


def shared_frames(lines: pd.DataFrame, inputs: Inputs, plans: Mapping[str, Plan],
                  as_of: dt.date | str) -> SharedFrames:
    """Open invoices and aging of every rep as of ``as_of``, each rep's rows of ``lines``,
    and the invoices and customers by id, for :func:`statement_data`."""
    day = as_day(as_of)
    rows = lines.groupby("rep_id", sort=False).indices if len(lines) else {}
    ids = inputs.invoices["invoice_id"].tolist()
    return SharedFrames(day, open_invoices(inputs, plans, None, as_of, lines=lines),
                        aging(inputs, as_of), lines, {str(r): p for r, p in rows.items()},
                        inputs.invoices.set_index("invoice_id"),
                        dict(zip(ids, range(len(ids)), strict=True)), _customer_names(inputs))


def _customer_names(inputs: Inputs) -> pd.Series:
    return inputs.customers.set_index("customer_id")["name"]


def _rep_lines(lines: pd.DataFrame, rep_id: str, period: str, shared: SharedFrames | None
               ) -> pd.DataFrame:
    """The rep's lines of ``period``, in order; from the rep's rows when ``shared`` has them
    for these ``lines`` (the same rows, order and labels as the whole frame filtered)."""
    if shared is None or shared.lines is not lines:
        return lines[(lines["period"] == period) & (lines["rep_id"] == rep_id)]
    theirs = lines.iloc[shared.rep_rows.get(rep_id, np.zeros(0, dtype=np.intp))]
    return theirs[theirs["period"] == period]



def statement_data(rep_id: str, period: str, lines: pd.DataFrame, payouts: pd.DataFrame,
                   inputs: Inputs, plans: Mapping[str, Plan],
                   as_of: dt.date | str | SharedFrames, *,
                   batch_id: int | str | None = None) -> dict[str, Any]:
    """Everything a rep's statement for ``period`` shows, as plain data.

    ``lines`` and ``payouts`` are the engine's frames (they may hold other reps and
    periods; the rep's ``period`` rows are taken, and ``lines`` also gives a tiered
    plan's latest rate). The plan is the one of the rep's payout row. ``as_of`` dates
    the "still to come" and aging sections (usually the end of the period, or the
    day the statement is made). Money is int cents, dates ISO strings.

    ValueError when the rep has no payout row in ``period`` or the payout does not
    equal its lines' totals (a statement that does not reconcile is never issued).
    """
    shared = as_of if isinstance(as_of, SharedFrames) else None
    day = shared.day if shared is not None else as_day(as_of)
    reps = inputs.reps.set_index("rep_id")
    if rep_id not in reps.index:
        raise KeyError(f"unknown rep {rep_id!r}")
    pay = payouts[(payouts["period"] == period) & (payouts["rep_id"] == rep_id)]
    if len(pay) != 1:
        raise ValueError(f"rep {rep_id} has {len(pay)} payout rows in {period}; expected 1")
    pay_row = pay.iloc[0]
    plan_id = str(pay_row["plan_id"])
    plan = plans[plan_id]
    mine = _rep_lines(lines, rep_id, period, shared)
    totals = _reconciled_totals(rep_id, period, pay_row, mine)
    start, end = period_bounds(period)
    outlook = _outlook(rep_id, plan, lines, inputs, plans, day, shared)
    footnotes = outlook.pop("footnotes")
    return {
        "title": "Commission statement",
        "period": period,
        "period_label": period_label(period),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "batch_id": "" if batch_id is None else str(batch_id),
        "projected": "",  # PROJECTED_MARK when no locked batch pays it (set by the caller)
        "as_of": str(day),
        "rep": _rep_block(reps, rep_id),
        "plan": {"id": plan.id, "title": plan.title, "basis": plan.basis,
                 "summary": plan_summary(plan)},
        "customers": _grouped_lines(mine, inputs, shared),
        "line_count": len(mine),
        "totals": totals,
        "carry_note": _carry_note(totals, plan),
        "attainment": attainment_summary(plan, pay_row, inputs.quotas, rep_id, period),
        "draw": _draw_block(plan, pay_row, totals),
        "manual": _manual_lines(mine, inputs),
        "outlook": outlook,
        "aging": _aging(inputs, day, rep_id, shared),
        "footnotes": footnotes,
    }


def attainment_summary(plan: Plan, pay_row: pd.Series | Mapping[str, Any],
                       quotas: pd.DataFrame, rep_id: str, period: str) -> dict[str, Any] | None:
    """Attainment against quota and what more collection reaches the next accelerator.

    None unless the plan measures attainment. ``sentence`` reads "collect 12,345.00
    more this quarter to reach 8%" (or that the top bracket is reached).
    """
    if not plan.measures_attainment or plan.quota is None or plan.tiers is None:
        return None
    first = parse_period(period)
    span = str(span_label([span_start([first], plan.quota.period)[0]], plan.quota.period)[0])
    q = quotas[(quotas["rep_id"] == rep_id) & (quotas["quota_period"] == span)]
    quota = int(q["amount"].iloc[0]) if len(q) else 0
    text = str(pay_row.get("attainment", "") or "")
    att = Decimal(text) if text else Decimal(0)
    out: dict[str, Any] = {"quota_period": span, "quota": quota, "attainment": att,
                           "attainment_pct": percent(att), "next_rate": "", "more": 0,
                           "sentence": ""}
    ahead = [b for b in plan.tiers.brackets if b.from_ > att]
    word = {"month": "this month", "quarter": "this quarter", "year": "this year"}[
        plan.quota.period]
    if not quota:
        out["sentence"] = f"No quota is recorded for {span}."
    elif ahead:
        more = int(((ahead[0].from_ - att) * quota).to_integral_value(ROUND_CEILING))
        out.update(next_rate=percent(ahead[0].rate), more=more,
                   sentence=f"collect {format_money(more)} more {word} to reach "
                            f"{percent(ahead[0].rate)}")
    else:
        out["sentence"] = f"You are in the top bracket ({percent(plan.tiers.brackets[-1].rate)})."
    return out


def _draw_block(plan: Plan, pay_row: pd.Series, totals: dict[str, int]) -> dict[str, Any] | None:
    """The draw: the top-up this period and how it is recovered (None without a draw)."""
    draw = plan.payout.draw
    if draw is None:
        return None
    top_up = int(pay_row.get("draw", 0) or 0)
    if draw.recoverable:
        recovery = ("recoverable: a top-up is carried forward as a negative balance and "
                    "recovered from future commission")
    else:
        recovery = "not recoverable: a top-up is never taken back"
    owed = -totals["carry_out"] if draw.recoverable and totals["carry_out"] < 0 else 0
    return {"amount": int(draw.amount * 100), "top_up": top_up, "recovery": recovery,
            "outstanding": owed, "note": str(pay_row.get("note", "") or "")}


def _manual_lines(mine: pd.DataFrame, inputs: Inputs) -> list[dict[str, Any]]:
    """The period's manual lines with their reasons."""
    manual = mine[mine["line_kind"] == "manual"]
    reasons = inputs.commission_adjustments.set_index("commission_adjustment_id")["reason"]
    return [{"id": str(r.event_id), "date": _iso(r.event_date), "amount": int(r.amount),
             "reason": str(reasons.get(r.event_id, "") or r.explanation)}
            for r in manual.itertuples(index=False)]


def _reconciled_totals(rep_id: str, period: str, pay_row: pd.Series, mine: pd.DataFrame
                       ) -> dict[str, int]:
    """The payout row's money, checked against the rep's lines; plus balance and forfeited."""
    totals = {c: int(pay_row[c]) for c in PAYOUT_MONEY_COLUMNS}
    sums = line_totals(mine, period)
    earned = ("gross", "haircuts", "clawbacks", "net")
    expect = ({c: int(sums[c].iloc[0]) for c in earned} if len(sums)
              else dict.fromkeys(earned, 0))
    off = {c: (totals[c], v) for c, v in expect.items() if totals[c] != v}
    if off:
        raise ValueError(f"payout of {rep_id} in {period} does not equal its lines: {off}")
    totals["balance"] = totals["net"] + totals["carry_in"]
    totals["forfeited"] = totals["balance"] - totals["payout"] - totals["carry_out"]
    stored = pay_row.get("forfeited") if hasattr(pay_row, "get") else None
    if stored is not None and not pd.isna(stored) and int(stored) != totals["forfeited"]:
        raise ValueError(f"payout of {rep_id} in {period} does not reconcile: forfeited "
                         f"{int(stored)} is not net + carry-in − carry-out − payout "
                         f"({totals['forfeited']})")
    return totals


def _rep_block(reps: pd.DataFrame, rep_id: str) -> dict[str, str]:
    """Who the statement is for, and their manager ('name (id)', or the id alone)."""
    rep = reps.loc[rep_id]
    manager_id = _text(rep["manager_id"])
    manager = ""
    if manager_id:
        manager = (f"{reps.at[manager_id, 'name']} ({manager_id})"
                   if manager_id in reps.index else manager_id)
    return {"rep_id": rep_id, "name": _text(rep["name"]), "email": _text(rep["email"]),
            "manager": manager}


def _grouped_lines(mine: pd.DataFrame, inputs: Inputs, shared: SharedFrames | None = None
                   ) -> list[dict[str, Any]]:
    """The lines grouped by customer, then invoice, with subtotals.

    Columns are turned into Python lists once and the sorted rows walked once
    (consecutive runs are the groups): per-group pandas lookups made a statement of
    a large batch take seconds. Lines without an invoice (override, manual) are not
    grouped here (the draw and manual sections show them).
    """
    frame = mine[mine["invoice_id"].notna()]
    inv = _invoices_of(pd.unique(frame["invoice_id"].to_numpy(dtype=object)), inputs, shared)
    names = _names(inputs, shared)
    cids = inv["customer_id"].reindex(frame["invoice_id"]).fillna("").to_numpy(dtype=object)
    frame = frame.assign(_kind=frame["line_kind"].map(_KIND_ORDER).fillna(99).to_numpy(),
                         customer_id=cids,
                         customer_name=names.reindex(cids).fillna("").to_numpy(dtype=object))
    frame = frame.sort_values(["customer_name", "customer_id", "invoice_id", "event_date",
                               "_kind", "event_id"], kind="stable")
    info = _invoice_info(inv, pd.unique(frame["invoice_id"].to_numpy(dtype=object)))
    rows = _line_rows(frame)
    keys = list(zip(frame["customer_id"].tolist(), frame["customer_name"].tolist(),
                    frame["invoice_id"].tolist(), strict=True))
    shares = (frame["share"].tolist() if "share" in frame else [SHARE_SCALE] * len(frame))
    customers: list[dict[str, Any]] = []
    for i, (cid, cname, iid) in enumerate(keys):
        if not customers or (customers[-1]["customer_id"], customers[-1]["_name"]) != (
                str(cid), cname):
            customers.append({"customer_id": str(cid), "name": str(cname or cid), "_name": cname,
                              "invoices": [], "gross": 0, "haircut": 0, "amount": 0})
        cust = customers[-1]
        if not cust["invoices"] or cust["invoices"][-1]["invoice_id"] != str(iid):
            cust["invoices"].append({**info[str(iid)], "share": _share_text(int(shares[i])),
                                     "lines": [], "gross": 0, "haircut": 0, "amount": 0})
        invoice, line = cust["invoices"][-1], rows[i]
        invoice["lines"].append(line)
        for c in ("gross", "haircut", "amount"):
            invoice[c] += line[c]
            cust[c] += line[c]
    for cust in customers:
        del cust["_name"]
    return customers


def _invoices_of(ids: np.ndarray, inputs: Inputs, shared: SharedFrames | None) -> pd.DataFrame:
    """The invoices of ``ids`` by invoice_id, in the order of ``inputs.invoices``; looked up
    in ``shared``'s invoices by id when it has them (not a scan of all of them; pandas'
    lookup in a million ids took 10 ms a statement, a dict's 1 ms)."""
    if shared is None or shared.invoices is None:
        invs = inputs.invoices
        return invs[invs["invoice_id"].isin(ids)].set_index("invoice_id")
    rows = shared.invoice_rows
    at = np.array([rows.get(i, -1) for i in ids.tolist()], dtype=np.intp)
    return shared.invoices.iloc[np.sort(at[at >= 0])]


def _names(inputs: Inputs, shared: SharedFrames | None) -> pd.Series:
    """Customers' names by customer_id (``shared``'s when it has them)."""
    if shared is None or shared.customer_names is None:
        return _customer_names(inputs)
    return shared.customer_names


def _invoice_info(inv: pd.DataFrame, ids: np.ndarray) -> dict[str, dict[str, Any]]:
    """Each of the distinct ``ids``, by id: id, dates (ISO, '' when unknown) and amount
    (None when unknown). Per invoice, not per line (a line is 4 on average)."""
    known = inv.index.get_indexer(ids) >= 0  # (Index.isin compares text row by row)
    at = inv.reindex(ids)
    dates = {c: np.where(known, np.datetime_as_string(
        at[c].to_numpy().astype("datetime64[D]"), unit="D"), "") for c in
        ("invoice_date", "due_date")}
    amounts = at["amount"].to_numpy(dtype=object)
    return {str(iid): {"invoice_id": str(iid), "invoice_date": str(dates["invoice_date"][i]),
                       "due_date": str(dates["due_date"][i]),
                       "invoice_amount": int(amounts[i]) if known[i] else None}
            for i, iid in enumerate(ids)}


def _line_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The lines as the template's rows (dates ISO, kinds in words, money int)."""
    days = frame["event_date"].to_numpy().astype("datetime64[D]")
    date = np.where(np.isnat(days), "", np.datetime_as_string(days, unit="D"))
    cols = {c: frame[c].tolist() for c in ("line_kind", "event_id", "explanation", "gross",
                                           "haircut", "amount", "prior_period")}
    return [{"date": str(date[i]), "kind": KIND_WORDS.get(k, str(k)),
             "event_id": str(cols["event_id"][i]), "explanation": str(cols["explanation"][i]),
             "gross": int(cols["gross"][i]), "haircut": int(cols["haircut"][i]),
             "amount": int(cols["amount"][i]), "prior_period": _text(cols["prior_period"][i])}
            for i, k in enumerate(cols["line_kind"])]


def _sums(rows: pd.DataFrame) -> dict[str, int]:
    return {"gross": int(rows["gross"].sum()), "haircut": int(rows["haircut"].sum()),
            "amount": int(rows["amount"].sum())}


def _carry_note(t: dict[str, int], plan: Plan) -> str:
    """Why the payout differs from the balance, in words ('' when it does not)."""
    balance, payout, carry, lost = t["balance"], t["payout"], t["carry_out"], t["forfeited"]
    if balance < 0:
        if carry < 0:
            return (f"The balance is negative: nothing is paid this month, and "
                    f"{format_money(-carry)} is carried forward and recovered from your next "
                    f"commission.")
        return "The balance is negative: nothing is paid, and your plan does not carry it forward."
    if payout == 0 and carry > 0:
        return (f"The balance is below the minimum payout of "
                f"{format_money(int(plan.payout.min_payout * 100))}: it is carried forward to "
                f"next month.")
    if lost > 0:
        return (f"Your plan pays at most {format_money(payout)} a month: "
                f"{format_money(lost)} above the cap is forfeited.")
    return ""


def _outlook(rep_id: str, plan: Plan, lines: pd.DataFrame, inputs: Inputs,
             plans: Mapping[str, Plan], day: np.datetime64, shared: SharedFrames | None
             ) -> dict[str, Any]:
    """The rep's open invoices: commission still to come and what is at stake."""
    if shared is None:
        frame = open_invoices(inputs, plans, None, day, rep_id, lines=lines)
    else:
        frame = shared.open_frame[shared.open_frame["rep_id"] == rep_id]
    names = _names(inputs, shared)
    rows = []
    for r in frame.sort_values(["due_date", "invoice_id"], kind="stable").itertuples(index=False):
        dpd = int(r.days_past_due)
        if dpd > 0:
            status = f"{dpd} day{'s' if dpd != 1 else ''} overdue"
        elif dpd == 0:
            status = "due today"
        else:
            status = f"due in {-dpd} day{'s' if dpd != -1 else ''}"
        act_by = _iso(r.act_by)
        if r.clock_paused:
            action = "clock paused: dispute open"
        elif r.at_stake > 0 and act_by and dpd > -SOON_DAYS:
            when = f"{act_by} (today)" if act_by == str(day) else act_by
            action = f"collect by {when} to keep {format_money(int(r.at_stake))}"
        else:
            action = ""
        rows.append({
            "customer": str(names.get(r.customer_id, r.customer_id) or r.customer_id),
            "customer_id": str(r.customer_id),
            "invoice_id": str(r.invoice_id),
            "due_date": _iso(r.due_date),
            "status": status,
            "overdue": dpd > 0,
            "open_amount": int(r.open_amount),
            "share": _share_text(int(r.share)),
            "haircut_pct": percent(int(r.haircut_num_now), 10**9) if r.haircut_num_now else "",
            "commission_to_come": int(r.commission_to_come),
            "haircut_now": int(r.haircut_now),
            "net_to_come": int(r.net_to_come),
            "at_stake": int(r.at_stake),
            "act_by": act_by,
            "action": action,
        })
    footnotes: list[str] = [] if frame.empty else _outlook_notes(plan, frame)
    return {
        "rows": rows,
        "commission_to_come": int(frame["commission_to_come"].sum()),
        "haircut_now": int(frame["haircut_now"].sum()),
        "net_to_come": int(frame["net_to_come"].sum()),
        "at_stake": int(frame["at_stake"].sum()),
        "footnotes": footnotes,
    }


def _outlook_notes(plan: Plan, frame: pd.DataFrame) -> list[str]:
    """Footnotes explaining the "still to come" and aging figures of a non-empty outlook."""
    notes = [
        "Still to come: the commission on each open balance (times your share) if it is "
        "collected in full; it is earned only when the cash comes in, and a late payment "
        "loses the haircut shown."
    ]
    if plan.basis == "invoiced":
        notes.append("Your plan paid the commission at invoicing, so nothing more comes "
                     "with the cash; a late payment still costs the haircut.")
    elif plan.basis == "advance":
        assert plan.advance_share is not None
        notes.append(f"Your plan advanced {percent(plan.advance_share)} of the commission "
                     "at invoicing; the rest comes with the cash.")
    if plan.late_payment is not None:
        notes.append("At stake: what the plan's next haircut step would cut if the invoice "
                     "is paid after the 'collect by' date.")
    if frame["clock_paused"].any():
        notes.append("Clock paused: an open dispute stops the lateness clock until it is "
                     "resolved.")
    if plan.tiers is not None:
        src = frame["rate_source"].iloc[0]
        rate = percent(int(frame["rate_num"].iloc[0]), int(frame["rate_den"].iloc[0]))
        if src == RATE_LATEST_LINE:
            notes.append(f"Tiered plan: the rate depends on the volume of the month the cash "
                         f"comes in; commission to come is estimated at {rate}, the rate of "
                         f"your latest line.")
        elif src == RATE_FIRST_BRACKET:
            notes.append(f"Tiered plan: with no line yet, commission to come is estimated at "
                         f"the first bracket's rate, {rate}.")
    if (frame["share"] != SHARE_SCALE).any():
        notes.append("Aging shows each open invoice's whole balance, also where you have a "
                     "share of it.")
    return notes


def _aging(inputs: Inputs, day: np.datetime64, rep_id: str, shared: SharedFrames | None
           ) -> dict[str, Any]:
    if shared is None:
        frame = aging(inputs, day, rep_id)
    else:
        frame = shared.aging_frame[shared.aging_frame["rep_id"] == rep_id]
    rows = [{"customer": str(r["customer_name"] or r["customer_id"]),
             "invoices": int(r["invoices"]),
             "buckets": [int(r[c]) for c in BUCKET_COLUMNS], "total": int(r["total"])}
            for _, r in frame.iterrows() if r["customer_id"] != TOTAL]
    rows.sort(key=lambda r: r["customer"].casefold())
    total_rows = frame[frame["customer_id"] == TOTAL]
    total = ({"invoices": int(total_rows["invoices"].iloc[0]),
              "buckets": [int(total_rows[c].iloc[0]) for c in BUCKET_COLUMNS],
              "total": int(total_rows["total"].iloc[0])} if len(total_rows) else None)
    return {"columns": BUCKET_COLUMNS, "rows": rows, "total": total}


# --------------------------------------------------------------------------- rendering


#: characters that could end a CSS string or the <style> element: quotes, backslash,
#: angle brackets, and every control character (CSS ends a string at \n, \r and \f)
_CSS_UNSAFE = frozenset('\\"\'<>&') | {chr(c) for c in (*range(0x20), 0x7F)}


def _css_string(text: str) -> Markup:
    """Text as a double-quoted CSS string, safe inside a <style> element."""
    body = "".join(f"\\{ord(c):X} " if c in _CSS_UNSAFE else c for c in str(text))
    return Markup(f'"{body}"')  # safe: every special character is escaped above


def no_outside_urls() -> Any:
    """WeasyPrint's url_fetcher for statements: data: URIs only; http, file, ... refused.

    A statement is self-contained (styles inline); nothing in it may make the server
    fetch a URL, whatever a name or a plan title holds.
    """
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False)


def _money_cell(cents: Any) -> str:
    """What the template's ``amount`` macro writes: a right-aligned cell, ``neg`` if below 0."""
    if cents is None:
        return '<td class="num"></td>'
    cents = int(cents)
    return f'<td class="num{" neg" if cents < 0 else ""}">{format_money(cents)}</td>'


def _money_cells(row: Mapping[str, Any]) -> str:
    return (_money_cell(row["gross"]) + _money_cell(row["haircut"])
            + _money_cell(row["amount"]))


def _escaped(values: list[str]) -> list[str]:
    """Each value HTML-escaped as ``markupsafe.escape`` does, in one call for the column:
    joined by NUL (never in a value: control characters are refused on reading), split
    after. A value that does hold one is escaped on its own."""
    joined = "\0".join(values)
    if len(values) and joined.count("\0") == len(values) - 1:
        return str(escape(joined)).split("\0")
    return [str(escape(v)) for v in values]


def _money_cells_of(lines: list[Mapping[str, Any]]) -> list[str]:
    """:func:`_money_cells` of every line, the money made text a column at a time."""
    cells = []
    for c in ("gross", "haircut", "amount"):
        values = [line[c] for line in lines]
        if None in values:  # an unknown amount: an empty cell (not on a batch's lines)
            cells.append([_money_cell(v) for v in values])
            continue
        cents = np.array(values, dtype=np.int64)
        text = cents_text(cents).to_pylist() if len(cents) else []
        cells.append([f'<td class="num neg">{t}</td>' if v < 0 else f'<td class="num">{t}</td>'
                      for v, t in zip(cents.tolist(), text, strict=True)])
    return [g + h + a for g, h, a in zip(*cells, strict=True)]


def _line_rows_html(lines: list[Mapping[str, Any]]) -> list[str]:
    """Each line's row of the table, as the template's loop wrote it (escaped)."""
    date, kind, event, words = (_escaped([str(line[c]) for line in lines])
                                for c in ("date", "kind", "event_id", "explanation"))
    prior = [line["prior_period"] for line in lines]
    tags = _escaped([str(p) for p in prior if p])[::-1]
    tag = [f'<div class="tag">from {tags.pop()}</div>' if p else "" for p in prior]
    money = _money_cells_of(lines)
    return [f'    <tr class="line">\n      <td class="date">{d}</td>\n'
            f'      <td class="event">{k}<div class="muted id">{e}</div>\n{t}'
            f'</td>\n      <td class="expl">{w}</td>\n      {m}\n    </tr>\n'
            for d, k, e, t, w, m in zip(date, kind, event, tag, words, money, strict=True)]


def _invoice_html(i: Mapping[str, Any], rows: list[str]) -> str:
    """One invoice's head, line ``rows`` and subtotal, as the template's loop wrote them."""
    iid = escape(i["invoice_id"])
    issued = (f" · issued {escape(i['invoice_date'])} · due {escape(i['due_date'])} · "
              f"{'' if i['invoice_amount'] is None else format_money(int(i['invoice_amount']))}"
              if i["invoice_date"] else "")
    share = f" · your share {escape(i['share'])}" if i["share"] else ""
    out = [f'    <tr class="inv-head">\n      <td colspan="6">\n        Invoice <strong>{iid}'
           f'</strong>\n{issued}{share}      </td>\n    </tr>\n', *rows]
    if len(rows) > 1:
        out.append(f'    <tr class="inv-total">\n      <td colspan="3">Invoice {iid}</td>\n'
                   f'      {_money_cells(i)}\n    </tr>\n')
    return "".join(out)


def lines_html(customers: list[dict[str, Any]]) -> Markup:
    """The lines table's bodies (customer, invoice, line rows and subtotals), escaped.

    Written in Python rather than by a Jinja loop: a statement of 8,000 lines spent
    most of its rendering in Jinja's per-row calls (a macro per cell). The lines' rows
    are made a column at a time (escaping, money as text), then put in their
    invoices. The bytes are those the loop wrote (tests/reports compare both on
    awkward text).
    """
    rows = _line_rows_html([line for c in customers for i in c["invoices"]
                            for line in i["lines"]])
    out: list[str] = []
    at = 0
    for c in customers:
        name, cid = c["name"], c["customer_id"]
        muted = f' <span class="muted">{escape(cid)}</span>' if name != cid else ""
        out.append(f'  <tbody class="customer">\n    <tr class="cust-head">\n'
                   f'      <td colspan="6">{escape(name)}{muted}</td>\n    </tr>\n')
        for i in c["invoices"]:
            out.append(_invoice_html(i, rows[at:at + len(i["lines"])]))
            at += len(i["lines"])
        if len(c["invoices"]) > 1:
            out.append(f'    <tr class="cust-total">\n      <td colspan="3">{escape(name)}, '
                       f'{len(c["invoices"])} invoices</td>\n      {_money_cells(c)}\n'
                       '    </tr>\n')
        out.append("  </tbody>\n")
    return Markup("".join(out))  # safe: every value above is escaped


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The template environment, built (and the template compiled) once per process."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = lambda cents: "" if cents is None else format_money(int(cents))
    env.filters["css_string"] = _css_string
    env.filters["lines_html"] = lines_html
    env.tests["negative"] = lambda cents: cents is not None and int(cents) < 0
    return env


def render_statement_html(data: dict[str, Any]) -> str:
    """The statement as one self-contained HTML page (styles inline, A4 print styles)."""
    return _environment().get_template("statement.html").render(s=data)


def render_statement_pdf(data: dict[str, Any]) -> bytes:
    """The statement as PDF: the HTML of :func:`render_statement_html`, printed by WeasyPrint."""
    from weasyprint import HTML  # imported here: slow to import, and only PDFs need it

    return HTML(string=render_statement_html(data), base_url=str(TEMPLATES),
                url_fetcher=no_outside_urls()).write_pdf(font_config=_font_config())


@lru_cache(maxsize=1)
def _font_config() -> Any:
    """WeasyPrint's fonts, found once per process and kept for every later statement."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


__all__ = [
    "KIND_WORDS",
    "PROJECTED_MARK",
    "SOON_DAYS",
    "SharedFrames",
    "percent",
    "period_label",
    "plan_summary",
    "render_statement_html",
    "render_statement_pdf",
    "shared_frames",
    "statement_data",
]

"""Cross-table checks of a full data set: a list of named checks, each returning problems.

Each check is a function of :class:`CheckData` returning the problems it finds
(in the style of Beancount's validations); :func:`check` runs them all, in
order. Ids are resolved to row positions once (Arrow hash lookups, cached by
``Inputs.positions``); every check works on integer positions and numpy columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from commission.inputs import over_time
from commission.inputs.collector import Collector
from commission.inputs.tables import ADJUSTMENT_KINDS, ID_COLUMN, SHARE_SCALE, Inputs
from commission.keys import as_arrow, lookup, text_buffers
from commission.money import format_money
from commission.order import stable_order
from commission.plans.language import Plan
from commission.problems import Problem


@dataclass(frozen=True)
class CheckData:
    """What the checks read: the inputs, their tables (with ``_line``) and the plan ids."""

    inputs: Inputs
    t: dict[str, pd.DataFrame]
    plan_ids: list[str]
    plans: Mapping[str, Plan] = field(default_factory=dict)  # empty: ids only
    plan_override: str | None = None  # --plan: every rep under this plan

    @classmethod
    def of(cls, inputs: Inputs, plan_ids: Iterable[str], plans: Mapping[str, Plan] | None = None,
           plan_override: str | None = None) -> CheckData:
        t = inputs.tables()
        for name, frame in t.items():
            if "_line" not in frame:
                t[name] = frame.assign(_line=pd.array([None] * len(frame), dtype="Int64"))
        return cls(inputs, t, sorted(set(plan_ids)), dict(plans or {}), plan_override)

    def positions(self, name: str, col: str, target: str) -> np.ndarray:
        """Row in ``target`` of each ``name.col`` (by the target's id), -1 where unknown."""
        return self.inputs.positions(name, col, target, ID_COLUMN[target])


Check = Callable[[CheckData], list[Problem]]


def _each(template: str, col: str) -> Callable[[pd.DataFrame], list[str]]:
    """One message per shown row: ``template`` with ``{v}`` the row's ``col``."""
    return lambda r: [template.format(v=v) for v in r[col]]


def _money(cents: int) -> str:
    return format_money(int(cents))


def _day(value: object) -> str:
    return str(np.datetime64(value, "D"))  # type: ignore[call-overload]


def _share_text(nano: int) -> str:
    whole, frac = divmod(int(nano), SHARE_SCALE)
    return f"{whole}.{frac:09d}".rstrip("0").rstrip(".")


def unique_ids(d: CheckData) -> list[Problem]:
    """Each table's id appears once; each rep once per split invoice."""
    out = Collector()
    # each table's ids and every reference to them resolved (and kept for the other
    # checks and the engine), two tables at a time: numpy's byte work releases the GIL
    with ThreadPoolExecutor(max_workers=2) as pool:
        resolved = dict(zip(ID_COLUMN, pool.map(lambda n: d.positions(n, ID_COLUMN[n], n),
                                                 ID_COLUMN), strict=True))
    for name, id_col in ID_COLUMN.items():
        first = resolved[name]  # each id's first row
        later = (first >= 0) & (first != np.arange(len(first)))
        dup = later.copy()
        dup[first[later]] = True
        out.rows(f"{name}.csv", d.t[name], dup, id_col, id_col,
                 _each("duplicate id {v}", id_col), "each id once")
    spl = d.t["splits"]
    dup = spl.duplicated(["invoice_id", "rep_id"], keep=False).to_numpy()
    out.rows("splits.csv", spl, dup, "rep_id", "invoice_id",
             lambda r: [f"rep {v} is listed twice for this invoice" for v in r["rep_id"]],
             "each rep once per invoice")
    return out.problems


def _references(d: CheckData, refs: tuple[tuple[str, str, str, str, str | None], ...]
                ) -> list[Problem]:
    """Every (table, column, target, what, id column) reference resolves."""
    out = Collector()
    for name, col, target, what, id_col in refs:
        frame = d.t[name]
        bad = frame[col].notna().to_numpy() & (d.positions(name, col, target) < 0)
        out.rows(f"{name}.csv", frame, bad, col, id_col,
                 _each(f"unknown {what} {{v}}", col),
                 f"a {what} that exists")
    return out.problems


def people_references(d: CheckData) -> list[Problem]:
    """Invoices name known customers and reps; managers are known reps."""
    return _references(d, (
        ("invoices", "customer_id", "customers", "customer", "invoice_id"),
        ("invoices", "rep_id", "reps", "rep", "invoice_id"),
        ("reps", "manager_id", "reps", "rep (manager)", "rep_id"),
    ))


def known_plans(d: CheckData) -> list[Problem]:
    """Every rep's plan is one of the plans in rules/."""
    out = Collector()
    reps = d.t["reps"]
    bad = reps["plan_id"].notna().to_numpy() & (lookup(reps["plan_id"], pd.Series(
        d.plan_ids, dtype=object)) < 0)
    out.rows("reps.csv", reps, bad, "plan_id", "rep_id",
             lambda r: [f"unknown plan {v}" for v in r["plan_id"]],
             f"one of the plans in rules/ ({', '.join(d.plan_ids) or 'none found'})")
    return out.problems


def event_references(d: CheckData) -> list[Problem]:
    """Splits, payments, adjustments and disputes name known invoices (and splits reps)."""
    return _references(d, (
        ("splits", "invoice_id", "invoices", "invoice", None),
        ("splits", "rep_id", "reps", "rep", "invoice_id"),
        ("payments", "invoice_id", "invoices", "invoice", "payment_id"),
        ("adjustments", "invoice_id", "invoices", "invoice", "adjustment_id"),
        ("disputes", "invoice_id", "invoices", "invoice", "dispute_id"),
    ))


def amounts(d: CheckData) -> list[Problem]:
    """Invoices and adjustments are positive, adjustment kinds known, payments not 0."""
    out = Collector()
    inv, adj, pay = d.t["invoices"], d.t["adjustments"], d.t["payments"]
    out.rows("invoices.csv", inv, (inv["amount"] <= 0).to_numpy(), "amount", "invoice_id",
             lambda r: [f"amount {_money(v)} is not positive" for v in r["amount"]],
             "an amount more than 0")
    out.rows("adjustments.csv", adj, (adj["amount"] <= 0).to_numpy(), "amount",
             "adjustment_id",
             lambda r: [f"amount {_money(v)} is not positive" for v in r["amount"]],
             "an amount more than 0 (the kind says which way it goes)")
    kind_bad = adj["kind"].notna().to_numpy() & ~adj["kind"].isin(ADJUSTMENT_KINDS).to_numpy()
    out.rows("adjustments.csv", adj, kind_bad, "kind", "adjustment_id",
             lambda r: [f"unknown kind {v!r}" for v in r["kind"]],
             f"one of {', '.join(ADJUSTMENT_KINDS)}")
    out.rows("payments.csv", pay, (pay["amount"] == 0).to_numpy(), "amount", "payment_id",
             "amount is 0", "cash received (> 0) or a reversal (< 0)")
    return out.problems


def split_shares(d: CheckData) -> list[Problem]:
    """The split shares of an invoice sum to exactly 1."""
    out = Collector()
    spl = d.t["splits"]
    if len(spl):
        sums = spl.groupby("invoice_id")["share"].sum()
        off = sums[sums != SHARE_SCALE]
        bad = spl["invoice_id"].isin(off.index).to_numpy() & ~spl.duplicated(
            "invoice_id").to_numpy()
        out.rows("splits.csv", spl, bad, "share", "invoice_id",
                 lambda r: [f"shares of invoice {v} sum to {_share_text(off[v])}"
                            for v in r["invoice_id"]],
                 "the shares of one invoice to sum to exactly 1")
    return out.problems


def dates(d: CheckData) -> list[Problem]:
    """Due on or after invoicing; events on or after their invoice; disputes resolved later."""
    out = Collector()
    inv, dis = d.t["invoices"], d.t["disputes"]
    inv_date = inv["invoice_date"].to_numpy()
    out.rows("invoices.csv", inv, (inv["due_date"] < inv["invoice_date"]).to_numpy(),
             "due_date", "invoice_id",
             lambda r: [f"due {_day(due)} before the invoice date {_day(day)}"
                        for due, day in zip(r["due_date"], r["invoice_date"], strict=True)],
             "a due date on or after the invoice date")
    for name, col, id_col, what in (
        ("payments", "payment_date", "payment_id", "payment"),
        ("adjustments", "adjustment_date", "adjustment_id", "adjustment"),
        ("disputes", "opened_date", "dispute_id", "dispute"),
    ):
        frame, pos = d.t[name], d.positions(name, "invoice_id", "invoices")
        own = inv_date[np.maximum(pos, 0)] if len(inv_date) else frame[col].to_numpy()
        early = (pos >= 0) & (frame[col].to_numpy() < own)
        out.rows(f"{name}.csv", frame.assign(_inv_date=own), early, col, id_col,
                 _before_invoice(what, col), f"a {what} dated on or after its invoice")
    resolved_early = (dis["resolved_date"] < dis["opened_date"]).to_numpy(dtype=bool)
    out.rows("disputes.csv", dis, resolved_early, "resolved_date", "dispute_id",
             "resolved before it was opened", "a resolved_date on or after opened_date")
    return out.problems


def _before_invoice(what: str, col: str) -> Callable[[pd.DataFrame], list[str]]:
    def message(r: pd.DataFrame) -> list[str]:
        return [f"{what} dated {_day(day)} before its invoice dated {_day(inv_day)}"
                for day, inv_day in zip(r[col], r["_inv_date"], strict=True)]
    return message


def reversals(d: CheckData) -> list[Problem]:
    """A negative payment reverses a positive payment of the same invoice, not beyond it."""
    out = Collector()
    pay = d.t["payments"]
    neg = (pay["amount"] < 0).to_numpy()
    named = pay["reverses_payment_id"].notna().to_numpy()
    out.rows("payments.csv", pay, neg & ~named, "reverses_payment_id", "payment_id",
             "a negative payment without a payment to reverse",
             "the id of the payment it reverses in reverses_payment_id")
    out.rows("payments.csv", pay, ~neg & named, "reverses_payment_id", "payment_id",
             "a positive payment names a payment to reverse",
             "reverses_payment_id empty for cash received (amount > 0)")
    rev = pay[neg & named]
    if rev.empty:
        return out.problems
    target = d.positions("payments", "reverses_payment_id", "payments")[neg & named]
    exists = target >= 0
    out.rows("payments.csv", rev, ~exists, "reverses_payment_id", "payment_id",
             lambda r: [f"reverses unknown payment {v}" for v in r["reverses_payment_id"]],
             "the id of an existing payment")
    _reversed_payments(pay, rev[exists], target[exists], out)
    return out.problems


def _reversed_payments(pay: pd.DataFrame, ok: pd.DataFrame, target: np.ndarray,
                       out: Collector) -> None:
    """Reversals ``ok`` of the payments at ``target``: cash, same invoice, later, not beyond."""
    o_amount = pay["amount"].to_numpy()[target]
    o_invoice = as_arrow(pay["invoice_id"]).take(pa.array(target))
    o_date = pay["payment_date"].to_numpy()[target]
    out.rows("payments.csv", ok, o_amount <= 0, "reverses_payment_id", "payment_id",
             lambda r: [f"reverses {v}, which is itself a reversal"
                        for v in r["reverses_payment_id"]],
             "the id of a payment received (amount > 0)")
    same = pc.equal(o_invoice, as_arrow(ok["invoice_id"])).fill_null(False)
    out.rows("payments.csv", ok, ~same.to_numpy(zero_copy_only=False), "invoice_id",
             "payment_id",
             lambda r: [f"reverses {v}, a payment of another invoice"
                        for v in r["reverses_payment_id"]],
             "the invoice of the payment it reverses")
    out.rows("payments.csv", ok, ok["payment_date"].to_numpy() < o_date, "payment_date",
             "payment_id",
             lambda r: [f"reversal dated before the payment {v} it reverses"
                        for v in r["reverses_payment_id"]],
             "a reversal dated on or after the payment it reverses")
    reversed_total = np.zeros(len(pay), dtype=np.int64)
    np.add.at(reversed_total, target, -ok["amount"].to_numpy(dtype=np.int64))
    over = reversed_total > np.maximum(pay["amount"].to_numpy(dtype=np.int64), 0)
    last = ~pd.Series(target).duplicated(keep="last").to_numpy()
    worst = ok[last & over[target]].assign(
        _total=reversed_total[target[last & over[target]]],
        _paid=pay["amount"].to_numpy()[target[last & over[target]]])
    out.rows("payments.csv", worst, np.ones(len(worst), bool), "amount", "payment_id",
             lambda r: [f"reversals of {v} total {_money(t)}, more than the {_money(p)} "
                        "received" for v, t, p in zip(r["reverses_payment_id"], r["_total"],
                                                      r["_paid"], strict=True)],
             "reversals of a payment never exceeding it")


def settlement(d: CheckData) -> list[Problem]:
    """At every date: payments − reversals + credits + discounts + write-offs − write-off
    reversals ≤ amount (a payment after a write-off that is not reinstated over-settles)."""
    out = Collector()
    inv, pay, adj = d.t["invoices"], d.t["payments"], d.t["adjustments"]
    pos = np.concatenate([d.positions("payments", "invoice_id", "invoices"),
                          d.positions("adjustments", "invoice_id", "invoices")])
    day = np.concatenate([pay["payment_date"].to_numpy().astype("datetime64[D]"),
                          adj["adjustment_date"].to_numpy().astype("datetime64[D]")])
    reinstated = (adj["kind"] == "write_off_reversal").to_numpy(dtype=bool)
    amount = np.concatenate([pay["amount"].to_numpy(dtype=np.int64),
                             np.where(reinstated, -1, 1) * adj["amount"].to_numpy(dtype=np.int64)])
    keep = (pos >= 0) & ~np.isnat(day)
    pos, days, amount = pos[keep], day[keep].astype(np.int64), amount[keep]
    if len(pos) == 0:
        return out.problems
    order = _by_invoice_then_day(pos, days)
    pos, days, amount = pos[order], days[order], amount[order]
    # the settled total after each event; compare only at the last event of a date
    settled = np.cumsum(amount)
    first_of_invoice = np.r_[True, pos[1:] != pos[:-1]]
    start = np.maximum.accumulate(np.where(first_of_invoice, np.arange(len(pos)), 0))
    before = np.r_[0, settled[:-1]]
    settled = settled - before[start]
    end_of_day = np.r_[(pos[1:] != pos[:-1]) | (days[1:] != days[:-1]), True]
    limit = inv["amount"].to_numpy(dtype=np.int64)[pos]
    over = end_of_day & (settled > limit)
    if not over.any():
        return out.problems
    first = ~pd.Series(pos[over]).duplicated().to_numpy()
    rows = inv.iloc[pos[over][first]].assign(
        _date=days[over][first].astype("datetime64[D]"), _settled=settled[over][first])
    out.rows("invoices.csv", rows, np.ones(len(rows), bool), "amount", "invoice_id",
             lambda r: [f"over-settled on {_day(d)}: payments − reversals + credits + "
                        f"discounts + write-offs − reinstatements reach {_money(s)}, more than "
                        "the amount "
                        f"{_money(a)}" for d, s, a in zip(r["_date"], r["_settled"],
                                                          r["amount"], strict=True)],
             "at most the invoice amount settled at every date")
    return out.problems


def _by_invoice_then_day(pos: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``np.lexsort((days, pos))``: one stable sort of one integer key where it fits."""
    span = int(days.max()) - int(days.min()) + 1
    if span * (int(pos.max()) + 1) >= 2 ** 62:
        return np.lexsort((days, pos))
    return stable_order(pos.astype(np.int64) * span + (days - days.min()))


#: the longest id accepted (rep, customer, invoice, payment, ... and plan ids): longer is a
#: pasted paragraph, not an id; the store and the pages are not made for it
MAX_ID_LENGTH = 64
#: any other text (a name, an email, a reason): a statement set a name of 200,000
#: characters for five minutes and more before this
MAX_TEXT_LENGTH = 500
#: control characters (C0, DEL) are never part of a name, an id or an email
CONTROL_CHARS = r"[\x00-\x1f\x7f]"


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "_line"
            and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype))]


def _quoted(template: str, col: str, keep: int) -> Callable[[pd.DataFrame], list[str]]:
    """Messages quoting at most ``keep`` characters of each cell ({v}) and its length ({n})."""
    def message(rows: pd.DataFrame) -> list[str]:
        return [template.format(v=repr(str(v)[:keep]), n=len(str(v))) for v in rows[col]]
    return message


def _has_control_byte(data: np.ndarray) -> bool:
    """Whether any byte is below 0x20 or is 0x7F: two reductions without a copy first,
    and a pass for 0x7F only when some byte is that high (a text that is not ASCII)."""
    if len(data) == 0:
        return False
    return bool(data.min() < 0x20) or (bool(data.max() >= 0x7F) and bool((data == 0x7F).any()))


def text_cells(d: CheckData) -> list[Problem]:
    """Ids at most MAX_ID_LENGTH characters, other text at most MAX_TEXT_LENGTH; no NUL or
    other control character in any text."""
    out = Collector()
    for name, frame in d.t.items():
        for col in _text_columns(frame):
            cells = as_arrow(frame[col])
            if not pa.types.is_string(cells.type) and not pa.types.is_large_string(cells.type):
                continue
            offsets, data = text_buffers(cells) if len(cells) else (np.zeros(1, np.int64),
                                                                      np.zeros(0, np.uint8))
            used = data[int(offsets[0]):int(offsets[-1])]
            if _has_control_byte(used):  # UTF-8: these bytes are these characters
                control = pc.fill_null(pc.match_substring_regex(cells, CONTROL_CHARS), False)
                out.rows(f"{name}.csv", frame, control.to_numpy(zero_copy_only=False), col,
                         None, _quoted("control character in {v}", col, 40),
                         "text without control characters (NUL, tab, form feed, ...)")
            is_id = col.endswith("_id")
            limit = MAX_ID_LENGTH if is_id else MAX_TEXT_LENGTH
            if len(cells) and int(np.diff(offsets).max()) > limit:  # bytes >= characters
                long = pc.fill_null(pc.greater(pc.utf8_length(cells), limit), False)
                what = "an id" if is_id else "a text"
                out.rows(f"{name}.csv", frame, long.to_numpy(zero_copy_only=False), col, None,
                         _quoted(what + " of {n:,} characters ({v}...)", col, 20),
                         f"{what} of at most {limit} characters")
    return out.problems


#: every cross-table check, in the order their problems are listed
CHECKS: tuple[Check, ...] = (
    unique_ids,
    people_references,
    known_plans,
    event_references,
    amounts,
    split_shares,
    dates,
    reversals,
    settlement,
    text_cells,
    over_time.assignments,
    over_time.quotas,
    over_time.missing_quotas,
    over_time.manual_lines,
    over_time.write_off_reversals,
)


#: the checks the engine rests on: each id once, every reference, plan and adjustment
#: kind known, a quota wherever a plan measures attainment, and every text of a sane
#: length without control characters (the engine words ids and reasons into every
#: line: unchecked, one huge id could grow a million times before it was reported).
#: Once they pass, a calculation may start while the others (:data:`BESIDE`) run on a
#: thread: those find figures that are wrong (shares, dates, reversals,
#: over-settlement), which the engine computes with, never indexes by
FOUNDATION: tuple[Check, ...] = (
    unique_ids,
    people_references,
    known_plans,
    event_references,
    amounts,
    text_cells,
    over_time.assignments,
    over_time.quotas,
    over_time.missing_quotas,
    over_time.manual_lines,
)
BESIDE: tuple[Check, ...] = tuple(c for c in CHECKS if c not in FOUNDATION)


def check(inputs: Inputs, plan_ids: Iterable[str], plans: Mapping[str, Plan] | None = None,
          plan_override: str | None = None) -> list[Problem]:
    """Every cross-table problem of a full data set (ids, references, dates, amounts).

    With ``plans`` (not only their ids), quota forms and missing quotas are checked too.
    """
    data = CheckData.of(inputs, plan_ids, plans, plan_override)
    return [problem for run in CHECKS for problem in run(data)]


class Checking:
    """:func:`check` in two parts: :data:`FOUNDATION` now, :data:`BESIDE` on a thread.

    A calculation that may start once the foundation is :attr:`sound` starts on a
    data set whose other checks are still running; it shows and writes nothing
    before :meth:`problems` (every problem :func:`check` finds) is empty. When
    the foundation is not sound, the other checks run too: every problem at once.
    """

    def __init__(self, inputs: Inputs, plan_ids: Iterable[str],
                 plans: Mapping[str, Plan] | None = None, plan_override: str | None = None):
        data = CheckData.of(inputs, plan_ids, plans, plan_override)
        self.found = [problem for run in FOUNDATION for problem in run(data)]
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks")
        self._beside = pool.submit(lambda: [problem for run in BESIDE for problem in run(data)])
        pool.shutdown(wait=False)

    @property
    def sound(self) -> bool:
        """The engine may start: the checks it rests on found nothing."""
        return not self.found

    def problems(self) -> list[Problem]:
        """Every problem found (waiting for the checks still running)."""
        return [*self.found, *self._beside.result()]


__all__ = ["BESIDE", "CHECKS", "FOUNDATION", "MAX_ID_LENGTH", "Check", "CheckData",
           "Checking", "check", "text_cells"]

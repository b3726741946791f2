"""Deterministic, realistic sample data for the commission engine.

:func:`generate` builds the seven input tables of the calculation contract
(``reps``, ``customers``, ``invoices``, ``splits``, ``payments``,
``adjustments``, ``disputes``) as string columns ready for CSV;
:func:`write_sample` writes them to a folder.

The data mimics a sales ledger: reps grouped under a few sales managers and
spread over the shipped plans, customers with a payment habit (prompt, slow,
chronically late, disputing, defaulting), invoices with skewed amounts and
15-60 day terms, payments in one to three instalments, bounced payments that
are reversed and paid again, early-payment discounts, credit notes, write-offs
of bad debt, split credit and disputes.

Everything is drawn from one ``numpy`` Generator in a fixed order, and built
with whole-column operations (no Python loop per invoice or payment), so the
same seed gives byte-identical files and a million invoices take seconds. Money
is int64 cents throughout and only turned into ``"1234.50"`` strings at the end.

Events that would fall after the *as-of* date (``start`` + ``months`` + 19 days:
2026-11-20 for the defaults) have not happened yet and are left out; a dispute
resolved after it is still open, an invoice paid after it is still unpaid.

By construction every invoice satisfies, at every date, payments - reversals +
credit notes + discounts + write-offs <= amount: the amount is partitioned into
discount, credit note, cash, write-off and what is still unpaid, and a bounced
payment is reversed after it was received and paid again after the reversal.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from commission.inputs import COLUMNS
from commission.periods import add_months, month_index, quarter_label, quarter_of

PLAN_IDS = ("collected-40day", "collected-stepped", "invoiced-traditional", "advance-marginal")
# part 2 (plans over time) adds quotas, draws, an override, recoveries and manual lines:
# see :func:`over_time`

# Customer payment habits.
PROMPT, SLOW, LATE, DISPUTING, DEFAULTING = range(5)
HABITS = ("prompt", "slow", "late", "disputing", "defaulting")
HABIT_WEIGHTS = (0.38, 0.27, 0.12, 0.12, 0.11)

SEGMENTS = ("enterprise", "mid-market", "smb", "")
SEGMENT_WEIGHTS = (0.15, 0.35, 0.42, 0.08)
#: median invoice amount (cents) of each segment; amounts are lognormal around it
SEGMENT_MEDIAN_CENTS = (1_800_000, 500_000, 150_000, 300_000)
AMOUNT_SIGMA = 0.9
MIN_AMOUNT_CENTS, MAX_AMOUNT_CENTS = 20_000, 8_000_000

TERMS = (15, 30, 45, 60)
TERMS_WEIGHTS = (0.2, 0.45, 0.2, 0.15)

#: instalments of a fully paid invoice: 1, 2 or 3 payments
INSTALMENT_WEIGHTS = (0.41, 0.36, 0.23)
DISCOUNT_TAKERS = 0.55  # share of a prompt payer's invoices paid early with a 2% discount
DISCOUNT_PCT = 2
BOUNCE_RATE = 0.03  # share of payments that bounce (reversed, then paid again)
CREDIT_NOTE_RATE = 0.04  # credit notes on any invoice, besides those settling disputes
DISPUTE_RATE = {True: 0.65, False: 0.015}  # disputing customers / everybody else
STAYS_OPEN = 0.08  # share of disputes never resolved
SECOND_DISPUTE = 0.12  # share of disputed invoices disputed a second time
SPLIT_RATE = 0.02
SPLIT_SHARES = (("0.5", "0.5"), ("0.6", "0.4"), ("0.7", "0.3"))

# What happens to a defaulting customer's invoice.
DEF_PAID_LATE, DEF_PARTIAL_WO, DEF_NONE_WO, DEF_NONE_OPEN = range(4)
DEFAULT_OUTCOME_WEIGHTS = (0.35, 0.35, 0.15, 0.15)

AS_OF_TAIL_DAYS = 19  # the as-of date: this many days after the invoicing window ends

FIRST_NAMES = (
    "Ada", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara",
    "Umar", "Vera", "Wes", "Xenia", "Yusuf", "Zoe", "Amir", "Bella", "Chen", "Dana",
    "Emil", "Fiona", "Gabe", "Hana", "Ivan", "Julia", "Karl", "Lena", "Marco", "Nora",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Khan", "Larsen", "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi",
    "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Young", "Zhang", "Baker", "Cole",
    "Diaz", "Engel", "Ford", "Gray", "Hill", "Ivers", "Jones", "Kim", "Lopez", "Meyer",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Alpine", "Apex", "Arrow", "Atlas", "Beacon", "Birch", "Blue", "Bright", "Cedar",
    "Coastal", "Copper", "Crest", "Delta", "Eagle", "Echo", "Evergreen", "Falcon", "Fjord",
    "Granite", "Harbor", "Horizon", "Iron", "Juniper", "Keystone", "Lakeside", "Maple",
    "Meridian", "Nova", "Oak", "Orion", "Pacific", "Pine", "Polar", "Prairie", "Quartz",
    "Redwood", "Ridge", "River", "Silver", "Summit", "Sun", "Titan", "Union", "Valley",
    "Vertex", "Willow", "Zenith",
)  # fmt: skip
COMPANY_TRADES = (
    "Analytics", "Bakery", "Builders", "Clinics", "Consulting", "Dental", "Energy",
    "Engineering", "Farms", "Foods", "Freight", "Health", "Hotels", "Labs", "Logistics",
    "Machining", "Media", "Metals", "Motors", "Outfitters", "Packaging", "Pharma",
    "Plastics", "Printing", "Realty", "Retail", "Robotics", "Software", "Solar", "Studios",
    "Supply", "Systems", "Textiles", "Tools", "Travel", "Utilities",
)  # fmt: skip
COMPANY_FORMS = ("Inc", "LLC", "Ltd", "GmbH", "Co", "Group", "Partners", "SA")
CITIES = (
    "Austin", "Bergen", "Boston", "Cork", "Denver", "Dublin", "Geneva", "Leeds", "Lille",
    "Lyon", "Malmo", "Miami", "Munich", "Osaka", "Oslo", "Porto", "Quebec", "Seville",
    "Tampa", "Turin", "Utrecht", "Vienna", "Warsaw", "Zurich",
)  # fmt: skip


@dataclass(frozen=True)
class _Invoices:
    """Per invoice: day, customer, rep, payment habit, amount (cents), terms and due day."""

    day: np.ndarray
    cust: np.ndarray
    rep: np.ndarray
    habit: np.ndarray
    amount: np.ndarray
    terms: np.ndarray
    due: np.ndarray

    def __len__(self) -> int:
        return len(self.day)


@dataclass(frozen=True)
class _Disputes:
    """Per invoice: whether (and when) it is disputed once or twice, and how it ends."""

    disputed: np.ndarray
    opened: np.ndarray
    resolved: np.ndarray
    stays_open: np.ndarray
    second: np.ndarray
    opened2: np.ndarray
    resolved2: np.ndarray
    settled: np.ndarray  # disputed and resolved
    last_resolved: np.ndarray


@dataclass(frozen=True)
class _Settlement:
    """Per invoice: how its amount is settled (cents) and when the last payment lands."""

    has_credit: np.ndarray
    credit: np.ndarray
    credit_day: np.ndarray
    takes_disc: np.ndarray
    discount: np.ndarray
    written_off: np.ndarray
    write_off: np.ndarray
    wo_day: np.ndarray
    cash: np.ndarray
    target: np.ndarray
    n_pay: np.ndarray


def generate(
    n_invoices: int = 3000,
    seed: int = 7,
    start: date = date(2024, 11, 1),
    months: int = 24,
    part2: bool = True,
) -> dict[str, pd.DataFrame]:
    """The seven input tables, as string columns in the contract's column order.

    ``n_invoices`` invoices are dated over ``months`` months from ``start``;
    payments, adjustments and disputes follow them up to the as-of date
    (``AS_OF_TAIL_DAYS`` after the window). The same arguments always give the
    same tables.
    """
    if n_invoices < 1:
        raise ValueError(f"n_invoices must be at least 1, got {n_invoices}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    rng = np.random.default_rng(seed)  # every draw below comes from it, in a fixed order
    span = (add_months(start, months) - start).days  # invoice days are 0 .. span - 1
    as_of = span + AS_OF_TAIL_DAYS  # last day (offset from start) with events

    reps, n_reps = _reps(rng, n_invoices)
    customers, owner, habit_of, segment_of, volume_of = _customers(rng, n_invoices, n_reps)
    inv = _invoices(rng, n_invoices, start, span, (owner, habit_of, segment_of, volume_of))
    disp = _dispute_plan(rng, inv)
    settle = _settlement(rng, inv, disp)
    payments = _payments(rng, settle.n_pay, settle.cash, settle.target, inv.day, as_of)
    adjustments = _adjustments(
        [
            (settle.takes_disc, settle.target, "discount", settle.discount),
            (settle.has_credit, settle.credit_day, "credit_note", settle.credit),
            (settle.written_off, settle.wo_day, "write_off", settle.write_off),
        ],
        as_of,
    )
    n = len(inv)
    disputes = _disputes(
        [(disp.disputed, disp.opened, disp.resolved, disp.stays_open),
         (disp.second, disp.opened2, disp.resolved2, np.zeros(n, bool))],
        as_of,
    )
    splits = _splits(rng, inv.rep, n_reps)
    events = {"payments": payments, "adjustments": adjustments, "disputes": disputes,
              "splits": splits}
    tables = _tables(start, as_of, reps, customers, inv, events)
    # part 2 from its own generator, so part 1's draws (and their files) stay as they were
    if not part2:  # part 1 only: the new tables empty (a store or peer without part 2)
        return tables
    return over_time(np.random.default_rng([seed, 2]), tables, start, as_of)


def _invoices(rng: np.random.Generator, n: int, start: date, span: int,
              book: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> _Invoices:
    """Invoices on business days, to customers by volume, amounts by segment, with terms."""
    owner, habit_of, segment_of, volume_of = book
    inv = np.sort(rng.integers(0, span, n))
    weekday = (start.weekday() + inv) % 7  # invoices go out on business days
    inv = np.clip(inv - (weekday == 5) + (weekday == 6), 0, span - 1)
    cust = rng.choice(len(owner), size=n, p=volume_of)
    segment = segment_of[cust]
    median = np.asarray(SEGMENT_MEDIAN_CENTS, dtype=np.float64)[segment]
    amount = np.rint(median * np.exp(AMOUNT_SIGMA * rng.standard_normal(n))).astype(np.int64)
    amount = np.clip(amount, MIN_AMOUNT_CENTS, MAX_AMOUNT_CENTS)
    terms = np.asarray(TERMS, dtype=np.int64)[rng.choice(len(TERMS), size=n, p=TERMS_WEIGHTS)]
    return _Invoices(day=inv, cust=cust, rep=owner[cust], habit=habit_of[cust], amount=amount,
                     terms=terms, due=inv + terms)


def _dispute_plan(rng: np.random.Generator, inv: _Invoices) -> _Disputes:
    """Which invoices are disputed (once or twice), when, and whether it is resolved."""
    n, habit, terms = len(inv), inv.habit, inv.terms
    disputed = rng.random(n) < np.where(habit == DISPUTING, DISPUTE_RATE[True], DISPUTE_RATE[False])
    d_open = inv.day + rng.integers(0, terms + 16)
    d_res = d_open + rng.integers(10, 61, n)
    stays_open = disputed & (rng.random(n) < STAYS_OPEN)
    second = disputed & (rng.random(n) < SECOND_DISPUTE)
    d2_open = d_open + rng.integers(3, 31, n)  # may overlap the first one
    d2_res = d2_open + rng.integers(10, 61, n)
    return _Disputes(disputed=disputed, opened=d_open, resolved=d_res, stays_open=stays_open,
                     second=second, opened2=d2_open, resolved2=d2_res,
                     settled=disputed & ~stays_open,
                     last_resolved=np.where(second, np.maximum(d_res, d2_res), d_res))


def _settlement(rng: np.random.Generator, inv: _Invoices, disp: _Disputes) -> _Settlement:
    """The amount split into credit note, discount, cash, write-off and what stays unpaid."""
    n, habit, amount = len(inv), inv.habit, inv.amount
    has_credit = (disp.settled & (rng.random(n) < 0.45)) | (rng.random(n) < CREDIT_NOTE_RATE)
    credit = np.where(has_credit, amount * rng.integers(5, 31, n) // 100, 0)
    credit_day = np.where(disp.settled, disp.last_resolved, inv.day + rng.integers(2, 46, n))
    net = amount - credit

    takes_disc = (habit == PROMPT) & ~disp.disputed & (rng.random(n) < DISCOUNT_TAKERS)
    discount = np.where(takes_disc, (net * DISCOUNT_PCT + 50) // 100, 0)  # 2%, half up

    outcome = rng.choice(4, size=n, p=DEFAULT_OUTCOME_WEIGHTS)
    defaulting = (habit == DEFAULTING) & ~disp.stays_open
    partial_wo = defaulting & (outcome == DEF_PARTIAL_WO)
    pays_nothing = defaulting & ((outcome == DEF_NONE_WO) | (outcome == DEF_NONE_OPEN))
    written_off = partial_wo | (defaulting & (outcome == DEF_NONE_WO))

    cash = net - discount
    cash = np.where(partial_wo, net * rng.integers(20, 71, n) // 100, cash)
    cash = np.where(pays_nothing, 0, cash)
    open_part = net * rng.integers(30, 81, n) // 100  # undisputed part paid during a dispute
    cash = np.where(disp.stays_open, np.where(rng.random(n) < 0.5, open_part, 0), cash)

    target = _payment_day(rng, inv, disp, takes_disc, outcome)
    wo_day = inv.day + rng.integers(120, 401, n)
    wo_day = np.where(cash > 0, np.maximum(wo_day, target + 14), wo_day)

    n_pay = rng.choice(3, size=n, p=INSTALMENT_WEIGHTS) + 1
    n_pay = np.where(takes_disc | disp.stays_open | (cash < 100), 1, n_pay)
    n_pay = np.where(partial_wo, np.minimum(n_pay, 2), n_pay)
    return _Settlement(has_credit=has_credit, credit=credit, credit_day=credit_day,
                       takes_disc=takes_disc, discount=discount, written_off=written_off,
                       write_off=np.where(written_off, net - cash, 0), wo_day=wo_day,
                       cash=cash, target=target, n_pay=np.where(cash > 0, n_pay, 0))


def _payment_day(rng: np.random.Generator, inv: _Invoices, disp: _Disputes,
                 takes_disc: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """When the (last) payment arrives, by habit, after a dispute is resolved."""
    n, habit, terms, due, day = len(inv), inv.habit, inv.terms, inv.due, inv.day
    target = np.select(
        [habit == PROMPT, habit == SLOW, habit == LATE, habit == DISPUTING],
        [
            np.where(
                takes_disc,
                day + rng.integers(1, 11, n),  # "2/10 net 30": paid within 10 days
                day + rng.integers(np.maximum(1, terms * 3 // 10), terms + 1),
            ),
            due + rng.integers(5, 31, n),
            due + rng.integers(30, 121, n),
            due + rng.integers(-5, 21, n),
        ],
        default=np.where(
            outcome == DEF_PAID_LATE, due + rng.integers(45, 151, n), due + rng.integers(0, 91, n)
        ),
    )
    target = np.where(disp.settled,
                      np.maximum(target, disp.last_resolved + rng.integers(0, 16, n)), target)
    target = np.where(disp.stays_open, day + rng.integers(terms // 2, terms + 31), target)
    return np.maximum(target, day)


def _tables(start: date, as_of: int, reps: pd.DataFrame, customers: pd.DataFrame,
            inv: _Invoices, events: dict[str, dict[str, np.ndarray]]) -> dict[str, pd.DataFrame]:
    """Every table as strings: ids numbered, days as dates, cents as amounts."""
    payments, adjustments = events["payments"], events["adjustments"]
    disputes, splits = events["disputes"], events["splits"]
    last_day = int(max(inv.due.max(), as_of)) + 1
    day_str = (np.datetime64(start, "D") + np.arange(last_day)).astype(str).astype(object)
    inv_ids = _ids("I", len(inv), 6)
    rep_ids = reps["rep_id"].to_numpy(dtype=object)
    cust_ids = customers["customer_id"].to_numpy(dtype=object)
    pay_ids = _ids("P", len(payments["inv"]), 7)
    rev = payments["reverses"]
    tables = {
        "reps": reps,
        "customers": customers,
        "invoices": _frame("invoices", inv_ids, cust_ids[inv.cust], rep_ids[inv.rep],
                           day_str[inv.day], day_str[inv.due], _money(inv.amount)),
        "splits": _frame("splits", inv_ids[splits["inv"]], rep_ids[splits["rep"]], splits["share"]),
        "payments": _frame("payments", pay_ids, inv_ids[payments["inv"]],
                           day_str[payments["day"]], _money(payments["cents"]),
                           np.where(rev >= 0, pay_ids[np.maximum(rev, 0)], "")),
        "adjustments": _frame("adjustments", _ids("A", len(adjustments["inv"]), 7),
                              inv_ids[adjustments["inv"]], day_str[adjustments["day"]],
                              adjustments["kind"], _money(adjustments["cents"])),
        "disputes": _frame(
            "disputes", _ids("D", len(disputes["inv"]), 6), inv_ids[disputes["inv"]],
            day_str[disputes["open"]],
            np.where(disputes["res"] >= 0, day_str[np.maximum(disputes["res"], 0)], "")),
    }
    return {name: tables.get(name, _frame(name)) for name in COLUMNS}


# --- part 2: plans over time --------------------------------------------------------------

#: the shipped part 2 plans the sample uses
ACCELERATOR, DRAW, OVERRIDE, COLLECTED = ("collected-quota-accelerator", "new-rep-draw",
                                          "manager-override", "collected-40day")


def over_time(rng: np.random.Generator, t: dict[str, pd.DataFrame], start: date, as_of: int
              ) -> dict[str, pd.DataFrame]:
    """Plan changes, quarterly quotas, draws, an override, recoveries and manual lines.

    - the first invoiced rep moves to a collected plan at the first year start;
    - two reps move to the quarterly-quota accelerator plan at the same year start,
      with a quota for every quarter from then on (90% of their average quarterly
      invoicing, in thousands);
    - the last two reps are new reps on a recoverable draw; the first manager earns an
      override on the team's collections;
    - about a third of the write-offs are partly recovered (a write_off_reversal of
      half the amount, then the cash 10 days later);
    - one manual line a quarter (a SPIFF), and a correction now and then.
    """
    reps, inv = t["reps"].copy(), t["invoices"]
    day0 = np.datetime64(start, "D")
    as_of_day = day0 + as_of
    plan = reps["plan_id"].to_numpy(dtype=object)
    managers = np.unique(reps["manager_id"][reps["manager_id"] != ""].to_numpy(dtype=object))
    is_mgr = reps["rep_id"].isin(managers).to_numpy()
    kept = np.zeros(len(plan), dtype=bool)  # the first rep of each part 1 plan stays on it
    kept[np.unique(plan, return_index=True)[1]] = True
    pool = np.flatnonzero(~is_mgr & ~kept)
    plan[pool[-2:]] = DRAW
    bosses = np.flatnonzero(is_mgr & ~kept)
    if len(bosses):
        plan[bosses[0]] = OVERRIDE
    reps["plan_id"] = plan
    year_start = np.datetime64(f"{start.year + 1}-01-01", "D")
    movers = np.flatnonzero(plan == "invoiced-traditional")[:1]
    accelerated = pool[:2]  # onto the accelerator at the same year start
    who = np.concatenate([movers, accelerated])
    assignments = _frame("plan_assignments", reps["rep_id"].to_numpy(dtype=object)[who],
                         np.array([COLLECTED] * len(movers) + [ACCELERATOR] * len(accelerated),
                                  dtype=object),
                         np.full(len(who), str(year_start), dtype=object))
    quotas = _quotas(reps, inv, accelerated, year_start, as_of_day)
    adjustments, payments = _recoveries(rng, t["adjustments"], t["payments"], as_of_day)
    manual = _manual(rng, reps["rep_id"].to_numpy(dtype=object), day0, as_of_day)
    return {**t, "reps": reps, "adjustments": adjustments, "payments": payments,
            "plan_assignments": assignments, "quotas": quotas,
            "commission_adjustments": manual}


def _quotas(reps: pd.DataFrame, inv: pd.DataFrame, who: np.ndarray, day0: np.datetime64,
            as_of: np.datetime64) -> pd.DataFrame:
    """A quota for each of ``who`` in every quarter from the first to the as-of date."""
    first, last = (int(quarter_of(month_index(np.array([d])))[0]) for d in (day0, as_of))
    quarters = np.arange(first, max(first, last) + 1)
    labels = quarter_label(quarters)
    rep_ids = reps["rep_id"].to_numpy(dtype=object)[who]
    cents = pd.Series(inv["amount"].str.replace(".", "", regex=False).astype(np.int64).to_numpy())
    per_rep = cents.groupby(inv["rep_id"].to_numpy()).sum()
    quota = [max(100_000, int(per_rep.get(r, 0)) * 9 // 10 // len(quarters) // 100_000 * 100_000)
             for r in rep_ids]  # a few reps
    if as_of < day0:  # the window ends before the year start: nobody is on the plan yet
        return _frame("quotas")
    return _frame("quotas", np.repeat(rep_ids, len(quarters)),
                  np.tile(labels, len(rep_ids)),
                  _money(np.repeat(np.array(quota, dtype=np.int64), len(quarters))))


def _recoveries(rng: np.random.Generator, adj: pd.DataFrame, pay: pd.DataFrame,
                as_of: np.datetime64) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Half of some write-offs reinstated 20-80 days later, the cash paid 10 days after."""
    wo = adj[adj["kind"] == "write_off"]
    day = wo["adjustment_date"].to_numpy(dtype="datetime64[D]")
    back = day + rng.integers(20, 81, len(wo))
    paid_day = back + 10
    pick = (rng.random(len(wo)) < 0.35) & (paid_day <= as_of)
    wo, back, paid_day = wo[pick], back[pick], paid_day[pick]
    cents = wo["amount"].str.replace(".", "", regex=False).astype(np.int64).to_numpy() // 2
    keep = cents > 0
    wo, back, paid_day, cents = wo[keep], back[keep], paid_day[keep], cents[keep]
    if not len(wo):
        return adj, pay
    n_adj, n_pay = len(adj), len(pay)
    width_a, width_p = len(adj["adjustment_id"].iloc[0]) - 1 if n_adj else 7, \
        len(pay["payment_id"].iloc[0]) - 1 if n_pay else 7
    wor = _frame("adjustments", np.strings.add("A", np.char.zfill(
        np.arange(n_adj + 1, n_adj + len(wo) + 1).astype(str), width_a)).astype(object),
        wo["invoice_id"].to_numpy(dtype=object), back.astype(str).astype(object),
        np.full(len(wo), "write_off_reversal", dtype=object), _money(cents),
        wo["adjustment_id"].to_numpy(dtype=object))
    cash = _frame("payments", np.strings.add("P", np.char.zfill(
        np.arange(n_pay + 1, n_pay + len(wo) + 1).astype(str), width_p)).astype(object),
        wo["invoice_id"].to_numpy(dtype=object), paid_day.astype(str).astype(object),
        _money(cents), np.full(len(wo), "", dtype=object))
    return (_renumber(pd.concat([adj, wor], ignore_index=True), "adjustment_id",
                      "adjustment_date", "A", "reverses_adjustment_id"),
            _renumber(pd.concat([pay, cash], ignore_index=True), "payment_id", "payment_date",
                      "P", "reverses_payment_id"))


def _renumber(frame: pd.DataFrame, id_col: str, date_col: str, prefix: str, ref_col: str
              ) -> pd.DataFrame:
    """Rows in date order (stable), ids numbered in that order, references following."""
    out = frame.iloc[np.argsort(
        frame[date_col].to_numpy(dtype=str), kind="stable")].reset_index(drop=True)
    new = _ids(prefix, len(out), len(str(out[id_col].iloc[0])) - 1)
    old_to_new = pd.Series(new, index=out[id_col].to_numpy(dtype=object))
    ref = out[ref_col].to_numpy(dtype=object)
    named = ref != ""
    ref[named] = old_to_new.loc[ref[named]].to_numpy(dtype=object)
    return out.assign(**{id_col: new, ref_col: ref})


def _manual(rng: np.random.Generator, rep_ids: np.ndarray, day0: np.datetime64,
            as_of: np.datetime64) -> pd.DataFrame:
    """One SPIFF a quarter for a random rep, and a correction every fifth quarter."""
    months = np.arange(month_index(np.array([day0]))[0], month_index(np.array([as_of]))[0] + 1)
    quarter_ends = months[months % 3 == 2]
    day = (quarter_ends + 1).astype("datetime64[M]").astype("datetime64[D]") - 5
    who = rep_ids[rng.integers(0, len(rep_ids), len(day))]
    amount = np.where(np.arange(len(day)) % 5 == 4, -7_500, 25_000)
    label = quarter_label(quarter_of(quarter_ends))
    reason = np.where(amount > 0, np.strings.add("SPIFF: new-logo bonus, ", label.astype(str)),
                      np.strings.add("correction: duplicate SPIFF reversed, ",
                                     label.astype(str))).astype(object)
    keep = day <= as_of
    return _frame("commission_adjustments", _ids("M", int(keep.sum()), 4),
                  who[keep], day[keep].astype(str).astype(object), _money(amount[keep]),
                  reason[keep])


def write_sample(out_dir: str | Path, n_invoices: int = 3000, seed: int = 7,
                 part2: bool = True) -> dict[str, int]:
    """Write the seven CSV files of :func:`generate` into ``out_dir``; rows per table.

    The files are written into a temporary folder inside ``out_dir`` first and
    moved into place only once all of them are complete.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate(n_invoices=n_invoices, seed=seed, part2=part2)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=out))
    try:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        for name in tables:
            os.replace(tmp / f"{name}.csv", out / f"{name}.csv")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: len(frame) for name, frame in tables.items()}


# --- people ---------------------------------------------------------------------------


def _reps(rng: np.random.Generator, n_invoices: int) -> tuple[pd.DataFrame, int]:
    n = max(12, n_invoices // 2500)
    first, last, dup = _combos(rng, n, FIRST_NAMES, LAST_NAMES)
    suffix = np.where(dup > 0, (dup + 1).astype(str).astype(object), "")
    name = first + " " + last + np.where(dup > 0, " " + suffix, "")
    email = _lower(first) + "." + _lower(last) + suffix + "@example.com"

    n_managers = int(rng.integers(2, 4)) if n < 24 else n // 8
    order = rng.permutation(n)
    managers, others = order[:n_managers], order[n_managers:]
    manager_of = np.full(n, -1)
    manager_of[others] = managers[np.arange(len(others)) % n_managers]
    rep_ids = _ids("R", n, 3)
    manager_id = np.where(manager_of >= 0, rep_ids[np.maximum(manager_of, 0)], "")
    plan = np.asarray(PLAN_IDS, dtype=object)[rng.permutation(np.arange(n) % len(PLAN_IDS))]
    return _frame("reps", rep_ids, name, email, manager_id, plan), n


def _customers(
    rng: np.random.Generator, n_invoices: int, n_reps: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers, and per customer: owner rep, habit, segment and share of the invoices."""
    n = max(30, n_invoices // 12)
    word, trade, form, dup = _combos(rng, n, COMPANY_WORDS, COMPANY_TRADES, COMPANY_FORMS)
    # beyond the plain combinations: "Atlas Foods of Lyon Ltd", then "... of Lyon 2 Ltd"
    city = np.asarray(CITIES, dtype=object)[np.maximum(dup - 1, 0) % len(CITIES)]
    rank = (np.maximum(dup - 1, 0) // len(CITIES) + 1).astype(str).astype(object)
    where = np.where(dup > len(CITIES), " of " + city + " " + rank, " of " + city)
    name = word + " " + trade + np.where(dup > 0, where, "") + " " + form
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_WEIGHTS)
    # every habit shows up, even in a small sample
    habit = rng.permutation(
        np.concatenate(
            [np.arange(len(HABITS)), rng.choice(len(HABITS), n - len(HABITS), p=HABIT_WEIGHTS)]
        )
    )
    owner = rng.permutation(np.arange(n) % n_reps)
    volume = rng.lognormal(0.0, 0.8, n)
    frame = _frame("customers", _ids("C", n, 4), name, np.asarray(SEGMENTS, dtype=object)[segment])
    return frame, owner, habit, segment, volume / volume.sum()


def _combos(rng: np.random.Generator, n: int, *choices: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """``n`` distinct combinations of one value of each of ``choices``, plus a repeat count.

    The repeat count is 0 until every combination is used, then 1, 2, ...
    """
    sizes = [len(c) for c in choices]
    combos = int(np.prod(sizes))
    code = rng.permutation(max(combos, n))[:n]
    picked = []
    rest = code % combos
    for values, size in zip(choices, sizes, strict=True):
        picked.append(np.asarray(values, dtype=object)[rest % size])
        rest = rest // size
    return (*picked, code // combos)


def _lower(values: np.ndarray) -> np.ndarray:
    return np.asarray([v.lower() for v in values], dtype=object)


# --- events ---------------------------------------------------------------------------


def _payments(
    rng: np.random.Generator,
    n_pay: np.ndarray,
    cash: np.ndarray,
    target: np.ndarray,
    inv: np.ndarray,
    as_of: int,
) -> dict[str, np.ndarray]:
    """Instalments, bounces (reversal + payment again), sorted by date; ``reverses`` is a row."""
    total = int(n_pay.sum())
    row_inv = np.repeat(np.arange(len(n_pay)), n_pay)
    first_row = np.repeat(np.cumsum(n_pay) - n_pay, n_pay)
    seq = np.arange(total) - first_row
    k = n_pay[row_inv]

    # Cumulative share of the cash paid after each instalment (integer percentages).
    n = len(n_pay)
    cut1 = np.where(n_pay == 2, rng.integers(25, 76, n), rng.integers(20, 46, n))[row_inv]
    cut2 = rng.integers(55, 81, n)[row_inv]
    pct_before = np.select([seq == 0, seq == 1], [0, cut1], default=cut2)
    pct_after = np.select([seq == k - 1, seq == 0, seq == 1], [100, cut1, cut2], default=100)
    c = cash[row_inv]
    cents = c * pct_after // 100 - c * pct_before // 100

    # The last instalment lands on the target date, earlier ones 7-35 days apart before it,
    # squeezed in between the invoice date and the target when they do not fit.
    gap = np.where(seq == 0, 0, rng.integers(7, 36, total))
    cum_gap = np.cumsum(gap)
    group_gap = np.add.reduceat(gap, np.flatnonzero(seq == 0)) if total else gap
    group_gap = np.repeat(group_gap, n_pay[n_pay > 0])
    before_last = group_gap - (cum_gap - cum_gap[first_row])
    room = target[row_inv] - inv[row_inv]
    before_last = np.where(
        group_gap > room, before_last * room // np.maximum(group_gap, 1), before_last
    )
    day = target[row_inv] - before_last

    bounced = np.flatnonzero(rng.random(total) < BOUNCE_RATE)
    rev_day = day[bounced] + rng.integers(3, 21, len(bounced))
    again_day = rev_day + rng.integers(2, 31, len(bounced))
    nb = len(bounced)
    all_inv = np.concatenate([row_inv, row_inv[bounced], row_inv[bounced]])
    all_day = np.concatenate([day, rev_day, again_day])
    all_cents = np.concatenate([cents, -cents[bounced], cents[bounced]])
    all_rev = np.concatenate([np.full(total, -1), bounced, np.full(nb, -1)])

    # Not yet happened at the as-of date: dropped (a reversal follows its payment).
    keep = np.flatnonzero(all_day <= as_of)
    order = keep[np.lexsort((keep, all_inv[keep], all_day[keep]))]
    position = np.full(len(all_day), -1)
    position[order] = np.arange(len(order))
    rev = all_rev[order]
    return {
        "inv": all_inv[order],
        "day": all_day[order],
        "cents": all_cents[order],
        "reverses": np.where(rev >= 0, position[np.maximum(rev, 0)], -1),
    }


def _adjustments(
    kinds: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]], as_of: int
) -> dict[str, np.ndarray]:
    """One row per (mask, day, kind, cents) where the mask is set, by date, invoice, kind."""
    inv, day, kind, cents = [], [], [], []
    for rank, (mask, when, _kind, amount) in enumerate(kinds):
        idx = np.flatnonzero(mask & (when <= as_of))
        inv.append(idx)
        day.append(when[idx])
        kind.append(np.full(len(idx), rank))
        cents.append(amount[idx])
    inv_a, day_a, kind_a, cents_a = (np.concatenate(x) for x in (inv, day, kind, cents))
    order = np.lexsort((kind_a, inv_a, day_a))
    names = np.asarray([k[2] for k in kinds], dtype=object)
    return {
        "inv": inv_a[order],
        "day": day_a[order],
        "kind": names[kind_a[order]],
        "cents": cents_a[order],
    }


def _disputes(
    rounds: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], as_of: int
) -> dict[str, np.ndarray]:
    """Dispute rows by opening date; ``res`` is -1 while open (or resolved after as-of)."""
    inv, opened, res, rank = [], [], [], []
    for i, (mask, open_day, res_day, stays_open) in enumerate(rounds):
        idx = np.flatnonzero(mask & (open_day <= as_of))
        inv.append(idx)
        opened.append(open_day[idx])
        res.append(np.where(stays_open[idx] | (res_day[idx] > as_of), -1, res_day[idx]))
        rank.append(np.full(len(idx), i))
    inv_a, open_a, res_a, rank_a = (np.concatenate(x) for x in (inv, opened, res, rank))
    order = np.lexsort((rank_a, inv_a, open_a))
    return {"inv": inv_a[order], "open": open_a[order], "res": res_a[order]}


def _splits(rng: np.random.Generator, rep: np.ndarray, n_reps: int) -> dict[str, np.ndarray]:
    """About SPLIT_RATE of the invoices credited to the owner and one other rep."""
    n = len(rep)
    count = min(n, max(1, round(SPLIT_RATE * n)))
    idx = np.sort(rng.choice(n, size=count, replace=False))
    other = (rep[idx] + rng.integers(1, n_reps, count)) % n_reps
    shares = np.asarray(SPLIT_SHARES, dtype=object)[rng.integers(0, len(SPLIT_SHARES), count)]
    return {
        "inv": np.repeat(idx, 2),
        "rep": np.column_stack([rep[idx], other]).ravel(),
        "share": shares.ravel(),
    }


# --- helpers --------------------------------------------------------------------------


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + 1..n zero-padded to ``width`` digits, or as many as ``n`` has."""
    if n == 0:
        return np.empty(0, dtype=object)
    digits = np.strings.zfill(np.arange(1, n + 1).astype(str), max(width, len(str(n))))
    return np.strings.add(prefix, digits).astype(object)


_TWO_DIGITS = np.asarray([f"{i:02d}" for i in range(100)])


def _money(cents: np.ndarray) -> np.ndarray:
    """int64 cents -> ``"1234.50"`` / ``"-12.00"`` strings, a whole column at once."""
    cents = np.asarray(cents, dtype=np.int64)
    a = np.abs(cents)
    text = np.strings.add(np.strings.add((a // 100).astype(str), "."), _TWO_DIGITS[a % 100])
    if (cents < 0).any():
        text = np.strings.add(np.where(cents < 0, "-", ""), text)
    return text.astype(object)


def _frame(table: str, *columns: np.ndarray) -> pd.DataFrame:
    """A table's text columns; trailing optional columns not given are empty."""
    n = len(columns[0]) if columns else 0
    if not columns:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[table]})
    blank = np.full(n, "", dtype=object)
    names = COLUMNS[table]
    return pd.DataFrame(dict(zip(names, [*columns, *[blank] * (len(names) - len(columns))],
                                 strict=True)))

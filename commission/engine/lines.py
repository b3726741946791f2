"""Events to commission lines, over whole columns.

Each event (invoice, payment, reversal, adjustment) is expanded to one row per
credited rep (splits), priced with the rep's plan, and rounded once per money
figure. No Python loop runs over events or lines: loops here are over plans or
line kinds only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from commission.engine.common import (
    K_CLAWBACK,
    K_COLLECTION,
    K_CREDIT,
    K_INVOICE,
    K_PENALTY,
    K_REVERSAL,
    factorize_rows,
)
from commission.engine.explain import block_explanations
from commission.inputs.tables import ADJUSTMENT_KINDS, SHARE_SCALE, Inputs
from commission.keys import as_arrow, lookup
from commission.money import mul_round
from commission.periods import NOT_PAID, month_index
from commission.plans.lateness import day_numbers, days_late, haircut_num, merged_disputes
from commission.plans.rates import batch_rates, group_volume
from commission.plans.table import SCALE, PlanTable


@dataclass(frozen=True)
class EventPeriods:
    """The period (month number) in which each event is paid, or NOT_PAID."""

    invoices: np.ndarray
    payments: np.ndarray
    adjustments: np.ndarray


@dataclass(frozen=True)
class PriorLines:
    """Rates and haircuts of lines paid by earlier (locked) batches.

    Reversals take r₀ and h₀ from the reversed payment's collection line; credits
    and write-offs take rᵢ from the invoice line, whichever batch made it.
    """

    frame: pd.DataFrame  # line_kind, event_id, rep_id, rate_num, rate_den, haircut_num, days_late

    @classmethod
    def empty(cls) -> PriorLines:
        return cls(pd.DataFrame({c: pd.Series([], dtype=object) for c in
                                 ("line_kind", "event_id", "rep_id", "rate_num", "rate_den",
                                  "haircut_num", "days_late")}))


@dataclass
class RawLines:
    """Lines as integer columns; ``rates`` holds the exact rate each ``ri`` points to."""

    cols: dict[str, np.ndarray]
    rate_num: np.ndarray  # object (Python ints)
    rate_den: np.ndarray
    explanation: pa.Array  # one per line, same order

    def __len__(self) -> int:
        return len(self.cols["amount"])


class _Credited:
    """Which reps are credited on each invoice, with their shares (CSR by invoice position)."""

    def __init__(self, inputs: Inputs, split_pos: np.ndarray):
        inv, sp, reps = inputs.invoices, inputs.splits, inputs.reps
        has_split = np.zeros(len(inv), dtype=bool)
        has_split[split_pos] = True
        own = np.flatnonzero(~has_split)
        inv_pos = np.concatenate([own, split_pos])
        rep = np.concatenate([
            lookup(inv["rep_id"], reps["rep_id"])[own],
            lookup(sp["rep_id"], reps["rep_id"]),
        ])
        share = np.concatenate([np.full(len(own), SHARE_SCALE, dtype=np.int64),
                                sp["share"].to_numpy(dtype=np.int64)])
        order = np.argsort(inv_pos, kind="stable")
        self.inv_pos, self.rep, self.share = inv_pos[order], rep[order], share[order]
        counts = np.bincount(self.inv_pos, minlength=len(inv))
        self.counts = counts
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    def expand(self, event_inv_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(event row, rep code, share) for every credited rep of every event."""
        n = self.counts[event_inv_pos]
        ev = np.repeat(np.arange(len(event_inv_pos)), n)
        first = np.repeat(self.starts[event_inv_pos], n)
        offset = np.arange(len(ev)) - np.repeat(np.cumsum(n) - n, n)
        cr = first + offset
        return ev, self.rep[cr], self.share[cr]


class _PairIndex:
    """Find (a, b) integer pairs among known pairs (first occurrence wins)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, width: int):
        self.width = max(int(width), 1)
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        order = np.argsort(key, kind="stable")
        self.key, self.pos = key[order], order

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Position of each pair among the known ones, -1 where unknown."""
        key = np.asarray(a, dtype=np.int64) * self.width + np.asarray(b, dtype=np.int64)
        i = np.searchsorted(self.key, key, side="left")
        i_ok = np.minimum(i, max(len(self.key) - 1, 0))
        hit = (i < len(self.key)) & (self.key[i_ok] == key) if len(self.key) else i < 0
        return np.where(hit, self.pos[i_ok] if len(self.key) else -1, -1)


def _factor_money(cents: np.ndarray, share: np.ndarray, ri: np.ndarray, f: np.ndarray,
                  rate_num: np.ndarray, rate_den: np.ndarray, rounding: np.ndarray
                  ) -> np.ndarray:
    """round(cents × share × rate × f) per row, f over SCALE; one exact rounding.

    The combined ratio is formed once per distinct (share, rate, f), which are few,
    then applied to every row's cents.
    """
    if len(cents) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, first = factorize_rows(share, ri, f)
    s = share[first].astype(object)
    fn = np.asarray(f)[first].astype(object)
    r = ri[first]
    num = s * rate_num[r] * fn
    den = np.full(len(first), SHARE_SCALE * SCALE, dtype=object) * rate_den[r]
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    num, den = num // g, den // g
    if all(abs(int(x)) < 2**62 for x in (num.max(), num.min(), den.max())):
        num, den = num.astype(np.int64), den.astype(np.int64)
    return mul_round(cents, num[codes], den[codes], rounding)


def build_lines(inputs: Inputs, table: PlanTable, rep_plan: np.ndarray,
                periods: EventPeriods, prior: PriorLines | None = None) -> RawLines:
    """Every commission line for the events that ``periods`` marks as paid.

    ``rep_plan`` is the plan code of each row of ``inputs.reps``. Lines refer to
    events, invoices and reps by row position; ``_lines_frame`` turns them into ids.
    """
    prior = prior or PriorLines.empty()
    reps, inv, pay, adj = inputs.reps, inputs.invoices, inputs.payments, inputs.adjustments
    n_reps = len(reps)
    pay_inv, adj_inv, dispute_inv, split_inv = (
        inputs.positions(name, "invoice_id", "invoices", "invoice_id")
        for name in ("payments", "adjustments", "disputes", "splits"))
    credited = _Credited(inputs, split_inv)
    merged = merged_disputes(inputs.disputes.assign(invoice_id=dispute_inv))

    inv_day = day_numbers(inv["invoice_date"])
    due_day = day_numbers(inv["due_date"])
    inv_amount = inv["amount"].to_numpy(dtype=np.int64)
    p_of = table.p_num  # by plan code

    # -- expand paid events to (event, rep) rows -------------------------------------
    i_rows = np.flatnonzero(periods.invoices != NOT_PAID)
    i_ev, i_rep, i_share = credited.expand(i_rows)
    i_ev = i_rows[i_ev]

    pay_amount = pay["amount"].to_numpy(dtype=np.int64)
    p_rows = np.flatnonzero(periods.payments != NOT_PAID)
    p_ev, p_rep, p_share = credited.expand(pay_inv[p_rows])
    p_ev = p_rows[p_ev]

    a_rows = np.flatnonzero(periods.adjustments != NOT_PAID)
    a_ev, a_rep, a_share = credited.expand(adj_inv[a_rows])
    a_ev = a_rows[a_ev]

    # -- rates per (rep, period) --------------------------------------------------------
    i_code, p_code = rep_plan[i_rep], rep_plan[p_rep]
    invoiced = np.array([p.basis == "invoiced" for p in table.plans], dtype=bool)
    vol_keys = pd.DataFrame({
        "rep": np.concatenate([i_rep, p_rep]),
        "period": np.concatenate([periods.invoices[i_ev], periods.payments[p_ev]]),
    })
    earn = np.concatenate([invoiced[i_code], ~invoiced[p_code]])
    vol_cents = np.concatenate([inv_amount[i_ev], pay_amount[p_ev]])
    vol_share = np.concatenate([i_share, p_share])
    groups = vol_keys.drop_duplicates().sort_values(["rep", "period"], ignore_index=True)
    volume = group_volume(vol_keys[earn], vol_cents[earn], vol_share[earn])
    groups["volume"] = volume.reindex(
        pd.MultiIndex.from_frame(groups[["rep", "period"]]), fill_value=0).to_numpy(dtype=object)
    g_num, g_den = batch_rates(groups, rep_plan[groups["rep"].to_numpy()], table)
    p0 = int(groups["period"].min()) if len(groups) else 0
    group_index = _PairIndex(groups["rep"].to_numpy(), groups["period"].to_numpy() - p0,
                             (int(groups["period"].max()) - p0 + 1) if len(groups) else 1)

    def rate_of(rep: np.ndarray, period: np.ndarray) -> np.ndarray:
        return group_index.find(rep, period - p0)

    rate_num, rate_den = [int(x) for x in g_num], [int(x) for x in g_den]

    def add_rates(nums, dens) -> np.ndarray:
        """Append exact rates (deduplicated) and return each one's index."""
        if len(nums) == 0:
            return np.zeros(0, dtype=np.int64)
        text = pd.Series([f"{int(n)}/{int(d)}" for n, d in zip(nums, dens, strict=True)]
                         ) if len(nums) < 64 else (
            pd.Series(nums).astype(str) + "/" + pd.Series(dens).astype(str))
        codes, uniq = pd.factorize(text)
        start = len(rate_num)
        for t in uniq:
            n, d = t.split("/")
            rate_num.append(int(n))
            rate_den.append(int(d))
        return start + codes.astype(np.int64)

    # penalty rates (one entry per plan) and a zero rate for "no invoice line"
    start_pen = len(rate_num)
    rate_num.extend(int(x) for x in table.penalty_num)
    rate_den.extend([SCALE] * len(table.plans))
    pen_ri = np.arange(start_pen, start_pen + len(table.plans))
    zero_ri = len(rate_num)
    rate_num.append(0)
    rate_den.append(1)

    out: list[dict[str, np.ndarray]] = []

    def emit(kind: int, ev_row: np.ndarray, inv_pos: np.ndarray, day: np.ndarray,
             period: np.ndarray, rep: np.ndarray, base: np.ndarray, share: np.ndarray,
             ri: np.ndarray, late: np.ndarray, h: np.ndarray, gross: np.ndarray,
             haircut: np.ndarray, event_month: np.ndarray, ref: np.ndarray | None = None,
             adj_kind: np.ndarray | None = None, gap: np.ndarray | None = None) -> None:
        n = len(rep)
        none = np.full(n, -1, dtype=np.int64)
        i32 = np.int32  # positions, days, shares and haircuts fit: less memory to move
        out.append({
            "kind": np.full(n, kind, dtype=np.int8), "ev_row": ev_row.astype(i32),
            "inv_pos": inv_pos.astype(i32), "event_day": day.astype(i32),
            "period": period.astype(i32), "rep": rep.astype(i32), "plan": rep_plan[rep],
            "base_amount": base, "share": share.astype(i32), "ri": ri.astype(i32),
            "days_late": late.astype(i32), "h": h.astype(i32),
            "gross": gross, "haircut": haircut, "amount": gross - haircut,
            "event_month": event_month, "ref": none if ref is None else ref,
            "adj": none if adj_kind is None else adj_kind,
            "inv_gap": np.zeros(n, np.int64) if gap is None else gap,
        })

    rounding = table.half_even

    def rates() -> tuple[np.ndarray, np.ndarray]:
        return np.array(rate_num, dtype=object), np.array(rate_den, dtype=object)

    # -- invoice lines --------------------------------------------------------------------
    keep = p_of[i_code] > 0
    ev, rep, share, code = i_ev[keep], i_rep[keep], i_share[keep], i_code[keep]
    per = periods.invoices[ev]
    ri = rate_of(rep, per)
    rn, rd = rates()
    money = _factor_money(inv_amount[ev], share, ri, p_of[code], rn, rd, rounding[code])
    inv_lines = (ev, rep, ri)
    none = np.full(len(ev), -1, dtype=np.int64)
    emit(K_INVOICE, ev, ev, inv_day[ev], per, rep, inv_amount[ev], share, ri, none, none, money,
         np.zeros(len(ev), np.int64), month_index(inv["invoice_date"].to_numpy()[ev]))

    # -- collection lines -----------------------------------------------------------------
    pos = pay_amount[p_ev] > 0
    keep = pos & ((p_of[p_code] < SCALE) | table.has_late[p_code])
    ev, rep, share, code = p_ev[keep], p_rep[keep], p_share[keep], p_code[keep]
    per = periods.payments[ev]
    ip = pay_inv[ev]
    pay_day = day_numbers(pay["payment_date"])
    late = days_late(code, table, inv_day[ip], due_day[ip], pay_day[ev], ip, merged)
    late = np.where(table.has_late[code], late, -1)
    h = np.where(table.has_late[code], haircut_num(code, table, np.maximum(late, 0)), -1)
    ri = rate_of(rep, per)
    c = pay_amount[ev]
    gross = _factor_money(c, share, ri, SCALE - p_of[code], rn, rd, rounding[code])
    cut = _factor_money(c, share, ri, np.maximum(h, 0), rn, rd, rounding[code])
    pay_month = month_index(pay["payment_date"].to_numpy())
    emit(K_COLLECTION, ev, ip, pay_day[ev], per, rep, c, share, ri, late, h, gross, cut,
         pay_month[ev])
    coll = (ev, rep, ri, h, late)

    # -- reversal lines: at the reversed payment's r₀ and h₀ --------------------------------
    neg = ~pos
    ev, rep, share, code = p_ev[neg], p_rep[neg], p_share[neg], p_code[neg]
    if len(ev):
        orig = inputs.positions("payments", "reverses_payment_id", "payments",
                                "payment_id")[ev]
        pr = prior.frame[prior.frame["line_kind"] == "collection"]
        known = [np.concatenate([a, b]) for a, b in zip(coll, (
            lookup(pr["event_id"], pay["payment_id"]), lookup(pr["rep_id"], reps["rep_id"]),
            add_rates(list(pr["rate_num"]), list(pr["rate_den"])),
            pr["haircut_num"].to_numpy(dtype=np.int64), pr["days_late"].to_numpy(dtype=np.int64),
        ), strict=True)]
        at = _PairIndex(known[0], known[1], n_reps).find(orig, rep)
        found = at >= 0
        ev, rep, share, code, orig, at = (ev[found], rep[found], share[found], code[found],
                                          orig[found], at[found])
        ri, h0, late0 = known[2][at], known[3][at], known[4][at]
        x = -pay_amount[ev]
        rn, rd = rates()
        gross = -_factor_money(x, share, ri, SCALE - p_of[code], rn, rd, rounding[code])
        cut = -_factor_money(x, share, ri, np.maximum(h0, 0), rn, rd, rounding[code])
        emit(K_REVERSAL, ev, pay_inv[ev], pay_day[ev], periods.payments[ev], rep,
             pay_amount[ev], share, ri, late0, h0, gross, cut, pay_month[ev], ref=orig)

    # -- adjustments: credits, clawbacks, penalties -----------------------------------------
    if len(a_ev):
        a_code = rep_plan[a_rep]
        kind = pd.Index(ADJUSTMENT_KINDS).get_indexer(adj["kind"].take(a_ev))
        ip = adj_inv[a_ev]
        x = adj["amount"].to_numpy(dtype=np.int64)[a_ev]
        a_day = day_numbers(adj["adjustment_date"])[a_ev]
        per = periods.adjustments[a_ev]
        a_month = month_index(adj["adjustment_date"].to_numpy())[a_ev]
        # rᵢ: the invoice line of this run, else of an earlier batch, else 0
        pr = prior.frame[prior.frame["line_kind"] == "invoice"]
        known = [np.concatenate([a, b]) for a, b in zip(inv_lines, (
            lookup(pr["event_id"], inv["invoice_id"]), lookup(pr["rep_id"], reps["rep_id"]),
            add_rates(list(pr["rate_num"]), list(pr["rate_den"])),
        ), strict=True)]
        at = _PairIndex(known[0], known[1], n_reps).find(ip, a_rep)
        ri_i = np.where(at >= 0, known[2][np.maximum(at, 0)] if len(known[2]) else zero_ri,
                        zero_ri)
        rn, rd = rates()
        p = p_of[a_code]
        zero = np.zeros(len(a_ev), np.int64)
        none = np.full(len(a_ev), -1, dtype=np.int64)
        gap = a_day - inv_day[ip]
        in_window = (table.window[a_code] < 0) | (gap <= table.window[a_code])
        is_credit = (kind == ADJUSTMENT_KINDS.index("credit_note")) | (
            kind == ADJUSTMENT_KINDS.index("discount"))
        is_wo = (kind == ADJUSTMENT_KINDS.index("write_off")) & in_window
        for k, rows, ri, f in (
            (K_CREDIT, is_credit & (p > 0), ri_i, p),
            (K_CLAWBACK, is_wo & (p > 0), ri_i, p),
            (K_PENALTY, is_wo & (table.penalty_num[a_code] > 0), pen_ri[a_code],
             np.full(len(a_ev), SCALE, dtype=np.int64)),
        ):
            if not rows.any():
                continue
            money = -_factor_money(x[rows], a_share[rows], ri[rows], f[rows], rn, rd,
                                   rounding[a_code[rows]])
            emit(k, a_ev[rows], ip[rows], a_day[rows], per[rows], a_rep[rows], x[rows],
                 a_share[rows], ri[rows], none[rows], none[rows], money, zero[rows],
                 a_month[rows], adj_kind=kind[rows], gap=gap[rows])

    rn, rd = rates()
    pay_ids = as_arrow(pay["payment_id"])
    # the words are mostly Arrow kernels, which release the GIL: word the blocks on a
    # second core while this one gathers the columns into their final order
    with ThreadPoolExecutor(max_workers=2) as pool:
        words_of = [pool.submit(block_explanations, o, rn, rd, table, pay_ids) for o in out]
        # words-only and derived columns are not carried into the final order
        derived = ("ref", "adj", "inv_gap", "plan", "event_month", "amount")
        cols = {k: np.concatenate([o[k] for o in out]) for k in out[0] if k not in derived}
        # by period, then rep; within a rep's month, by kind, then in event order
        # (blocks are made kind by kind in event order, and the sort is stable)
        p_min = int(cols["period"].min()) if len(cols["period"]) else 0
        key = (cols["period"] - p_min) * max(n_reps, 1) + cols["rep"]
        order = np.argsort(key, kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        cols["plan"] = rep_plan[cols["rep"]]
        cols["event_month"] = month_index(cols["event_day"].astype("datetime64[D]"))
        cols["amount"] = cols["gross"] - cols["haircut"]
        words = pa.concat_arrays([w.result() for w in words_of])
    return RawLines(cols, rn, rd, words.take(pa.array(order)))

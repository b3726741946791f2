"""Each line explained in words, e.g. "5% of 3,000.00 collected on 2026-03-20, 48 days late:
10% haircut".

Built for millions of lines: the parts that take few values (rate, date, lateness,
plan) are worded once per distinct combination; only the amount is formatted per
line, with Arrow string kernels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..money import cents_text, ratio_to_decimal_str
from ..tables import SHARE_SCALE
from .lines import (
    K_CLAWBACK,
    K_COLLECTION,
    K_CREDIT,
    K_INVOICE,
    K_PENALTY,
    K_REVERSAL,
    factorize_rows,
)
from .params import SCALE, PlanTable


def pct(num: int, den: int) -> str:
    """An exact ratio as a percentage: 1/20 -> '5%', 7/150 -> '4.66666667%'."""
    return ratio_to_decimal_str(int(num) * 100, int(den), places=8) + "%"


def _date(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


_KIND_WORD = {"credit_note": "credit note", "discount": "early-payment discount",
              "write_off": "write-off"}


def explanations(frame: pd.DataFrame, cols: dict[str, np.ndarray], table: PlanTable,
                 refs: np.ndarray, adj_kind: np.ndarray) -> pd.Series:
    """The explanation of every line of ``frame`` (same order).

    ``refs`` is, per line, the reversed payment's id (reversals) or '' ; ``adj_kind``
    the adjustment kind (adjustment lines) or ''.
    """
    n = len(frame)
    if n == 0:
        return pd.Series([], dtype=object)
    kind = cols["kind"]
    plan = cols["plan"]
    share = cols["share"]
    rate_num = frame["rate_num"].to_numpy()
    rate_den = frame["rate_den"].to_numpy()
    # the rate's index into the distinct rates, to keep combinations few
    rate_key = pd.factorize(frame["rate"].to_numpy(dtype=object))[0]
    late, h, day, gap = cols["days_late"], cols["h"], cols["event_day"], cols["inv_gap"]
    codes, first = factorize_rows(kind, plan, share, rate_key, day, late, h, refs, adj_kind, gap)
    heads, tails = [], []
    for j in first:  # one line per distinct combination
        head, tail = _words(int(kind[j]), table, int(plan[j]), int(share[j]),
                            pct(rate_num[j], rate_den[j]), int(day[j]), int(late[j]), int(h[j]),
                            refs[j], adj_kind[j], int(gap[j]))
        heads.append(head)
        tails.append(tail)
    amount_text = cents_text(np.abs(frame["base_amount"].to_numpy(dtype=np.int64)))
    code_arr = pa.array(codes)
    out = pc.binary_join_element_wise(pa.array(heads, pa.string()).take(code_arr), amount_text,
                                      pa.array(tails, pa.string()).take(code_arr), "")
    return pd.Series(out.to_numpy(zero_copy_only=False), index=frame.index, dtype=object)


def _words(kind: int, table: PlanTable, plan: int, share: int, rate: str, day: int,
           late: int, h: int, ref: str, adj: str, gap: int) -> tuple[str, str]:
    """(text before the amount, text after it) for one combination."""
    of = "" if share == SHARE_SCALE else f"{pct(share, SHARE_SCALE)} share of "
    date = _date(day)
    p = int(table.p_num[plan])
    basis = table.plans[plan].basis
    if kind == K_INVOICE:
        tail = f" invoiced on {date}"
        if basis == "advance":
            tail += f", {pct(p, SCALE)} advanced at invoicing"
        return f"{rate} of {of}", tail
    if kind == K_COLLECTION:
        tail = f" collected on {date}"
        if basis == "advance":
            tail += f", {pct(SCALE - p, SCALE)} paid on collection"
        elif basis == "invoiced":
            tail += " (commission was paid at invoicing)"
        return f"{rate} of {of}", tail + _lateness(late, h)
    if kind == K_REVERSAL:
        tail = f" of payment {ref} on {date}, at its original {rate}"
        if h > 0:
            tail += f" less its {pct(h, SCALE)} haircut ({late} days late)"
        return f"reversal of {of}", tail
    word = _KIND_WORD.get(adj, adj)
    if kind == K_CREDIT:
        what = "the commission advanced" if basis == "advance" else "the commission"
        return f"{word} of {of}", f" on {date} takes back {what} at {rate}"
    if kind == K_CLAWBACK:
        what = "the commission advanced" if basis == "advance" else "the commission paid"
        return (f"{word} of {of}",
                f" on {date}, {gap} days after invoicing, claws back {what} at {rate}")
    if kind == K_PENALTY:
        return (f"{word} of {of}",
                f" on {date}, {gap} days after invoicing: {rate} bad-debt penalty")
    raise ValueError(f"unknown line kind {kind}")  # pragma: no cover


def _lateness(late: int, h: int) -> str:
    if late < 0:
        return ""
    if late == 0:
        return ", on time"
    days = "1 day" if late == 1 else f"{late} days"
    if h > 0:
        return f", {days} late: {pct(h, SCALE)} haircut"
    return f", {days} late, no haircut"


__all__ = ["explanations", "pct"]

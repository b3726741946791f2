"""Each line explained in words.

"5% of 3,000.00 collected on 2026-03-20, 48 days late: 10% haircut". Built for
millions of lines: each phrase depends on a few columns that take few values
(rate, share, date, lateness), so it is worded once per distinct combination and
the phrases are joined with Arrow string kernels; only the amount is formatted
per line.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from commission.engine.common import (
    K_CLAWBACK,
    K_COLLECTION,
    K_CREDIT,
    K_INVOICE,
    K_REVERSAL,
    factorize_rows,
)
from commission.inputs.tables import ADJUSTMENT_KINDS, SHARE_SCALE
from commission.money import cents_text, ratio_to_decimal_str
from commission.plans.table import SCALE, PlanTable

_KIND_WORD = {"credit_note": "credit note", "discount": "early-payment discount",
              "write_off": "write-off"}


@lru_cache(maxsize=65536)
def pct(num: int, den: int) -> str:
    """An exact ratio as a percentage: 1/20 -> '5%', 7/150 -> '4.66666667%'."""
    return ratio_to_decimal_str(int(num) * 100, int(den), places=8) + "%"


@lru_cache(maxsize=8192)
def _date(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _share(share: int) -> str:
    return "" if share == SHARE_SCALE else f"{pct(share, SHARE_SCALE)} share of "


def _phrase(fn: Callable[..., str], *columns: np.ndarray) -> pa.Array:
    """``fn`` applied once per distinct row of ``columns``, spread to every row."""
    codes, first = factorize_rows(*columns)
    words = [fn(*(col[j] for col in columns)) for j in first]
    return pa.array(words, pa.string()).take(pa.array(codes))


def _lateness(late: int, h: int) -> str:
    if late < 0:
        return ""
    if late == 0:
        return ", on time"
    days = "1 day" if late == 1 else f"{late} days"
    if h > 0:
        return f", {days} late: {pct(h, SCALE)} haircut"
    return f", {days} late, no haircut"


def block_explanations(block: dict[str, np.ndarray], rate_num: np.ndarray,
                       rate_den: np.ndarray, table: PlanTable, payment_ids: pa.Array
                       ) -> pa.Array:
    """The explanation of every line of one block (lines of one kind).

    ``rate_num``/``rate_den`` are the exact rates ``block['ri']`` points to;
    ``payment_ids`` the payments table's ids (a reversal names the payment it reverses).
    """
    n = len(block["kind"])
    if n == 0:
        return pa.array([], pa.large_string())
    k = int(block["kind"][0])
    c = block

    def rate(ri: int) -> str:
        return pct(rate_num[ri], rate_den[ri])

    def basis(plan: int) -> str:
        return table.plans[plan].basis

    money = cents_text(np.abs(c["base_amount"]))
    plan, day, ri, share = c["plan"], c["event_day"], c["ri"], c["share"]
    if k in (K_INVOICE, K_COLLECTION):
        head = _phrase(lambda r, s: f"{rate(r)} of {_share(s)}", ri, share)
        if k == K_INVOICE:
            tail = _phrase(lambda p, d: f" invoiced on {_date(d)}" + (
                f", {pct(table.p_num[p], SCALE)} advanced at invoicing"
                if basis(p) == "advance" else ""), plan, day)
            pieces = [head, money, tail]
        else:
            tail = _phrase(lambda p, d: f" collected on {_date(d)}" + (
                f", {pct(SCALE - table.p_num[p], SCALE)} paid on collection"
                if basis(p) == "advance" else
                " (commission was paid at invoicing)" if basis(p) == "invoiced" else ""),
                plan, day)
            pieces = [head, money, tail, _phrase(_lateness, c["days_late"], c["h"])]
    elif k == K_REVERSAL:
        pieces = [
            _phrase(lambda s: f"reversal of {_share(s)}", share), money,
            pa.array([" of payment "] * n, pa.string()), payment_ids.take(pa.array(c["ref"])),
            _phrase(lambda d: f" on {_date(d)}", day),
            _phrase(lambda r, h, late: f", at its original {rate(r)}" + (
                f" less its {pct(h, SCALE)} haircut ({late} days late)" if h > 0 else ""),
                ri, c["h"], c["days_late"]),
        ]
    else:
        head = _phrase(lambda a, s: f"{_KIND_WORD[ADJUSTMENT_KINDS[a]]} of {_share(s)}",
                       c["adj"], share)
        when = _phrase(lambda d: f" on {_date(d)}", day)
        at = _phrase(lambda r: f"at {rate(r)}", ri)
        if k == K_CREDIT:
            what = _phrase(lambda p: " takes back the commission " + (
                "advanced " if basis(p) == "advance" else ""), plan)
            pieces = [head, money, when, what, at]
        elif k == K_CLAWBACK:
            what = _phrase(lambda p, g: f", {g} days after invoicing, claws back the commission "
                           + ("advanced " if basis(p) == "advance" else "paid "),
                           plan, c["inv_gap"])
            pieces = [head, money, when, what, at]
        else:
            what = _phrase(lambda g, r: f", {g} days after invoicing: {rate(r)} bad-debt penalty",
                           c["inv_gap"], ri)
            pieces = [head, money, when, what]
    return pc.binary_join_element_wise(*pieces, "").cast(pa.large_string())


__all__ = ["block_explanations", "pct"]

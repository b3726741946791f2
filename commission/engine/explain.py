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

from commission.engine.block import LineBlock
from commission.engine.common import (
    K_CLAWBACK,
    K_CLAWBACK_REVERSAL,
    K_COLLECTION,
    K_CREDIT,
    K_INVOICE,
    K_MANUAL,
    K_OVERRIDE,
    K_PENALTY_REVERSAL,
    K_REVERSAL,
    factorize_rows,
)
from commission.inputs.tables import ADJUSTMENT_KINDS, SHARE_SCALE
from commission.money import cents_text, ratio_to_decimal_str
from commission.plans import SCALE, PlanTable
from commission.plans.table import BASES

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


def _earning(block: LineBlock, rate: Callable[[int], str], table: PlanTable,
             money: pa.Array) -> list[pa.Array]:
    """Invoice and collection lines: rate, share, amount, when, and lateness."""
    def basis(plan: int) -> str:
        return BASES[table.basis[plan]]

    plan, day = block.plan, block.event_day
    head = _phrase(lambda r, s: f"{rate(r)} of {_share(s)}", block.ri, block.rows.share)
    if block.kind == K_INVOICE:
        tail = _phrase(lambda p, d: f" invoiced on {_date(d)}" + (
            f", {pct(int(table.p_num[p]), SCALE)} advanced at invoicing"
            if basis(p) == "advance" else ""), plan, day)
        return [head, money, tail]
    tail = _phrase(lambda p, d: f" collected on {_date(d)}" + (
        f", {pct(SCALE - table.p_num[p], SCALE)} paid on collection"
        if basis(p) == "advance" else
        " (commission was paid at invoicing)" if basis(p) == "invoiced" else ""),
        plan, day)
    return [head, money, tail, _phrase(_lateness, block.days_late, block.h)]


def _reversal(block: LineBlock, rate: Callable[[int], str], money: pa.Array,
              payment_ids: pa.Array) -> list[pa.Array]:
    """Reversal lines: the payment reversed, at its original rate and haircut."""
    assert block.ref is not None
    return [
        _phrase(lambda s: f"reversal of {_share(s)}", block.rows.share), money,
        pa.array([" of payment "] * len(block), pa.string()),
        payment_ids.take(pa.array(block.ref)),
        _phrase(lambda d: f" on {_date(d)}", block.event_day),
        _phrase(lambda r, h, late: f", at its original {rate(r)}" + (
            f" less its {pct(h, SCALE)} haircut ({late} days late)" if h > 0 else ""),
            block.ri, block.h, block.days_late),
    ]


def _adjustment(block: LineBlock, rate: Callable[[int], str], table: PlanTable,
                money: pa.Array) -> list[pa.Array]:
    """Credit, clawback and penalty lines: the adjustment, when, and what it takes back."""
    assert block.adj is not None and block.inv_gap is not None
    advance = BASES.index("advance")
    head = _phrase(lambda a, s: f"{_KIND_WORD[ADJUSTMENT_KINDS[a]]} of {_share(s)}",
                   block.adj, block.rows.share)
    when = _phrase(lambda d: f" on {_date(d)}", block.event_day)
    at = _phrase(lambda r: f"at {rate(r)}", block.ri)
    if block.kind == K_CREDIT:
        what = _phrase(lambda p: " takes back the commission " + (
            "advanced " if table.basis[p] == advance else ""), block.plan)
        return [head, money, when, what, at]
    if block.kind == K_CLAWBACK:
        what = _phrase(lambda p, g: f", {g} days after invoicing, claws back the commission "
                       + ("advanced " if table.basis[p] == advance else "paid "),
                       block.plan, block.inv_gap)
        return [head, money, when, what, at]
    what = _phrase(lambda g, r: f", {g} days after invoicing: {rate(r)} bad-debt penalty",
                   block.inv_gap, block.ri)
    return [head, money, when, what]


def _reinstated(block: LineBlock, rate: Callable[[int], str], money: pa.Array,
                adjustment_ids: pa.Array) -> list[pa.Array]:
    """Clawback and penalty reversals: the write-off reinstated and what comes back."""
    assert block.ref is not None
    what = (": commission clawed back at " if block.kind == K_CLAWBACK_REVERSAL
            else ": penalty ")
    return [
        _phrase(lambda s: f"reinstated {_share(s)}", block.rows.share), money,
        pa.array([" of write-off "] * len(block), pa.string()),
        adjustment_ids.take(pa.array(block.ref)),
        _phrase(lambda d, r: f" on {_date(d)}{what}{rate(r)} returned", block.event_day,
                block.ri),
    ]


def _override(block: LineBlock, rate: Callable[[int], str], rep_ids: pa.Array
              ) -> list[pa.Array]:
    """'1% override on R011's collections of 4,000.00' (negative: net reversals)."""
    return [
        _phrase(lambda r: f"{rate(r)} override on ", block.ri),
        rep_ids.take(pa.array(block.rows.ev)),
        pa.array(np.where(block.base_amount < 0, "'s net reversals of ", "'s collections of "),
                 pa.string()),
        cents_text(np.abs(block.base_amount)),
    ]


def _manual(block: LineBlock, reasons: pa.Array) -> list[pa.Array]:
    """The reason finance gave, as plain text on one line."""
    text = pc.replace_substring_regex(reasons.cast(pa.string()), r"[\x00-\x1f\x7f]+", " ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s{2,}", " "))
    text = pc.utf8_slice_codeunits(text, 0, 300)
    return [pa.array(["manual: "] * len(block), pa.string()),
            text.take(pa.array(block.rows.ev)).fill_null("")]


def block_explanations(block: LineBlock, rate_num: np.ndarray, rate_den: np.ndarray,
                       table: PlanTable, ids: dict[str, pa.Array],
                       notes: dict[int, str] | None = None) -> pa.Array:
    """The explanation of every line of one block (lines of one kind).

    ``rate_num``/``rate_den`` are the exact rates ``block.ri`` points to; ``ids`` the
    id columns lines refer to ("payments", "adjustments", "reps") and the manual
    lines' "reasons"; ``notes`` how an attainment rate was reached, by ``ri``.
    """
    if len(block) == 0:
        return pa.array([], pa.large_string())

    def rate(ri: int) -> str:
        return pct(rate_num[ri], rate_den[ri])

    money = cents_text(np.abs(block.base_amount))
    if block.kind in (K_INVOICE, K_COLLECTION):
        pieces = _earning(block, rate, table, money)
        if notes and np.isin(block.ri, list(notes)).any():
            pieces.append(_phrase(lambda r: notes.get(int(r), ""), block.ri))
    elif block.kind == K_REVERSAL:
        pieces = _reversal(block, rate, money, ids["payments"])
    elif block.kind in (K_CLAWBACK_REVERSAL, K_PENALTY_REVERSAL):
        pieces = _reinstated(block, rate, money, ids["adjustments"])
    elif block.kind == K_OVERRIDE:
        pieces = _override(block, rate, ids["reps"])
    elif block.kind == K_MANUAL:
        pieces = _manual(block, ids["reasons"])
    else:
        pieces = _adjustment(block, rate, table, money)
    return pc.binary_join_element_wise(*pieces, "").cast(pa.large_string())


__all__ = ["block_explanations", "pct"]

"""A block of lines (one kind, in event order) and the one rounding of its money."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from commission.engine.common import factorize_rows
from commission.engine.credited import Credited
from commission.engine.rates import RateRegistry
from commission.inputs.tables import SHARE_SCALE
from commission.money import mul_round, ratio_mul
from commission.plans import SCALE

_I32 = np.int32  # positions, days, shares and haircuts fit: less memory to move


def _not_given() -> np.ndarray:
    return np.empty(0, dtype=_I32)


@dataclass
class LineBlock:
    """Lines of one kind as integer columns; ``ri`` indexes the RateRegistry.

    ``days_late`` and ``h`` are -1 where lateness means nothing; ``ref`` (the
    reversed payment's row), ``adj`` (the adjustment kind) and ``inv_gap`` (days
    since invoicing) are only read by the explanations of the kinds that have them.
    """

    kind: int
    rows: Credited  # event row, rep, share, plan code
    inv_pos: np.ndarray
    event_day: np.ndarray
    period: np.ndarray
    base_amount: np.ndarray  # int64 cents, the event's amount as recorded
    ri: np.ndarray
    gross: np.ndarray  # int64 cents
    haircut: np.ndarray  # int64 cents
    days_late: np.ndarray = field(default_factory=_not_given)  # not given: -1 on every line
    h: np.ndarray = field(default_factory=_not_given)  # haircut over SCALE
    ref: np.ndarray | None = None
    adj: np.ndarray | None = None
    inv_gap: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.rows)
        self.inv_pos = self.inv_pos.astype(_I32)
        self.event_day = self.event_day.astype(_I32)
        self.period = self.period.astype(_I32)
        self.ri = self.ri.astype(_I32)
        self.days_late = (np.full(n, -1, _I32) if self.days_late.size == 0
                          else self.days_late.astype(_I32))
        self.h = np.full(n, -1, _I32) if self.h.size == 0 else self.h.astype(_I32)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def plan(self) -> np.ndarray:
        return self.rows.code

    def columns(self) -> dict[str, np.ndarray]:
        """The columns every line carries into the result (see ``RawLines``)."""
        r = self.rows
        cols: dict[str, np.ndarray] = {
            "kind": np.full(len(r), self.kind, dtype=np.int8), "ev_row": r.ev.astype(_I32),
            "rep": r.rep.astype(_I32), "share": r.share.astype(_I32),
            "plan": r.code.astype(_I32)}
        skip = {"kind", "rows", "ref", "adj", "inv_gap"}
        cols.update({f.name: np.asarray(getattr(self, f.name)) for f in fields(self)
                     if f.name not in skip})
        return cols


def factor_money(cents: np.ndarray, share: np.ndarray, ri: np.ndarray, f: np.ndarray,
                 rates: RateRegistry, rounding: np.ndarray,
                 share_code: np.ndarray | None = None) -> np.ndarray:
    """round(cents × share × rate × f) per row, f over SCALE; one exact rounding.

    The combined ratio is formed once per distinct (share, rate, f), which are few,
    then applied to every row's cents. ``share_code`` (small numbers of the distinct
    shares, when known) only makes finding them cheaper.
    """
    if len(cents) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, first = factorize_rows(share if share_code is None else share_code, ri, f)
    num, den = _ratios(share[first], ri[first], np.asarray(f)[first], rates)
    return mul_round(cents, num[codes], den[codes], rounding)


def factor_money_pair(cents: np.ndarray, share: np.ndarray, ri: np.ndarray, f: np.ndarray,
                      g: tuple[np.ndarray, np.ndarray], rates: RateRegistry,
                      rounding: np.ndarray, share_code: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factor_money` with f and with g (a collection's gross and haircut), the
    rows numbered once for both; ``g`` is (values, small numbers of its values)."""
    if len(cents) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    g_values, g_code = g
    codes, first = factorize_rows(share if share_code is None else share_code, ri, f, g_code)
    s, r = share[first], ri[first]
    out = []
    for factor in (f, g_values):  # over the two figures
        num, den = _ratios(s, r, np.asarray(factor)[first], rates)
        out.append(mul_round(cents, num[codes], den[codes], rounding))
    return out[0], out[1]


def _ratios(share: np.ndarray, ri: np.ndarray, f: np.ndarray, rates: RateRegistry
            ) -> tuple[np.ndarray, np.ndarray]:
    """share × rate × f over SHARE_SCALE × SCALE, reduced, per distinct row (few).

    In int64 where the rates and products fit (:func:`ratio_mul` checks), else in
    Python integers: the reduced ratio is the same either way.
    """
    small = rates.int_arrays()
    share, f = np.asarray(share, dtype=np.int64), np.asarray(f, dtype=np.int64)
    if small is not None and _max_abs(share) * _max_abs(f) < 2**62:
        return ratio_mul(share * f, np.full(len(share), SHARE_SCALE * SCALE, dtype=np.int64),
                         small[0][ri], small[1][ri])
    rate_num, rate_den = rates.arrays()
    num = share.astype(object) * rate_num[ri] * f.astype(object)
    den = np.full(len(ri), SHARE_SCALE * SCALE, dtype=object) * rate_den[ri]
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    num, den = num // g, den // g
    if len(num) and all(abs(int(x)) < 2**62 for x in (num.max(), num.min(), den.max())):
        num, den = num.astype(np.int64), den.astype(np.int64)
    return num, den


def _max_abs(a: np.ndarray) -> int:
    return max(abs(int(a.max())), abs(int(a.min()))) if len(a) else 0

"""Stage 2 (part 2): volume per rep, plan and period, V₀ and attainment of a quota.

``Volumes`` holds this run's volume of each (rep, plan, period) and the volume
earlier batches paid (``PriorVolume``, derived from their lines). For a plan that
measures attainment, V₀ is the rep's volume under that plan in the earlier
months of the same calendar quota period, as the batches that paid them counted
it; the rate of the period prices v on top of V₀ against the rep's quota.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from commission.engine.credited import Ledger
from commission.keys import lookup
from commission.money import format_money, mul_round, ratio_to_decimal_str
from commission.periods import QUOTA_FORMS, parse_period, span_label, span_start
from commission.plans import SCALE, VOLUME_PER_CENT, PlanTable, attainment_rate

_EARNING_PRIOR = ("invoice", "collection", "reversal")


@dataclass(frozen=True)
class PriorVolume:
    """Volume paid by earlier batches: one row per earning line (VOLUME units)."""

    rep: np.ndarray
    plan: np.ndarray
    period: np.ndarray
    volume: np.ndarray  # object (Python ints)

    @classmethod
    def empty(cls) -> PriorVolume:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, np.zeros(0, dtype=object))

    @classmethod
    def of_lines(cls, frame: pd.DataFrame, ledger: Ledger) -> PriorVolume:
        """From earlier batches' lines: base_amount × share of each earning line.

        Earning lines are ``invoice`` lines under an invoiced plan, ``collection`` and
        ``reversal`` lines otherwise (every event a plan earns on makes one). Only
        lines of plans that measure attainment are kept. Needs the columns
        ``period``, ``plan_id``, ``base_amount`` and ``share`` (see ``PriorLines``).
        """
        table = ledger.table
        need = {"period", "plan_id", "base_amount", "share"}
        if not table.attainment.any() or frame.empty or not need <= set(frame.columns):
            return cls.empty()
        f = frame[frame["line_kind"].isin(_EARNING_PRIOR)]
        plan = lookup(f["plan_id"], pd.Series(table.ids))
        keep = plan >= 0
        keep[keep] = table.attainment[plan[keep]]
        f, plan = f[keep], plan[keep]
        invoiced = table.basis_is(plan, "invoiced")
        earning = np.where(invoiced, f["line_kind"].to_numpy() == "invoice",
                           f["line_kind"].to_numpy() != "invoice")
        f, plan = f[earning], plan[earning]
        return cls(rep=lookup(f["rep_id"], ledger.inputs.reps["rep_id"]), plan=plan,
                   period=np.array([parse_period(str(p)) for p in
                                    pd.unique(f["period"])], dtype=np.int64)[
                       pd.factorize(f["period"])[0]] if len(f) else np.zeros(0, np.int64),
                   volume=(f["base_amount"].to_numpy().astype(object)
                           * f["share"].to_numpy().astype(object)))


@dataclass
class Volumes:
    """This run's volume per (rep, plan, period) and V₀ where the plan measures attainment."""

    ledger: Ledger
    rep: np.ndarray
    plan: np.ndarray
    period: np.ndarray
    volume: np.ndarray  # object, VOLUME units
    every: pd.DataFrame  # rep, plan, start, period, vol: this run's and earlier batches'

    @classmethod
    def of(cls, ledger: Ledger, rep: np.ndarray, plan: np.ndarray, period: np.ndarray,
           volume: np.ndarray, prior: PriorVolume) -> Volumes:
        table = ledger.table
        rows = pd.DataFrame({
            "rep": np.concatenate([rep, prior.rep]), "plan": np.concatenate([plan, prior.plan]),
            "period": np.concatenate([period, prior.period]),
            "vol": np.concatenate([volume, prior.volume]).astype(object)})
        rows = rows[table.attainment[rows["plan"].to_numpy()]] if len(rows) else rows
        rows = rows.assign(start=span_start(rows["period"].to_numpy(),
                                            table.quota_form[rows["plan"].to_numpy()]))
        every = rows.groupby(["rep", "plan", "start", "period"], sort=True)["vol"].sum(
            ).reset_index() if len(rows) else rows
        return cls(ledger, rep, plan, period, volume, every)

    def earlier(self, rep: np.ndarray, plan: np.ndarray, period: np.ndarray,
                through: bool = False) -> np.ndarray:
        """Σ volume of each (rep, plan) in its quota period before ``period`` (or through it)."""
        table = self.ledger.table
        want = pd.DataFrame({"rep": rep, "plan": plan, "period": period,
                             "start": span_start(period, np.maximum(table.quota_form[plan], 0)),
                             "_row": np.arange(len(rep))})
        got = want.merge(self.every, on=["rep", "plan", "start"], suffixes=("", "_e"))
        got = got[(got["period_e"] <= got["period"]) if through else
                  (got["period_e"] < got["period"])]
        sums = got.groupby("_row")["vol"].sum()
        out = np.zeros(len(rep), dtype=object)
        out[sums.index.to_numpy()] = sums.to_numpy(dtype=object)
        return out

    def quota(self, rep: np.ndarray, plan: np.ndarray, period: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """(quota in cents or -1 where there is none, the quota period's label) of each row."""
        table, inputs = self.ledger.table, self.ledger.inputs
        form = np.maximum(table.quota_form[plan], 0)
        label = span_label(span_start(period, form), form)
        reps = inputs.reps["rep_id"].to_numpy(dtype=object)
        q = inputs.quotas
        key = pd.Series(reps[rep].astype(str), dtype=object) + "|" + pd.Series(label, dtype=object)
        qkey = q["rep_id"].astype(str) + "|" + q["quota_period"].astype(str)
        at = lookup(key, qkey.astype(object)) if len(q) else np.full(len(rep), -1)
        amount = q["amount"].to_numpy(dtype=np.int64)
        return np.where(at >= 0, amount[np.maximum(at, 0)] if len(q) else 0, -1), label

    def price(self, num: np.ndarray, den: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        """The rates of attainment rows (on top of V₀, against the quota) and their words."""
        table = self.ledger.table
        rows = np.flatnonzero(table.attainment[self.plan])
        if len(rows) == 0:
            return num, den, {}
        rep, plan, period = self.rep[rows], self.plan[rows], self.period[rows]
        v0 = self.earlier(rep, plan, period)
        quota, label = self.quota(rep, plan, period)
        if (quota < 0).any():
            missing = sorted({f"{r} {q}" for r, q in zip(
                self.ledger.inputs.reps["rep_id"].to_numpy()[rep[quota < 0]], label[quota < 0],
                strict=True)})
            raise ValueError(f"no quota for {', '.join(missing)} (an attainment plan has events)")
        v = self.volume[rows]
        a_num, a_den = attainment_rate(plan, v0, v, quota, table)
        num, den = num.copy(), den.copy()
        num[rows], den[rows] = a_num, a_den
        notes = {int(i): _words(table, int(p), int(q), str(lab), o, n, an, ad)
                 for i, p, q, lab, o, n, an, ad in zip(  # one per rep and period
                     rows, plan, quota, label, v0, v, a_num, a_den, strict=True)}
        return num, den, notes

    def attainment(self, rep: np.ndarray, plan: np.ndarray, period: np.ndarray) -> np.ndarray:
        """(V₀ + v) ÷ Q to 4 decimals (half_even) per row; '' where not applicable."""
        table = self.ledger.table
        out = np.full(len(rep), "", dtype=object)
        rows = np.flatnonzero(table.attainment[plan])
        if len(rows) == 0:
            return out
        r, p, m = rep[rows], plan[rows], period[rows]
        total = self.earlier(r, p, m, through=True)
        quota, _ = self.quota(r, p, m)
        has = quota > 0
        ten_thousandths = mul_round(np.ones(int(has.sum()), dtype=np.int64),
                                    total[has] * 10_000,
                                    quota[has].astype(object) * VOLUME_PER_CENT, "half_even")
        out[rows[has]] = [f"{'-' if t < 0 else ''}{abs(int(t)) // 10_000}."
                          f"{abs(int(t)) % 10_000:04d}" for t in ten_thousandths]
        return out


def _share(from_hundredths: int) -> str:
    return "" if from_hundredths == 100 else f"{from_hundredths}% of "


def _cents(volume: int) -> str:
    """A volume (VOLUME units) as money, rounded to the cent for display only."""
    return format_money(int(mul_round(np.ones(1, np.int64), np.array([volume], dtype=object),
                                      np.array([VOLUME_PER_CENT], dtype=object), "half_even")[0]))


def _words(table: PlanTable, plan: int, quota: int, label: str, v0: int, v: int,
           num: int, den: int) -> str:
    """How an attainment rate was reached: each bracket's part, or the bracket reached."""
    t = table.tiers
    count = int(t.count[plan])
    starts = [int(t.start[plan, j]) for j in range(count)]
    rates = [int(t.rate[plan, j]) for j in range(count)]
    scale = quota * VOLUME_PER_CENT // 100
    quota_text = f"your {label} quota of {format_money(quota)}"
    if not t.marginal[plan]:
        reached = (v0 + v) * 100 // max(quota * VOLUME_PER_CENT, 1)
        return (f" ({_pct(num, den)} as {label} volume reaches {_cents(v0 + v)}, {reached}% of "
                f"{quota_text})")
    low, high = min(v0, v0 + v), max(v0, v0 + v)
    parts = []
    for j in range(count):  # over brackets
        lo = starts[j] * scale if j else min(low, 0)
        hi = starts[j + 1] * scale if j + 1 < count else max(high, lo)
        part = max(0, min(high, hi) - max(low, lo))
        if part == 0:
            continue
        where = (f"above {_share(starts[j])}{quota_text}" if j else
                 f"up to {_share(starts[1])}{quota_text}" if count > 1 else f"of {label}")
        parts.append(f"{_pct(rates[j], SCALE)} on the part of {_cents(part)} {where}")
    if not parts:
        return f" ({_pct(num, den)}: nothing collected yet towards {quota_text})"
    return f" ({'; '.join(parts)}; {_cents(v0)} earlier in {label})"


def _pct(num: int, den: int) -> str:
    return ratio_to_decimal_str(int(num) * 100, int(den), places=8) + "%"


__all__ = ["QUOTA_FORMS", "PriorVolume", "Volumes"]

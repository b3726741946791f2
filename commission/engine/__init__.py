"""The pure calculation core: validated tables and plans in, lines and payouts out.

No files, no database, no Streamlit here. ``calculate`` pays every month in
turn (the command line's run); ``compute`` pays one set of events in given
periods with a carry-in and earlier batches' lines (the store's batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pyarrow as pa

from commission.engine.assemble import LineIds, RawLines, assemble
from commission.engine.common import (
    K_COLLECTION,
    K_INVOICE,
    K_MANUAL,
    K_OVERRIDE,
    K_REVERSAL,
    KINDS,
    exact_sum,
    unique_keys,
)
from commission.engine.credited import EventPeriods
from commission.engine.lines import build_blocks
from commission.engine.payouts import payouts as _payouts
from commission.engine.settling import PriorLines
from commission.engine.totals import LineTotals
from commission.inputs.tables import Inputs, empty_table
from commission.keys import as_arrow
from commission.money import ratio_to_decimal_str
from commission.periods import NOT_PAID, month_index, parse_period, period_label
from commission.plans import SCALE, Plan, PlanTable
from commission.vocabulary import LINE_COLUMNS, PAYOUT_COLUMNS, PAYOUT_MONEY_COLUMNS

__all__ = [
    "LINE_COLUMNS",
    "NOT_PAID",
    "PAYOUT_COLUMNS",
    "EventPeriods",
    "PriorLines",
    "Result",
    "calculate",
    "compute",
    "decoded",
    "event_months",
    "exact_sum",
    "month_index",
    "parse_period",
    "period_label",
    "unique_keys",
]



class Result:
    """Lines and payouts; money in int64 cents, rates exact (``rate_num``/``rate_den``).

    ``lines`` (the contract's columns, explanations in words) is built the first time
    it is read: a caller that needs only ``payouts`` or :meth:`line_totals` (what-if,
    totals) never words an explanation. Built or given, it is the same frame.
    """

    def __init__(self, lines: pd.DataFrame | None = None, payouts: pd.DataFrame | None = None,
                 periods: list[str] | None = None, *,
                 raw: tuple[RawLines, Inputs, PlanTable] | None = None,
                 totals: tuple[LineTotals, pa.Array] | None = None):
        if lines is None and raw is None and totals is None:
            raise TypeError("Result needs its lines (or the raw lines or totals to build from)")
        self._lines = lines
        self._raw = raw
        self._totals = totals  # (sums per kind, period and rep; the reps' ids)
        self.payouts = payouts if payouts is not None else pd.DataFrame()
        self.periods = list(periods or [])

    @property
    def lines(self) -> pd.DataFrame:
        if self._lines is None:
            if self._raw is None:
                raise ValueError("a totals-only result has no lines (calculate it without "
                                 "totals_only to read them)")
            self._lines = _lines_frame(*self._raw)
            self._raw = None  # the blocks and raw columns are no longer needed: free them
        return self._lines

    @lines.setter
    def lines(self, value: pd.DataFrame) -> None:
        self._lines = value

    def line_count(self) -> int:
        """How many lines, without building them."""
        return len(self._raw[0]) if self._lines is None and self._raw else len(self.lines)

    def line_columns(self) -> Mapping[str, object]:
        """The lines' columns for a file: Arrow text, numpy figures, without a frame.

        Unbuilt, ``explanation`` is a Future (worded on a thread meanwhile) and
        ``days_late`` is -1 where it means nothing; built, the frame's own columns.
        """
        if self._lines is not None or self._raw is None:
            return self.lines
        return _line_arrays(*self._raw, exact=False)

    def line_totals(self, kinds: Sequence[str] | None = None) -> pd.DataFrame:
        """Σ gross, haircut and amount per (period, rep_id, line_kind), without the lines.

        Only the combinations that have lines (of ``kinds``, every kind when None), by
        period and rep (the kinds' order may differ between a built and an unbuilt
        result: sort when it matters).
        """
        cols = ["gross", "haircut", "amount"]
        if self._lines is not None or self._totals is None:
            out = (self.lines.groupby(["period", "rep_id", "line_kind"], sort=True)[cols]
                   .sum().astype(np.int64).reset_index())
            if kinds is not None:
                out = out[out["line_kind"].isin(list(kinds))].reset_index(drop=True)
            return out
        return _line_totals(*self._totals, kinds)

    def __getstate__(self) -> dict:
        """Pickled (a page's cache) with its lines built, not the engine's working state."""
        lines = self.lines if (self._lines is not None or self._raw is not None) else None
        return {"_lines": lines, "_raw": None, "_totals": None if lines is not None
                else self._totals, "payouts": self.payouts, "periods": self.periods}

    def __repr__(self) -> str:
        return (f"Result({len(self.payouts)} payouts, periods {self.periods[:1]}.."
                f"{self.periods[-1:]})")


def _line_totals(sums: LineTotals, rep_ids: pa.Array, kinds: Sequence[str] | None = None
                 ) -> pd.DataFrame:
    """The sums of :class:`LineTotals` as a frame: period and rep ids, line kinds in words
    (only ``kinds`` when given: no text is made for the others)."""
    period, rep, kind, money = sums.rows(None if kinds is None else [KINDS.index(k)
                                                                     for k in kinds])
    months, month_code = np.unique(period, return_inverse=True)
    return pd.DataFrame({
        "period": _text(period_label(months), month_code),
        "rep_id": rep_ids.take(pa.array(rep)).to_pandas(),
        "line_kind": _text(KINDS, kind),
        **money,
    })


_EVENT_DATES = (("invoices", "invoice_date"), ("payments", "payment_date"),
                ("adjustments", "adjustment_date"), ("commission_adjustments", "adjustment_date"))


def event_months(inputs: Inputs) -> np.ndarray:
    """Months of every dated event (invoices, payments, adjustments, manual lines)."""
    return np.concatenate([inputs.months(t, c) for t, c in _EVENT_DATES])


def calculate(inputs: Inputs, plans: Mapping[str, Plan], through: str | None = None,
              plan_override: str | None = None, totals_only: bool = False) -> Result:
    """Pay every month from the earliest event's through ``through``, each a batch.

    Each event is paid in its own month; carry-forward flows month to month.
    ``plan_override`` values everything under one plan: assignments are ignored.
    ``totals_only``: payouts and :meth:`Result.line_totals` without the lines (what-if).
    """
    if plan_override:  # one empty table per inputs: what is resolved against it is kept
        inputs = inputs.replace(plan_assignments=inputs.derived(
            ("plan_assignments",), "no plan assignments",
            lambda: empty_table("plan_assignments")))
    months = event_months(inputs)
    if len(months) == 0:
        return compute(inputs, plans, _rep_plans(inputs, plan_override),
                       EventPeriods(*(np.zeros(0, np.int64),) * 3), np.zeros(0, np.int64),
                       totals_only=totals_only)
    last = parse_period(through) if through else int(months.max())
    first = int(months.min())  # through before the first event: no month to pay

    def paid_in(table: str, column: str) -> np.ndarray:
        m = inputs.months(table, column)
        return np.where(m <= last, m, NOT_PAID)

    periods = EventPeriods(*(paid_in(t, c) for t, c in _EVENT_DATES))
    return compute(inputs, plans, _rep_plans(inputs, plan_override), periods,
                   np.arange(first, last + 1, dtype=np.int64), totals_only=totals_only)


def _rep_plans(inputs: Inputs, plan_override: str | None) -> np.ndarray:
    ids = inputs.reps["plan_id"].to_numpy(dtype=object)
    return np.full(len(ids), plan_override, dtype=object) if plan_override else ids


def compute(inputs: Inputs, plans: Mapping[str, Plan], rep_plan_ids: np.ndarray,
            periods: EventPeriods, batch_periods: np.ndarray,
            carry_in: np.ndarray | None = None, prior: PriorLines | None = None,
            totals_only: bool = False) -> Result:
    """Lines for the events ``periods`` marks as paid, and payouts for ``batch_periods``.

    ``rep_plan_ids`` is the plan of each row of ``inputs.reps`` where no
    ``inputs.plan_assignments`` row is in force; ``carry_in`` the carry-out of the last
    locked batch per rep (0 when None); ``prior`` earlier batches' lines (see
    :class:`PriorLines` for the columns V₀ needs). ``totals_only``: payouts and line
    totals only, the lines never gathered into one table (what-if).
    """
    table = PlanTable.build(plans)
    rep_plan = table.codes(rep_plan_ids)
    batch_periods = np.asarray(batch_periods, dtype=np.int64)
    n_reps = len(inputs.reps)
    if carry_in is None:
        carry_in = np.zeros(n_reps, dtype=np.int64)
    # lines are wanted: their words are made on a thread while the rest is computed
    made = build_blocks(inputs, table, rep_plan, periods, prior, word=not totals_only)
    sums = LineTotals.of(made.blocks, n_reps, batch_periods)
    pay = _payouts(sums, made.ledger, made.volumes, batch_periods, carry_in)
    frame = _payouts_frame(pay, inputs, table)
    labels = list(period_label(batch_periods))
    totals = (sums, as_arrow(inputs.reps["rep_id"]))
    if totals_only:
        return Result(payouts=frame, periods=labels, totals=totals)
    raw = assemble(made.blocks, made.ledger, made.rates, made.words, made.ids)
    return Result(payouts=frame, periods=labels, raw=(raw, inputs, table), totals=totals)


def _text(words: Sequence[str] | np.ndarray, codes: np.ndarray) -> pd.Series:
    """``words[codes]`` as a column of strings (Arrow-backed, no per-row Python objects)."""
    return pa.array(list(words), pa.string()).take(pa.array(codes)).to_pandas()


def _coded(words: pa.Array | Sequence[str] | np.ndarray, codes: np.ndarray
           ) -> pa.DictionaryArray:
    """``words[codes]`` without writing a string per line: an Arrow dictionary column."""
    if not isinstance(words, pa.Array):
        words = pa.array(list(words), pa.string())
    codes = np.asarray(codes)
    if codes.dtype.kind != "i":  # the engine's int32 codes are kept as they are
        codes = codes.astype(np.int64)
    return pa.DictionaryArray.from_arrays(pa.array(codes), words)


def decoded(values: pa.Array) -> pa.Array:
    """A dictionary column as plain text (any other column as it is)."""
    if isinstance(values, pa.DictionaryArray):
        return values.dictionary.take(values.indices)
    return values


def _line_arrays(raw: RawLines, inputs: Inputs, table: PlanTable, exact: bool = True
                 ) -> dict[str, object]:
    """The lines' columns: text as Arrow dictionary columns (ids, periods, rates: each
    distinct text once, a code per line), figures as numpy, ``explanation`` a Future.

    Without ``exact``, only the columns of ``lines.csv`` (:data:`LINE_COLUMNS`): not
    the exact figures behind them (share, rate_num, rate_den, haircut_num), whose
    Python integers a file never reads.

    The explanations are worded on a thread meanwhile (Arrow's kernels release the
    GIL); whoever needs them last waits for ``explanation.result()``.
    """
    words = raw.explanations_later()
    c = raw
    kind = c.kind
    ids = raw.ids.result() if raw.ids is not None else LineIds.of(inputs)
    starts = ids.starts
    offset = np.select([kind == K_INVOICE, (kind == K_COLLECTION) | (kind == K_REVERSAL),
                        kind == K_OVERRIDE, kind == K_MANUAL],
                       [0, starts[1], starts[3], starts[4]], starts[2])
    ri, used = pd.factorize(np.where(kind == K_MANUAL, -1, c.ri))
    rate_text = ["" if r < 0 else ratio_to_decimal_str(raw.rate_num[r], raw.rate_den[r])
                 for r in used]
    h_code, h_used = pd.factorize(c.h)
    h_text = ["" if v < 0 else ratio_to_decimal_str(int(v), SCALE) for v in h_used]
    months, month_code = _distinct(c.period)
    ev_months, ev_code = _distinct(c.event_month)
    cols = {
        "period": _coded(period_label(months), month_code),
        "rep_id": _coded(ids.reps, c.rep),
        "plan_id": _coded(table.ids, c.plan),
        "line_kind": _coded(KINDS, kind),
        "event_id": _coded(ids.events, offset + c.ev_row),
        "invoice_id": _coded(ids.invoices, np.where(c.inv_pos < 0, starts[1], c.inv_pos)),
        "event_date": c.event_day.astype("datetime64[D]"),
        "base_amount": c.base_amount,
        "share": None,
        "rate": _coded(rate_text, ri),
        "rate_num": None,
        "rate_den": None,
        "days_late": c.days_late,  # -1: no lateness (empty in the files)
        "haircut_num": None,
        "haircut_pct": _coded(h_text, h_code),
        "gross": c.gross,
        "haircut": c.haircut,
        "amount": c.amount,
        "prior_period": _coded([*period_label(ev_months), ""],
                               np.where(c.event_month < c.period, ev_code, len(ev_months))),
        "explanation": words,
    }
    if not exact:
        return {k: v for k, v in cols.items() if k in LINE_COLUMNS}
    cols.update(share=c.share.astype(np.int64), rate_num=raw.rate_num[c.ri],
                rate_den=raw.rate_den[c.ri], haircut_num=c.h.astype(np.int64))
    return cols


def _distinct(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(months, return_inverse=True)`` without sorting the lines (a month
    number spans a small range: a table of the months seen numbers them)."""
    months = np.asarray(months, dtype=np.int64)
    if len(months) == 0:
        return months, np.zeros(0, dtype=np.int64)
    low = int(months.min())
    uniq, (codes,) = unique_keys([months - low], int(months.max()) - low + 1)
    return uniq + low, codes


def _lines_frame(raw: RawLines, inputs: Inputs, table: PlanTable) -> pd.DataFrame:
    """The lines as the contract's columns (and the exact figures behind them)."""
    cols = _line_arrays(raw, inputs, table)
    words = cols["explanation"]
    assert isinstance(words, Future)
    late = pd.array(raw.days_late, dtype="Int64")
    late[raw.days_late < 0] = pd.NA
    cols.update(days_late=late, event_date=raw.event_day.astype("datetime64[D]")
                .astype("datetime64[s]"), explanation=decoded(words.result()))
    return pd.DataFrame({k: decoded(v).to_pandas() if isinstance(v, pa.Array) else v
                         for k, v in cols.items()})


def _payouts_frame(pay: dict[str, np.ndarray], inputs: Inputs, table: PlanTable
                   ) -> pd.DataFrame:
    """``payouts.csv``'s columns, then the draw's top-up (cents), its note in words and
    what the payout rules forfeited (cents)."""
    months, codes = np.unique(pay["period"], return_inverse=True)
    frame = pd.DataFrame({
        "period": _text(period_label(months), codes),
        "rep_id": as_arrow(inputs.reps["rep_id"]).take(pa.array(pay["rep"])).to_pandas(),
        "plan_id": _text(table.ids, pay["plan"]),
    })
    for col in PAYOUT_MONEY_COLUMNS:
        frame[col] = pay[col].astype(np.int64)
    frame["attainment"] = pa.array(pay["attainment"], pa.string()).to_pandas()
    frame["draw"] = pay["draw"].astype(np.int64)
    frame["note"] = pa.array(pay["note"], pa.string()).to_pandas()
    frame["forfeited"] = pay["forfeited"].astype(np.int64)
    return frame

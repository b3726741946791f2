"""Stage 5: the blocks of lines gathered into one table, in the contract's order.

Each block is written once, straight into preallocated columns at its lines' final
positions (found by one stable sort on a small integer key: period, then rep).
The explanations are not worded here: a line carries what wording it needs (its
block: kind, rate, share, dates, lateness, references), and
:meth:`RawLines.explanations` words them when something shows the lines
(``lines.csv``, a batch's stored lines, a page). Totals, payouts and what-if
never do.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from commission.engine.block import LineBlock
from commission.engine.credited import Ledger
from commission.engine.explain import block_explanations
from commission.engine.rates import RateRegistry
from commission.inputs.tables import Inputs
from commission.keys import as_arrow
from commission.order import stable_order
from commission.periods import month_index


@dataclass
class RawLines:
    """Every line as integer columns, events, invoices and reps by row position.

    ``ri`` indexes the exact rates ``rate_num``/``rate_den``. ``blocks`` (with ``at``,
    the final position of each of a block's lines) are what :meth:`explanations`
    words the lines from.
    """

    kind: np.ndarray  # index into LINE_KINDS
    ev_row: np.ndarray  # row of the event in its table
    inv_pos: np.ndarray
    event_day: np.ndarray
    period: np.ndarray
    rep: np.ndarray
    plan: np.ndarray
    base_amount: np.ndarray
    share: np.ndarray
    ri: np.ndarray
    days_late: np.ndarray  # -1 where lateness means nothing
    h: np.ndarray  # haircut over SCALE, -1 where lateness means nothing
    gross: np.ndarray
    haircut: np.ndarray
    amount: np.ndarray
    event_month: np.ndarray
    rate_num: np.ndarray  # object (Python ints), by ri
    rate_den: np.ndarray
    blocks: list[LineBlock]
    at: list[np.ndarray]  # final positions of each block's lines
    ledger: Ledger
    notes: dict[int, str]
    #: each block's words, being worded on a thread since the blocks were built
    #: (:class:`Wording`); None: worded when :meth:`explanations` is called
    words: Future | None = None
    #: the ids the lines' id columns are taken from (:class:`LineIds`), being gathered
    #: on the words' thread; None: gathered when the columns are made
    ids: Future | None = None
    #: every line's explanation once made: the blocks are then let go
    explained: pa.DictionaryArray | None = None
    #: one wording at a time (a file and a frame may both ask, each on a thread)
    lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                 compare=False)

    def __len__(self) -> int:
        return len(self.amount)

    def explanations(self) -> pa.DictionaryArray:
        """Every line's explanation in words, in the lines' order (worded now, per block).

        A dictionary column: the words block after block, and per line where its
        words are; whoever shows the lines takes them in order (a slice at a time
        for a file), so the words are never held twice.
        """
        with self.lock:
            return self._explanations()

    def _explanations(self) -> pa.DictionaryArray:
        if self.explained is not None:
            return self.explained
        if self.words is not None:  # taken once: the blocks' words are not held twice
            words, self.words = self.words.result(), None
        else:
            words = _block_words(self.blocks, self.ledger, self.rate_num, self.rate_den,
                                 self.notes)
        if not words:
            words = [pa.array([], pa.large_string())]
        # line i of the result is line order[i] of the blocks laid end to end
        order = np.empty(len(self), dtype=np.int64)
        order[np.concatenate(self.at or [np.zeros(0, np.int64)])] = np.arange(
            len(self), dtype=np.int64)
        text = pa.concat_arrays(words)
        del words
        self.explained = pa.DictionaryArray.from_arrays(pa.array(order), text)
        self.blocks, self.at = [], []  # only the words read them: their memory is freed
        return self.explained

    def explanations_later(self) -> Future:
        """:meth:`explanations` on a thread (Arrow's string kernels release the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(self.explanations)
        pool.shutdown(wait=False)
        return future


def _block_words(blocks: list[LineBlock], ledger: Ledger, rate_num: np.ndarray,
                 rate_den: np.ndarray, notes: dict[int, str]) -> list[pa.Array]:
    """The explanation of every line of each block, block by block."""
    inputs = ledger.inputs
    ids = {"payments": as_arrow(inputs.payments["payment_id"]),
           "adjustments": as_arrow(inputs.adjustments["adjustment_id"]),
           "reps": as_arrow(inputs.reps["rep_id"]),
           "reasons": as_arrow(inputs.commission_adjustments["reason"])}
    return [block_explanations(b, rate_num, rate_den, ledger.table, ids, notes)
            for b in blocks]


@dataclass(frozen=True)
class LineIds:
    """The text of every id a line may name, in one place per kind of event.

    ``events``: invoice, payment, adjustment, rep (overrides) and manual line ids
    one after another, ``starts`` where each kind's begin; ``invoices``: the invoice
    ids then "" (a line with no invoice); ``reps``: the rep ids.
    """

    events: pa.Array
    starts: np.ndarray
    invoices: pa.Array
    reps: pa.Array

    @classmethod
    def of(cls, inputs: Inputs) -> LineIds:
        parts = [as_arrow(t[col]) for t, col in (
            (inputs.invoices, "invoice_id"), (inputs.payments, "payment_id"),
            (inputs.adjustments, "adjustment_id"), (inputs.reps, "rep_id"),
            (inputs.commission_adjustments, "commission_adjustment_id"))]
        return cls(events=pa.concat_arrays([a.cast(pa.large_string()) for a in parts]),
                   starts=np.cumsum([0, *(len(a) for a in parts)]),
                   invoices=pa.concat_arrays([parts[0], pa.array([""], parts[0].type)]),
                   reps=parts[3])


class Wording:
    """The blocks' explanations made on one thread, each batch of blocks as soon as it
    is built (:meth:`add`), while the next kinds of lines are built, the payouts
    summed and the lines assembled (Arrow's string kernels release the GIL).

    For a caller that will show the lines (a file, a batch's stored lines). A block's
    rates exist once it is built (the registry only grows), so the rates as they are
    then word it; :meth:`done` is every block's words, in the order they were added.
    """

    def __init__(self, ledger: Ledger) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.ledger = ledger
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._parts: list[Future] = []
        #: the lines' ids, gathered first, while the first blocks are being built
        self.ids: Future[LineIds] = self._pool.submit(LineIds.of, ledger.inputs)

    def add(self, blocks: list[LineBlock], rates: RateRegistry) -> None:
        """Word ``blocks`` next, with the rates and notes they point to as they are now."""
        rate_num, rate_den = rates.arrays()
        self._parts.append(self._pool.submit(_block_words, blocks, self.ledger, rate_num,
                                             rate_den, dict(rates.notes)))

    def done(self) -> Future:
        """Every added block's words, once worded (no block may be added after)."""
        parts, self._parts = self._parts, []
        future = self._pool.submit(lambda: [w for part in parts for w in part.result()])
        self._pool.shutdown(wait=False)
        return future


def _positions(blocks: list[LineBlock], n_reps: int) -> list[np.ndarray]:
    """The final position of every line of every block.

    By period, then rep; within a rep's month, by kind, then in event order (blocks
    come kind by kind in event order, and the sort is stable).
    """
    period = np.concatenate([b.period for b in blocks]).astype(np.int64)
    rep = np.concatenate([b.rows.rep for b in blocks]).astype(np.int64)
    p_min = int(period.min()) if len(period) else 0
    key = (period - p_min) * max(n_reps, 1) + rep
    order = stable_order(key)
    dest = np.empty(len(order), dtype=np.int64)
    dest[order] = np.arange(len(order), dtype=np.int64)
    bounds = np.cumsum([0, *(len(b) for b in blocks)])
    return [dest[a:b] for a, b in itertools.pairwise(bounds)]


def _scatter(blocks: list[LineBlock], at: list[np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Each column allocated once and every block written into it at its lines' places."""
    parts = [b.columns() for b in blocks]
    cols = {k: np.empty(n, dtype=np.result_type(*(p[k].dtype for p in parts)))
            for k in parts[0]}
    for where, part in zip(at, parts, strict=True):  # over blocks (line kinds), never lines
        for k, out in cols.items():
            out[where] = part[k]
    return cols


def assemble(blocks: list[LineBlock], ledger: Ledger, rates: RateRegistry,
             words: Future | None = None, ids: Future | None = None) -> RawLines:
    """One table of lines from the blocks (the first block is always there, maybe empty);
    ``words``: the blocks' explanations being worded (:meth:`Wording.done`), ``ids``
    the lines' ids being gathered (:attr:`Wording.ids`)."""
    rate_num, rate_den = rates.arrays()
    at = _positions(blocks, ledger.n_reps)
    n = sum(len(b) for b in blocks)
    cols = _scatter(blocks, at, n)
    return RawLines(
        **cols,
        event_month=month_index(cols["event_day"].astype("datetime64[D]")),
        amount=cols["gross"] - cols["haircut"],
        rate_num=rate_num, rate_den=rate_den,
        blocks=blocks, at=at, ledger=ledger, notes=rates.notes, words=words, ids=ids,
    )

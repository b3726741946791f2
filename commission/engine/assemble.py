"""Stage 5: the blocks of lines gathered into one table, in the contract's order.

This is the one stage that is not pure arithmetic on columns: the explanations
(mostly Arrow string kernels, which release the GIL) are worded on a second
thread while this one gathers and sorts the columns. The thread pool lives
here and nowhere else; the stages before it are plain functions of their inputs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from commission.engine.block import LineBlock
from commission.engine.credited import Ledger
from commission.engine.explain import block_explanations
from commission.engine.rates import RateRegistry
from commission.keys import as_arrow
from commission.periods import month_index


@dataclass
class RawLines:
    """Every line as integer columns, events, invoices and reps by row position.

    ``ri`` indexes the exact rates ``rate_num``/``rate_den``; ``explanation`` is one
    string per line, in the same order.
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
    explanation: pa.Array

    def __len__(self) -> int:
        return len(self.amount)


def _sorted_columns(blocks: list[LineBlock], n_reps: int
                    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The blocks' columns concatenated and sorted, and the order that sorted them.

    By period, then rep; within a rep's month, by kind, then in event order (blocks
    come kind by kind in event order, and the sort is stable).
    """
    parts = [b.columns() for b in blocks]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    p_min = int(cols["period"].min()) if len(cols["period"]) else 0
    key = (cols["period"] - p_min) * max(n_reps, 1) + cols["rep"]
    order = np.argsort(key, kind="stable")
    return order, {k: v[order] for k, v in cols.items()}


def assemble(blocks: list[LineBlock], ledger: Ledger, rates: RateRegistry) -> RawLines:
    """One table of lines from the blocks (the first block is always there, maybe empty)."""
    rate_num, rate_den = rates.arrays()
    inputs = ledger.inputs
    ids = {"payments": as_arrow(inputs.payments["payment_id"]),
           "adjustments": as_arrow(inputs.adjustments["adjustment_id"]),
           "reps": as_arrow(inputs.reps["rep_id"]),
           "reasons": as_arrow(inputs.commission_adjustments["reason"])}
    with ThreadPoolExecutor(max_workers=2) as pool:
        words_of = [pool.submit(block_explanations, b, rate_num, rate_den, ledger.table, ids,
                                rates.notes) for b in blocks]
        order, cols = _sorted_columns(blocks, ledger.n_reps)
        words = pa.concat_arrays([w.result() for w in words_of])
    return RawLines(
        **cols,
        event_month=month_index(cols["event_day"].astype("datetime64[D]")),
        amount=cols["gross"] - cols["haircut"],
        rate_num=rate_num, rate_den=rate_den,
        explanation=words.take(pa.array(order)),
    )

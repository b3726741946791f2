"""Writing results as the contract's CSV files, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from commission.engine import Result
from commission.files import safe_text, staged
from commission.keys import as_arrow
from commission.money import cents_text
from commission.vocabulary import LINE_COLUMNS, PAYOUT_COLUMNS, PAYOUT_MONEY_COLUMNS

LINE_MONEY = ("base_amount", "gross", "haircut", "amount")
PAYOUT_MONEY = tuple(PAYOUT_MONEY_COLUMNS)


def _text(values: pd.Series | np.ndarray) -> pa.Array:
    return safe_text(as_arrow(values))  # ids and names: never a spreadsheet formula


def _dates(values: pd.Series | np.ndarray) -> pa.Array:
    """Dates as 'YYYY-MM-DD', formatted once per distinct day."""
    days, codes = np.unique(np.asarray(values).astype("datetime64[D]"), return_inverse=True)
    return pa.array(days.astype(str), pa.string()).take(pa.array(codes))


def _whole_numbers(values: pd.Series | np.ndarray) -> pa.Array:
    """Days late as integers, empty where they mean nothing (NA, or -1 from the engine)."""
    if isinstance(values, pd.Series):
        return pa.array(values, pa.int64(), from_pandas=True)
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, pa.int64(), mask=values < 0)


def _line_column(lines: Mapping[str, object], col: str) -> pa.Array:
    values = lines[col]
    if col in LINE_MONEY:
        return cents_text(np.asarray(values, dtype=np.int64), thousands=False)
    if col == "event_date":
        return _dates(values)  # type: ignore[arg-type]
    if col == "days_late":
        return _whole_numbers(values)  # type: ignore[arg-type]
    if isinstance(values, Future):  # the explanations, worded on a thread meanwhile
        values = values.result()
    return _text(values)  # type: ignore[arg-type]


def lines_table(lines: Mapping[str, object]) -> pa.Table:
    """``lines.csv`` as an Arrow table of text, money with two decimals.

    ``lines`` is the lines' frame or :meth:`commission.engine.Result.line_columns`;
    the columns are made text two at a time (Arrow's kernels release the GIL), the
    explanations (maybe still being worded) last.
    """
    order = sorted(LINE_COLUMNS, key=lambda c: c == "explanation")
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = dict(zip(order, pool.map(lambda c: _line_column(lines, c), order), strict=True))
    return pa.table({col: made[col] for col in LINE_COLUMNS})


def payouts_table(payouts: pd.DataFrame) -> pa.Table:
    """``payouts.csv`` as an Arrow table of text, money with two decimals."""
    cols: dict[str, pa.Array] = {}
    for col in PAYOUT_COLUMNS:
        if col in PAYOUT_MONEY:
            cols[col] = cents_text(payouts[col].to_numpy(dtype=np.int64), thousands=False)
        else:
            cols[col] = _text(payouts[col])
    return pa.table(cols)


def write_tables(out_dir: str | Path, tables: dict[str, pa.Table]) -> list[Path]:
    """Write every table as ``<name>.csv`` in ``out_dir``, or none of them.

    Each file is written beside its destination under a temporary name and only
    renamed into place once all of them are complete (:func:`commission.files.staged`).
    """
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    with staged(out_dir) as stage:
        for name, table in tables.items():
            pacsv.write_csv(table, str(stage(f"{name}.csv")), write_options=options)
    return [Path(out_dir) / f"{name}.csv" for name in tables]


def write_result(result: Result, out_dir: str | Path) -> list[Path]:
    """``lines.csv`` and ``payouts.csv`` exactly as the contract lists their columns."""
    return write_tables(out_dir, {"lines": lines_table(result.line_columns()),
                                  "payouts": payouts_table(result.payouts)})

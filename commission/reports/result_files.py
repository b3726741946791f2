"""Writing results as the contract's CSV files, all or nothing."""

from __future__ import annotations

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


def _dates(values: pd.Series) -> pa.Array:
    """Dates as 'YYYY-MM-DD', formatted once per distinct day."""
    days, codes = np.unique(values.to_numpy().astype("datetime64[D]"), return_inverse=True)
    return pa.array(days.astype(str), pa.string()).take(pa.array(codes))


def lines_table(lines: pd.DataFrame) -> pa.Table:
    """``lines.csv`` as an Arrow table of text, money with two decimals."""
    cols: dict[str, pa.Array] = {}
    for col in LINE_COLUMNS:
        if col in LINE_MONEY:
            cols[col] = cents_text(lines[col].to_numpy(dtype=np.int64), thousands=False)
        elif col == "event_date":
            cols[col] = _dates(lines[col])
        elif col == "days_late":
            cols[col] = pa.array(lines[col], pa.int64(), from_pandas=True)
        else:
            cols[col] = _text(lines[col])
    return pa.table(cols)


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
    return write_tables(out_dir, {"lines": lines_table(result.lines),
                                  "payouts": payouts_table(result.payouts)})

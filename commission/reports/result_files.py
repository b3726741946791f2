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
OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


def _text(values: pd.Series | np.ndarray) -> pa.Array:
    return safe_text(as_arrow(values))  # ids and names: never a spreadsheet formula


def _dates(values: pd.Series | np.ndarray) -> pa.Array:
    """Dates as 'YYYY-MM-DD', each day of the span formatted once (no sort of the lines)."""
    day = np.asarray(values).astype("datetime64[D]")
    if len(day) == 0:
        return pa.array([], pa.string())
    number = day.astype(np.int64)
    low, high = int(number.min()), int(number.max())
    if high - low > 4 * len(day) + 366:  # a few far-apart days: format each distinct one
        days, codes = np.unique(day, return_inverse=True)
        return pa.array(days.astype(str), pa.string()).take(pa.array(codes))
    span = np.arange(low, high + 1, dtype=np.int64).astype("datetime64[D]")
    return pa.array(span.astype(str), pa.string()).take(pa.array(number - low))


def _whole_numbers(values: pd.Series | np.ndarray) -> pa.Array:
    """Days late as integers, empty where they mean nothing (NA, or -1 from the engine)."""
    if isinstance(values, pd.Series):
        return pa.array(values, pa.int64(), from_pandas=True)
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, pa.int64(), mask=values < 0)


#: lines made text and written this many at a time: the text of all of them at once
#: would be a few hundred MB more at a million invoices
CHUNK_LINES = 1 << 18


class _LineText:
    """The lines' columns made text a slice of lines at a time.

    ``lines`` is the lines' frame or :meth:`commission.engine.Result.line_columns`
    (dictionary columns: each distinct id or period made safe once, then taken per
    slice; ``explanation`` maybe a Future, still being worded on a thread).
    """

    def __init__(self, lines: Mapping[str, object]) -> None:
        self.lines = lines
        self.whole: dict[str, object] = {}  # per column, what slices are cut from

    def _source(self, col: str) -> object:
        if col not in self.whole:
            values = self.lines[col]
            if isinstance(values, Future):  # the explanations, worded meanwhile
                values = values.result()
            if isinstance(values, pa.DictionaryArray):
                values = (_text(values.dictionary), values.indices)
            elif col not in LINE_MONEY and col not in ("event_date", "days_late"):
                values = _text(values)  # type: ignore[arg-type]
            self.whole[col] = values
        return self.whole[col]

    def column(self, col: str, a: int, b: int) -> pa.Array:
        """Lines ``a`` to ``b`` of one column as text (days late as whole numbers)."""
        values = self._source(col)
        if isinstance(values, tuple):  # (safe dictionary, codes)
            return values[0].take(values[1].slice(a, b - a))
        if isinstance(values, pa.Array | pa.ChunkedArray):
            return values.slice(a, b - a)
        part = values.iloc[a:b] if isinstance(values, pd.Series) else values[a:b]  # type: ignore[index]
        if col in LINE_MONEY:
            return cents_text(np.asarray(part, dtype=np.int64), thousands=False)
        if col == "event_date":
            return _dates(part)
        return _whole_numbers(part)

    def table(self, a: int, b: int, pool: ThreadPoolExecutor) -> pa.Table:
        """Lines ``a`` to ``b`` as a table of text; two columns at a time, words last."""
        order = sorted(LINE_COLUMNS, key=lambda c: c == "explanation")
        made = dict(zip(order, pool.map(lambda c: self.column(c, a, b), order), strict=True))
        return pa.table({col: made[col] for col in LINE_COLUMNS})


def _n_lines(lines: Mapping[str, object]) -> int:
    return len(lines["amount"])  # type: ignore[arg-type]


def lines_table(lines: Mapping[str, object]) -> pa.Table:
    """``lines.csv`` as an Arrow table of text, money with two decimals."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return _LineText(lines).table(0, _n_lines(lines), pool)


def write_lines(path: Path, lines: Mapping[str, object]) -> None:
    """``lines.csv`` at ``path``, made text and written :data:`CHUNK_LINES` at a time:
    the next slice is made text (two columns at a time) while this one is written."""
    text, n = _LineText(lines), _n_lines(lines)
    with ThreadPoolExecutor(max_workers=2) as pool, \
            ThreadPoolExecutor(max_workers=1) as ahead:

        def made_text(a: int) -> Future[pa.Table]:
            return ahead.submit(text.table, a, min(n, a + CHUNK_LINES), pool)

        coming = made_text(0)
        with pacsv.CSVWriter(str(path), coming.result().schema, write_options=OPTIONS) as out:
            for a in range(CHUNK_LINES, n, CHUNK_LINES):
                following = made_text(a)  # made text while the slice before is written
                out.write_table(coming.result())
                coming = following
            out.write_table(coming.result())


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
    with staged(out_dir) as stage:
        for name, table in tables.items():
            pacsv.write_csv(table, str(stage(f"{name}.csv")), write_options=OPTIONS)
    return [Path(out_dir) / f"{name}.csv" for name in tables]


def write_result(result: Result, out_dir: str | Path) -> list[Path]:
    """``lines.csv`` and ``payouts.csv`` exactly as the contract lists their columns.

    Both or neither (:func:`commission.files.staged`); the lines are made text a
    slice at a time from the engine's columns, never as a frame of text.
    """
    with staged(out_dir) as stage:
        write_lines(stage("lines.csv"), result.line_columns())
        pacsv.write_csv(payouts_table(result.payouts), str(stage("payouts.csv")),
                        write_options=OPTIONS)
    return [Path(out_dir) / f"{name}.csv" for name in ("lines", "payouts")]

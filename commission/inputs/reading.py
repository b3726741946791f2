"""Reading the contract's CSV tables and validating them: every problem, in one pass.

Two steps, so every door can share them:

* :func:`read_tables` parses the files of a folder into typed tables, reporting
  unreadable files, missing or unknown columns and unparseable cells;
* :func:`validate_tables` runs the cross-table checks of
  :mod:`commission.inputs.checks` (ids, references, dates, reversals, splits,
  over-settlement) on what was read; :func:`start_validation` runs them with the
  last ones on a thread, so that a calculation can start beside them.

Typed tables keep a ``_line`` column (the line number in the file) so problems
found across tables still point at a line.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from commission.inputs import csv_text
from commission.inputs.checks import Checking
from commission.inputs.collector import MAX_PER_KIND, Collector
from commission.inputs.csv_text import READ_THREADS, Parsed, Prefetch, file_size
from commission.inputs.tables import (
    COLUMNS,
    DATE_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
    OPTIONAL_FILE_COLUMNS,
    OPTIONAL_TABLES,
    SHARE_SCALE,
    Inputs,
    empty_table,
)
from commission.keys import as_arrow, edge_bytes, text_buffers
from commission.plans.language import Plan
from commission.problems import Problem, sort_problems

MAX_WHOLE_DIGITS = 10  # amounts below 10,000,000,000.00
#: the dates a data set may hold: one payment typed 9999-12-31 would otherwise make a
#: month for every month until then (a million payouts from a dozen reps)
FIRST_DAY, LAST_DAY = np.datetime64("1970-01-01", "D"), np.datetime64("2099-12-31", "D")

#: columns that may be empty
OPTIONAL_COLUMNS = frozenset({
    ("reps", "manager_id"), ("customers", "segment"), ("payments", "reverses_payment_id"),
    ("disputes", "resolved_date"), ("adjustments", "reverses_adjustment_id"),
})

_AMOUNT_RE = r"^-?[0-9]+(\.[0-9]{1,2})?$"
_TOO_PRECISE_RE = r"^-?[0-9]*\.[0-9]{3,}$"
_SHARE_RE = r"^(0|1)?(\.[0-9]{1,9})?$"
_DATE_FULL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# ---------------------------------------------------------------------------- reading


def _read_csv(parsed: Parsed, out: Collector) -> pd.DataFrame | None:
    """All cells as stripped strings; bad rows reported; None when the file is unusable."""
    for p in parsed.problems:
        out.add(p)
    if parsed.bad_count:  # a row was skipped: the file is not used
        for p in parsed.bad_rows[:MAX_PER_KIND]:
            out.add(p)
        shown = min(len(parsed.bad_rows), MAX_PER_KIND)
        if parsed.bad_count > shown and parsed.bad_rows:
            out.add(Problem(parsed.bad_rows[0].source, None, None, None,
                            f"and {parsed.bad_count - shown:,} more malformed rows",
                            "one field per column"))
        return None
    table = parsed.table
    if table is None:
        return None
    frame = pd.DataFrame({
        str(name).lstrip("\ufeff").strip(): _trimmed(col).to_pandas()
        for name, col in zip(table.column_names, table.columns, strict=True)
    })
    frame["_line"] = parsed.line_numbers()
    return frame


#: bytes a cell may start or end with only if trimming could change it: ASCII whitespace
#: and control characters, and any non-ASCII byte (Unicode has spaces of its own)
_MAY_TRIM = np.zeros(256, dtype=bool)
_MAY_TRIM[:0x21] = True
_MAY_TRIM[0x7F:] = True


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The cells without surrounding whitespace: trimmed only where some cell has any.

    Most columns have none; finding that out reads each cell's first and last byte
    (:func:`commission.keys.edge_bytes`) instead of building every cell anew.
    """
    chunks = [pc.utf8_trim_whitespace(c) if _may_need_trimming(c) else c
              for c in column.chunks]
    return pa.chunked_array(chunks, type=column.type)


def _may_need_trimming(cells: pa.Array) -> bool:
    """Whether a cell starts or ends with a byte of :data:`_MAY_TRIM`; at once False
    when no byte at all is one (ids, numbers, dates: two reductions over the bytes)."""
    offsets, data = text_buffers(cells)
    used = data[int(offsets[0]):int(offsets[-1])]
    if len(used) == 0 or (used.min() > 0x20 and used.max() < 0x7F):
        return False
    return bool(_MAY_TRIM[edge_bytes(cells)].any() or _MAY_TRIM[edge_bytes(cells, last=True)].any())


def _fixed_point(text: pd.Series, places: int) -> np.ndarray:
    """Decimal strings already known to be well formed, as exact integers × 10**places.

    '1234.5' with places=2 -> 123450, never through floats: Arrow parses each cell as
    an exact decimal of ``places`` places, whose unscaled integer is the answer (the low
    64 bits of its 128; the cells were checked to fit). Without that, the digits are
    parsed as integers, the point dropped and the value scaled by the missing places.
    """
    if len(text) == 0:
        return np.zeros(0, dtype=np.int64)
    text = text.astype("str")
    exact = _unscaled(as_arrow(text), places)
    if exact is not None:
        return exact
    dot = text.str.find(".").to_numpy(dtype=np.int64)
    length = text.str.len().to_numpy(dtype=np.int64)
    decimals = np.where(dot >= 0, length - dot - 1, 0)
    digits = text.str.replace(".", "", regex=False)
    digits = digits.where(~digits.isin(["", "-"]), "0")
    value = pc.cast(pa.array(digits.array), pa.int64()).to_numpy()
    return value * (10 ** (places - decimals))


def _unscaled(cells: pa.Array, places: int) -> np.ndarray | None:
    """Well-formed decimal cells as exact integers × 10**places, parsed by Arrow as
    decimals of ``places`` places (their unscaled integers are the answer: the low 64
    bits of 128, the cells checked to fit); None where Arrow cannot say."""
    if sys.byteorder != "little":
        return None
    try:
        exact = pc.cast(cells, pa.decimal128(38, places))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    words = np.frombuffer(exact.buffers()[1], dtype=np.int64)
    return words[2 * exact.offset:2 * (exact.offset + len(exact))][::2].copy()


def _plain_amounts(text: pd.Series) -> np.ndarray | None:
    """The cents of a column whose every cell is a plain amount (what ``_AMOUNT_RE``
    accepts, at most :data:`MAX_WHOLE_DIGITS` characters), found from the cells'
    bytes in a few passes instead of a regular expression per cell; None when any
    cell is not, or may not be, such an amount (the slower path then says which).

    A cell passes when its bytes are digits, '-' and '.' only; it starts with a digit,
    or with '-' then a digit, and has no other '-'; and every '.' is the one of its
    cell 2 or 3 bytes from the end (one or two digits after it): exactly the
    expression's cells.
    """
    cells = as_arrow(text)
    if len(cells) == 0 or cells.null_count:
        return None
    offsets, data = text_buffers(cells)
    start, used = int(offsets[0]), data[int(offsets[0]):int(offsets[-1])]
    at = offsets.astype(np.int64) - start  # each cell's first byte in ``used``
    lengths = np.diff(at)
    if lengths.min() < 1 or lengths.max() > MAX_WHOLE_DIGITS:
        return None
    if used.min() < ord("-") or used.max() > ord("9") or (used == ord("/")).any():
        return None
    first = used[at[:-1]]
    minus = np.flatnonzero(first == ord("-"))
    if (first == ord(".")).any() or np.count_nonzero(used == ord("-")) != len(minus):
        return None
    if len(minus):
        if lengths[minus].min() < 2:
            return None
        second = used[at[minus] + 1]
        if ((second < ord("0")) | (second > ord("9"))).any():
            return None
    end = at[1:]  # one past each cell's last byte: its dot, if any, 2 or 3 bytes before
    placed = ((lengths >= 2) & (used[np.maximum(end - 2, 0)] == ord("."))
              | (lengths >= 3) & (used[np.maximum(end - 3, 0)] == ord(".")))
    if np.count_nonzero(used == ord(".")) != np.count_nonzero(placed):
        return None  # a dot elsewhere, or two in a cell
    return _unscaled(cells, 2)


def _parse_dates(text: pd.Series) -> np.ndarray:
    """'YYYY-MM-DD' strings as datetime64[D], NaT where not a real calendar date.

    A data set has few distinct dates, so each distinct string is parsed once,
    strictly (2026-02-31 is refused), and spread back to every row.
    """
    fast = _arrow_dates(text)
    if fast is not None:
        return fast
    codes, uniq = pd.factorize(text)
    parsed = np.full(len(uniq) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    for i, value in enumerate(uniq):
        if _DATE_FULL.fullmatch(str(value)):
            with contextlib.suppress(ValueError):
                parsed[i] = np.datetime64(str(value), "D")
    return parsed[np.where(codes >= 0, codes, len(uniq))]


def _arrow_dates(text: pd.Series) -> np.ndarray | None:
    """Every cell parsed by Arrow's strict 'YYYY-MM-DD' cast (no per-date Python), or
    None when any cell is not such a date (then each distinct cell is looked at)."""
    values = text.array
    if not isinstance(values, pd.arrays.ArrowStringArray) or len(values) == 0:
        return None
    try:
        days = pc.cast(pa.array(values), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if days.null_count:
        return None
    return np.asarray(days.to_numpy(zero_copy_only=False)).astype("datetime64[D]")


def _money_cells(text: pd.Series, empty: np.ndarray, report: Callable[..., None]
                 ) -> np.ndarray:
    """Amount cells as int64 cents; malformed, too precise or too large cells reported."""
    plain = _plain_amounts(text)
    if plain is not None:  # every cell a plain amount: nothing to report
        return plain
    ok = text.str.match(_AMOUNT_RE).to_numpy(dtype=bool)
    precise = np.zeros(len(text), dtype=bool)
    if not ok.all():  # only bad cells need to say why
        precise = text.str.match(_TOO_PRECISE_RE).to_numpy(dtype=bool)
    report(precise, "{v!r} has more than 2 decimals", "an amount with at most 2 decimals")
    report(~ok & ~precise & ~empty, "{v!r} is not a number",
           "a plain number such as 1234.50 (no thousands separators)")
    good = ok & (text.str.len().to_numpy(dtype=np.int64) <= MAX_WHOLE_DIGITS)
    huge = np.zeros(len(text), dtype=bool)
    if not good[ok].all():  # a long cell: count the digits before the point
        dot = text.str.find(".").to_numpy(dtype=np.int64)
        length = text.str.len().to_numpy(dtype=np.int64)
        sign = text.str.startswith("-").to_numpy(dtype=bool).astype(np.int64)
        huge = ok & (np.where(dot >= 0, dot, length) - sign > MAX_WHOLE_DIGITS)
        report(huge, "{v} is too large", "an amount below 10,000,000,000.00")
    good = ok & ~huge
    return (_fixed_point(text, 2) if good.all() else
            np.where(good, _fixed_point(text.where(good, "0"), 2), 0))


def _share_cells(text: pd.Series, empty: np.ndarray, report: Callable[..., None]
                 ) -> np.ndarray:
    """Split shares as int64 billionths; malformed or out-of-range cells reported."""
    ok = text.str.match(_SHARE_RE).to_numpy(dtype=bool) & ~empty
    ok &= (text != ".").to_numpy()
    share = np.where(ok, _fixed_point(text.where(ok, "0"), 9), 0)
    report(~ok & ~empty, "{v!r} is not a share",
           "a decimal between 0 and 1 with at most 9 decimals, such as 0.6", by_id=False)
    report(ok & ((share <= 0) | (share > SHARE_SCALE)), "share {v} is outside (0, 1]",
           "a share more than 0 and at most 1", by_id=False)
    return share


def _empty_cells(text: pd.Series) -> np.ndarray:
    """Which cells are empty: read from the cells' lengths where Arrow holds the text
    (no comparison of every cell), else by comparing."""
    values = text.array
    if isinstance(values, pd.arrays.ArrowStringArray) and len(values):
        chunks = pa.array(values)
        chunks = chunks.chunks if isinstance(chunks, pa.ChunkedArray) else [chunks]
        if not any(c.null_count for c in chunks):
            return np.concatenate([np.diff(text_buffers(c)[0]) == 0 for c in chunks])
    return (text == "").to_numpy()


def _typed(name: str, raw: pd.DataFrame, source: str, out: Collector) -> pd.DataFrame:
    """Cells parsed to their types; every unparseable cell reported."""
    id_col = ID_COLUMN.get(name)
    data: dict[str, object] = {}
    for col in COLUMNS[name]:
        text = raw[col]
        empty = _empty_cells(text)

        def report(mask: np.ndarray, template: str, expected: str, by_id: bool = True,
                   col: str = col) -> None:
            out.rows(source, raw, mask, col, id_col if by_id else None,
                     lambda r: [template.format(v=v) for v in r[col]], expected)

        if (name, col) not in OPTIONAL_COLUMNS:
            out.rows(source, raw, empty, col, id_col, "empty", "a value")
        if col in DATE_COLUMNS:
            parsed = _parse_dates(text)
            report(np.isnat(parsed) & ~empty, "{v!r} is not a date", "a date as YYYY-MM-DD")
            report((parsed < FIRST_DAY) | (parsed > LAST_DAY), "{v} is outside the years "
                   f"{FIRST_DAY.item().year} to {LAST_DAY.item().year}",
                   f"a date from {FIRST_DAY} to {LAST_DAY} (not a placeholder such as "
                   "9999-12-31)")
            data[col] = pd.Series(parsed.astype("datetime64[s]"))
        elif col in MONEY_COLUMNS:
            data[col] = _money_cells(text, empty, report)
        elif col == "share":
            data[col] = _share_cells(text, empty, report)
        else:  # empty cells become missing values (a copy only where there are any)
            data[col] = text.where(~empty).astype("str") if empty.any() else text
    data["_line"] = raw["_line"].to_numpy()
    return pd.DataFrame(data, copy=False)  # the columns as they are: no block of copies


def read_tables(folder: str | Path, require_all: bool = True,
                prefetch: Prefetch | None = None
                ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed tables of the CSV files in ``folder`` and the problems found reading them.

    With ``require_all`` every table but the optional ones must be present (a full
    data set); without it, whichever files exist are read (a partial load). A
    ``prefetch`` of the folder (:class:`~commission.inputs.csv_text.Prefetch`) hands
    over the files it has parsed meanwhile.
    """
    folder = Path(folder)
    out = Collector()
    tables: dict[str, pd.DataFrame] = {}
    if not folder.is_dir():
        out.add(Problem(str(folder), None, None, None, "no such folder",
                        "a folder of CSV files (invoices.csv, payments.csv, ...)"))
        return tables, out.problems
    found = {p.name.lower(): p for p in folder.glob("*.csv")}
    if not require_all and not any(f"{n}.csv" in found for n in COLUMNS):
        out.add(Problem(str(folder), None, None, None, "no input files found",
                        f"one or more of {', '.join(n + '.csv' for n in COLUMNS)}"))
    # two files at a time (Arrow's parsing and kernels release the GIL): the largest
    # first, so the other thread reads the rest meanwhile; problems in file order
    names = sorted((n for n in COLUMNS if f"{n}.csv" in found),
                   key=lambda n: -file_size(found[f"{n}.csv"]))
    parse = prefetch.take if prefetch is not None else csv_text.parse
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        done = dict(zip(names, pool.map(
            lambda n: _read_table(n, parse(found[f"{n}.csv"], f"{n}.csv")), names), strict=True))
    for name, columns in COLUMNS.items():
        if name not in done:
            if require_all and name not in OPTIONAL_TABLES:
                out.add(Problem(f"{name}.csv", None, None, None, "the file is missing",
                                f"{name}.csv with columns {', '.join(columns)}"))
            continue
        table, problems = done[name]
        out.problems += problems
        if table is not None:
            tables[name] = table
    return tables, out.problems


def _read_table(name: str, parsed: Parsed) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One file's parsed text typed, with the problems found in it (None when unusable)."""
    columns = COLUMNS[name]
    source = f"{name}.csv"
    out = Collector()
    raw = _read_csv(parsed, out)
    if raw is None:
        return None, out.problems
    have = [c for c in raw.columns if c != "_line"]
    for c in columns:  # an older file without a newer optional column: all empty
        if (name, c) in OPTIONAL_FILE_COLUMNS and c not in have:
            raw[c] = pd.Series([""] * len(raw), dtype=object, index=raw.index)
            have.append(c)
    missing = [c for c in columns if c not in have]
    unknown = [c for c in have if c not in columns]
    for c in missing:
        out.add(Problem(source, 1, c, None, "missing column",
                        f"the columns {', '.join(columns)}"))
    for c in unknown:
        out.add(Problem(source, 1, c, None, "unknown column" if c else "a column with no name",
                        f"only the columns {', '.join(columns)}"))
    if missing:
        return None, out.problems
    return _typed(name, raw, source, out), out.problems


def to_inputs(tables: dict[str, pd.DataFrame]) -> Inputs:
    """An Inputs from typed tables (absent optional tables empty)."""
    return Inputs(**{name: tables[name] if name in tables else empty_table(name)
                     for name in COLUMNS})


@dataclass(frozen=True)
class Validation:
    """What :func:`read_tables` found and the cross-table checks under way
    (:class:`~commission.inputs.checks.Checking`).

    When :attr:`sound`, a calculation may start on :attr:`inputs` while the last
    checks run; only :meth:`result` says whether anything may be shown or written.
    """

    inputs: Inputs | None  # None: a required table could not be read at all
    read_problems: list[Problem]
    checking: Checking | None

    @property
    def sound(self) -> bool:
        """Every cell read, and the checks the engine rests on found nothing."""
        return self.checking is not None and not self.read_problems and self.checking.sound

    def result(self) -> tuple[Inputs | None, list[Problem]]:
        """(inputs, []) or (None, every problem), once every check has run."""
        problems = list(self.read_problems)
        if self.checking is not None:
            # cells that did not parse were already reported; don't report them again as
            # cross-table problems (a bad amount would also look "not positive")
            bad_rows = {(p.source, p.row) for p in problems if p.row is not None}
            problems += [p for p in self.checking.problems()
                         if (p.source, p.row) not in bad_rows]
        return (None, sort_problems(problems)) if problems else (self.inputs, [])


def start_validation(tables: dict[str, pd.DataFrame], problems: list[Problem],
                     plan_ids: Iterable[str], plans: Mapping[str, Plan] | None = None,
                     plan_override: str | None = None) -> Validation:
    """The cross-table checks on what :func:`read_tables` read, the last ones on a thread.

    ``plans`` (optional) lets the quota checks see each plan's quota period.
    """
    required = set(COLUMNS) - OPTIONAL_TABLES
    if not required <= set(tables):  # a file missing or unreadable: report what we have
        return Validation(None, list(problems), None)
    inputs = to_inputs(tables)
    return Validation(inputs, list(problems), Checking(inputs, plan_ids, plans, plan_override))


def validate_tables(tables: dict[str, pd.DataFrame], problems: list[Problem],
                    plan_ids: Iterable[str], plans: Mapping[str, Plan] | None = None,
                    plan_override: str | None = None) -> tuple[Inputs | None, list[Problem]]:
    """Cross-table checks on what :func:`read_tables` read, adding to its problems:
    (inputs, []) or (None, every problem)."""
    return start_validation(tables, problems, plan_ids, plans, plan_override).result()


def read_inputs(folder: str | Path, plan_ids: Iterable[str],
                plans: Mapping[str, Plan] | None = None
                ) -> tuple[Inputs | None, list[Problem]]:
    """Read and validate a full data set: (inputs, []) or (None, every problem)."""
    tables, problems = read_tables(folder, require_all=True)
    return validate_tables(tables, problems, plan_ids, plans)

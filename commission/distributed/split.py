"""Cutting a data folder into rep partitions, streaming: no table is held whole.

A partition *owns* a contiguous range of ``reps.csv`` rows. It gets every invoice
that credits one of its reps, or a direct report of one of them (a manager's
override is paid on the report's collections), with all of that invoice's splits,
payments, adjustments and disputes. The small tables (reps, customers,
plan_assignments, quotas, commission_adjustments) go whole to every partition, so
every partition sees every rep in the same order and the engine's rep positions
are the same everywhere. Rows keep their order, so every order the engine derives
from row positions is the same as in one process.

The files are streamed with Arrow (every cell kept as the text it was), each row
routed by a bit mask of the partitions that need it. Anything unexpected (a file
that does not parse, a duplicate id, an unknown reference) is not diagnosed here:
:class:`Unsplittable` sends the caller back to the one-process path, whose
validation names every problem with its file, row and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from commission.inputs.tables import COLUMNS, ID_COLUMN

#: whole in every partition (small: one row per rep, customer, quota, manual line)
WHOLE = ("reps", "customers", "plan_assignments", "quotas", "commission_adjustments")
#: cut by invoice
BY_INVOICE = ("invoices", "splits", "payments", "adjustments", "disputes")
#: dated event columns: the first and last month computed span all of them
EVENT_DATES = {"invoices": "invoice_date", "payments": "payment_date",
               "adjustments": "adjustment_date", "commission_adjustments": "adjustment_date"}
MAX_PARTITIONS = 63  # one bit each in a uint64 mask
BLOCK = 1 << 24  # bytes of CSV per streamed batch
ROWS_PER_PART = 250_000  # invoices per partition, by default


class Unsplittable(Exception):
    """The folder cannot be cut safely; run (and validate) it in one process instead."""


@dataclass
class Partitions:
    """Where each partition's files are and which reps it owns."""

    folders: list[Path]
    owned: list[tuple[int, int]]  # [lo, hi) rows of reps.csv
    first_month: str | None  # 'YYYY-MM' of the earliest dated event, None without events
    last_month: str | None
    rows: dict[str, list[int]] = field(default_factory=dict)  # rows written per table


def _files(data: Path) -> dict[str, Path]:
    """The contract's files in ``data``, found as the reader finds them (case-blind)."""
    found = {p.name.lower(): p for p in data.glob("*.csv")}
    return {name: found[f"{name}.csv"] for name in COLUMNS if f"{name}.csv" in found}


def _header(path: Path) -> tuple[bytes, list[str]]:
    """The header line as it is, and its column names as the reader trims them."""
    with path.open("rb") as fh:
        head = fh.readline()
    try:
        names = next(csv.reader([head.decode("utf-8-sig").strip("\r\n")]))
    except (UnicodeDecodeError, StopIteration) as exc:
        raise Unsplittable(f"{path.name}: unreadable header") from exc
    return head if head.endswith(b"\n") else head + b"\n", [n.strip() for n in names]


def _batches(path: Path, n_cols: int):
    """The file's rows, every cell a string, in batches (header skipped)."""
    names = [f"c{i}" for i in range(n_cols)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=BLOCK,
                                           encoding="utf8"),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        yield from reader
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise Unsplittable(f"{path.name}: {str(exc)[:120]}") from exc


def _column(batch: pa.RecordBatch, names: list[str], col: str) -> pa.Array:
    if col not in names:
        raise Unsplittable(f"no column {col}")
    return pc.utf8_trim_whitespace(batch.column(names.index(col)))


def _small(path: Path) -> pd.DataFrame:
    """A small table (reps, plan assignments) as trimmed-header text."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise Unsplittable(f"{path.name}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def pays_override(files: dict[str, Path], override_plans: frozenset[str],
                  plan_override: str | None) -> np.ndarray:
    """For each row of reps.csv: may this rep be paid an override (under any of its plans)?"""
    reps = _small(files["reps"])
    assigned = _small(files["plan_assignments"]) if "plan_assignments" in files else None
    for name, frame in (("reps", reps), ("plan_assignments", assigned)):
        if frame is not None and not {"rep_id", "plan_id"} <= set(frame.columns):
            raise Unsplittable(f"{name}.csv")
    return override_paid(reps, assigned, override_plans, plan_override)


def override_paid(reps: pd.DataFrame, assigned: pd.DataFrame | None,
                  override_plans: frozenset[str], plan_override: str | None) -> np.ndarray:
    """For each rep: may it be paid an override under any of its plans?

    With ``plan_override`` (what-if) every rep is under that one plan; otherwise a
    rep's plans are ``reps.plan_id`` and every plan it is assigned over time.
    """
    if plan_override is not None:
        return np.full(len(reps), plan_override in override_plans)
    ids = reps["rep_id"].astype(str).str.strip()
    paid = reps["plan_id"].astype(str).str.strip().isin(override_plans).to_numpy()
    if assigned is not None:
        hit = assigned["plan_id"].astype(str).str.strip().isin(override_plans)
        paid = paid | ids.isin(assigned["rep_id"].astype(str).str.strip()[hit]).to_numpy()
    return paid


def rep_partitions(ids: pd.Series, managers: pd.Series, paid: np.ndarray, parts: int
                   ) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Contiguous rep ranges, one per partition, and each rep's bit mask of the
    partitions that need it: its owner's, and its manager's owner's when the manager
    may be paid an override on the rep's collections."""
    n = len(ids)
    bounds = np.linspace(0, n, parts + 1).round().astype(np.int64)
    owned = [(int(bounds[k]), int(bounds[k + 1])) for k in range(parts)]
    owner = np.searchsorted(bounds, np.arange(n), side="right") - 1
    mgr = pd.Index(ids).get_indexer(managers)
    bit = np.left_shift(np.uint64(1), owner.astype(np.uint64))
    use = (mgr >= 0) & paid[np.maximum(mgr, 0)]
    return owned, bit | np.where(use, bit[np.maximum(mgr, 0)], np.uint64(0))


def _hash(values: pa.Array) -> np.ndarray:
    """64-bit hashes of ids: a collision only costs a fall back to one process."""
    return pd.util.hash_array(values.to_numpy(zero_copy_only=False), categorize=False)


def partition_count(asked: int | None, invoices: int, reps: int) -> int:
    """``asked``, or one partition per ``ROWS_PER_PART`` invoices (at least 2), at most
    ``MAX_PARTITIONS`` and the number of reps."""
    want = asked or max(2, -(-invoices // ROWS_PER_PART))
    return int(min(want, MAX_PARTITIONS, reps))


class _Router:
    """Partition masks of reps and invoices, built as the files stream past."""

    def __init__(self, files: dict[str, Path], n_parts: int | None,
                 pays_override: np.ndarray | None = None) -> None:
        reps = _small(files["reps"])
        if "rep_id" not in reps or "manager_id" not in reps or reps.empty:
            raise Unsplittable("reps.csv")
        ids = reps["rep_id"].str.strip()
        size = files["invoices"].stat().st_size
        parts = partition_count(n_parts, -(-size // 50), len(ids))
        self.rep_index = pd.Index(ids)
        if not self.rep_index.is_unique:
            raise Unsplittable("duplicate rep ids")
        paid = np.ones(len(ids), bool) if pays_override is None else pays_override
        self.owned, self.rep_mask = rep_partitions(ids, reps["manager_id"].str.strip(), paid,
                                                   parts)
        self.parts = parts
        self.inv_hash = np.zeros(0, np.uint64)
        self.inv_mask = np.zeros(0, np.uint64)
        self.split_hash = np.zeros(0, np.uint64)
        self.split_mask = np.zeros(0, np.uint64)

    def reps_mask(self, rep_ids: pa.Array) -> np.ndarray:
        pos = self.rep_index.get_indexer(rep_ids.to_numpy(zero_copy_only=False))
        # an unknown rep goes to partition 0, whose validation reports it
        return np.where(pos >= 0, self.rep_mask[np.maximum(pos, 0)], np.uint64(1))

    def lookup(self, keys: np.ndarray, table_keys: np.ndarray, masks: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """(mask, found) of each key in a sorted key table."""
        at = np.searchsorted(table_keys, keys)
        at = np.minimum(at, max(len(table_keys) - 1, 0))
        found = (table_keys[at] == keys) if len(table_keys) else np.zeros(len(keys), bool)
        return (np.where(found, masks[at] if len(masks) else np.uint64(0), np.uint64(0)), found)


class _Months:
    """The earliest and latest 'YYYY-MM' among well-formed event dates.

    A malformed date is left out here and reported by a partition's validation.
    """

    def __init__(self) -> None:
        self.first: str | None = None
        self.last: str | None = None

    def see(self, dates: pa.Array) -> None:
        ok = pc.match_substring_regex(dates, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        months = pc.utf8_slice_codeunits(pc.filter(dates, ok), 0, 7)
        if len(months) == 0:
            return
        span = pc.min_max(months).as_py()
        self.first = span["min"] if self.first is None else min(self.first, span["min"])
        self.last = span["max"] if self.last is None else max(self.last, span["max"])


class _Writer:
    """One table's file in every partition folder: the original header, then rows."""

    def __init__(self, folders: list[Path], name: str, head: bytes) -> None:
        self.handles = [(f / f"{name}.csv").open("wb") for f in folders]
        for fh in self.handles:
            fh.write(head)
        self.options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        self.rows = [0] * len(folders)

    def write(self, batch: pa.RecordBatch, mask: np.ndarray) -> None:
        for k, fh in enumerate(self.handles):
            keep = (mask >> np.uint64(k)) & np.uint64(1)
            if not keep.any():
                continue
            part = batch.filter(pa.array(keep.astype(bool)))
            buf = io.BytesIO()
            pacsv.write_csv(part, buf, write_options=self.options)
            fh.write(buf.getvalue())
            self.rows[k] += part.num_rows

    def close(self) -> None:
        for fh in self.handles:
            fh.close()


def _group_or(keys: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and the OR of the masks of each."""
    if len(keys) == 0:
        return keys, masks
    order = np.argsort(keys, kind="stable")
    keys, masks = keys[order], masks[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.bitwise_or.reduceat(masks, starts)


def _split_masks(router: _Router, path: Path) -> None:
    """Which partitions each split invoice goes to: those of every rep it credits."""
    _head, names = _header(path)
    keys, masks = [], []
    for batch in _batches(path, len(names)):
        keys.append(_hash(_column(batch, names, "invoice_id")))
        masks.append(router.reps_mask(_column(batch, names, "rep_id")))
    router.split_hash, router.split_mask = _group_or(
        np.concatenate([np.zeros(0, np.uint64), *keys]),
        np.concatenate([np.zeros(0, np.uint64), *masks]))


def _stream(router: _Router, path: Path, name: str, folders: list[Path], months: _Months
            ) -> tuple[list[int], np.ndarray]:
    """Write one table's rows to the partitions that need them; (rows, hashes of ids)."""
    head, names = _header(path)
    writer = _Writer(folders, name, head)
    ids: list[np.ndarray] = []
    inv_keys: list[np.ndarray] = []
    inv_masks: list[np.ndarray] = []
    try:
        for batch in _batches(path, len(names)):
            inv = _hash(_column(batch, names, "invoice_id"))
            if name == "invoices":
                mask = router.reps_mask(_column(batch, names, "rep_id"))
                split, found = router.lookup(inv, router.split_hash, router.split_mask)
                mask = np.where(found, split, mask)  # splits replace invoices.rep_id
                inv_keys.append(inv)
                inv_masks.append(mask)
            else:
                mask, found = router.lookup(inv, router.inv_hash, router.inv_mask)
                mask = np.where(found, mask, np.uint64(1))  # unknown: partition 0 reports it
            if name in EVENT_DATES:
                months.see(_column(batch, names, EVENT_DATES[name]))
            if name in ID_COLUMN:
                ids.append(_hash(_column(batch, names, ID_COLUMN[name])))
            writer.write(batch, mask)
    finally:
        writer.close()
    if name == "invoices":
        router.inv_hash, router.inv_mask = _group_or(
            np.concatenate([np.zeros(0, np.uint64), *inv_keys]),
            np.concatenate([np.zeros(0, np.uint64), *inv_masks]))
    return writer.rows, np.concatenate([np.zeros(0, np.uint64), *ids])


def _unique(hashes: np.ndarray, name: str) -> None:
    """Ids must be unique across partitions too (each partition sees only its own)."""
    if len(np.unique(hashes)) != len(hashes):
        raise Unsplittable(f"{name}: an id twice (or two ids with one hash)")


def split_folder(data: str | Path, scratch: str | Path, n_parts: int | None = None,
                 override_plans: frozenset[str] | None = None,
                 plan_override: str | None = None) -> Partitions:
    """Cut ``data`` into partition folders under ``scratch``; see the module docstring.

    ``n_parts`` defaults to one partition per ``ROWS_PER_PART`` invoices (estimated
    from the file's size), at least 2, at most 63 and the number of reps.
    ``override_plans``: the plans that pay managers an override; a report's invoices
    go to the manager's partition only when the manager may be under one of them
    (None: always). ``plan_override`` is ``calculate --plan`` (what-if).
    """
    data, scratch = Path(data), Path(scratch)
    files = _files(data)
    if not {"reps", "customers", "invoices", "payments", "adjustments"} <= set(files):
        raise Unsplittable("a required file is missing")
    paid = None if override_plans is None else pays_override(files, override_plans,
                                                             plan_override)
    router = _Router(files, n_parts, paid)
    folders = [scratch / f"part-{k:02d}" for k in range(router.parts)]
    for f in folders:
        f.mkdir(parents=True, exist_ok=True)
    months = _Months()
    if "splits" in files:
        _split_masks(router, files["splits"])
    rows: dict[str, list[int]] = {}
    for name in BY_INVOICE:
        if name in files:
            rows[name], ids = _stream(router, files[name], name, folders, months)
            _unique(ids, name)  # splits have no id of their own: nothing to check
    for name in WHOLE:
        if name not in files:
            continue
        if name in EVENT_DATES:
            _head, names = _header(files[name])
            for batch in _batches(files[name], len(names)):
                months.see(_column(batch, names, EVENT_DATES[name]))
        for f in folders:
            (f / f"{name}.csv").symlink_to(files[name].resolve())
    return Partitions(folders, router.owned, months.first, months.last, rows)

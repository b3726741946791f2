"""``calculate`` as a map over rep partitions on a Dask cluster, same bytes as one process.

The driver cuts the data folder into partitions (:mod:`.split`, streaming), each
worker reads and validates its partition with the ordinary reader, pays every month
from the data set's first to its last with the ordinary engine (``compute``), and
writes its own reps' lines and payouts as CSV, month by month. ``lines.csv`` is
ordered by month, then rep (then kind and event), and a partition owns a
contiguous range of reps, so the driver writes each month's pieces partition after
partition: the files are the one-process files, byte for byte.

Any problem with the input sends the caller back to the one-process path
(:class:`.split.Unsplittable`), which names every problem with its row.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from commission.distributed.split import Partitions, Unsplittable, split_folder
from commission.engine import NOT_PAID, EventPeriods, Result, compute, event_months, month_index
from commission.files import staged
from commission.inputs.reading import read_tables, validate_tables
from commission.inputs.tables import Inputs, empty_table
from commission.periods import parse_period, period_label
from commission.plans import Plan
from commission.reports.result_files import lines_table, payouts_table

CHUNK = 1 << 22
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


@dataclass(frozen=True)
class Job:
    """What every partition computes: the plans and the months (indices, inclusive)."""

    plans: Mapping[str, Plan]
    first: int
    last: int
    through: str | None = None
    plan_override: str | None = None


@dataclass
class PartOutcome:
    """One partition's answer: where its CSV pieces are, or that its input had problems."""

    problems: int = 0
    headers: dict[str, bytes] = field(default_factory=dict)
    offsets: dict[str, list[int]] = field(default_factory=dict)  # per month, + the end
    files: dict[str, str] = field(default_factory=dict)
    n_lines: int = 0
    payouts: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None  # the reps it owns: rep_id, name


def _periods(inputs: Inputs, job: Job) -> EventPeriods:
    """Each event in its own month, as ``calculate`` pays them (after ``last``: not paid)."""
    def paid_in(dates: pd.Series) -> np.ndarray:
        m = month_index(dates.to_numpy())
        return np.where(m <= job.last, m, NOT_PAID)

    return EventPeriods(
        invoices=paid_in(inputs.invoices["invoice_date"]),
        payments=paid_in(inputs.payments["payment_date"]),
        adjustments=paid_in(inputs.adjustments["adjustment_date"]),
        manual=paid_in(inputs.commission_adjustments["adjustment_date"]),
    )


def compute_months(inputs: Inputs, job: Job) -> Result:
    """``calculate`` of one partition, but over the whole data set's months.

    A partition's earliest event may come later than the data set's; payouts
    (draws, carry) are owed from the data set's first month, so the months are
    given, not derived from the partition.
    """
    months = event_months(inputs)
    if len(months) and (months.min() < job.first
                        or (job.through is None and months.max() > job.last)):
        raise RuntimeError("a partition has an event outside the data set's months")
    if job.plan_override:
        inputs = inputs.replace(plan_assignments=empty_table("plan_assignments"))
        rep_plans = np.full(len(inputs.reps), job.plan_override, dtype=object)
    else:
        rep_plans = inputs.reps["plan_id"].to_numpy(dtype=object)
    return compute(inputs, job.plans, rep_plans, _periods(inputs, job),
                   np.arange(job.first, job.last + 1, dtype=np.int64))


def _write_by_month(table: pa.Table, period: pd.Series, labels: list[str], path: Path
                    ) -> tuple[bytes, list[int]]:
    """The table's CSV header, and its rows written month by month with each month's start."""
    head = io.BytesIO()
    pacsv.write_csv(table.slice(0, 0), head, write_options=pacsv.WriteOptions(
        include_header=True, quoting_style="needed"))
    values = period.to_numpy(dtype=object)
    starts = np.searchsorted(values, labels, side="left")
    ends = np.searchsorted(values, labels, side="right")
    if int((ends - starts).sum()) != len(values):
        raise RuntimeError("lines outside the months computed")
    offsets = [0]
    with path.open("wb") as fh:
        for a, b in zip(starts, ends, strict=True):
            if b > a:
                pacsv.write_csv(table.slice(int(a), int(b - a)), fh, write_options=_CSV)
            offsets.append(fh.tell())
    return head.getvalue(), offsets


def run_partition(folder: str, owned: tuple[int, int], job: Job) -> PartOutcome:
    """Read, validate and pay one partition; write its own reps' rows (runs on a worker)."""
    tables, problems = read_tables(folder, require_all=True)
    inputs, problems = validate_tables(tables, problems, job.plans.keys(), job.plans,
                                       job.plan_override)
    if problems or inputs is None:
        return PartOutcome(problems=max(len(problems), 1))
    return pay_partition(inputs, owned, job, folder)


def pay_partition(inputs: Inputs, owned: tuple[int, int], job: Job, folder: str
                  ) -> PartOutcome:
    """Pay a validated partition and write the rows of the reps it owns under ``folder``."""
    result = compute_months(inputs, job)
    mine = inputs.reps["rep_id"].iloc[owned[0]:owned[1]]
    lines = result.lines[result.lines["rep_id"].isin(mine).to_numpy()]
    payouts = result.payouts[result.payouts["rep_id"].isin(mine).to_numpy()]
    out = PartOutcome(n_lines=len(lines), payouts=payouts.reset_index(drop=True),
                      reps=inputs.reps.iloc[owned[0]:owned[1]][["rep_id", "name"]])
    for name, frame, table in (("lines", lines, lines_table(lines)),
                               ("payouts", payouts, payouts_table(payouts))):
        path = Path(folder) / f"{name}.part"
        out.headers[name], out.offsets[name] = _write_by_month(
            table, frame["period"], result.periods, path)
        out.files[name] = str(path)
    return out


def _copy(src: Path, start: int, end: int, dst: io.BufferedWriter) -> None:
    with src.open("rb") as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            block = fh.read(min(CHUNK, left))
            if not block:
                raise RuntimeError(f"{src} is shorter than its worker said")
            dst.write(block)
            left -= len(block)


def merge(outcomes: list[PartOutcome], out_dir: str | Path) -> None:
    """``lines.csv`` and ``payouts.csv``: each month, every partition's piece in rep order."""
    with staged(out_dir) as stage:
        for name in ("lines", "payouts"):
            with stage(f"{name}.csv").open("wb") as dst:
                dst.write(outcomes[0].headers[name])
                n_months = len(outcomes[0].offsets[name]) - 1
                for m in range(n_months):
                    for o in outcomes:
                        _copy(Path(o.files[name]), o.offsets[name][m],
                              o.offsets[name][m + 1], dst)


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None
                ) -> Iterator[Any]:
    """A client of a remote scheduler, or of a local cluster of ``workers`` processes.

    The local cluster listens on loopback only and has no dashboard.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # no dashboard; the scheduler's small HTTP server (health checks) on a free
    # loopback port, so nothing listens beyond this machine
    with LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


@dataclass
class Partitioned:
    """What a partitioned run wrote: counts, months, and the payouts (for a summary)."""

    n_lines: int
    periods: list[str]
    payouts: pd.DataFrame
    partitions: int
    reps: pd.DataFrame  # rep_id, name


def _job(parts: Partitions, plans: Mapping[str, Plan], through: str | None,
         plan_override: str | None) -> Job | None:
    if parts.first_month is None:
        return None  # no dated event: nothing to spread
    first = parse_period(parts.first_month)
    last = parse_period(through) if through else parse_period(parts.last_month or "")
    return Job(plans, first, last, through, plan_override)


def gather_and_merge(client: Any, futures: list[Any], job: Job, out_dir: str | Path
                     ) -> Partitioned:
    """Wait for every partition, then write the files (Unsplittable if one had problems)."""
    outcomes: list[PartOutcome] = client.gather(futures)
    if any(o.problems for o in outcomes):
        raise Unsplittable("problems in the input")
    merge(outcomes, out_dir)
    periods = [str(p) for p in period_label(np.arange(job.first, job.last + 1))]
    payouts = pd.concat([o.payouts for o in outcomes if o.payouts is not None],
                        ignore_index=True)
    reps = pd.concat([o.reps for o in outcomes if o.reps is not None], ignore_index=True)
    return Partitioned(sum(o.n_lines for o in outcomes), periods, payouts, len(outcomes), reps)


def calculate_partitioned(client: Any, data: str | Path, plans: Mapping[str, Plan],
                          out_dir: str | Path, options: Mapping[str, Any] | None = None
                          ) -> Partitioned:
    """Write ``lines.csv`` and ``payouts.csv`` of ``data`` through ``client``'s workers.

    ``options``: ``through``, ``plan`` (what-if), ``partitions`` (how many),
    ``scratch`` (a folder every worker can read and write; default: inside
    ``out_dir``). Raises :class:`Unsplittable` when the input must be read (and its
    problems reported) in one process.
    """
    opts = dict(options or {})
    with scratch_for(out_dir, opts.get("scratch")) as scratch:
        overriding = frozenset(pid for pid, plan in plans.items() if plan.override)
        parts = split_folder(data, scratch, opts.get("partitions"), overriding, opts.get("plan"))
        job = _job(parts, plans, opts.get("through"), opts.get("plan"))
        if job is None:
            raise Unsplittable("no dated event")
        futures = client.map(run_partition, [str(f) for f in parts.folders], parts.owned,
                             [job] * len(parts.folders), pure=False)
        return gather_and_merge(client, futures, job, out_dir)


@contextmanager
def scratch_for(out_dir: str | Path, scratch: str | Path | None) -> Iterator[Path]:
    """A fresh folder for partition files (removed after); on failure no new ``out_dir``."""
    made = not Path(out_dir).exists()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".partitions-", dir=scratch or out_dir))
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if made:  # nothing written: leave no empty folder behind either
            with contextlib.suppress(OSError):
                Path(out_dir).rmdir()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)

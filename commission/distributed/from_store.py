"""The partitioned run with the store as the system of record: workers read the database.

No file is cut: the driver reads the small tables (reps, plan assignments) and the
span of months, assigns reps to partitions exactly as :mod:`.split` does, and each
worker reads its part of the store (``source.inputs(rep_ids)``: the invoices that
credit its reps, or the reports of its managers paid an override, with every row of
them), checks it, pays it with the ordinary engine and writes its own reps' rows.
The driver merges the pieces as for files: the one-process files, byte for byte.

``source`` is anything with ``small()``, ``sizes()`` and ``inputs(rep_ids)``
(:class:`commission.store.partitions.StoredPartitions` for the store); this room
does not import the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from commission.distributed.run import (
    Job,
    Partitioned,
    PartOutcome,
    gather_and_merge,
    pay_partition,
    scratch_for,
)
from commission.distributed.split import (
    Unsplittable,
    override_paid,
    partition_count,
    rep_partitions,
)
from commission.inputs.checks import check
from commission.inputs.tables import Inputs
from commission.periods import parse_period
from commission.plans import Plan


class Source(Protocol):
    def small(self) -> dict[str, pd.DataFrame]: ...
    def sizes(self) -> tuple[int, str | None, str | None]: ...
    def inputs(self, rep_ids: list[str]) -> Inputs: ...


def run_source_partition(source: Source, need: list[str], owned: tuple[int, int], job: Job,
                         folder: str) -> PartOutcome:
    """Read the reps ``need`` of ``source``, check and pay them (runs on a worker)."""
    inputs = source.inputs(need)
    problems = check(inputs, job.plans.keys(), job.plans, job.plan_override)
    if problems:
        return PartOutcome(problems=len(problems))
    return pay_partition(inputs, owned, job, folder)


def _needs(small: dict[str, pd.DataFrame], plans: Mapping[str, Plan], plan: str | None,
           asked: int | None, invoices: int) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """Each partition's rep range and the reps whose invoices it reads."""
    reps = small["reps"]
    overriding = frozenset(pid for pid, p in plans.items() if p.override)
    paid = override_paid(reps, small["plan_assignments"], overriding, plan)
    parts = partition_count(asked, invoices, len(reps))
    owned, masks = rep_partitions(reps["rep_id"], reps["manager_id"], paid, parts)
    ids = reps["rep_id"].to_numpy(dtype=object)
    needs = [ids[(masks >> np.uint64(k)) & np.uint64(1) == 1].tolist() for k in range(parts)]
    return owned, needs


def calculate_from_source(client: Any, source: Source, plans: Mapping[str, Plan],
                          out_dir: str | Path, options: Mapping[str, Any] | None = None
                          ) -> Partitioned:
    """Write ``lines.csv`` and ``payouts.csv`` of the stored data through ``client``.

    ``options`` as for :func:`.run.calculate_partitioned`. Raises :class:`Unsplittable`
    when a partition's check finds a problem (the one-process path reports it).
    """
    opts = dict(options or {})
    invoices, first, last = source.sizes()
    small = source.small()
    if first is None or small["reps"].empty:
        raise Unsplittable("no dated event")
    through = opts.get("through")
    job = Job(plans, parse_period(first), parse_period(through or last or ""), through,
              opts.get("plan"))
    owned, needs = _needs(small, plans, opts.get("plan"), opts.get("partitions"), invoices)
    with scratch_for(out_dir, opts.get("scratch")) as scratch:
        folders = [scratch / f"part-{k:02d}" for k in range(len(owned))]
        for f in folders:
            f.mkdir()
        futures = client.map(run_source_partition, [source] * len(owned), needs, owned,
                             [job] * len(owned), [str(f) for f in folders], pure=False)
        return gather_and_merge(client, futures, job, out_dir)

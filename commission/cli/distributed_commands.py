"""``commission calculate --workers N`` / ``--scheduler ADDRESS``: the partitioned run.

The same files as the one-process run, computed rep partition by rep partition on
a Dask cluster (:mod:`commission.distributed`). When the input has a problem, the
one-process path reads it again and reports every problem with its row.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from commission.cli.common import UserError

if TYPE_CHECKING:  # loaded when a partitioned run starts, not when the parser is built
    import pandas as pd

    from commission import Result


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The partitioned run's options on ``calculate``."""
    p.add_argument("--workers", type=int,
                   help="compute rep partitions on a local Dask cluster of N processes")
    p.add_argument("--scheduler", help="compute on a running Dask cluster (tcp://HOST:PORT)")
    p.add_argument("--partitions", type=int,
                   help="how many rep partitions (default: about one per 250,000 invoices)")
    p.add_argument("--scratch", help="folder for partition files, shared by every worker "
                                     "(default: inside --out)")


def wanted(args: argparse.Namespace) -> bool:
    return getattr(args, "workers", None) is not None or bool(getattr(args, "scheduler", None))


def check_flags(args: argparse.Namespace) -> None:
    """The partitioned run's options, before anything is read: a number of local workers
    from 1 to the most partitions (100,000 once started processes until the machine
    gave out), and ``--partitions``/``--scratch`` only with a cluster to use them."""
    from commission.distributed.split import MAX_PARTITIONS

    workers = getattr(args, "workers", None)
    if workers is not None and not 1 <= workers <= MAX_PARTITIONS:
        raise UserError(f"--workers must be 1 to {MAX_PARTITIONS} (no more workers than "
                        f"partitions; a larger cluster: --scheduler), not {workers}")
    partitions = getattr(args, "partitions", None)
    if partitions is not None and not 1 <= partitions <= MAX_PARTITIONS:
        raise UserError(f"--partitions must be 1 to {MAX_PARTITIONS}, not {partitions}")
    if not wanted(args) and (partitions is not None or getattr(args, "scratch", None)):
        raise UserError("--partitions and --scratch cut the run for a cluster: add --workers N "
                        "or --scheduler ADDRESS")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {"through": args.through, "plan": args.plan, "partitions": args.partitions,
            "scratch": args.scratch}


def _announce(args: argparse.Namespace, done: Any, t0: float,
              summary_table: Callable[[Result, pd.DataFrame], str]) -> int:
    from commission import Result

    if done.periods:
        print(f"{done.n_lines:,} lines, {len(done.payouts):,} payouts, "
              f"{done.periods[0]} to {done.periods[-1]}, written to {args.out}/ "
              f"({done.partitions} partitions)")
    if not args.quiet:
        print(summary_table(Result(done.payouts.iloc[:0], done.payouts), done.reps))
    if args.timings:
        print(f"timings: total {time.perf_counter() - t0:.2f}s", file=sys.stderr)
    return 0


def cmd_calculate_partitioned(args: argparse.Namespace,
                              summary_table: Callable[[Result, pd.DataFrame], str]
                              ) -> int | None:
    """Run partitioned; None when the input needs the one-process path (problems).

    ``summary_table`` is the one-process command's per-rep summary (printed the same).
    """
    from commission import load_plans
    from commission.distributed import Unsplittable, calculate_partitioned, dask_client

    t0 = time.perf_counter()
    check_flags(args)
    plans, _texts, plan_problems = load_plans(args.rules)
    if plan_problems or (args.plan is not None and args.plan not in plans):
        return None
    try:
        with dask_client(args.workers, args.scheduler) as client:
            done = calculate_partitioned(client, args.data, plans, args.out, _options(args))
    except Unsplittable:
        return None
    return _announce(args, done, t0, summary_table)


def cmd_calculate_from_store(args: argparse.Namespace, source: Any, plans: Mapping[str, Any],
                             summary_table: Callable[[Result, pd.DataFrame], str]
                             ) -> int | None:
    """``calculate --db --workers``: workers read ``source`` (the store); None when a
    partition found a problem (the one-process path reports it)."""
    from commission.distributed import Unsplittable, dask_client
    from commission.distributed.from_store import calculate_from_source

    t0 = time.perf_counter()
    check_flags(args)
    try:
        with dask_client(args.workers, args.scheduler) as client:
            done = calculate_from_source(client, source, plans, args.out, _options(args))
    except Unsplittable:
        return None
    return _announce(args, done, t0, summary_table)

"""``commission calculate --db URL``: every month's pay from the store, the system of record.

The same files as ``calculate --data`` on the same rows: the stored inputs were
validated when they were loaded and are checked again against the plans of
``--rules``. Everyone's pay is finance's to compute (``batch.run``), so the command
acts as a known user (``--as`` / ``COMMISSION_USER``) and is audited. With
``--workers N`` or ``--scheduler ADDRESS`` each Dask worker reads its own rep
partition straight from the database; nothing is copied to files first.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pandas as pd

from commission import InputError, Problem, Result, calculate
from commission.cli import distributed_commands as dist
from commission.cli.store_commands import _as, _with_batch_errors
from commission.inputs.checks import check
from commission.problems import sort_problems


@_with_batch_errors
def cmd_calculate_stored(args: argparse.Namespace, plans_problems: tuple[dict, list[Problem]],
                         announce: Callable[[Result, pd.DataFrame, Any], None],
                         summary_table: Callable[[Result, pd.DataFrame], str]) -> int:
    """Pay the stored rows (``plans_problems``: the plans of ``--rules``, their problems);
    ``announce`` and ``summary_table`` print as ``calculate --data`` does."""
    from commission import access
    from commission.reports.result_files import write_result
    from commission.store import open_store
    from commission.store.db import normalize_url

    plans, problems = plans_problems
    if problems:
        raise InputError(problems)
    url = normalize_url(args.db)
    with open_store(url) as store:
        identity = _as(args, store)
        if dist.wanted(args):
            source = access.calculation_partitions(identity, store, url)
            if dist.cmd_calculate_from_store(args, source, plans, summary_table) == 0:
                return 0  # otherwise a partition found a problem: read it all, report it
        inputs = access.calculation_inputs(identity, store)
    problems = check(inputs, plans.keys(), plans, args.plan)
    if problems:
        raise InputError(sort_problems(problems))
    result = calculate(inputs, plans, through=args.through, plan_override=args.plan)
    write_result(result, args.out)
    announce(result, inputs.reps, args)
    return 0

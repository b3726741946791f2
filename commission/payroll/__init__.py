"""The payroll batch lifecycle over the store: load, run, approve, lock; show, diff, history.

Finance loads the month's data (:func:`load`, all or nothing, history never
edited), runs a draft batch for a period (:func:`run_batch`), reviews it
(:func:`show`, :func:`diff`), approves and locks it (:func:`approve`,
:func:`lock`). Every function takes a :class:`~commission.store.Store` and plain
arguments and returns data; refusals raise :class:`BatchError`, input problems
:class:`~commission.problems.InputError`.

- :mod:`.lifecycle`: the operations above;
- :mod:`.loading`: what a load changes, and the history rule (paid events cannot change);
- :mod:`.fingerprint`: hashes of the events and plans a batch used;
- :mod:`.changes`: what changed since a batch was computed, in words a reviewer reads;
- :mod:`.summary`: what the operations hand back, with ``text()`` for the command line.
"""

from __future__ import annotations

from commission.payroll.lifecycle import (
    BatchError,
    approve,
    batch_lines,
    batch_payouts,
    batch_plans,
    batch_runs,
    catch_up_warning,
    diff,
    list_batches,
    load,
    lock,
    run_batch,
    show,
    store_plans,
    store_version,
    stored_plans,
)
from commission.payroll.summary import BatchHeader, BatchSummary, LoadSummary

__all__ = [
    "BatchError",
    "BatchHeader",
    "BatchSummary",
    "LoadSummary",
    "approve",
    "batch_lines",
    "batch_payouts",
    "batch_plans",
    "batch_runs",
    "catch_up_warning",
    "diff",
    "list_batches",
    "load",
    "lock",
    "run_batch",
    "show",
    "store_plans",
    "store_version",
    "stored_plans",
]

"""Commission on cash collected: the public surface the command line, the app and tests use.

>>> import commission
>>> plans, texts, problems = commission.load_plans("rules")          # doctest: +SKIP
>>> inputs, problems = commission.read_inputs("sample_data", plans)  # doctest: +SKIP
>>> result = commission.calculate(inputs, plans)                     # doctest: +SKIP

Plans and inputs: :func:`load_plans`, :func:`parse_plan`, :class:`Plan`,
:func:`read_inputs` (a folder of CSV files, validated), :class:`Inputs`;
problems: :class:`Problem`, :class:`InputError`. The engine: :func:`calculate`
(every month), :func:`compute` (given periods, carry-in and earlier lines),
:class:`Result`. The store and the payroll lifecycle: :func:`open_store`,
:func:`load`, :func:`run_batch`, :func:`approve`, :func:`lock`, :func:`show`,
:func:`diff`, :func:`list_batches`, :class:`BatchError`.

Names are imported on first use, so ``import commission`` stays cheap (the engine,
pydantic and SQLAlchemy load only when something needs them).

Rooms, and which way imports point (doors -> payroll, reports -> engine, store ->
plans, inputs, periods, money): ``cli/`` and ``ui/`` are the doors; ``payroll/``
the batch lifecycle; ``reports/`` statements, exports, outlook, comparison;
``engine/`` the pure calculation; ``store/`` persistence only; ``plans/`` the plan
language; ``inputs/`` tables and validation; ``periods``, ``money``,
``vocabulary``, ``files`` the shared words and helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commission.lazy import exports

#: public name -> the module that defines it
_WHERE = {
    "Plan": "commission.plans.language",
    "load_plans": "commission.plans.language",
    "parse_plan": "commission.plans.language",
    "Inputs": "commission.inputs.tables",
    "read_inputs": "commission.inputs.reading",
    "InputError": "commission.problems",
    "Problem": "commission.problems",
    "Result": "commission.engine",
    "calculate": "commission.engine",
    "compute": "commission.engine",
    "Store": "commission.store",
    "open_store": "commission.store",
    "BatchError": "commission.payroll",
    "BatchSummary": "commission.payroll",
    "LoadSummary": "commission.payroll",
    "approve": "commission.payroll",
    "diff": "commission.payroll",
    "list_batches": "commission.payroll",
    "load": "commission.payroll",
    "lock": "commission.payroll",
    "run_batch": "commission.payroll",
    "show": "commission.payroll",
}

__all__ = [
    "BatchError", "BatchSummary", "InputError", "Inputs", "LoadSummary", "Plan", "Problem",
    "Result", "Store", "approve", "calculate", "compute", "diff", "list_batches", "load",
    "load_plans", "lock", "open_store", "parse_plan", "read_inputs", "run_batch", "show",
]
assert sorted(__all__) == sorted(_WHERE)


__getattr__, __dir__ = exports(__name__, _WHERE)


if TYPE_CHECKING:  # what type checkers and editors see
    from commission.engine import Result, calculate, compute
    from commission.inputs.reading import read_inputs
    from commission.inputs.tables import Inputs
    from commission.payroll import (
        BatchError,
        BatchSummary,
        LoadSummary,
        approve,
        diff,
        list_batches,
        load,
        lock,
        run_batch,
        show,
    )
    from commission.plans.language import Plan, load_plans, parse_plan
    from commission.problems import InputError, Problem
    from commission.store import Store, open_store

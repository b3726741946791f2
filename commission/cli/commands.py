"""Commands on a folder of data: ``calculate``, ``validate``, ``sample``.

They read files and plans, call the engine and write files; nothing here opens
the store (that is :mod:`commission.cli.store_commands`).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from commission.cli import distributed_commands as dist
from commission.cli.common import UserError

if TYPE_CHECKING:  # the engine, pandas and the readers load when a command runs, not for --help
    import pandas as pd

    from commission import Inputs, Problem, Result
    from commission.inputs.csv_text import Prefetch
    from commission.inputs.reading import Validation


def plans_and_problems(rules: str, plan: str | None) -> tuple[dict, list[Problem]]:
    """The plans of ``rules`` and every problem with them (``--plan`` must be one)."""
    from commission import Problem, load_plans

    plans, _texts, plan_problems = load_plans(rules)
    problems = list(plan_problems)
    if plan is not None and plan not in plans and not plan_problems:
        problems.append(Problem("--plan", None, None, plan, f"unknown plan {plan!r}",
                                f"one of {', '.join(sorted(plans))}"))
    return plans, problems


def _start_loading(data: str, rules: str, plan: str | None, timings: dict[str, float],
                   prefetch: Prefetch | None) -> tuple[dict, list[Problem], Validation]:
    """The plans, their problems and the inputs' validation under way."""
    from commission.inputs.reading import read_tables, start_validation

    t0 = time.perf_counter()
    plans, problems = plans_and_problems(rules, plan)
    tables, read_problems = read_tables(data, require_all=True, prefetch=prefetch)
    timings["read"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    validation = start_validation(tables, read_problems, plans.keys(), plans,
                                  plan if plan in plans else None)
    timings["validate"] = time.perf_counter() - t1
    return plans, problems, validation


def _validated(plan_problems: list[Problem], validation: Validation) -> Inputs:
    """The inputs once every check has run, or InputError with every problem of both."""
    from commission import InputError

    inputs, input_problems = validation.result()
    if plan_problems or input_problems:
        raise InputError([*plan_problems, *input_problems])
    assert inputs is not None
    return inputs


def _load_all(data: str, rules: str, plan: str | None = None,
              timings: dict[str, float] | None = None, prefetch: Prefetch | None = None):
    """Plans and validated inputs, or InputError with every problem of both."""
    timings = {} if timings is None else timings
    plans, problems, validation = _start_loading(data, rules, plan, timings, prefetch)
    return plans, _validated(problems, validation)


def summary_table(result: Result, reps: pd.DataFrame) -> str:
    """Per-rep totals over the months computed, as a fixed-width table."""
    from commission.money import format_money

    p = result.payouts
    if p.empty:
        return "nothing to pay: no month with events up to --through"
    money = ["gross", "haircuts", "clawbacks", "net", "payout"]
    by = p.groupby("rep_id", sort=True)[money].sum()
    last = p.groupby("rep_id", sort=True)[["carry_out", "plan_id"]].last()
    names = reps.set_index("rep_id")["name"].reindex(by.index).fillna("")
    figures = zip(*(by[m].to_numpy() for m in money), last["carry_out"].to_numpy(),
                  strict=True)
    rows = [["rep", "name", "plan", *money, "carry"]]
    rows += [[rep_id, str(name)[:22], plan, *(format_money(int(v)) for v in row)]
             for rep_id, name, plan, row in zip(by.index, names, last["plan_id"], figures,
                                                strict=True)]
    tot = by.sum()
    rows.append(["TOTAL", "", "", *(format_money(tot[m]) for m in money),
                 format_money(int(last["carry_out"].sum()))])
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        cells = [str(c).ljust(w) if j < 3 else str(c).rjust(w)
                 for j, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  ".join(cells))
        if i == 0 or i == len(rows) - 2:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------------------- commands


def _prefetch(data: str) -> Prefetch:
    """The data folder's files starting to parse (Arrow, on threads) before the engine and
    pandas are imported: on two cores that import and the parse overlap."""
    from commission.inputs.csv_text import Prefetch

    return Prefetch.folder(data)


def _check_through(text: str) -> None:
    """``--through`` is a month within the years a data set's dates may have: a typo such
    as 9999-12 would otherwise compute a payout for every rep and month until then."""
    from commission.inputs.reading import FIRST_DAY, LAST_DAY
    from commission.periods import parse_period

    try:
        month = parse_period(text)
    except ValueError as exc:
        raise UserError(f"--through: {exc}") from None
    if not parse_period(str(FIRST_DAY)[:7]) <= month <= parse_period(str(LAST_DAY)[:7]):
        raise UserError(f"--through: {text!r} is not a month from {str(FIRST_DAY)[:7]} to "
                        f"{str(LAST_DAY)[:7]}")


def cmd_calculate(args: argparse.Namespace) -> int:
    one_process = args.db is None and not dist.wanted(args)
    prefetch = _prefetch(args.data) if one_process else None
    try:
        return _calculate(args, prefetch)
    finally:
        if prefetch is not None:
            prefetch.close()


def _calculate(args: argparse.Namespace, prefetch: Prefetch | None) -> int:
    from commission.reports.result_files import write_result

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if args.through:
        _check_through(args.through)
    dist.check_flags(args)
    if args.db is not None:
        from commission.cli.stored_calculate import cmd_calculate_stored

        return cmd_calculate_stored(args, plans_and_problems(args.rules, args.plan), announce,
                                    summary_table)
    if dist.wanted(args) and dist.cmd_calculate_partitioned(args, summary_table) == 0:
        return 0  # otherwise the input has a problem: the one-process path reports it
    plans, plan_problems, validation = _start_loading(args.data, args.rules, args.plan,
                                                      timings, prefetch)
    t1 = time.perf_counter()
    result = _calculate_beside(validation, plans, args) if not plan_problems else None
    inputs = _validated(plan_problems, validation)
    assert result is not None  # no problem at all: the foundation was sound, it computed
    timings["compute"] = time.perf_counter() - t1
    inputs.forget_derived()  # nothing computes again: the memory goes to the words
    t2 = time.perf_counter()
    write_result(result, args.out)
    timings["write"] = time.perf_counter() - t2
    announce(result, inputs.reps, args)
    if args.timings:
        total = time.perf_counter() - t0
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
        print(f"timings: {parts}, total {total:.2f}s", file=sys.stderr)
    return 0


def _calculate_beside(validation: Validation, plans: dict, args: argparse.Namespace
                      ) -> Result | None:
    """The calculation, started while the last checks run (on two cores the two overlap).

    Only on inputs whose foundation is sound (each id once, every reference and plan
    known). None when it could not start, or failed on inputs that have a problem: the
    problems are what the user is shown. A failure on inputs without any is a fault.
    """
    from commission import calculate

    if not validation.sound:
        return None
    assert validation.inputs is not None
    try:
        return calculate(validation.inputs, plans, through=args.through,
                         plan_override=args.plan)
    except Exception:
        if validation.result()[1]:
            return None
        raise


def announce(result: Result, reps: pd.DataFrame, args: argparse.Namespace) -> None:
    """What was written, and the per-rep summary unless ``--quiet``."""
    if result.periods:
        print(f"{result.line_count():,} lines, {len(result.payouts):,} payouts, "
              f"{result.periods[0]} to {result.periods[-1]}, written to {args.out}/")
    if not args.quiet:
        print(summary_table(result, reps))


def cmd_validate(args: argparse.Namespace) -> int:
    prefetch = _prefetch(args.data)
    try:
        plans, inputs = _load_all(args.data, args.rules, prefetch=prefetch)
    finally:
        prefetch.close()
    counts = ", ".join(f"{len(t):,} {name}" for name, t in inputs.tables().items())
    print(f"OK: {len(plans)} plan(s) ({', '.join(sorted(plans))}); {counts}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from commission.sample import write_sample

    if args.invoices < 1:
        raise UserError("--invoices must be at least 1")
    counts = write_sample(args.out, n_invoices=args.invoices, seed=args.seed,
                          part2=not args.part1_only)
    print(f"wrote {args.out}/: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    return 0


# ---------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``calculate``, ``validate`` and ``sample`` to the command line."""
    p = sub.add_parser("calculate", help="every month's lines and payouts from a data folder")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="folder of input CSV files")
    source.add_argument("--db", help="read the inputs from this store (SQLAlchemy URL) as "
                                     "finance; with --workers each worker reads its part")
    p.add_argument("--as", dest="as_user", metavar="EMAIL",
                   help="with --db: act as this user (default: $COMMISSION_USER)")
    p.add_argument("--rules", default="rules", help="folder of plan files (default: rules)")
    p.add_argument("--through", help="last month to pay, YYYY-MM (default: latest event)")
    p.add_argument("--out", required=True, help="folder for lines.csv and payouts.csv")
    p.add_argument("--plan", help="apply this plan to every rep (what-if)")
    p.add_argument("--quiet", action="store_true", help="no per-rep summary")
    p.add_argument("--timings", action="store_true", help="print phase timings to stderr")
    dist.add_arguments(p)
    p.set_defaults(func=cmd_calculate)

    p = sub.add_parser("validate", help="check a data folder and the plans; list every problem")
    p.add_argument("--data", required=True)
    p.add_argument("--rules", default="rules")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sample", help="write a realistic sample data set")
    p.add_argument("--out", required=True)
    p.add_argument("--invoices", type=int, default=3000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--part1-only", action="store_true",
                   help="no plan changes, quotas, draws, overrides, recoveries or manual lines")
    p.set_defaults(func=cmd_sample)

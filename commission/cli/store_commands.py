"""Commands on the system of record: load, batches, payroll export, statements, aging.

Each command opens the store (``--db`` or ``COMMISSION_DB``, default
``sqlite:///commission.db``), calls :mod:`commission.payroll` or
:mod:`commission.reports`, and prints or writes the result. The payroll
lifecycle and the reports are imported when a command runs, so ``commission
calculate`` never loads SQLAlchemy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
from pathlib import Path

from commission.cli.common import UserError, add_db_option
from commission.files import write_atomic
from commission.money import format_money


def _store(args: argparse.Namespace):
    from commission import open_store

    return open_store(args.db)


def _with_batch_errors(func):
    """A refused batch operation is a user's mistake: one line, exit 2."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from commission import BatchError

        try:
            return func(args)
        except BatchError as exc:
            raise UserError(str(exc)) from None

    return run


# ---------------------------------------------------------------------------- commands


@_with_batch_errors
def cmd_load(args: argparse.Namespace) -> int:
    from commission.payroll import load

    with _store(args) as store:
        print(load(store, args.data, args.rules, by=args.by).text())
    return 0


@_with_batch_errors
def cmd_batch_run(args: argparse.Namespace) -> int:
    from commission.payroll import run_batch

    with _store(args) as store:
        print(run_batch(store, args.period, args.rules, by=args.by).text())
    return 0


@_with_batch_errors
def cmd_batch_approve(args: argparse.Namespace) -> int:
    from commission.payroll import approve

    with _store(args) as store:
        print(approve(store, args.id, args.by).text())
    return 0


@_with_batch_errors
def cmd_batch_lock(args: argparse.Namespace) -> int:
    from commission.payroll import lock

    with _store(args) as store:
        print(lock(store, args.id, args.by).text())
    return 0


@_with_batch_errors
def cmd_batch_show(args: argparse.Namespace) -> int:
    from commission.payroll import show

    with _store(args) as store:
        print(show(store, args.id).text())
    return 0


@_with_batch_errors
def cmd_batch_list(args: argparse.Namespace) -> int:
    from commission.payroll import list_batches

    with _store(args) as store:
        frame = list_batches(store)
    if frame.empty:
        print("no batches yet: commission batch run --period YYYY-MM")
        return 0
    frame = frame.astype({"approved_by": object, "locked_by": object}).where(
        frame.notna(), None)
    for r in frame.itertuples(index=False):
        print(f"{r.batch_id:>4}  {r.period}  {r.status:<8}  run {r.run_no} by {r.run_by}"
              f"{'  approved by ' + r.approved_by if r.approved_by else ''}"
              f"{'  locked by ' + r.locked_by if r.locked_by else ''}"
              f"  {r.lines:,} lines  payout {format_money(r.payout)}")
    return 0


@_with_batch_errors
def cmd_batch_diff(args: argparse.Namespace) -> int:
    from commission.payroll import diff

    with _store(args) as store:
        changes = diff(store, args.id, args.rules)
    print("\n".join(changes) if changes else
          "nothing changed in the inputs since this batch was computed")
    return 0


@_with_batch_errors
def cmd_batch_export(args: argparse.Namespace) -> int:
    from commission.payroll import batch_lines, batch_payouts, show
    from commission.reports.export import export_csv_text, payroll_export, reconcile

    with _store(args) as store:
        summary = show(store, args.id)
        payouts = batch_payouts(store, args.id)
        lines = batch_lines(store, args.id)
        reps = store.stored_inputs().reps
    problems = reconcile(lines, payouts, summary.period)
    if problems:  # never hand payroll a file that does not add up
        raise UserError("the batch does not reconcile: " + "; ".join(problems))
    frame = payroll_export(payouts, reps, summary.period, args.id)
    write_atomic(args.out, export_csv_text(frame).encode("utf-8"))
    total = frame[frame["rep_id"] == "TOTAL"].iloc[0]
    note = "" if summary.status == "locked" else f" (batch is {summary.status}, not locked)"
    print(f"wrote {args.out}: {len(frame) - 1} reps, payout {format_money(int(total['payout']))}"
          f"{note}")
    return 0


@_with_batch_errors
def cmd_statement(args: argparse.Namespace) -> int:
    from commission.payroll import batch_lines, batch_payouts, batch_plans, show
    from commission.reports.statement import (
        period_bounds,
        render_statement_html,
        render_statement_pdf,
        statement_data,
    )

    with _store(args) as store:
        summary = show(store, args.batch)
        lines, payouts = batch_lines(store, args.batch), batch_payouts(store, args.batch)
        inputs, plans = store.stored_inputs(), batch_plans(store, args.batch)
    if args.rep not in set(payouts["rep_id"]):
        raise UserError(f"rep {args.rep!r} has no payout in batch {args.batch}")
    as_of = args.as_of or period_bounds(summary.period)[1]
    data = statement_data(args.rep, summary.period, lines, payouts, inputs, plans, as_of,
                          batch_id=args.batch)
    out = Path(args.out)
    kind = args.format or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    body = (render_statement_pdf(data) if kind == "pdf"
            else render_statement_html(data).encode("utf-8"))
    write_atomic(out, body)
    print(f"wrote {out} ({kind}) for {args.rep}, {summary.period}")
    return 0


def cmd_aging(args: argparse.Namespace) -> int:
    from commission.reports.aging import aging, aging_text

    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        raise UserError(f"--as-of {args.as_of!r} is not a date; expected YYYY-MM-DD") from None
    with _store(args) as store:
        inputs = store.stored_inputs()
    if args.rep and args.rep not in set(inputs.reps["rep_id"]):
        raise UserError(f"unknown rep {args.rep!r}")
    print(aging_text(aging(inputs, as_of, rep_id=args.rep)))
    return 0


# ---------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``load``, ``batch ...``, ``statement`` and ``aging`` to the command line."""
    p = _store_parser(sub, "load", "validate a data folder and upsert it into the store")
    p.add_argument("--data", required=True)
    p.add_argument("--rules", help="store these plans too (new versions where changed)")
    p.add_argument("--by", default=os.environ.get("USER", ""), help="who loads")
    p.set_defaults(func=cmd_load)

    p = _store_parser(sub, "batch", "payroll batches: run, approve, lock, show, diff, export, "
                                    "list")
    _register_batch(p.add_subparsers(dest="batch_command", required=True, metavar="ACTION"))

    p = _store_parser(sub, "statement", "a rep's statement for a batch, as HTML or PDF")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--rep", required=True)
    p.add_argument("--out", required=True, help="FILE.html or FILE.pdf")
    p.add_argument("--format", choices=["html", "pdf"])
    p.add_argument("--as-of", dest="as_of", help="date for open invoices (default: period end)")
    p.set_defaults(func=cmd_statement)

    p = _store_parser(sub, "aging", "each rep's open invoices by age bucket")
    p.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
    p.add_argument("--rep")
    p.set_defaults(func=cmd_aging)


def _store_parser(sub: argparse._SubParsersAction, name: str, help_text: str
                  ) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text)
    add_db_option(p)
    return p


def _action(bsub: argparse._SubParsersAction, name: str, func, help_text: str,
            by_id: bool = True) -> argparse.ArgumentParser:
    """One ``batch ACTION`` (``--db`` may come before or after the action)."""
    q = bsub.add_parser(name, help=help_text)
    if by_id:
        q.add_argument("id", type=int)
    add_db_option(q, inherited=True)
    q.set_defaults(func=func)
    return q


def _register_batch(bsub: argparse._SubParsersAction) -> None:
    for name, func, help_text in (
        ("approve", cmd_batch_approve, "approve a reviewed draft"),
        ("lock", cmd_batch_lock, "lock an approved batch: read-only from then on"),
    ):
        _action(bsub, name, func, help_text).add_argument("--by", required=True)
    q = _action(bsub, "run", cmd_batch_run, "compute (or recompute) the draft batch of a period",
                by_id=False)
    q.add_argument("--period", required=True, help="YYYY-MM")
    q.add_argument("--rules", help="store these plans first (default: the plans in the store)")
    q.add_argument("--by", default=os.environ.get("USER", "") or "finance")
    _action(bsub, "show", cmd_batch_show, "a batch's summary and audit trail")
    q = _action(bsub, "diff", cmd_batch_diff,
                "what changed in the inputs since the draft was computed")
    q.add_argument("--rules", help="also compare with the plans in this folder")
    _action(bsub, "list", cmd_batch_list, "every batch", by_id=False)
    q = _action(bsub, "export", cmd_batch_export,
                "the payroll file: one row per rep and a control total")
    q.add_argument("--out", required=True)

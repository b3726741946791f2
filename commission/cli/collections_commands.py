"""``commission collections ...``: the desk's worklist, records, messages and signals.

Every command reads the store (``--db`` or ``COMMISSION_DB``), the plans stored
with the data and the ladder (``--ladder``, default ``rules/collections.yaml``),
and acts as a known user (``--as EMAIL`` or ``COMMISSION_USER``, as the store's
commands do) through :mod:`commission.access`: an unknown user or a role that may
not do the command is one line on stderr and exit 2, and the refusal is recorded.
A rep's worklist and credit signal hold their own customers only.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from commission.cli.common import UserError
from commission.cli.store_commands import USER_ENV, _as, _with_batch_errors

if TYPE_CHECKING:  # pandas loads when a command runs, not when the parser is built
    import pandas as pd

OWNERS = ("collector", "rep", "manager", "credit")
MONEY = ("open_amount", "commission_now", "next_step_cost", "keep_after", "promise_amount",
         "write_off_amount")
SHOWN = ["invoice_id", "customer_name", "rep_id", "days_past_due", "step", "owner",
         "next_step_date", "open_amount", "commission_now", "collect_by", "next_step_cost",
         "dispute", "last_contact_date", "promise_status"]


def _day(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date; expected YYYY-MM-DD") from None


def _context(args: argparse.Namespace):
    """(store, identity, inputs, plans, ladder) or a clear problem; close the store."""
    from commission.collections.ladder import load_ladder
    from commission.payroll.lifecycle import stored_plans
    from commission.problems import InputError
    from commission.store import open_store

    store = open_store(args.db)
    try:
        identity = _as(args, store)
        ladder, problems = load_ladder(args.ladder)
        plans, plan_problems = stored_plans(store)
        if problems or plan_problems:
            raise InputError([*problems, *plan_problems])
    except BaseException:
        store.close()
        raise
    return store, identity, store.stored_inputs(), plans, ladder


def _work(args: argparse.Namespace, store, identity, inputs, plans, ladder) -> pd.DataFrame:
    from commission import access

    if args.rep and args.rep not in set(inputs.reps["rep_id"]):
        raise UserError(f"unknown rep {args.rep!r}")
    return access.collections_worklist(identity, store, inputs, plans, ladder,
                                       _day(args.as_of, "--as-of"),
                                       owner=getattr(args, "owner", None), rep_id=args.rep)


def _money_text(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = frame.copy()
    for c in MONEY:
        if c in out:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{int(v) / 100:.2f}")
    for c in out.columns:
        if str(out[c].dtype).startswith("datetime"):
            out[c] = out[c].dt.strftime("%Y-%m-%d").fillna("")
    return out


@_with_batch_errors
def cmd_worklist(args: argparse.Namespace) -> int:
    store, identity, inputs, plans, ladder = _context(args)
    with store:
        work = _work(args, store, identity, inputs, plans, ladder)
    text = _money_text(work.drop(columns="step_index"))
    if args.csv:
        from commission.files import safe_frame, write_atomic

        csv = safe_frame(text, [c for c in MONEY if c in text.columns])
        write_atomic(args.csv, csv.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        print(f"{len(text)} overdue invoice row(s) written to {args.csv}")
        return 0
    if text.empty:
        print("No overdue open invoices.")
        return 0
    print(text[SHOWN].to_string(index=False))
    return 0


@_with_batch_errors
def cmd_contact(args: argparse.Namespace) -> int:
    from commission import access
    from commission.collections import desk
    from commission.store import open_store

    entry = desk.Contact(args.invoice, args.date, args.channel, args.outcome,
                         args.promise_amount, args.promise_date)
    with open_store(args.db) as store:
        cid = access.record_contact(_as(args, store), store, entry)
    print(f"contact {cid} recorded on {args.invoice}")
    return 0


@_with_batch_errors
def cmd_dispute(args: argparse.Namespace) -> int:
    from commission import access
    from commission.store import open_store

    with open_store(args.db) as store:
        me = _as(args, store)
        if args.dispute_action == "open":
            did = access.open_dispute(me, store, args.invoice, args.date, args.note)
            print(f"dispute {did} opened on {args.invoice}; the lateness clock is paused")
        else:
            access.resolve_dispute(me, store, args.dispute, args.date, args.note)
            print(f"dispute {args.dispute} resolved on {args.date}")
    return 0


@_with_batch_errors
def cmd_arrange(args: argparse.Namespace) -> int:
    from commission import access
    from commission.collections import desk
    from commission.store import open_store

    entry = desk.Arrangement(args.invoice, args.date, args.installments, args.amount,
                             args.first_due, args.every, args.note)
    with open_store(args.db) as store:
        aid = access.record_arrangement(_as(args, store), store, entry)
    print(f"arrangement {aid} recorded on {args.invoice}")
    return 0


@_with_batch_errors
def cmd_send(args: argparse.Namespace) -> int:
    from commission import access
    from commission.collections.messages import SmtpSettings, ladder_messages, monthly_summaries

    store, identity, inputs, plans, ladder = _context(args)
    args.rep = None

    def compose() -> list:
        work = _work(args, store, identity, inputs, plans, ladder)
        out = []
        if args.kind in ("summary", "all"):
            out += monthly_summaries(inputs, work, _day(args.as_of, "--as-of"))
        if args.kind in ("ladder", "all"):
            out += ladder_messages(inputs, work, ladder)
        return out

    with store:
        try:
            report = access.send_messages(identity, store, compose,
                                          SmtpSettings.from_config(ladder), dry_run=args.dry_run)
        except OSError as exc:
            raise UserError(f"cannot send through the SMTP server: {exc}") from None
    for m in report.preview:
        print(f"--- would send {m.key} to {m.to}: {m.subject}\n{m.body}")
    print(f"sent {len(report.sent)}, already sent {len(report.already)}, "
          f"would send {len(report.preview)}, without address {len(report.unaddressed)}")
    return 0


@_with_batch_errors
def cmd_credit(args: argparse.Namespace) -> int:
    from commission import access

    store, identity, inputs, _plans, ladder = _context(args)
    with store:
        signal = access.customer_credit(identity, store, inputs, _day(args.as_of, "--as-of"),
                                        ladder.credit_signal)
    if args.flagged:
        signal = signal[signal["flag"] != "ok"]
    print(_money_text(signal).to_string(index=False))
    return 0


@_with_batch_errors
def cmd_performance(args: argparse.Namespace) -> int:
    from commission import access

    store, identity, inputs, _plans, ladder = _context(args)
    with store:
        frame = access.collections_performance(identity, store, inputs, ladder,
                                               _day(args.as_of, "--as-of"), by=args.by)
    print(frame.to_string(index=False))
    return 0


# ----------------------------------------------------------------------------- parser


def _common(p: argparse.ArgumentParser, ladder: bool = True) -> None:
    p.add_argument("--db", help="SQLAlchemy URL (default: $COMMISSION_DB or "
                                "sqlite:///commission.db)")
    p.add_argument("--as", dest="as_user", metavar="EMAIL",
                   help=f"act as this user (default: ${USER_ENV})")
    if ladder:
        p.add_argument("--ladder", default=str(Path("rules") / "collections.yaml"),
                       help="the ladder file (default: rules/collections.yaml)")


def _records(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("contact", help="log a contact (and any promise to pay)")
    _common(q, ladder=False)
    q.add_argument("--invoice", required=True)
    q.add_argument("--date", required=True, help="YYYY-MM-DD")
    q.add_argument("--channel", required=True)
    q.add_argument("--outcome", required=True)
    q.add_argument("--promise-amount", dest="promise_amount")
    q.add_argument("--promise-date", dest="promise_date")
    q.set_defaults(func=cmd_contact)
    q = sub.add_parser("dispute", help="open or resolve a dispute (pauses the lateness clock)")
    dsub = q.add_subparsers(dest="dispute_action", required=True, metavar="ACTION")
    for name in ("open", "resolve"):
        r = dsub.add_parser(name)
        _common(r, ladder=False)
        r.add_argument("--invoice" if name == "open" else "--dispute", required=True)
        r.add_argument("--date", required=True)
        r.add_argument("--note", required=True)
        r.set_defaults(func=cmd_dispute)
    q = sub.add_parser("arrange", help="record a payment arrangement (credit or finance only)")
    _common(q, ladder=False)
    for flag in ("--invoice", "--date", "--amount", "--first-due"):
        q.add_argument(flag, required=True)
    q.add_argument("--installments", type=int, required=True)
    q.add_argument("--every", type=int, default=30, help="days between installments")
    q.add_argument("--note", default="")
    q.set_defaults(func=cmd_arrange)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("collections", help="the collections desk: worklist, contacts, messages")
    csub = p.add_subparsers(dest="collections_command", required=True, metavar="ACTION")
    q = csub.add_parser("worklist", help="every overdue open invoice, its step and owner")
    _common(q)
    q.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
    q.add_argument("--owner", choices=OWNERS)
    q.add_argument("--rep")
    q.add_argument("--csv", help="write the whole worklist to this CSV file")
    q.set_defaults(func=cmd_worklist)
    _records(csub)
    q = csub.add_parser("send", help="monthly summaries and ladder messages, each once")
    _common(q)
    q.add_argument("--as-of", dest="as_of", required=True)
    q.add_argument("--kind", choices=["summary", "ladder", "all"], default="all")
    q.add_argument("--dry-run", dest="dry_run", action="store_true", help="preview only")
    q.set_defaults(func=cmd_send)
    q = csub.add_parser("credit", help="the customer credit signal")
    _common(q)
    q.add_argument("--as-of", dest="as_of", required=True)
    q.add_argument("--flagged", action="store_true", help="only customers flagged")
    q.set_defaults(func=cmd_credit)
    q = csub.add_parser("performance", help="collection performance by rep or by step")
    _common(q)
    q.add_argument("--as-of", dest="as_of", required=True)
    q.add_argument("--by", choices=["rep", "step"], default="rep")
    q.set_defaults(func=cmd_performance)



"""``commission collections ...``: the desk's worklist, records, messages and signals.

Every command reads the store (``--db`` or ``COMMISSION_DB``), the plans stored
with the data and the ladder (``--ladder``, default ``rules/collections.yaml``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import pandas as pd

from commission.cli.common import UserError
from commission.problems import InputError

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
    """(store, inputs, plans, ladder) or a clear problem."""
    from commission.collections.ladder import load_ladder
    from commission.payroll.lifecycle import stored_plans
    from commission.store import open_store

    ladder, problems = load_ladder(args.ladder)
    if problems:
        raise InputError(problems)
    store = open_store(args.db)
    plans, plan_problems = stored_plans(store)
    if plan_problems:
        store.close()
        raise InputError(plan_problems)
    return store, store.stored_inputs(), plans, ladder


def _work(args: argparse.Namespace, store, inputs, plans, ladder) -> pd.DataFrame:
    from commission.collections import desk
    from commission.collections.worklist import worklist

    if args.rep and args.rep not in set(inputs.reps["rep_id"]):
        raise UserError(f"unknown rep {args.rep!r}")
    return worklist(inputs, plans, ladder, _day(args.as_of, "--as-of"), desk.contacts(store),
                    desk.arrangements(store), owner=getattr(args, "owner", None),
                    rep_id=args.rep)


def _money_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in MONEY:
        if c in out:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{int(v) / 100:.2f}")
    for c in out.columns:
        if str(out[c].dtype).startswith("datetime"):
            out[c] = out[c].dt.strftime("%Y-%m-%d").fillna("")
    return out


def cmd_worklist(args: argparse.Namespace) -> int:
    store, inputs, plans, ladder = _context(args)
    with store:
        work = _work(args, store, inputs, plans, ladder)
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


def _actor(args: argparse.Namespace):
    from commission.collections.desk import Actor

    return Actor(args.actor, args.role)


def cmd_contact(args: argparse.Namespace) -> int:
    from commission.collections import desk
    from commission.store import open_store

    entry = desk.Contact(args.invoice, args.date, args.channel, args.outcome,
                         args.promise_amount, args.promise_date)
    with open_store(args.db) as store:
        cid = desk.record_contact(store, _actor(args), entry)
    print(f"contact {cid} recorded on {args.invoice}")
    return 0


def cmd_dispute(args: argparse.Namespace) -> int:
    from commission.collections import desk
    from commission.store import open_store

    with open_store(args.db) as store:
        if args.dispute_action == "open":
            did = desk.open_dispute(store, _actor(args), args.invoice, args.date, args.note)
            print(f"dispute {did} opened on {args.invoice}; the lateness clock is paused")
        else:
            desk.resolve_dispute(store, _actor(args), args.dispute, args.date, args.note)
            print(f"dispute {args.dispute} resolved on {args.date}")
    return 0


def cmd_arrange(args: argparse.Namespace) -> int:
    from commission.collections import desk
    from commission.store import open_store

    entry = desk.Arrangement(args.invoice, args.date, args.installments, args.amount,
                             args.first_due, args.every, args.note)
    with open_store(args.db) as store:
        aid = desk.record_arrangement(store, _actor(args), entry)
    print(f"arrangement {aid} recorded on {args.invoice}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from commission.collections.messages import (
        SmtpSettings,
        ladder_messages,
        monthly_summaries,
        send,
    )

    store, inputs, plans, ladder = _context(args)
    args.rep = None
    with store:
        work = _work(args, store, inputs, plans, ladder)
        out = []
        if args.kind in ("summary", "all"):
            out += monthly_summaries(inputs, work, _day(args.as_of, "--as-of"))
        if args.kind in ("ladder", "all"):
            out += ladder_messages(inputs, work, ladder)
        try:
            report = send(store, out, SmtpSettings.from_config(ladder), dry_run=args.dry_run)
        except OSError as exc:
            raise UserError(f"cannot send through the SMTP server: {exc}") from None
    for m in report.preview:
        print(f"--- would send {m.key} to {m.to}: {m.subject}\n{m.body}")
    print(f"sent {len(report.sent)}, already sent {len(report.already)}, "
          f"would send {len(report.preview)}, without address {len(report.unaddressed)}")
    return 0


def cmd_credit(args: argparse.Namespace) -> int:
    from commission.collections.credit import credit_signal

    store, inputs, _plans, ladder = _context(args)
    store.close()
    signal = credit_signal(inputs, _day(args.as_of, "--as-of"), ladder.credit_signal)
    if args.flagged:
        signal = signal[signal["flag"] != "ok"]
    print(_money_text(signal).to_string(index=False))
    return 0


def cmd_performance(args: argparse.Namespace) -> int:
    from commission.collections.performance import by_rep, by_step

    store, inputs, _plans, ladder = _context(args)
    store.close()
    day = _day(args.as_of, "--as-of")
    frame = by_rep(inputs, ladder, day) if args.by == "rep" else by_step(inputs, ladder, day)
    print(frame.to_string(index=False))
    return 0


# ----------------------------------------------------------------------------- parser


def _common(p: argparse.ArgumentParser, ladder: bool = True) -> None:
    p.add_argument("--db", help="SQLAlchemy URL (default: $COMMISSION_DB or "
                                "sqlite:///commission.db)")
    if ladder:
        p.add_argument("--ladder", default=str(Path("rules") / "collections.yaml"),
                       help="the ladder file (default: rules/collections.yaml)")


def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--actor", default=os.environ.get("USER", ""), help="who records it")
    p.add_argument("--role", required=True,
                   help="collector, rep (actor = rep_id), manager, credit or finance")


def _records(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("contact", help="log a contact (and any promise to pay)")
    _common(q, ladder=False)
    _who(q)
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
        _who(r)
        r.add_argument("--invoice" if name == "open" else "--dispute", required=True)
        r.add_argument("--date", required=True)
        r.add_argument("--note", required=True)
        r.set_defaults(func=cmd_dispute)
    q = sub.add_parser("arrange", help="record a payment arrangement (credit or finance only)")
    _common(q, ladder=False)
    _who(q)
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



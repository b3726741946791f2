"""Commands for inquiries, payout changes and workbooks: inquiry, explain.

``commission inquiry open|list|answer|resolve|decline`` act as a known user
(``--as``) through :mod:`commission.access.inquiries`; ``commission explain`` shows
why a rep's payout changed between two periods, calculated from a data folder or
from the store's batches.
"""

from __future__ import annotations

import argparse

from commission.cli.common import UserError, record_id
from commission.cli.store_commands import _as, _common, _store, _with_batch_errors


def _cents(text: str) -> int:
    from commission.money import to_cents

    try:
        return to_cents(text.replace(",", ""))
    except (ValueError, ArithmeticError):
        raise UserError(f"{text!r} is not an amount like 125.00 or -40.50") from None


def _row_text(r: dict) -> str:
    from commission.money import format_money

    line = " ".join(str(r[k]) for k in ("line_kind", "event_id") if r.get(k)) or "statement"
    out = (f"{r['reference']}  {r['period']}  {r['rep_id']}  {r['status']:<8}  {line}  "
           f"{r['reason']}: {r['comment']}")
    if r.get("answer"):
        out += f"\n    answer by {r['answered_by']}: {r['answer']}"
    if r.get("correction_amount") is not None:
        out += f"\n    correction {format_money(int(r['correction_amount']))} (manual line " \
               f"{r['reference']})"
    return out


@_with_batch_errors
def cmd_inquiry(args: argparse.Namespace) -> int:
    from commission.access import inquiries as ask

    with _store(args) as store:
        me = _as(args, store)
        action = args.inquiry_command
        if action == "open":
            row = ask.open_inquiry(me, store, args.batch, args.rep, args.reason, args.comment,
                                   args.kind, args.line)
        elif action == "answer":
            row = ask.answer_inquiry(me, store, args.id, args.text)
        elif action == "resolve":
            row = ask.resolve_inquiry(me, store, args.id, args.text, _cents(args.amount))
        elif action == "decline":
            row = ask.decline_inquiry(me, store, args.id, args.text)
        else:
            frame = ask.list_inquiries(me, store, args.batch, args.rep, args.period,
                                       args.status)
            print("\n".join(_row_text(r) for r in frame.to_dict("records"))
                  if len(frame) else "no inquiries")
            return 0
    print(_row_text(row))
    return 0


@_with_batch_errors
def cmd_explain(args: argparse.Namespace) -> int:
    if args.data:
        import commission
        from commission.reports.explain import explain_periods

        if not args.rules:
            raise UserError("--data needs --rules too (the plans to calculate with)")
        plans, _texts, problems = commission.load_plans(args.rules)
        inputs, more = commission.read_inputs(args.data, plans)
        if problems or more:
            raise commission.InputError([*problems, *more])
        result = commission.calculate(inputs, plans, through=max(args.from_, args.to))
        try:
            explained = explain_periods(result, plans, args.rep, args.from_, args.to)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    else:
        from commission.access.changes import explain_pay

        with _store(args) as store:
            explained = explain_pay(_as(args, store), store, args.rep, args.from_, args.to)
    print(explained.text(detail=not args.brief))
    return 0


def _register_inquiry(sub: argparse._SubParsersAction) -> None:
    from commission.vocabulary import INQUIRY_REASONS as REASONS
    from commission.vocabulary import INQUIRY_STATUSES as STATUSES

    p = sub.add_parser("inquiry", help="questions on draft statements: open, list, answer, "
                                       "resolve, decline")
    _common(p)
    isub = p.add_subparsers(dest="inquiry_command", required=True, metavar="ACTION")
    q = isub.add_parser("open", help="flag a line of your draft statement (or all of it)")
    q.add_argument("--batch", type=record_id, required=True)
    q.add_argument("--rep", required=True)
    q.add_argument("--reason", required=True, choices=list(REASONS))
    q.add_argument("--comment", default="")
    q.add_argument("--line", help="the line's event_id (leave out: the whole statement)")
    q.add_argument("--kind", help="the line's kind, when one event makes several lines")
    q = isub.add_parser("list", help="inquiries you may see")
    q.add_argument("--batch", type=record_id)
    q.add_argument("--rep")
    q.add_argument("--period")
    q.add_argument("--status", choices=list(STATUSES))
    for name, help_text in (("answer", "answer an inquiry; it stays open (finance)"),
                            ("resolve", "resolve with a correction, a manual line (finance)"),
                            ("decline", "decline with an answer (finance)")):
        q = isub.add_parser(name, help=help_text)
        q.add_argument("id", type=record_id)
        q.add_argument("--text", required=True, help="the answer the rep reads")
        if name == "resolve":
            q.add_argument("--amount", required=True, help="the correction, e.g. 125.00")
    for q in isub.choices.values():
        _common(q, nested=True)
        q.set_defaults(func=cmd_inquiry)


def register(sub: argparse._SubParsersAction) -> None:
    _register_inquiry(sub)
    p = sub.add_parser("explain", help="why a rep's payout changed from one period to another")
    _common(p)
    p.add_argument("--rep", required=True)
    p.add_argument("--from", dest="from_", required=True, help="YYYY-MM")
    p.add_argument("--to", required=True, help="YYYY-MM")
    p.add_argument("--data", help="calculate from this data folder (with --rules) instead of "
                                  "the store's batches")
    p.add_argument("--rules")
    p.add_argument("--brief", action="store_true", help="causes only, without their lines")
    p.set_defaults(func=cmd_explain)

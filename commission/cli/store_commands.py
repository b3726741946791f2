"""Commands on the system of record: load, batches, payroll export, statements, aging, users.

Each command opens the store (``--db`` or ``COMMISSION_DB``, default
``sqlite:///commission.db``), acts as a known user (``--as EMAIL`` or
``COMMISSION_USER``), calls :mod:`commission.access` (which checks the user's roles,
calls the payroll lifecycle and the reports, and keeps the audit log), and prints
or writes the result. The one exception: ``user add ... --role admin`` on a store
with no administrator yet (bootstrapping, see docs/identity.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from commission.cli.common import UserError, add_db_option, record_id

USER_ENV = "COMMISSION_USER"


def _store(args: argparse.Namespace):
    """The store of ``--db`` / ``COMMISSION_DB``; a bad URL or an unusable database: UserError."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from commission import open_store
    from commission.store.db import default_url

    given = args.db or default_url()
    try:
        return open_store(args.db)
    except (ArgumentError, ValueError):
        raise UserError("--db / COMMISSION_DB is not a database URL (expected e.g. "
                        "sqlite:///commission.db or postgresql://user@host/dbname)") from None
    except DBAPIError as exc:
        raise UserError(f"cannot open the store {_safe_url(given)}: "
                        f"{_first_line(exc.orig or exc)}") from None
    except OSError as exc:
        raise UserError(f"cannot open the store {_safe_url(given)}: {exc.strerror or exc}"
                        ) from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the given URL)"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__


def _date_option(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD") from None


def _as(args: argparse.Namespace, store):
    """The identity this command acts as: ``--as`` or ``COMMISSION_USER``, a known user."""
    from commission.access import resolve

    email = getattr(args, "as_user", None) or os.environ.get(USER_ENV, "")
    what = " ".join(str(p) for p in (args.command, *(getattr(args, a, None) for a in (
        "batch_command", "user_command", "collections_command", "dispute_action"))) if p)
    return resolve(store, email, action=f"cli {what}")


def _batch_error(exc: Exception) -> UserError:
    return UserError(str(exc))


def _with_batch_errors(func):
    def run(args: argparse.Namespace, *rest: Any) -> int:
        from commission.access import AccessDenied
        from commission.payroll.lifecycle import BatchError

        try:
            return func(args, *rest)
        except (BatchError, AccessDenied) as exc:
            raise _batch_error(exc) from None

    return run


# ---------------------------------------------------------------------------- commands


@_with_batch_errors
def cmd_load(args: argparse.Namespace) -> int:
    from commission.access import load_data

    with _store(args) as store:
        print(load_data(_as(args, store), store, args.data, args.rules).text())
    return 0


@_with_batch_errors
def cmd_batch_run(args: argparse.Namespace) -> int:
    from commission.access import run_draft

    with _store(args) as store:
        print(run_draft(_as(args, store), store, args.period, args.rules,
                        catch_up=getattr(args, "catch_up", False)).text())
    return 0


@_with_batch_errors
def cmd_batch_approve(args: argparse.Namespace) -> int:
    from commission.access import approve_batch

    with _store(args) as store:
        print(approve_batch(_as(args, store), store, args.id,
                            getattr(args, "acknowledge_open_inquiries", False)).text())
    return 0


@_with_batch_errors
def cmd_batch_lock(args: argparse.Namespace) -> int:
    from commission.access import lock_batch

    with _store(args) as store:
        print(lock_batch(_as(args, store), store, args.id).text())
    return 0


@_with_batch_errors
def cmd_batch_show(args: argparse.Namespace) -> int:
    from commission.access import batch_summary

    with _store(args) as store:
        print(batch_summary(_as(args, store), store, args.id).text())
    return 0


@_with_batch_errors
def cmd_batch_list(args: argparse.Namespace) -> int:
    from commission.access import batches
    from commission.money import format_money

    with _store(args) as store:
        frame = batches(_as(args, store), store)
    if frame.empty:
        print("no batches yet: commission batch run --period YYYY-MM")
        return 0
    if "run_by" not in frame:  # who may not read batches sees id, period and status
        for r in frame.itertuples(index=False):
            print(f"{r.batch_id:>4}  {r.period}  {r.status}")
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
    from commission.access import batch_diff

    with _store(args) as store:
        changes = batch_diff(_as(args, store), store, args.id, args.rules)
    print("\n".join(changes) if changes else
          "nothing changed in the inputs since this batch was computed")
    return 0


@_with_batch_errors
def cmd_batch_verify(args: argparse.Namespace) -> int:
    from commission.access import verify_batch

    with _store(args) as store:
        result = verify_batch(_as(args, store), store, args.id)
    if result.status != "locked":
        raise UserError(result.text())
    if result.ok:
        print(result.text())
        return 0
    print(f"commission: {result.text()}", file=sys.stderr)
    return 1


def _draft_path(out: str, status: str) -> Path:
    """The file name, marked _DRAFT before its suffix while the batch is not locked."""
    path = Path(out)
    if status == "locked" or "draft" in path.name.lower():
        return path
    return path.with_name(f"{path.stem}_DRAFT{path.suffix}")


@_with_batch_errors
def cmd_batch_export(args: argparse.Namespace) -> int:
    from commission.access import export_batch, export_control
    from commission.files import write_atomic
    from commission.money import format_money
    from commission.reports.export import export_csv_text

    with _store(args) as store:
        frame, summary = export_batch(_as(args, store), store, args.id)
        control = export_control(store, frame, summary)
        if str(args.out).lower().endswith(".xlsx"):  # payroll and the batch's lines, as sheets
            from commission.access import pay_lines
            from commission.reports.xlsx import payroll_workbook

            body = payroll_workbook(frame, pay_lines(_as(args, store), store, args.id))
        else:
            body = export_csv_text(frame).encode("utf-8")
    out = _draft_path(args.out, summary.status)
    side = out.with_name(f"{out.stem}_control.csv")
    write_atomic(out, body)
    write_atomic(side, export_csv_text(control).encode("utf-8"))
    total = control.iloc[0]
    note = ("" if summary.status == "locked" else
            f" (DRAFT: batch is {summary.status}, not locked; payroll must not pay it)")
    print(f"wrote {out}: {len(frame)} reps, payout {format_money(int(total['payout']))} "
          f"{total['currency']}, pay date {total['pay_date']}{note}\n"
          f"wrote {side}: the control total")
    return 0


@_with_batch_errors
def cmd_statement(args: argparse.Namespace) -> int:
    from commission.access.changes import statement_with_changes
    from commission.files import write_atomic

    with _store(args) as store:
        data = statement_with_changes(_as(args, store), store, args.batch, args.rep,
                                      _date_option(args.as_of, "--as-of"))
    out = Path(args.out)
    suffix = out.suffix.lower().lstrip(".")
    kind = args.format or (suffix if suffix in ("pdf", "xlsx") else "html")
    if kind == "pdf":
        from commission.reports.statement import render_statement_pdf

        body = render_statement_pdf(data)
    elif kind == "xlsx":
        from commission.reports.xlsx import statement_workbook

        body = statement_workbook(data)
    else:
        from commission.reports.statement import render_statement_html

        body = render_statement_html(data).encode("utf-8")
    write_atomic(out, body)
    print(f"wrote {out} ({kind}) for {args.rep}, {data['period']}")
    return 0


@_with_batch_errors
def cmd_statements(args: argparse.Namespace) -> int:
    """Every statement of a batch (the reps one may see) into one ZIP, with progress."""
    import time

    from commission.access import statement_sources
    from commission.reports.statement_jobs import generate

    out = Path(args.out)
    if out.suffix.lower() != ".zip":
        raise UserError(f"--out {args.out!r}: the statements go into one ZIP file (FILE.zip)")
    start = time.perf_counter()
    with _store(args) as store:
        sources = statement_sources(_as(args, store), store, args.batch)

    def progress(done: int, total: int) -> None:
        print(f"\r{done} of {total} statements", end="", file=sys.stderr, flush=True)

    made = generate(sources, args.format, out, as_of=_date_option(args.as_of, "--as-of"),
                    workers=args.workers, progress=progress)
    print(file=sys.stderr)
    print(f"wrote {out}: {made} {args.format.upper()} statements for batch {args.batch} "
          f"({sources.summary.period}) in {time.perf_counter() - start:.1f} s")
    return 0


@_with_batch_errors
def cmd_aging(args: argparse.Namespace) -> int:
    from commission.access import aging
    from commission.reports.aging import aging_text

    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        raise UserError(f"--as-of {args.as_of!r} is not a date; expected YYYY-MM-DD") from None
    with _store(args) as store:
        frame = aging(_as(args, store), store, as_of, args.rep)
    print(aging_text(frame))
    return 0


# ---------------------------------------------------------------------------- users, audit


def _user_line(u: dict) -> str:
    roles = ", ".join(u["roles"]) or "no role"
    rep = f"  rep {u['rep_id']}" if u["rep_id"] else ""
    state = "" if u["active"] else "  (deactivated)"
    return f"{u['email']}  {u['display_name']}  [{roles}]{rep}{state}"


@_with_batch_errors
def cmd_user_add(args: argparse.Namespace) -> int:
    from commission.access import add_user, bootstrap_admin, needs_bootstrap

    roles = args.role or []
    with _store(args) as store:
        if needs_bootstrap(store):  # a new store: the first administrator adds themself
            bootstrap_admin(store, args.email, args.name, args.rep, roles)
            print(f"added {args.email.lower()} as the first administrator "
                  f"[{', '.join(roles)}] (bootstrap, recorded in the audit log)")
            return 0
        u = add_user(_as(args, store), store, args.email, args.name, args.rep, roles)
    print(f"added {_user_line(u)}")
    return 0


@_with_batch_errors
def cmd_user_change(args: argparse.Namespace) -> int:
    from commission.access import grant_role, revoke_role, set_user_active

    with _store(args) as store:
        me = _as(args, store)
        if args.user_command == "grant":
            u = grant_role(me, store, args.email, args.role)
        elif args.user_command == "revoke":
            u = revoke_role(me, store, args.email, args.role)
        else:
            u = set_user_active(me, store, args.email, args.user_command == "activate")
    print(_user_line(u))
    return 0


@_with_batch_errors
def cmd_user_list(args: argparse.Namespace) -> int:
    from commission.access import list_users

    with _store(args) as store:
        users = list_users(_as(args, store), store)
    print("\n".join(_user_line(u) for u in users) if users else "no users yet")
    return 0


@_with_batch_errors
def cmd_audit(args: argparse.Namespace) -> int:
    import json

    from commission.access import audit_log

    since = None
    if args.since:
        try:
            since = dt.date.fromisoformat(args.since)
        except ValueError:
            raise UserError(f"--since {args.since!r} is not a date; expected YYYY-MM-DD"
                            ) from None
    with _store(args) as store:
        entries = audit_log(_as(args, store), store, since, args.user, args.object)
    for e in entries:
        details = json.dumps(e["details"], sort_keys=True) if e["details"] else ""
        print(f"{e['at']:%Y-%m-%d %H:%M:%S}  {e['actor']}  {e['outcome']:<7}  {e['action']}  "
              f"{e['object']}  {details}".rstrip())
    if not entries:
        print("no audit entries")
    return 0


@_with_batch_errors
def cmd_setting(args: argparse.Namespace) -> int:
    from commission.access import set_setting, setting

    with _store(args) as store:
        me = _as(args, store)
        if args.value is not None:
            set_setting(me, store, args.key, args.value)
        print(f"{args.key} = {setting(store, args.key)}")
    return 0


# ---------------------------------------------------------------------------- parser


def _common(p: argparse.ArgumentParser, nested: bool = False) -> None:
    """--db and --as, on a command and (inherited, when absent) on its actions too."""
    add_db_option(p, inherited=nested)
    if nested:
        p.add_argument("--as", dest="as_user", metavar="EMAIL", default=argparse.SUPPRESS)
        return
    p.add_argument("--as", dest="as_user", metavar="EMAIL",
                   help=f"act as this user (default: ${USER_ENV})")


def _register_batch(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="payroll batches: run, approve, lock, show, diff, export, "
                                     "list")
    _common(p)
    bsub = p.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    for name, func, help_text in (
        ("approve", cmd_batch_approve, "approve a reviewed draft (approver, not its runner)"),
        ("lock", cmd_batch_lock, "lock an approved batch: read-only from then on"),
        ("show", cmd_batch_show, "a batch's summary and audit trail"),
        ("diff", cmd_batch_diff, "what changed in the inputs since the draft was computed"),
        ("verify", cmd_batch_verify, "check a locked batch against its seal (exit 1: altered)"),
    ):
        q = bsub.add_parser(name, help=help_text)
        q.add_argument("id", type=record_id)
        _common(q, nested=True)
        if name == "diff":
            q.add_argument("--rules", help="also compare with the plans in this folder")
        if name == "approve":
            q.add_argument("--acknowledge-open-inquiries", action="store_true",
                           help="approve although inquiries of the period are still open "
                                "(they roll to the next period at lock)")
        q.set_defaults(func=func)
    q = bsub.add_parser("run", help="compute (or recompute) the draft batch of a period")
    q.add_argument("--period", required=True, help="YYYY-MM")
    q.add_argument("--rules", help="store these plans first (default: the plans in the store)")
    q.add_argument("--catch-up", action="store_true",
                   help="run a period although earlier months are not locked: they are paid "
                        "in this one batch (caps apply once to the merged balance)")
    _common(q, nested=True)
    q.set_defaults(func=cmd_batch_run)
    q = bsub.add_parser("list", help="every batch")
    _common(q, nested=True)
    q.set_defaults(func=cmd_batch_list)
    q = bsub.add_parser("export", help="the payroll file: one row per rep (FILE.csv, or "
                                       "FILE.xlsx with the lines too), FILE_control.csv its "
                                       "control total; _DRAFT in the name until locked")
    q.add_argument("id", type=record_id)
    q.add_argument("--out", required=True)
    _common(q, nested=True)
    q.set_defaults(func=cmd_batch_export)


def _register_users(sub: argparse._SubParsersAction) -> None:
    from commission.vocabulary import ROLES, SETTINGS

    p = sub.add_parser("user", help="users and their roles (administrators)")
    _common(p)
    usub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    q = usub.add_parser("add", help="add a user (the first one: --role admin, no --as)")
    q.add_argument("email")
    q.add_argument("--name", required=True, help="display name")
    q.add_argument("--rep", help="the rep_id this person is")
    q.add_argument("--role", action="append", choices=ROLES, help="a role (repeatable)")
    _common(q, nested=True)
    q.set_defaults(func=cmd_user_add)
    for name in ("grant", "revoke"):
        q = usub.add_parser(name, help=f"{name} a role")
        q.add_argument("email")
        q.add_argument("role", choices=ROLES)
        _common(q, nested=True)
        q.set_defaults(func=cmd_user_change)
    for name in ("deactivate", "activate"):
        q = usub.add_parser(name, help=f"{name} a user")
        q.add_argument("email")
        _common(q, nested=True)
        q.set_defaults(func=cmd_user_change)
    q = usub.add_parser("list", help="every user and their roles")
    _common(q, nested=True)
    q.set_defaults(func=cmd_user_list)

    p = sub.add_parser("audit", help="the audit log: who did or tried what, when")
    _common(p)
    p.add_argument("--since", help="from this date, YYYY-MM-DD")
    p.add_argument("--user", help="only this user's entries (anyone may read their own)")
    p.add_argument("--object", help="only entries about this object, e.g. batch:3")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("setting", help="show or change a setting (changing: administrators)")
    _common(p)
    p.add_argument("key", choices=sorted(SETTINGS))
    p.add_argument("value", nargs="?")
    p.set_defaults(func=cmd_setting)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="validate a data folder and upsert it into the store")
    _common(p)
    p.add_argument("--data", required=True)
    p.add_argument("--rules", help="store these plans too (new versions where changed)")
    p.set_defaults(func=cmd_load)

    _register_batch(sub)

    p = sub.add_parser("statement", help="a rep's statement for a batch, as HTML or PDF")
    _common(p)
    p.add_argument("--batch", type=record_id, required=True)
    p.add_argument("--rep", required=True)
    p.add_argument("--out", required=True, help="FILE.html, FILE.pdf or FILE.xlsx")
    p.add_argument("--format", choices=["html", "pdf", "xlsx"])
    p.add_argument("--as-of", dest="as_of", help="date for open invoices (default: period end)")
    p.set_defaults(func=cmd_statement)

    p = sub.add_parser("statements", help="every statement of a batch, into one ZIP")
    _common(p)
    p.add_argument("--batch", type=record_id, required=True)
    p.add_argument("--out", required=True, help="FILE.zip")
    p.add_argument("--format", choices=["html", "pdf"], default="pdf")
    p.add_argument("--workers", type=int, help="processes printing PDFs (default: cores, ≤ 4)")
    p.add_argument("--as-of", dest="as_of", help="date for open invoices (default: period end)")
    p.set_defaults(func=cmd_statements)

    p = sub.add_parser("aging", help="each rep's open invoices by age bucket")
    _common(p)
    p.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
    p.add_argument("--rep")
    p.set_defaults(func=cmd_aging)

    _register_users(sub)


"""``commission scenario list|show|save|make-live``: scenarios apart from payroll.

A scenario is a plan variant kept in the store's own table (Compare plans saves
them); ``make-live`` is the separate, audited step that makes one a new plan id with
assignments from a month (finance or admin). Every action goes through
:mod:`commission.access` as the user of ``--as``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from commission.cli.common import record_id
from commission.cli.store_commands import _as, _common, _store, _with_batch_errors


def _show_proposal(proposal, done: bool) -> None:
    verb = "is live" if done else "would be live"
    print(f"plan {proposal.plan.id} {verb} from {proposal.month}-01 for "
          f"{', '.join(proposal.reps)} (scenario {proposal.scenario.scenario_id}, base "
          f"{proposal.scenario.base_plan_id or '(none)'})")
    for term, before, after in proposal.changes:
        print(f"  {term}: {before or '(none)'} -> {after or '(none)'}")
    for rep, plan in sorted(proposal.current.items()):
        print(f"  {rep}: now on {plan}")
    for note in proposal.later:
        print(f"  stays in force: {note}")


@_with_batch_errors
def cmd_scenario(args: argparse.Namespace) -> int:
    from commission import access
    from commission.plans.language import parse_plan
    from commission.problems import InputError

    with _store(args) as store:
        me = _as(args, store)
        action = args.scenario_command
        if action == "list":
            frame = access.list_scenarios(me, store)
            for r in frame.to_dict("records"):
                live = f"  live as {r['live_plan_id']}" if r["live_plan_id"] else ""
                print(f"{r['scenario_id']}  {r['plan_id']}  {r['name']}  by {r['created_by']} "
                      f"{r['created_at']:%Y-%m-%d %H:%M}{live}")
            if frame.empty:
                print("no scenarios")
        elif action == "show":
            print(access.open_scenario(me, store, args.id).text, end="")
        elif action == "save":
            path = Path(args.file)
            plan, problems = parse_plan(path.read_text(encoding="utf-8"), str(path))
            if plan is None:
                raise InputError(problems)
            sid = access.save_scenario(me, store, plan, args.base, note=f"from {path.name}")
            print(f"saved scenario {sid} ({plan.id}); payroll is unchanged")
        else:
            reps = args.rep or None
            if args.dry_run:
                _show_proposal(access.preview_make_live(me, store, args.id, args.plan_id,
                                                        args.from_, reps), False)
            else:
                _show_proposal(access.make_scenario_live(me, store, args.id, args.plan_id,
                                                         args.from_, reps), True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenario", help="plan scenarios apart from payroll: list, show, save, "
                                        "make-live")
    _common(p)
    ssub = p.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    ssub.add_parser("list", help="saved scenarios, newest first")
    q = ssub.add_parser("show", help="a scenario's plan as YAML")
    q.add_argument("id", type=record_id)
    q = ssub.add_parser("save", help="save a plan YAML file as a scenario (shared by id)")
    q.add_argument("file")
    q.add_argument("--base", help="the plan it derives from")
    q = ssub.add_parser("make-live", help="make a scenario a new plan with assignments from a "
                                          "month (finance, admin)")
    q.add_argument("id", type=record_id)
    q.add_argument("--plan-id", required=True, help="the NEW plan id it becomes")
    q.add_argument("--from", dest="from_", required=True,
                   help="YYYY-MM, after the last locked period")
    q.add_argument("--rep", action="append", help="a rep to move (repeat; default: every rep "
                                                  "on the base plan then)")
    q.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    for q in ssub.choices.values():
        _common(q, nested=True)
        q.set_defaults(func=cmd_scenario)


__all__ = ["register"]

"""What changed in a batch's inputs since it was computed, in words a reviewer reads.

A batch keeps, for every event it pays, its date, amount and a hash of the whole
record; the plan versions it used; the reps' plans (on its payouts); and the last
load it saw. Comparing those with the store now tells a reviewer whether the
draft still says what the data says before they approve or lock it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from commission.money import format_money
from commission.payroll.fingerprint import event_frame
from commission.periods import month_index, parse_period
from commission.plans.language import plan_hash


def _date(v: Any) -> str:
    return str(np.datetime64(v, "D"))


def _capped(lines: list[str], limit: int, what: str, total: int | None = None) -> list[str]:
    """At most ``limit`` lines, then how many more there are (``total``: all of them)."""
    total = len(lines) if total is None else total
    if total <= limit:
        return lines
    return [*lines[:limit], f"... and {total - limit:,} more {what}"]


def _plan_lines(plans_then: dict[str, tuple[int, str]], plans_now: dict[str, tuple[int, str, str]],
                texts: dict[str, str] | None) -> list[str]:
    out = []
    for pid, (version, sha) in plans_then.items():
        if texts is not None and pid in texts:
            now_sha, where = plan_hash(texts[pid]), "in the rules folder"
        elif pid in plans_now:
            now_sha, where = plans_now[pid][2], f"now version {plans_now[pid][0]}"
        else:
            out.append(f"plan {pid} is no longer in the store (was version {version})")
            continue
        if now_sha != sha:
            out.append(f"plan {pid} changed: version {version} ({sha[:12]}) -> {where} "
                       f"({now_sha[:12]})")
    return out


def _run_plan_lines(runs: list[tuple[int, str | None]]) -> list[str]:
    """Plans that changed from one run of the batch to the next (runs since migration 0006)."""
    import json
    from itertools import pairwise

    out = []
    known = [(n, json.loads(text)) for n, text in runs if text]
    for (n0, before), (n1, after) in pairwise(known):
        for pid in sorted(set(before) | set(after)):
            if pid not in after:
                out.append(f"plan {pid} was used by run {n0} but not by run {n1}")
            elif pid not in before:
                out.append(f"plan {pid} is used by run {n1} but was not by run {n0}")
            elif before[pid] != after[pid]:
                (v0, s0), (v1, s1) = before[pid], after[pid]
                out.append(f"plan {pid} changed between run {n0} and run {n1}: version {v0} "
                           f"({s0[:12]}) -> version {v1} ({s1[:12]})")
    return out


def _event_lines(b: dict[str, Any], inputs, then: pd.DataFrame, paid: pd.DataFrame,
                 limit: int) -> list[str]:
    now = event_frame(inputs)
    month = parse_period(b["period"])
    mine = paid["batch_id"] == b["batch_id"]
    elsewhere = paid[~mine].set_index(["event_kind", "event_id"])
    key = pd.MultiIndex.from_frame(now[["event_kind", "event_id"]])
    due = month_index(now["event_date"].to_numpy()) <= month
    open_now = now[due & ~key.isin(elsewhere.index)]
    locked = b["status"] == "locked"

    added = open_now.merge(then[["event_kind", "event_id"]], how="left", indicator=True)
    added = added[added["_merge"] == "left_only"]
    late = ("; the next batch pays it" if locked else "; a re-run would pay it")
    adds = [f"{r.event_kind} {r.event_id} added ({_date(r.event_date)}, "
            f"{format_money(r.amount)}){late}"
            for r in added.head(limit).itertuples(index=False)]

    both = then.merge(now, on=["event_kind", "event_id"], how="left", suffixes=("", "_now"),
                      indicator="presence")
    gone = (both["presence"] == "left_only").to_numpy()
    moved = np.zeros(len(both), dtype=bool)
    if not locked and len(elsewhere):
        moved = pd.MultiIndex.from_frame(both[["event_kind", "event_id"]]).isin(elsewhere.index)
    edited = ~gone & (both["row_hash"] != both["row_hash_now"]).to_numpy()
    changes = []
    for r in both[gone | moved | edited].itertuples(index=False):  # few rows: a loop is fine
        what = f"{r.event_kind} {r.event_id}"
        if r.presence == "left_only":
            changes.append(f"{what} removed (was {_date(r.event_date)}, "
                           f"{format_money(r.amount)})")
            continue
        if (r.event_kind, r.event_id) in elsewhere.index and not locked:
            other = elsewhere.loc[(r.event_kind, r.event_id)]
            changes.append(f"{what} is now paid by locked batch {other['batch_id']} "
                           f"({other['period']})")
        if r.row_hash == r.row_hash_now:
            continue
        bits = []
        if r.event_date != r.event_date_now:
            bits.append(f"date {_date(r.event_date)} -> {_date(r.event_date_now)}")
        if r.amount != r.amount_now:
            bits.append(f"amount {format_money(r.amount)} -> {format_money(int(r.amount_now))}")
        changes.append(f"{what} changed: {', '.join(bits) or 'other fields'}")
    return [*_capped(changes, limit, "changed events"),
            *_capped(adds, limit, "added events", total=len(added))]


def _rep_lines(reps: pd.DataFrame, payouts: pd.DataFrame) -> list[str]:
    then = dict(zip(payouts["rep_id"], payouts["plan_id"], strict=True))
    out = []
    for r in reps.itertuples(index=False):
        if r.rep_id not in then:
            out.append(f"rep {r.rep_id} added (plan {r.plan_id})")
        elif then[r.rep_id] != r.plan_id:
            out.append(f"rep {r.rep_id} plan changed: {then[r.rep_id]} -> {r.plan_id}")
    return out


def _recorded_lines(recorded: dict[str, pd.DataFrame], version: int, limit: int) -> list[str]:
    out = []
    splits = recorded["splits"]
    for inv in sorted(set(splits.loc[splits["load_id"] > version, "invoice_id"])):
        out.append(f"splits of invoice {inv} recorded since (they set who is credited)")
    disputes = recorded["disputes"]
    for r in disputes[disputes["load_id"] > version].itertuples(index=False):
        out.append(f"dispute {r.dispute_id} of invoice {r.invoice_id} recorded since "
                   "(disputes pause lateness)")
    return _capped(out, limit, "splits and disputes")


def describe(b: dict[str, Any], state: dict[str, Any], texts: dict[str, str] | None,
             limit: int) -> list[str]:
    """Every change since batch ``b`` was computed, as lines; [] when nothing changed.

    ``state`` holds the whole ``inputs``, or (the store's way) ``events_now`` (the event
    tables, or just their rows that may differ: see :mod:`commission.store.batchdiff`)
    and ``reps``; ``then`` and ``paid`` may likewise be just the rows that matter.
    """
    lines = _plan_lines(state["plans_then"], state["plans_now"], texts)
    lines += _run_plan_lines(state.get("runs", []))
    last = state["last"]
    if b["status"] != "locked" and last is not None and last["batch_id"] != b["base_batch_id"]:
        lines.append(f"batch {last['batch_id']} ({last['period']}) was locked since: "
                     f"run {b['period']} again")
    inputs = state.get("inputs")
    events = state["events_now"] if inputs is None else inputs
    lines += _event_lines(b, events, state["then"], state["paid"], limit)
    lines += _rep_lines(state["reps"] if inputs is None else inputs.reps, state["payouts"])
    lines += _recorded_lines(state["recorded"], b["data_version"], limit)
    return lines

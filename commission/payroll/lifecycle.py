"""Payroll batches finance can trust: load, run, approve, lock; show and diff.

Finance loads the month's data into the store (validated as a whole, written in
one transaction or not at all), runs a draft batch for a period, reviews it, has
it approved, locks it and hands payroll the payouts. A batch for period P pays
every event dated on or before the end of P that no locked batch has paid, with
the carry-in of the last locked batch; data that arrives late for a locked month
is paid by the next batch (its lines carry ``prior_period``), never by reopening
the past. Locked batches are read-only in the database itself.

Every function takes plain arguments and returns data: the command line and the
app are thin doors onto it. Input problems raise :class:`InputError`; a refused
operation raises :class:`BatchError` with a one-line message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError

from commission.engine import EventPeriods, PriorLines, Result, compute
from commission.inputs.tables import Inputs
from commission.keys import lookup
from commission.payroll import loading
from commission.payroll.changes import describe  # the wording lives with the comparison
from commission.payroll.fingerprint import event_frame, events_digest, fingerprint
from commission.payroll.staleness import Staleness, staleness
from commission.payroll.summary import BatchHeader, BatchSummary, LoadSummary
from commission.periods import NOT_PAID, month_index, parse_period
from commission.plans.language import Plan, load_plans, parse_plan
from commission.problems import InputError, Problem
from commission.store import Store, batchdb, batchdiff, loads, open_events, planstore, seal
from commission.store import inquiries as inquirydb
from commission.store.db import utcnow
from commission.store.records import EVENTS, data_version, read_stored_inputs, read_table
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

__all__ = [
    "BatchError",
    "BatchSummary",
    "LoadSummary",
    "add_manual_line",
    "approve",
    "batch_lines",
    "batch_payouts",
    "batch_plans",
    "batch_runs",
    "batch_staleness",
    "catch_up_months",
    "catch_up_warning",
    "diff",
    "header",
    "list_batches",
    "load",
    "lock",
    "manual_lines",
    "parse_stored_plans",
    "run_batch",
    "show",
    "store_plans",
    "store_version",
    "stored_plans",
]

LOAD_ATTEMPTS = 3  # a load recomputed when another load or a lock commits meanwhile
DIFF_LIMIT = 200  # lines of one kind listed by diff; the rest are counted


class BatchError(Exception):
    """An operation the batch lifecycle refuses; the message is one line for a person."""


# ----------------------------------------------------------------------------- loading


def load(store: Store, data_dir: str | Path, rules_dir: str | Path | None = None,
         by: str | None = None) -> LoadSummary:
    """Validate a folder of CSV files against the store's data and upsert it, all or nothing.

    The folder may hold any of the tables (a partial load); rows are matched by id
    and a splits file replaces the splits of the invoices it names. The merged data
    is checked as a whole with the same validation as ``commission validate``; with
    any problem, :class:`InputError` is raised and nothing is written. Plans in
    ``rules_dir`` are stored as a new version when their text changed.
    """
    from commission.inputs.checks import check  # the validation every door shares
    from commission.inputs.reading import read_tables

    clock = _Clock()
    tables, problems = read_tables(data_dir, require_all=False)
    texts: dict[str, str] = {}
    if rules_dir is not None:
        _plans, texts, plan_problems = load_plans(rules_dir)
        problems = [*problems, *plan_problems]
    clock.lap("read files")
    for _attempt in range(LOAD_ATTEMPTS):
        with store.read() as conn:
            snap = loading.snapshot(conn)
            new_plans = planstore.new_versions(conn, texts)
            clock.lap("read store")
            merged, changes = loading.merge(snap.inputs, tables)
            clock.lap("merge")
            # what the changed rows were paid by, read in the snapshot's transaction
            history = loading.history_problems(conn, tables, changes)
        plan_ids = set(snap.plans) | set(texts)
        parsed = {(p.source, p.row) for p in problems if p.row is not None}
        found = [*problems,
                 *(p for p in check(merged, plan_ids) if (p.source, p.row) not in parsed),
                 *history]
        clock.lap("validate")
        if found:
            raise InputError(found)
        counts = {name: {"inserted": c.inserted, "updated": c.updated,
                         "deleted": len(c.deleted), "unchanged": c.unchanged}
                  for name, c in changes.items()}
        plans = {pid: v for pid, (v, _t, _s) in new_plans.items()}
        if not new_plans and not any(c.changed for c in changes.values()):
            return LoadSummary(None, str(data_dir), counts, plans, clock.total, clock.phases)
        balances = loading.open_balances(merged, changes, snap.inputs)
        clock.lap("open balances")
        with store.write() as conn:
            if loads.stamp(conn) != snap.stamp:
                continue  # another load or a lock committed meanwhile: merge again
            load_id = loads.write_load(conn, str(data_dir), by, loading.table_rows(changes),
                                       new_plans, {"tables": counts, "plans": plans}, balances)
        clock.lap("write")
        return LoadSummary(load_id, str(data_dir), counts, plans, clock.total, clock.phases)
    raise BatchError("the store kept changing while loading (other loads or locks); "
                     "nothing was written, try again")


class _Clock:
    """Seconds spent in each phase of a load (benchmarks quote them)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


def add_manual_line(store: Store, rep_id: str, period: str, amount: int, reason: str,
                    by: str) -> tuple[str, LoadSummary]:
    """Record a manual commission line (a bonus, SPIFF or correction; cents, not 0) for a
    rep, dated the first day of ``period``, with who and when (a load of one row).

    A locked period cannot get one: it goes to the next open period (a line dated in
    a locked month would be paid by the next batch as prior-period, which reads as
    editing history). Validated like any load (unknown rep, empty reason, zero amount).
    Returns the new commission_adjustment_id and the load.
    """
    import csv
    import tempfile
    import uuid

    from commission.money import format_cents

    by = _who(by, "add a manual line to")
    month, label = _month(period)
    with store.read() as conn:
        last = batchdb.last_locked(conn)
    if last is not None and month <= parse_period(last["period"]):
        nxt = str(np.datetime64(parse_period(last["period"]) + 1, "M"))
        raise BatchError(f"{label} is locked (batch {last['batch_id']}); a manual line goes to "
                         f"the next open period, {nxt}")
    line_id = f"ML-{label}-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="commission-manual-") as tmp:
        with (Path(tmp) / "commission_adjustments.csv").open("w", newline="",
                                                              encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(["commission_adjustment_id", "rep_id", "adjustment_date", "amount",
                          "reason"])
            out.writerow([line_id, rep_id, f"{label}-01", format_cents(int(amount)), reason])
        summary = load(store, tmp, None, by=by)
    return line_id, summary


def manual_lines(store: Store, period: str) -> pd.DataFrame:
    """The manual lines dated in ``period``: id, rep, date, amount (cents), reason, and who
    recorded them when (the load that last wrote each)."""
    _month_no, label = _month(period)
    with store.read() as conn:
        frame = read_table(conn, "commission_adjustments", ["load_id", "recorded_at"])
        loads_by = dict(conn.exec_driver_sql("SELECT load_id, loaded_by FROM loads").fetchall())
    days = pd.to_datetime(frame["adjustment_date"])
    mine = frame[days.dt.strftime("%Y-%m").to_numpy() == label].reset_index(drop=True)
    mine["recorded_by"] = [str(loads_by.get(int(i)) or "") for i in mine["load_id"]]
    return mine[["commission_adjustment_id", "rep_id", "adjustment_date", "amount", "reason",
                 "recorded_by", "recorded_at"]]


def store_plans(store: Store, rules_dir: str | Path) -> dict[str, int]:
    """Store the plans of ``rules_dir`` (a new version where the text changed)."""
    _plans, texts, problems = load_plans(rules_dir)
    if problems:
        raise InputError(problems)
    with store.write() as conn:
        versions = planstore.new_versions(conn, texts)
        planstore.write_versions(conn, versions)
    return {pid: v for pid, (v, _t, _s) in versions.items()}


# ----------------------------------------------------------------------------- running


@dataclass
class _State:
    """What a run read from the store, in one snapshot."""

    existing: dict[str, Any] | None
    base: dict[str, Any] | None
    inputs: Inputs
    paid: pd.DataFrame
    plans: dict[str, tuple[int, str, str]]
    prior: PriorLines
    carry: dict[str, int]
    version: int


def run_batch(store: Store, period: str, rules_dir: str | Path | None = None,
              by: str = "", catch_up: bool | None = None) -> BatchSummary:
    """Compute the draft batch of ``period`` (replacing its earlier draft) from the store.

    With ``rules_dir``, its plans are stored first (new versions where changed);
    the batch computes with the newest stored version of each plan. A period after
    the first open month merges every open month into one batch (a catch-up: caps
    and minimums apply once, to the merged balance): with ``catch_up=False`` (what
    the doors pass unless the person confirmed) it is refused; ``None`` leaves it to
    a program that computes directly.
    """
    by = _who(by, "run")
    month, label = _month(period)
    if rules_dir is not None:
        store_plans(store, rules_dir)
    with store.read() as conn:
        existing, base = batchdb.by_period(conn, label), batchdb.last_locked(conn)
        _refuse_period(label, existing, base)
        state = _read_state(conn, existing, base)
    _refuse_future(month, label, state.inputs, base)
    months = _covered(month, state.inputs, base)
    if len(months) > 1 and catch_up is False:
        raise BatchError(catch_up_warning(months) + "; run the earliest month first, or "
                         "confirm the catch-up (--catch-up); nothing was run")
    plans, used = _plans_for(state.inputs, state.plans)
    result, events = _compute(state, plans, month)
    digest = events_digest(events)
    fields = {"run_by": by, "run_at": utcnow(),
              "base_batch_id": base["batch_id"] if base else None,
              "data_version": state.version, "events_digest": digest,
              "fingerprint": fingerprint(digest, used)}
    batch_id = _write_run(store, label, state, fields, result, events, used)
    return show(store, batch_id)


def _read_state(conn: Any, existing: dict[str, Any] | None, base: dict[str, Any] | None
                ) -> _State:
    """What a run reads. After a locked batch: the invoices with an open event, the
    locked lines of those invoices and the volume earlier batches paid, summed
    (:mod:`commission.store.open_events`); the same lines as reading the whole store.
    A first batch reads the whole store (nothing is paid yet)."""
    if base is None:
        inputs, paid = read_stored_inputs(conn), batchdb.paid_keys(conn)
        prior = PriorLines(batchdb.prior_lines(conn))
    else:
        inputs, paid, invoices = open_events.read_open_inputs(conn, base)
        prior = PriorLines(open_events.prior_lines_of(conn, invoices),
                           open_events.prior_volume(conn))
    return _State(existing, base, _with_corrections(inputs, conn), paid,
                  planstore.latest(conn), prior,
                  batchdb.carry_out(conn, base["batch_id"]) if base else {},
                  data_version(conn))


def catch_up_months(store: Store, period: str) -> list[str]:
    """The months a batch of ``period`` would pay for, oldest first: from the month after
    the last locked period (or the earliest event's month) to ``period``. More than one
    is a catch-up; [] when the period cannot be run (the run says why)."""
    month, _label = _month(period)
    with store.read() as conn:
        base = batchdb.last_locked(conn)
        inputs = read_stored_inputs(conn)
    if base is not None and month <= parse_period(base["period"]):
        return []
    return _covered(month, inputs, base)


def catch_up_warning(months: list[str]) -> str:
    """Why a batch over several months may forfeit more, in one sentence."""
    return (f"{months[-1]} would pay {len(months)} months ({months[0]} to {months[-1]}) in "
            "one batch: caps, minimums and draws apply once, to the merged balance, so a "
            "capped plan forfeits more than month by month")


def _covered(month: int, inputs: Inputs, base: dict | None) -> list[str]:
    """Month labels from the first open month to ``month`` (the first open month: after
    the last locked period, or the earliest event's month)."""
    if base is not None:
        first = parse_period(base["period"]) + 1
    else:
        months = _event_months(inputs)
        first = int(months.min()) if len(months) else month
    return [str(np.datetime64(m, "M")) for m in range(min(first, month), month + 1)]


def _with_corrections(inputs: Inputs, conn: Any) -> Inputs:
    """The stored manual lines plus resolved inquiries' corrections (one table, by id)."""
    fixes = inquirydb.corrections(conn, None)[inquirydb.ADJUSTMENT_COLUMNS]
    if fixes.empty:
        return inputs
    manual = inputs.commission_adjustments
    fixes = fixes[~fixes["commission_adjustment_id"].isin(manual["commission_adjustment_id"])]
    fixes = fixes.assign(adjustment_date=pd.to_datetime(fixes["adjustment_date"]).astype(
        "datetime64[s]"), amount=fixes["amount"].astype(np.int64))
    both = pd.concat([manual, fixes[list(manual.columns)]], ignore_index=True)
    return inputs.replace(commission_adjustments=both.sort_values(
        "commission_adjustment_id", kind="stable", ignore_index=True))


def _compute(state: _State, plans: dict[str, Plan], month: int) -> tuple[Result, pd.DataFrame]:
    """The engine on every event due by the end of ``month`` that no locked batch paid."""
    inputs = state.inputs
    masks: dict[str, np.ndarray] = {}
    for table, (kind, id_col, date_col) in EVENTS.items():
        frame = getattr(inputs, table)
        paid = state.paid.loc[state.paid["event_kind"] == kind, "event_id"]
        due = month_index(frame[date_col].to_numpy()) <= month
        masks[table] = due & (lookup(frame[id_col], paid) < 0)
    manual = inputs.commission_adjustments
    done = state.paid.loc[state.paid["event_kind"] == "manual", "event_id"]
    manual_due = ((month_index(manual["adjustment_date"].to_numpy()) <= month)
                  & (lookup(manual["commission_adjustment_id"], done) < 0))
    periods = EventPeriods(**{t: np.where(masks[t], month, NOT_PAID).astype(np.int64)
                              for t in EVENTS},
                           manual=np.where(manual_due, month, NOT_PAID).astype(np.int64))
    reps = inputs.reps["rep_id"].to_numpy(dtype=object)
    carry_in = np.array([state.carry.get(r, 0) for r in reps], dtype=np.int64)
    result = compute(inputs, plans, inputs.reps["plan_id"].to_numpy(dtype=object), periods,
                     np.array([month], dtype=np.int64), carry_in, state.prior)
    return result, event_frame(inputs, masks)


def _write_run(store: Store, label: str, state: _State, fields: dict[str, Any],
               result: Result, events: pd.DataFrame, used: dict[str, tuple[int, str]]) -> int:
    step = "claim"
    try:
        with store.write() as conn:
            _refuse_moved_base(conn, label, state.base)
            run_plans = json.dumps({p: list(v) for p, v in sorted(used.items())})
            if state.existing is None:
                batch_id = batchdb.create(conn, {"period": label, **fields}, run_plans)
            else:
                batch_id = state.existing["batch_id"]
                batchdb.rerun(conn, batch_id, state.existing["run_no"] + 1, fields, run_plans)
            step = "write"
            batchdb.clear(conn, batch_id)
            batchdb.write_contents(conn, batch_id, result.lines, result.payouts, events, used)
    except IntegrityError as exc:
        if step == "claim":
            with store.read() as conn:
                now = batchdb.by_period(conn, label)
            if now is not None and now["status"] == "locked":
                raise BatchError(f"batch {now['batch_id']} ({label}) was locked while this run "
                                 "was computing; nothing was written") from exc
            raise BatchError(f"another run of {label} finished while this one was computing; "
                             "nothing was written (run it again to replace that draft)") from exc
        raise BatchError(f"the store refused batch {label}: {_db_message(exc)}") from exc
    return int(batch_id)


def parse_stored_plans(stored: dict[str, tuple[int, str, str]]
                       ) -> tuple[dict[str, Plan], list[Problem]]:
    """Plans from stored (version, text, sha) by id, and the problems of any that don't parse."""
    plans: dict[str, Plan] = {}
    problems: list[Problem] = []
    for pid, (version, text, _sha) in stored.items():
        plan, errs = parse_plan(text, f"plans/{pid} (version {version})", expected_id=pid,
                                stored=True)
        problems += errs
        if plan is not None:
            plans[pid] = plan
    return plans, problems


def store_version(store: Store) -> int:
    """The store's last load that changed anything (0 when empty): the key of its data."""
    with store.read() as conn:
        return data_version(conn)


def stored_plans(store: Store) -> tuple[dict[str, Plan], list[Problem]]:
    """The newest stored version of every plan (what the next batch would use)."""
    with store.read() as conn:
        return parse_stored_plans(planstore.latest(conn))


def _plans_for(inputs: Inputs, stored: dict[str, tuple[int, str, str]]
               ) -> tuple[dict[str, Plan], dict[str, tuple[int, str]]]:
    """The newest stored version of every plan, and (version, sha) of those the reps use."""
    plans, problems = parse_stored_plans(stored)
    used = sorted(set(inputs.reps["plan_id"].dropna())
                  | set(inputs.plan_assignments["plan_id"].dropna()))
    for src in ("reps", "plan_assignments"):
        frame = getattr(inputs, src)
        for r in frame[~frame["plan_id"].isin(list(plans))].itertuples(index=False):
            problems.append(Problem(src, None, "plan_id", r.rep_id, f"unknown plan {r.plan_id}",
                                    "a plan loaded into the store (rules/<plan_id>.yaml)"))
    if problems:
        raise InputError(problems)
    return plans, {pid: (stored[pid][0], stored[pid][2]) for pid in used}


# ----------------------------------------------------------------------------- approve, lock


def approve(store: Store, batch_id: int, by: str,
            acknowledge_open_inquiries: bool = False) -> BatchSummary:
    """Approve a draft: its figures were reviewed. A re-run makes it a draft again.

    With inquiries of its period still open, only when ``acknowledge_open_inquiries``.
    """
    by = _who(by, "approve")
    with store.write() as conn:
        b = _get(conn, batch_id)
        if b["status"] == "locked":
            raise BatchError(f"batch {batch_id} ({b['period']}) is locked; it cannot change")
        if b["status"] == "approved":
            raise BatchError(f"batch {batch_id} ({b['period']}) is already approved by "
                             f"{b['approved_by']}")
        _refuse_stale(conn, b)
        _refuse_changed(conn, b)
        waiting = inquirydb.open_in(conn, b["period"])
        if waiting and not acknowledge_open_inquiries:
            raise BatchError(f"{waiting} inquiry(ies) of {b['period']} are still open; answer "
                             "them, or acknowledge them to approve anyway "
                             "(--acknowledge-open-inquiries); they roll to the next period")
        batchdb.set_status(conn, batch_id, "approved", by, utcnow())
    return show(store, batch_id)


def lock(store: Store, batch_id: int, by: str) -> BatchSummary:
    """Lock an approved batch: its lines and payouts become read-only, its events paid."""
    by = _who(by, "lock")
    try:
        with store.write() as conn:
            b = _get(conn, batch_id)
            if b["status"] == "locked":
                raise BatchError(f"batch {batch_id} ({b['period']}) is already locked")
            if b["status"] != "approved":
                raise BatchError(f"batch {batch_id} ({b['period']}) must be approved before it "
                                 f"is locked (commission batch approve {batch_id} --as EMAIL)")
            _refuse_stale(conn, b)
            _refuse_changed(conn, b)
            changed = _changed_events(conn, batch_id)
            if changed:
                raise BatchError(
                    f"{changed:,} event(s) that batch {batch_id} pays changed since it was "
                    f"computed (commission batch diff {batch_id}); run {b['period']} again, "
                    "approve it, then lock it")
            now = utcnow()
            batchdb.set_status(conn, batch_id, "locked", by, now)  # pays its events
            following = str(np.datetime64(b["period"], "M") + 1)
            inquirydb.roll(conn, b["period"], following, by, now)  # open ones move on
            # tamper evidence (`commission batch verify`), from the digests its run kept
            seal.write(conn, batch_id, by, now, drafted=batchdb.read_digests(conn, batch_id))
    except IntegrityError as exc:
        raise BatchError(f"the store refused to lock batch {batch_id}: "
                         f"{_db_message(exc)}") from exc
    return show(store, batch_id)


def _changed_events(conn, batch_id: int) -> int:
    """How many of a batch's events were changed or removed since it was computed."""
    b = _get(conn, batch_id)
    if data_version(conn) == int(b["data_version"]):  # no load since: events as computed
        return 0
    then = batchdb.read_events(conn, batch_id)
    tables = {}
    for table, (kind, id_col, _date) in EVENTS.items():
        frame = read_table(conn, table)
        mine = then.loc[then["event_kind"] == kind, "event_id"]
        tables[table] = frame[lookup(frame[id_col], mine) >= 0]
    now = event_frame(tables)
    both = then.merge(now, on=["event_kind", "event_id"], how="left", suffixes=("", "_now"))
    return int((both["row_hash_now"].isna() | (both["row_hash"] != both["row_hash_now"])).sum())


# ----------------------------------------------------------------------------- reading


def show(store: Store, batch_id: int) -> BatchSummary:
    """The summary of a batch."""
    with store.read() as conn:
        b = _get(conn, batch_id)
        base = batchdb.get(conn, b["base_batch_id"]) if b["base_batch_id"] else None
        t = batchdb.totals(conn, batch_id)
        t["forfeited"] = int(batchdb.read_payout_extras(conn, batch_id)["forfeited"].sum())
        plans = batchdb.read_plans(conn, batch_id)
        earliest = batchdb.first_event_month(conn, batch_id)
    first = parse_period(base["period"]) + 1 if base else min(
        parse_period(b["period"]), parse_period(earliest or b["period"]))
    return BatchSummary(
        batch_id=b["batch_id"], period=b["period"], status=b["status"], run_no=b["run_no"],
        run_by=b["run_by"], run_at=b["run_at"], approved_by=b["approved_by"],
        approved_at=b["approved_at"], locked_by=b["locked_by"], locked_at=b["locked_at"],
        base_batch_id=b["base_batch_id"], base_period=base["period"] if base else None,
        plans=plans, events_digest=b["events_digest"], fingerprint=b["fingerprint"],
        events={k: t[k] for k in ("invoices", "payments", "adjustments")},
        lines=t["lines"], prior_lines=t["prior_lines"], reps=t["reps"],
        totals={k: t[k] for k in [*PAYOUT_MONEY_COLUMNS, "forfeited"]},
        months=tuple(str(np.datetime64(m, "M"))
                     for m in range(first, parse_period(b["period"]) + 1)))


def header(store: Store, batch_id: int) -> BatchHeader:
    """A batch's row without its totals (BatchError when there is no such batch)."""
    with store.read() as conn:
        b = _get(conn, batch_id)
    return BatchHeader(batch_id=int(b["batch_id"]), period=str(b["period"]),
                       status=str(b["status"]), run_by=str(b["run_by"]),
                       approved_by=b["approved_by"])


def batch_lines(store: Store, batch_id: int, rep_id: str | None = None) -> pd.DataFrame:
    """A batch's lines (``rep_id``'s only, if given), with the columns of ``Result.lines``."""
    with store.read() as conn:
        _get(conn, batch_id)
        return batchdb.read_lines(conn, batch_id, rep_id)


def batch_line_sums(store: Store, batch_id: int, period: str) -> pd.DataFrame:
    """A batch's lines of ``period`` summed by rep and kind (:func:`batchdb.line_sums`)."""
    with store.read() as conn:
        _get(conn, batch_id)
        return batchdb.line_sums(conn, batch_id, period)


def batch_payouts(store: Store, batch_id: int) -> pd.DataFrame:
    """A batch's payouts: ``payouts.csv``'s columns, then the draw's top-up and forfeited
    (cents; net + carry_in − carry_out − forfeited = payout on every row)."""
    with store.read() as conn:
        _get(conn, batch_id)
        payouts = batchdb.read_payouts(conn, batch_id)
        extras = batchdb.read_payout_extras(conn, batch_id).set_index("rep_id")
    for col in ("draw", "forfeited"):
        payouts[col] = extras[col].reindex(payouts["rep_id"]).fillna(0).to_numpy(np.int64)
    return payouts


def batch_plans(store: Store, batch_id: int) -> dict[str, Plan]:
    """The plans a batch computed with, exactly the versions it recorded, by plan id."""
    with store.read() as conn:
        _get(conn, batch_id)
        texts = {pid: (v, planstore.text_of(conn, pid, v))
                 for pid, (v, _sha) in batchdb.read_plans(conn, batch_id).items()}
    plans: dict[str, Plan] = {}
    for pid, (version, text) in texts.items():
        plan, problems = parse_plan(text or "", f"plans/{pid} (version {version})",
                                    expected_id=pid, stored=True)
        if plan is None:
            raise InputError(problems)
        plans[pid] = plan
    return plans


def batch_runs(store: Store, batch_id: int) -> pd.DataFrame:
    """Every run of a batch: who ran it, when, and the fingerprint of its inputs."""
    with store.read() as conn:
        _get(conn, batch_id)
        return batchdb.runs(conn, batch_id)


def list_batches(store: Store) -> pd.DataFrame:
    """Every batch by period: status, who and when, lines and total payout."""
    cols = ["batch_id", "period", "status", "run_no", "run_by", "run_at", "approved_by",
            "approved_at", "locked_by", "locked_at"]
    with store.read() as conn:
        rows = batchdb.all_batches(conn)
        counts, paid = batchdb.line_counts(conn), batchdb.payout_sums(conn)
    frame = pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)
    frame["lines"] = [counts.get(int(b), 0) for b in frame["batch_id"]]
    frame["payout"] = [paid.get(int(b), 0) for b in frame["batch_id"]]
    return frame


def diff(store: Store, batch_id: int, rules_dir: str | Path | None = None) -> list[str]:
    """What changed in the inputs since the batch was computed, one line per change.

    Events it would pay now but did not (late arrivals), events it paid that changed
    or were removed or that a locked batch has paid since, plans whose text changed
    (in the store, or in ``rules_dir`` when given), reps whose plan changed, and
    splits and disputes recorded since. An empty list: nothing changed.
    """
    with store.read() as conn:
        b = _get(conn, batch_id)
        state = {  # only the rows that can differ (batchdiff): a diff reads no whole table
            **batchdiff.diff_rows(conn, b), "reps": read_table(conn, "reps"),
            "plans_then": batchdb.read_plans(conn, batch_id),
            "plans_now": planstore.latest(conn), "payouts": batchdb.read_payouts(conn, batch_id),
            "last": batchdb.last_locked(conn), "runs": batchdb.run_plans(conn, batch_id),
        }
    texts = None
    if rules_dir is not None:
        _p, texts, problems = load_plans(rules_dir)
        if problems:
            raise InputError(problems)
    return describe(b, state, texts, DIFF_LIMIT)


# ----------------------------------------------------------------------------- helpers


def _who(by: str, what: str) -> str:
    by = (by or "").strip()
    if not by:
        raise BatchError(f"say who is doing this: a user is required to {what} a batch")
    return by


def _month(period: str) -> tuple[int, str]:
    try:
        month = parse_period(str(period).strip())
    except ValueError as exc:
        raise BatchError(f"{period!r} is not a period; expected YYYY-MM") from exc
    return month, str(np.datetime64(month, "M"))


def _get(conn, batch_id: int) -> dict[str, Any]:
    b = batchdb.get(conn, int(batch_id))
    if b is None:
        raise BatchError(f"no batch {batch_id}")
    return b


def _refuse_period(label: str, existing: dict | None, base: dict | None) -> None:
    if existing is not None and existing["status"] == "locked":
        raise BatchError(f"{label} is locked (batch {existing['batch_id']}); late data for it is "
                         "paid by the next period's batch")
    if base is not None and label <= base["period"]:
        raise BatchError(f"{label} is not after the last locked period {base['period']} "
                         f"(batch {base['batch_id']}); run a later period")


def _event_months(inputs: Inputs) -> np.ndarray:
    """The month of every dated event, commission adjustments (manual lines) included."""
    dated = [*((t, col) for t, (_kind, _id, col) in EVENTS.items()),
             ("commission_adjustments", "adjustment_date")]
    return np.concatenate([np.zeros(0, np.int64), *(
        month_index(getattr(inputs, t)[col].to_numpy()) for t, col in dated
        if len(getattr(inputs, t)))])


def _refuse_future(month: int, label: str, inputs: Inputs, base: dict | None) -> None:
    """A period after this month or the latest event's month, or a first batch before the
    earliest event's month, cannot be run.

    Locking a future month would refuse every real month before it forever (issue 9); a
    first batch before any event would pay draws for months the contract never computes
    (its first period is the earliest event's month). The month right after the last
    locked period is always allowed: it pays late data for locked months even when no
    event is dated in it.
    """
    now = month_index(np.array([np.datetime64(utcnow().date(), "D")]))[0]
    if month > now:
        raise BatchError(f"{label} is in the future (this month is "
                         f"{np.datetime64(int(now), 'M')}); nothing was run")
    if base is not None and month == parse_period(base["period"]) + 1:
        return
    months = _event_months(inputs)  # after a locked batch: its open events' invoices
    if not len(months) and base is None:
        raise BatchError(f"there are no events in the store to pay in {label}; load data first")
    # every event after the base is open, so the latest month is among them (or the base's)
    latest = [int(months.max()) if len(months) else parse_period(base["period"])]
    if base is None and month < months.min():
        first = np.datetime64(int(months.min()), "M")
        raise BatchError(f"{label} is before the earliest event's month ({first}): the first "
                         f"batch pays {first} or a later month")
    if month > max(latest):
        last = np.datetime64(int(max(latest)), "M")
        raise BatchError(f"{label} is after the latest event's month ({last}): a batch pays "
                         f"months that have events; run {last} or earlier")


def _refuse_moved_base(conn, label: str, base: dict | None) -> None:
    now = batchdb.last_locked(conn)
    if (now or {}).get("batch_id") != (base or {}).get("batch_id"):
        raise BatchError(f"batch {now['batch_id'] if now else '?'} was locked while {label} "
                         "was computing; nothing was written, run it again")


def _refuse_stale(conn, b: dict[str, Any]) -> None:
    last = batchdb.last_locked(conn)
    if (last["batch_id"] if last else None) != b["base_batch_id"]:
        assert last is not None
        raise BatchError(f"batch {b['batch_id']} ({b['period']}) was computed before batch "
                         f"{last['batch_id']} ({last['period']}) was locked; run "
                         f"{b['period']} again")
    if last is not None and b["period"] <= last["period"]:
        raise BatchError(f"batch {b['batch_id']} ({b['period']}) is not after the last locked "
                         f"period {last['period']}")


def _refuse_changed(conn, b: dict[str, Any]) -> None:
    """A draft whose inputs changed since its run is run again before it is approved."""
    found = staleness(conn, int(b["batch_id"]))
    if found.stale:
        raise BatchError(f"batch {b['batch_id']} ({b['period']}) is stale: "
                         f"{found.headline()} (commission batch run {b['period']}); "
                         "the details: commission batch diff " + str(b["batch_id"]))


def batch_staleness(store: Store, batch_id: int) -> Staleness:
    """What changed since a batch's run (nothing for a locked batch): stale drafts are
    run again before they are approved or locked."""
    with store.read() as conn:
        _get(conn, batch_id)
        return staleness(conn, batch_id)


def _db_message(exc: IntegrityError) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()
    return text[0] if text else exc.__class__.__name__

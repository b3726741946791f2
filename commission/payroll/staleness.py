"""Is a draft still what the data says? What changed since it was run, counted and listed.

A draft (or approved) batch is *stale* when, since its run, events it would pay
changed, arrived or were removed, a plan it used has a new version, a locked batch
moved its carry-in, manual lines it would pay were added, changed or removed, or
reps, plan assignments, quotas, splits or disputes were recorded. A stale draft may
not be approved or locked: it is run again. The batch page puts the headline at the
top ("3 events changed or arrived, plan X changed: run again") and the details in
one compact table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from commission.money import format_money
from commission.payroll.fingerprint import event_frame
from commission.periods import month_index, parse_period
from commission.store import batchdb, planstore
from commission.store import inquiries as inquirydb
from commission.store.records import data_version, read_stored_inputs, read_table

DETAIL_COLUMNS = ["what", "id", "change"]
#: tables whose rows recorded after a run change what it would pay, in words
RECORDED = {"reps": ("rep", ["rep_id"]), "plan_assignments": ("plan assignment",
            ["rep_id", "effective_from"]), "quotas": ("quota", ["rep_id", "quota_period"]),
            "splits": ("split", ["invoice_id", "rep_id"]),
            "disputes": ("dispute", ["dispute_id"])}


@dataclass(frozen=True)
class Staleness:
    """What changed since a batch's run: counts for the headline, rows for the details."""

    events: int = 0  # events changed, arrived, removed or paid by another batch
    plans: tuple[str, ...] = ()  # plans it used that have a new version
    manual: int = 0  # manual lines added, changed or removed
    records: dict[str, int] = field(default_factory=dict)  # table -> rows recorded since
    base: str = ""  # a locked batch moved the carry-in ("batch 3 (2026-02) was locked since")
    details: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DETAIL_COLUMNS))

    @property
    def stale(self) -> bool:
        return bool(self.events or self.plans or self.manual or self.base
                    or any(self.records.values()))

    def headline(self) -> str:
        """'3 events changed or arrived, plan X changed: run again' ('' when fresh)."""
        if not self.stale:
            return ""
        parts = [self.base] if self.base else []
        if self.events:
            parts.append(f"{self.events:,} event{'s' if self.events != 1 else ''} changed "
                         "or arrived")
        if self.plans:
            parts.append(f"plan{'s' if len(self.plans) > 1 else ''} "
                         f"{', '.join(self.plans)} changed")
        if self.manual:
            parts.append(f"{self.manual:,} manual line{'s' if self.manual != 1 else ''} "
                         "added or changed")
        for table, n in self.records.items():
            if n:
                word = RECORDED[table][0] if table in RECORDED else table
                parts.append(f"{n:,} {word}{'s' if n != 1 else ''} recorded")
        return ", ".join(parts) + ": run again"


def staleness(conn: Any, batch_id: int) -> Staleness:
    """What changed since batch ``batch_id`` was run (nothing for a locked batch)."""
    b = batchdb.get(conn, batch_id)
    if b is None or b["status"] == "locked":
        return Staleness()
    last = batchdb.last_locked(conn)
    if _untouched_since_run(conn, b, last):  # the inputs are as the run read them
        paid = batchdb.paid_manual(conn)  # the manual lines paid (the events: unchanged)
        events = _frame("event", [], "")
        adjustments = read_table(conn, "commission_adjustments")
        records, recorded = _frame("", [], ""), dict.fromkeys(RECORDED, 0)
    else:
        paid = batchdb.paid_events(conn)
        inputs = read_stored_inputs(conn)
        adjustments = inputs.commission_adjustments
        events = _event_changes(b, inputs, batchdb.read_events(conn, batch_id), paid)
        records, recorded = _recorded_since(conn, int(b["data_version"]))
    plans = _plan_changes(batchdb.read_plans(conn, batch_id), planstore.latest(conn))
    manual = _manual_changes(conn, b, adjustments, paid)
    base = ""
    if (last["batch_id"] if last else None) != b["base_batch_id"] and last is not None:
        base = f"batch {last['batch_id']} ({last['period']}) was locked since"
    details = pd.concat([d for d in (plans, events, manual, records)
                         if not d.empty] or [pd.DataFrame(columns=DETAIL_COLUMNS)],
                        ignore_index=True)
    return Staleness(events=len(events), plans=tuple(plans["id"]), manual=len(manual),
                     records=recorded, base=base, details=details[DETAIL_COLUMNS])


def _untouched_since_run(conn: Any, b: dict[str, Any], last: dict[str, Any] | None) -> bool:
    """No load (every write of an input table is one) and no lock since the batch's run:
    its events and recorded rows are then exactly what the run read, and the whole
    store need not be read again to say so (a million events: seconds)."""
    return (data_version(conn) == int(b["data_version"])
            and (last["batch_id"] if last else None) == b["base_batch_id"])


def _frame(what: Any, ids: Any, change: Any) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"what": np.broadcast_to(np.asarray(what, dtype=object), (n,)),
                         "id": np.asarray(ids, dtype=object),
                         "change": np.broadcast_to(np.asarray(change, dtype=object), (n,))})


def _money_text(values: Any) -> list[str]:
    return [format_money(int(v)) for v in values]


def _event_changes(b: dict[str, Any], inputs: Any, then: pd.DataFrame,
                   paid: pd.DataFrame) -> pd.DataFrame:
    """Events arrived, changed, removed or paid elsewhere since the run, one row each."""
    now = event_frame(inputs)
    elsewhere = paid[paid["batch_id"] != b["batch_id"]]
    key_now = pd.MultiIndex.from_frame(now[["event_kind", "event_id"]])
    key_paid = pd.MultiIndex.from_frame(elsewhere[["event_kind", "event_id"]].astype(object))
    due = month_index(now["event_date"].to_numpy()) <= parse_period(b["period"])
    open_now = now[due & ~key_now.isin(key_paid)]
    both = open_now.merge(then, on=["event_kind", "event_id"], how="outer",
                          suffixes=("", "_then"), indicator=True)
    arrived = both[both["_merge"] == "left_only"]
    gone = both[both["_merge"] == "right_only"]
    edited = both[(both["_merge"] == "both") & (both["row_hash"] != both["row_hash_then"])]
    dates = [str(np.datetime64(d, "D")) for d in arrived["event_date"]]
    parts = [
        _frame(arrived["event_kind"], arrived["event_id"],
               [f"arrived ({d}, {m})" for d, m in zip(dates, _money_text(arrived["amount"]),
                                                      strict=True)]),
        _frame(edited["event_kind"], edited["event_id"],
               [f"changed (amount {a} -> {b2})" if a != b2 else "changed"
                for a, b2 in zip(_money_text(edited["amount_then"]),
                                 _money_text(edited["amount"]), strict=True)]),
        _frame(gone["event_kind"], gone["event_id"],
               "removed, or paid by another locked batch"),
    ]
    return pd.concat(parts, ignore_index=True)


def _plan_changes(then: dict[str, tuple[int, str]],
                  now: dict[str, tuple[int, str, str]]) -> pd.DataFrame:
    rows = [(pid, f"version {v} -> {now[pid][0]}" if pid in now else "no longer stored")
            for pid, (v, sha) in then.items() if pid not in now or now[pid][2] != sha]
    return _frame("plan", [r[0] for r in rows], [r[1] for r in rows])


def _manual_changes(conn: Any, b: dict[str, Any], stored: pd.DataFrame,
                    paid: pd.DataFrame) -> pd.DataFrame:
    """Manual lines (and inquiry corrections) the batch would pay now vs. what it paid."""
    fixes = inquirydb.corrections(conn, None)
    cols = ["commission_adjustment_id", "adjustment_date", "amount"]
    now = pd.concat([stored[cols], fixes[cols]] if len(fixes) else [stored[cols]],
                    ignore_index=True).drop_duplicates("commission_adjustment_id")
    month = month_index(pd.to_datetime(now["adjustment_date"]).to_numpy("datetime64[s]"))
    done = paid.loc[(paid["event_kind"] == "manual") & (paid["batch_id"] != b["batch_id"]),
                    "event_id"]
    now = now[(month <= parse_period(b["period"]))
              & ~now["commission_adjustment_id"].isin(done)]
    then = batchdb.manual_lines(conn, b["batch_id"])
    both = now.merge(pd.DataFrame({"commission_adjustment_id": then["event_id"].astype(object),
                                   "paid": then["amount"].to_numpy(np.int64)}),
                     how="outer", on="commission_adjustment_id", indicator=True)
    added = both[both["_merge"] == "left_only"]
    gone = both[both["_merge"] == "right_only"]
    edited = both[(both["_merge"] == "both") & (both["amount"] != both["paid"])]
    return pd.concat([
        _frame("manual line", added["commission_adjustment_id"],
               [f"added ({m})" for m in _money_text(added["amount"])]),
        _frame("manual line", edited["commission_adjustment_id"],
               [f"changed ({a} -> {m})" for a, m in zip(_money_text(edited["paid"]),
                                                       _money_text(edited["amount"]),
                                                       strict=True)]),
        _frame("manual line", gone["commission_adjustment_id"], "removed"),
    ], ignore_index=True)


def _recorded_since(conn: Any, version: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of reps, assignments, quotas, splits and disputes recorded after load
    ``version`` (the one the run saw), and rows removed by those loads."""
    parts, counts = [], {}
    for table, (word, key) in RECORDED.items():
        frame = read_table(conn, table, ["load_id"])
        new = frame[frame["load_id"] > version]
        ids = new[key].astype(str).agg(" ".join, axis=1) if len(new) else []
        parts.append(_frame(word, ids, f"recorded since the run (load {int(new['load_id'].max())})"
                            if len(new) else ""))
        counts[table] = len(new)
    for load_id, summary in conn.exec_driver_sql(
            f"SELECT load_id, summary FROM loads WHERE load_id > {int(version)}").fetchall():
        tables = json.loads(summary or "{}").get("tables", {})
        for table, c in tables.items():
            if table in RECORDED and c.get("deleted"):
                parts.append(_frame(RECORDED[table][0], [f"{c['deleted']} row(s)"],
                                    f"removed by load {load_id}"))
                counts[table] = counts.get(table, 0) + int(c["deleted"])
    return pd.concat(parts, ignore_index=True), counts


__all__ = ["DETAIL_COLUMNS", "Staleness", "staleness"]

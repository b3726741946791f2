"""What the batch functions hand back: summaries a person reads and a program uses.

Plain frozen data (money in cents), each with ``text()`` for the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from commission.money import format_money
from commission.vocabulary import PAYOUT_MONEY_COLUMNS


@dataclass(frozen=True)
class LoadSummary:
    """What a load changed: rows per table, new plan versions."""

    load_id: int | None  # None when nothing changed (nothing was written)
    source: str
    tables: dict[str, dict[str, int]]  # table -> inserted, updated, deleted, unchanged
    plans: dict[str, int]  # plan_id -> new version number
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: read, validate, write

    @property
    def changed(self) -> bool:
        return self.load_id is not None

    def text(self) -> str:
        if not self.changed:
            return f"nothing changed: everything in {self.source} is already in the store"
        parts = []
        for name, c in self.tables.items():
            bits = [f"{c[k]:,} {w}" for k, w in (("inserted", "new"), ("updated", "changed"),
                                                  ("deleted", "removed")) if c.get(k)]
            parts.append(f"  {name}: {', '.join(bits) or 'no change'}"
                         f" ({c.get('unchanged', 0):,} unchanged)")
        for pid, v in sorted(self.plans.items()):
            parts.append(f"  plan {pid}: version {v}")
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items())
        return "\n".join([f"load {self.load_id} from {self.source} in {self.seconds:.1f} s "
                          f"({phases}):", *parts])


@dataclass(frozen=True)
class BatchHeader:
    """A batch's row without its totals: what the export and a lock need, read in
    milliseconds (a :class:`BatchSummary` sums the batch's lines and events)."""

    batch_id: int
    period: str
    status: str  # draft | approved | locked
    run_by: str
    approved_by: str | None


@dataclass(frozen=True)
class BatchSummary:
    """A batch at a glance: who did what when, what it paid, with which inputs."""

    batch_id: int
    period: str
    status: str  # draft | approved | locked
    run_no: int
    run_by: str
    run_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    locked_by: str | None
    locked_at: dt.datetime | None
    base_batch_id: int | None  # the locked batch whose carry-out is this one's carry-in
    base_period: str | None
    plans: dict[str, tuple[int, str]]  # plan_id -> (version, sha256)
    events_digest: str
    fingerprint: str
    events: dict[str, int]  # invoices, payments, adjustments paid
    lines: int
    prior_lines: int  # lines of events from an earlier (locked) month
    reps: int
    totals: dict[str, int] = field(default_factory=dict)  # cents: gross ... carry_out, forfeited
    months: tuple[str, ...] = ()  # the months it pays for: more than one is a catch-up

    def text(self) -> str:
        def when(by: str | None, at: dt.datetime | None, what: str) -> str:
            return f"{what} by {by} at {at:%Y-%m-%d %H:%M:%S} UTC" if by and at else ""

        who = "; ".join(w for w in (
            when(self.run_by, self.run_at, f"run {self.run_no}"),
            when(self.approved_by, self.approved_at, "approved"),
            when(self.locked_by, self.locked_at, "locked")) if w)
        carry = (f"batch {self.base_batch_id} ({self.base_period})" if self.base_batch_id
                 else "none (first locked batch)")
        t = self.totals
        money = ", ".join(f"{k.replace('_', '-')} {format_money(t[k])}"
                          for k in PAYOUT_MONEY_COLUMNS)
        if t.get("forfeited"):
            money += f"; forfeited {format_money(t['forfeited'])}"
        plans = ", ".join(f"{pid} v{v} ({sha[:12]})" for pid, (v, sha) in self.plans.items())
        catch_up = (f"  catch-up: covers {len(self.months)} months ({self.months[0]} to "
                    f"{self.months[-1]}) in one batch" if len(self.months) > 1 else "")
        return "\n".join(line for line in [
            f"batch {self.batch_id} · {self.period} · {self.status}",
            f"  {who}",
            f"  carry-in from: {carry}",
            f"  paid: {self.events['invoices']:,} invoices, {self.events['payments']:,} "
            f"payments, {self.events['adjustments']:,} adjustments -> {self.lines:,} lines "
            f"({self.prior_lines:,} for earlier periods)",
            f"  {self.reps:,} reps: {money}",
            f"  plans: {plans or 'none'}",
            f"  inputs: events {self.events_digest[:16]}, fingerprint {self.fingerprint[:16]}",
            catch_up,
        ] if line)

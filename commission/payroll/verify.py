"""Is a locked batch still what was locked? Recompute its seal and say what differs.

At lock the store sealed the batch (:mod:`commission.store.seal`): digests of its
lines, payouts, plan texts and paid events. :func:`verify` recomputes them from the
rows as they are now and names every section that no longer matches, and any plan
whose stored text no longer has the hash the batch recorded. The database's
triggers stop ordinary changes to a locked batch; this catches the rest (triggers
dropped or disabled by the tables' owner, rows edited in the database file).
Exports and statements of a locked batch call :func:`require_intact` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commission.payroll.lifecycle import BatchError
from commission.plans.language import plan_hash
from commission.store import Store, batchdb, planstore, seal

SECTION_WORDS = {"lines": "lines", "payouts": "payouts", "plans": "plan texts",
                 "paid_events": "paid events"}


@dataclass
class Verification:
    """The outcome of :func:`verify`; ``ok`` when every digest matches its seal."""

    batch_id: int
    period: str
    status: str
    digest: str | None  # the sealed digest
    sealed_by: str | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "locked" and self.digest is not None and not self.differences

    def text(self) -> str:
        head = f"batch {self.batch_id} ({self.period})"
        if self.status != "locked":
            return f"{head} is {self.status}, not locked: only a locked batch is sealed"
        if self.ok:
            return f"{head}: OK, matches its seal (sha256 {self.digest})"
        return f"{head}: FAILED verification: " + "; ".join(self.differences)


def _short(digest: str) -> str:
    return digest[:12] + "…"


def _plan_texts(conn, batch_id: int) -> list[str]:
    out = []
    for pid, (version, sha) in batchdb.read_plans(conn, batch_id).items():
        text = planstore.text_of(conn, pid, version)
        if text is None or plan_hash(text) != sha:
            out.append(f"plan {pid} version {version}: its stored text is not the text the "
                       "batch computed with")
    return out


def _compare(sealed: dict[str, Any], now: dict[str, str]) -> list[str]:
    out = [f"{SECTION_WORDS[s]} differ from the seal (sealed {_short(sealed[f'{s}_sha256'])}, "
           f"now {_short(now[s])})" for s in seal.SECTIONS if sealed[f"{s}_sha256"] != now[s]]
    parts = {s: sealed[f"{s}_sha256"] for s in seal.SECTIONS}
    if seal.combine(parts) != sealed["digest"]:
        out.append("the seal itself was altered (its digest does not match its sections)")
    return out


def verify(store: Store, batch_id: int) -> Verification:
    """Recompute a batch's digests and compare them with its seal."""
    with store.read() as conn:
        b = batchdb.get(conn, int(batch_id))
        if b is None:
            raise BatchError(f"no batch {batch_id}")
        sealed = seal.read(conn, batch_id)
        result = Verification(int(batch_id), b["period"], b["status"],
                              sealed["digest"] if sealed else None,
                              sealed["sealed_by"] if sealed else None)
        if b["status"] != "locked":
            return result
        if sealed is None:
            result.differences.append("the batch is locked but has no seal (it was removed)")
            return result
        result.differences += _compare(sealed, seal.sections(conn, batch_id))
        result.differences += _plan_texts(conn, batch_id)
    return result


def require_intact(store: Store, batch_id: int) -> None:
    """Refuse (BatchError) a locked batch that fails verification; drafts pass."""
    v = verify(store, batch_id)
    if v.status == "locked" and not v.ok:
        raise BatchError(f"batch {v.batch_id} ({v.period}) fails verification, so it is not "
                         f"handed out: {'; '.join(v.differences)} "
                         f"(commission batch verify {v.batch_id})")


__all__ = ["Verification", "require_intact", "verify"]

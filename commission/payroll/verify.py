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


def _compare(sealed: dict[str, Any], now: dict[str, str], names=seal.SECTIONS) -> list[str]:
    out = [f"{SECTION_WORDS[s]} differ from the seal (sealed {_short(sealed[f'{s}_sha256'])}, "
           f"now {_short(now[s])})" for s in names if sealed[f"{s}_sha256"] != now[s]]
    parts = {s: sealed[f"{s}_sha256"] for s in seal.SECTIONS}
    if seal.combine(parts) != sealed["digest"]:
        out.append("the seal itself was altered (its digest does not match its sections)")
    return out


#: reps named one by one in a failed verification (then "and N more")
NAMED_REPS = 10


def _rep_words(kept: dict[str, tuple[str, str]], now: dict[str, tuple[str, str]]
               ) -> list[str]:
    """Which reps' lines or payout differ from their sealed digests (sha256-v2)."""
    out = []
    for i, word in enumerate(seal.REP_SECTIONS):
        reps = sorted(r for r in set(kept) | set(now)
                      if kept.get(r, (seal.EMPTY,) * 2)[i] != now.get(r, (seal.EMPTY,) * 2)[i])
        if reps:
            more = f" and {len(reps) - NAMED_REPS} more" if len(reps) > NAMED_REPS else ""
            out.append(f"{SECTION_WORDS[word]} of rep{'s' if len(reps) > 1 else ''} "
                       f"{', '.join(reps[:NAMED_REPS])}{more} differ from the seal")
    return out


def _kept_reps_agree(sealed: dict[str, Any], kept: dict[str, tuple[str, str]]) -> list[str]:
    """The sealed per-rep digests must give the sealed sections (else the seal was altered)."""
    if all(seal.combine_reps({r: d[i] for r, d in kept.items()}) == sealed[f"{s}_sha256"]
           for i, s in enumerate(seal.REP_SECTIONS)):
        return []
    return ["the seal itself was altered (its per-rep digests do not match its sections)"]


def _rep_part(conn, batch_id: int, sealed: dict[str, Any], kept: dict[str, tuple[str, str]],
              rep_id: str) -> list[str]:
    """One rep's lines and payout against their sealed digests, and the plan texts."""
    if rep_id not in kept:
        return [f"rep {rep_id} has no part in the seal"]
    now = {"plans": seal.plans_section(conn, batch_id)}
    return (_compare(sealed, now, ("plans",))
            + _rep_words({rep_id: kept[rep_id]}, seal.rep_digests(conn, batch_id, rep_id)))


def _payouts_part(conn, batch_id: int, sealed: dict[str, Any],
                  kept: dict[str, tuple[str, str]]) -> list[str]:
    """What a payroll export hands out: every rep's payout, and the plan texts.

    Not the lines (a million rows; what the file pays comes from the payouts alone) nor
    the paid events (what later batches may pay): ``batch verify`` checks those
    (docs/security.md).
    """
    payouts = seal.payout_digests(conn, batch_id)
    now = {"payouts": seal.combine_reps(payouts), "plans": seal.plans_section(conn, batch_id)}
    kept_payouts = {r: (seal.EMPTY, d[1]) for r, d in kept.items()}
    return (_compare(sealed, now, ("payouts", "plans"))
            + _rep_words(kept_payouts, {r: (seal.EMPTY, d) for r, d in payouts.items()}))


def _differences(conn, batch_id: int, sealed: dict[str, Any], rep_id: str | None,
                 lines: bool) -> list[str]:
    """What differs from the seal: everything; or (sha256-v2) with ``rep_id`` that rep's
    part, without ``lines`` the payouts and plan texts; and the seal's consistency."""
    if sealed["method"] == seal.V1:  # sealed whole: verified whole
        return _compare(sealed, seal.sections(conn, batch_id, seal.V1))
    kept = seal.read_reps(conn, batch_id)
    if rep_id is not None:
        found = _rep_part(conn, batch_id, sealed, kept, rep_id)
    elif not lines:
        found = _payouts_part(conn, batch_id, sealed, kept)
    else:
        now_reps = seal.rep_digests(conn, batch_id)
        now = seal.sections(conn, batch_id, seal.V2, now_reps)
        found = _compare(sealed, now) + _rep_words(kept, now_reps) + _volumes(conn, batch_id)
    return found + _kept_reps_agree(sealed, kept)


def _volumes(conn, batch_id: int) -> list[str]:
    """The tier volumes kept for later months (0020) must be the sums of the lines, and
    the counts its summary shows (0023) those of its lines and events."""
    found = []
    if batchdb.volumes_differ(conn, batch_id):
        found.append("the tier volumes kept for later months differ from the batch's lines")
    if batchdb.counts_differ(conn, batch_id):
        found.append("the counts of lines and events kept for the batch's summary differ "
                     "from its lines and events")
    return found


def verify(store: Store, batch_id: int, rep_id: str | None = None,
           lines: bool = True) -> Verification:
    """Recompute a batch's digests and compare them with its seal.

    A seal per rep (sha256-v2) can be checked in part: ``rep_id``, what that rep's
    statement shows (their lines and payout, the plan texts); ``lines=False``, what the
    payroll export hands out (every payout and the plan texts; not the lines nor the
    paid events, which only ``batch verify`` hashes). The seal's own consistency is
    always checked. A batch sealed whole (sha256-v1) is verified whole.
    """
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
        result.differences += _differences(conn, int(batch_id), sealed, rep_id, lines)
        result.differences += _plan_texts(conn, batch_id)
    return result


def require_intact(store: Store, batch_id: int, rep_id: str | None = None,
                   lines: bool = True) -> None:
    """Refuse (BatchError) a locked batch that fails verification; drafts pass.

    ``rep_id``, ``lines``: verify only that part (see :func:`verify`).
    """
    v = verify(store, batch_id, rep_id, lines)
    if v.status == "locked" and not v.ok:
        raise BatchError(f"batch {v.batch_id} ({v.period}) fails verification, so it is not "
                         f"handed out: {'; '.join(v.differences)} "
                         f"(commission batch verify {v.batch_id})")


__all__ = ["Verification", "require_intact", "verify"]

"""Plans in the store: every distinct text of a plan file is kept as a version.

A batch records the (plan_id, version, sha256) it computed with, so a locked batch
can always be traced to the exact YAML it used, even after the file changed.

A plan a locked batch paid with is immutable: a text that differs from the version
a locked batch used is refused (a change is a new plan id), and the database's
triggers refuse any UPDATE of a stored version (migration 0006).
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from commission.plans.language import plan_hash
from commission.problems import InputError, Problem
from commission.store.bulk import read_frame
from commission.store.db import utcnow
from commission.store.models import PlanVersion

PLANS = PlanVersion.__table__  # type: ignore[attr-defined]


def latest(conn: Connection) -> dict[str, tuple[int, str, str]]:
    """plan_id -> (version, yaml text, sha256) of each plan's newest version."""
    frame = read_frame(conn, PLANS, ["plan_id", "version", "yaml_text", "sha256"])
    frame = frame.sort_values(["plan_id", "version"], kind="stable")
    frame = frame.drop_duplicates("plan_id", keep="last")
    return {r.plan_id: (int(r.version), r.yaml_text, r.sha256)
            for r in frame.itertuples(index=False)}


def text_of(conn: Connection, plan_id: str, version: int) -> str | None:
    """The YAML text of one stored plan version."""
    return conn.execute(select(PLANS.c.yaml_text).where(
        (PLANS.c.plan_id == plan_id) & (PLANS.c.version == version))).scalar_one_or_none()


def locked_uses(conn: Connection) -> dict[str, tuple[int, int, str]]:
    """plan_id -> (version, batch_id, period) of the latest locked batch that used it."""
    rows = conn.exec_driver_sql(
        "SELECT p.plan_id, p.version, b.batch_id, b.period FROM batch_plans p "
        "JOIN batches b ON b.batch_id = p.batch_id WHERE b.status = 'locked' "
        "ORDER BY b.period").fetchall()
    return {pid: (int(v), int(b), period) for pid, v, b, period in rows}


def refuse_locked_changes(conn: Connection, texts: dict[str, str]) -> None:
    """InputError for every plan whose text differs from the version a locked batch used."""
    used = locked_uses(conn)
    have = latest(conn)
    problems = []
    for plan_id, text in sorted(texts.items()):
        if plan_id not in used or plan_hash(text) == have.get(plan_id, (0, "", ""))[2]:
            continue
        version, batch_id, period = used[plan_id]
        problems.append(Problem(
            f"plans/{plan_id}", None, None, plan_id,
            f"plan {plan_id} changed, but locked batch {batch_id} ({period}) paid with "
            f"version {version}: a plan a locked batch used never changes",
            "the same text, or the change under a new plan id (a change is a new plan id)"))
    if problems:
        raise InputError(problems)


def new_versions(conn: Connection, texts: dict[str, str]) -> dict[str, tuple[int, str, str]]:
    """The plan texts that differ from their newest stored version, numbered as new versions.

    InputError when one of them is a plan a locked batch used (:func:`refuse_locked_changes`).
    """
    refuse_locked_changes(conn, texts)
    have = latest(conn)
    out: dict[str, tuple[int, str, str]] = {}
    for plan_id, text in sorted(texts.items()):
        sha = plan_hash(text)
        version, _text, old_sha = have.get(plan_id, (0, "", ""))
        if sha != old_sha:
            out[plan_id] = (version + 1, text, sha)
    return out


def write_versions(conn: Connection, versions: dict[str, tuple[int, str, str]]) -> None:
    if versions:
        now = utcnow()
        conn.execute(insert(PLANS), [
            {"plan_id": pid, "version": v, "yaml_text": text, "sha256": sha, "loaded_at": now}
            for pid, (v, text, sha) in sorted(versions.items())])

"""Plans in the store: every distinct text of a plan file is kept as a version.

A batch records the (plan_id, version, sha256) it computed with, so a locked batch
can always be traced to the exact YAML it used, even after the file changed.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from commission.plans.language import plan_hash
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


def new_versions(conn: Connection, texts: dict[str, str]) -> dict[str, tuple[int, str, str]]:
    """The plan texts that differ from their newest stored version, numbered as new versions."""
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

"""Scenarios in the store: plan variants saved from Compare plans, apart from payroll.

Nothing in payroll reads this table: a saved scenario changes no batch. A row is
never edited except to note, once, that it was made live (which new plan id, from
which month, by whom and when).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from commission.store.db import utcnow
from commission.store.models import Scenario

SCENARIOS = Scenario.__table__  # type: ignore[attr-defined]
LISTED = ["scenario_id", "plan_id", "name", "base_plan_id", "from_period", "reps", "quota_scale",
          "created_by", "created_at", "live_plan_id", "live_from"]


def add(conn: Connection, row: dict[str, Any]) -> int:
    """Insert one scenario (plan_id, name, base_plan_id, yaml_text, sha256, from_period,
    reps as a list or None, note, created_by); returns its scenario_id."""
    values = {**row, "reps": None if row.get("reps") is None else json.dumps(list(row["reps"])),
              "created_at": utcnow()}
    return int(conn.execute(insert(SCENARIOS).values(**values)
                            .returning(SCENARIOS.c.scenario_id)).scalar_one())


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reps": None if row["reps"] is None else json.loads(row["reps"])}


def get(conn: Connection, scenario_id: int) -> dict[str, Any] | None:
    """One scenario with every column (``reps`` as a list or None), or None."""
    row = conn.execute(select(SCENARIOS).where(SCENARIOS.c.scenario_id == int(scenario_id))
                       ).mappings().first()
    return None if row is None else _decoded(dict(row))


def listing(conn: Connection) -> pd.DataFrame:
    """Every scenario, newest first, without its text."""
    rows = conn.execute(select(*[SCENARIOS.c[c] for c in LISTED])
                        .order_by(SCENARIOS.c.scenario_id.desc())).mappings().all()
    return pd.DataFrame([_decoded(dict(r)) for r in rows], columns=LISTED)


def mark_live(conn: Connection, scenario_id: int, plan_id: str, live_from: dt.date,
              by: str) -> None:
    """Note that a scenario became plan ``plan_id`` from ``live_from``."""
    conn.execute(update(SCENARIOS).where(SCENARIOS.c.scenario_id == int(scenario_id))
                 .values(live_plan_id=plan_id, live_from=live_from, live_by=by,
                         live_at=utcnow()))


__all__ = ["add", "get", "listing", "mark_live"]

"""commission scenario save|list|show|make-live: the separate, audited step from the CLI."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import loaded_store, run

from commission.plans.language import load_plans

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


@pytest.fixture
def db(store_url, csvs, tmp_path, capsys, monkeypatch) -> list[str]:
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    return loaded_store(capsys, store_url, csvs.small(tmp_path / "data"),
                        (("pat", "planner", None), ("fin", "finance", None)))


def test_a_planner_saves_finance_makes_live(db, capsys, tmp_path):
    plan = load_plans(RULES)[0]["collected-stepped"].model_copy(
        update={"id": "stepped-6", "rate": Decimal("0.06")})
    path = tmp_path / "stepped-6.yaml"
    path.write_text(plan.to_yaml(), encoding="utf-8")
    pat, fin = (["--as", f"{w}@example.com"] for w in ("pat", "fin"))
    code, out, err = run(capsys, "scenario", *db, "save", str(path), "--base",
                         "collected-stepped", *pat)
    assert code == 0, err
    assert "saved scenario 1 (stepped-6)" in out
    code, out, _ = run(capsys, "scenario", *db, "list", *pat)
    assert out.startswith("1  stepped-6")
    code, out, _ = run(capsys, "scenario", *db, "show", "1", *pat)
    assert "rate: 0.06" in out
    code, _, err = run(capsys, "scenario", *db, "make-live", "1", "--plan-id", "stepped-2026",
                       "--from", "2026-02", *pat)
    assert code == 2 and "needs the admin or finance role" in err
    code, out, err = run(capsys, "scenario", *db, "make-live", "1", "--plan-id",
                         "stepped-2026", "--from", "2026-02", "--dry-run", *fin)
    assert code == 0, err
    assert "would be live from 2026-02-01 for R1" in out and "rate: 0.05 -> 0.06" in out
    code, out, err = run(capsys, "scenario", *db, "make-live", "1", "--plan-id",
                         "stepped-2026", "--from", "2026-02", *fin)
    assert code == 0 and "is live from 2026-02-01" in out, err
    code, _, err = run(capsys, "scenario", *db, "make-live", "1", "--plan-id",
                       "stepped-2026", "--from", "2026-2", *fin)
    assert code == 2 and "already in the store" in err and "YYYY-MM" in err

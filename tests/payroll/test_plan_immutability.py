"""Plans a locked batch used are immutable (issue 9, class 2); plan changes show in diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.payroll import approve, diff, load, lock, run_batch, store_plans
from commission.problems import InputError
from commission.reports.compare import save_plan
from commission.store import planstore

RULES = Path(__file__).resolve().parents[2] / "rules"


def changed_rules(tmp_path: Path, rate: str = "0.40") -> Path:
    rules = tmp_path / f"rules-{rate}"
    rules.mkdir()
    for f in RULES.glob("*.yaml"):
        (rules / f.name).write_text(f.read_text().replace("rate: 0.04", f"rate: {rate}"))
    return rules


@pytest.fixture
def loaded(csvs, store, tmp_path):
    load(store, csvs.small(tmp_path / "data"), RULES)
    return store


def test_a_plan_a_locked_batch_used_cannot_change_in_the_store(loaded, tmp_path, csvs):
    b = run_batch(loaded, "2026-01", by="ann")
    approve(loaded, b.batch_id, by="bob")
    lock(loaded, b.batch_id, by="cy")
    with loaded.read() as conn:
        before = planstore.latest(conn)
    for attempt in (lambda: store_plans(loaded, changed_rules(tmp_path)),
                    lambda: load(loaded, csvs.small(tmp_path / "d2"), tmp_path / "rules-0.40"),
                    lambda: run_batch(loaded, "2026-02", tmp_path / "rules-0.40", by="ann")):
        with pytest.raises(InputError) as err:
            attempt()
        text = "\n".join(map(str, err.value.problems))
        assert "plan invoiced-traditional changed, but locked batch 1 (2026-01) paid with " \
               "version 1" in text and "a change is a new plan id" in text
    with loaded.read() as conn:
        assert planstore.latest(conn) == before  # nothing changed
    store_plans(loaded, RULES)  # the same text is fine


def test_a_plan_change_between_a_draft_and_its_rerun_shows_in_diff(loaded, tmp_path):
    b = run_batch(loaded, "2026-01", by="ann")
    run_batch(loaded, "2026-01", changed_rules(tmp_path, "0.045"), by="ann")
    lines = diff(loaded, b.batch_id)
    assert any(line.startswith("plan invoiced-traditional changed between run 1 and run 2: "
                               "version 1") for line in lines), lines


def test_the_app_never_overwrites_a_plan_file(tmp_path):
    from commission.plans.language import load_plans

    plans = load_plans(RULES)[0]
    rules = changed_rules(tmp_path, "0.04")
    before = (rules / "invoiced-traditional.yaml").read_text()
    variant = plans["collected-stepped"].model_copy(update={"id": "invoiced-traditional"})
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match=r"never overwritten.*a change is a new plan id"):
            save_plan(variant, rules, overwrite=overwrite)
    assert (rules / "invoiced-traditional.yaml").read_text() == before

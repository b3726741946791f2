"""The benchmark's DuckDB peer agrees with `commission calculate` to the cent.

benchmarks/peer_duckdb.py computes the collected-40day plan (applied to every rep)
in plain SQL from the contract alone; benchmarks/agree.py matches every line on
(period, rep_id, line_kind, event_id) and every payout on (period, rep_id). Both
run here on the shipped sample data, on a generated data set, on a small hand-made
case whose figures are worked out below, and on variants of the plan that reach
the peer's other branches (linear haircut, grace, invoice_date clock, no pause,
penalty with and without a window, min_payout, cap, no negative carry, half_even).
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from commission.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PLAN = "collected-40day"


def _load(name: str):
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer = _load("peer_duckdb")
agree = _load("agree")


def _both(data: Path, out: Path, plan: str = PLAN, rules: Path = RULES) -> tuple[Path, Path]:
    ours, theirs = out / "ours", out / "peer"
    assert main(["calculate", "--data", str(data), "--rules", str(rules), "--out", str(ours),
                 "--plan", plan, "--quiet"]) == 0
    timings = peer.run_peer(data, theirs, plan, rules)
    assert timings["lines"] > 0
    return ours, theirs


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _assert_agree(ours: Path, theirs: Path) -> None:
    problems = agree.compare_outputs(ours, theirs)
    assert problems == []
    # the comparison saw every row of both sides
    for name in ("lines", "payouts"):
        assert len(_rows(ours / f"{name}.csv")) == len(_rows(theirs / f"{name}.csv")) > 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("generated") / "data"
    assert main(["sample", "--out", str(data), "--invoices", "2000", "--seed", "3",
                 "--part1-only"]) == 0
    return data


def _part1_sample(tmp_path: Path) -> Path:
    """sample_data/ without part 2 (the peer implements part 1 only): same seed, same size."""
    data = tmp_path / "part1_sample"
    if not data.exists():
        assert main(["sample", "--out", str(data), "--seed", "7", "--part1-only"]) == 0
    return data


def test_peer_agrees_on_sample_data(tmp_path: Path) -> None:
    _assert_agree(*_both(_part1_sample(tmp_path), tmp_path))


def test_peer_agrees_on_generated_data(generated: Path, tmp_path: Path) -> None:
    _assert_agree(*_both(generated, tmp_path))


# -- a small case worked out by hand ----------------------------------------------------------

CASE = {
    "reps": ["rep_id,name,email,manager_id,plan_id",
             "R1,Ann,ann@example.com,,collected-40day",
             "R2,Bob,bob@example.com,R1,collected-40day"],
    "customers": ["customer_id,name,segment", "C1,Acme,"],
    "invoices": ["invoice_id,customer_id,rep_id,invoice_date,due_date,amount",
                 "I1,C1,R1,2026-01-01,2026-01-31,10000.00",
                 "I2,C1,R1,2026-01-05,2026-02-04,333.33",
                 "I3,C1,R2,2026-01-10,2026-01-20,1000.00"],
    "splits": ["invoice_id,rep_id,share",
               "I2,R1,0.333333333",
               "I2,R2,0.666666667"],
    "payments": ["payment_id,invoice_id,payment_date,amount,reverses_payment_id",
                 "P1,I1,2026-02-10,4000.00,",
                 "P2,I1,2026-03-20,3000.00,",
                 "P3,I1,2026-04-15,-1000.00,P2",
                 "P4,I2,2026-05-20,333.33,",
                 "P5,I3,2026-04-01,999.90,",
                 "P6,I3,2026-04-02,0.10,"],
    "adjustments": ["adjustment_id,invoice_id,adjustment_date,kind,amount",
                    "A1,I1,2026-06-30,write_off,4000.00"],
    # I3 is due 2026-01-20: D1 and D2 overlap (paused once, Jan 20 to Mar 1: 40 days),
    # D3 is still open and runs to each payment date (Mar 20 to Apr 1: 12 days)
    "disputes": ["dispute_id,invoice_id,opened_date,resolved_date",
                 "D1,I3,2026-01-15,2026-02-15",
                 "D2,I3,2026-02-01,2026-03-01",
                 "D3,I3,2026-03-20,"],
}


@pytest.fixture
def case(tmp_path: Path) -> Path:
    data = tmp_path / "case"
    data.mkdir()
    for name, lines in CASE.items():
        (data / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def test_peer_agrees_on_a_case_worked_by_hand(case: Path, tmp_path: Path) -> None:
    ours, theirs = _both(case, tmp_path)
    _assert_agree(ours, theirs)
    lines = {(r["rep_id"], r["event_id"]): r for r in _rows(theirs / "lines.csv")}
    # 48 days late: 150.00 - 1% of it; reversed in April at the March rate and haircut
    assert (lines["R1", "P2"]["days_late"], lines["R1", "P2"]["amount"]) == ("48", "148.50")
    assert (lines["R1", "P3"]["gross"], lines["R1", "P3"]["haircut"]) == ("-50.00", "-0.50")
    # 71 days after the due date, 52 of them paused by disputes: 19 days late, no haircut
    assert (lines["R2", "P5"]["days_late"], lines["R2", "P5"]["amount"]) == ("19", "50.00")
    # 0.10 x 5% = 0.005, rounded half up
    assert lines["R2", "P6"]["amount"] == "0.01"
    # a third of 333.33 x 5% = 5.5555...: 5.56, haircut 0.0555...: 0.06 (105 days late)
    assert (lines["R1", "P4"]["gross"], lines["R1", "P4"]["haircut"]) == ("5.56", "0.06")
    payouts = {(r["period"], r["rep_id"]): r for r in _rows(theirs / "payouts.csv")}
    # April's reversal leaves R1 negative: carried, and carried again in May
    assert (payouts["2026-04", "R1"]["net"], payouts["2026-04", "R1"]["carry_out"]) == \
        ("-49.50", "-49.50")
    assert (payouts["2026-05", "R1"]["payout"], payouts["2026-05", "R1"]["carry_out"]) == \
        ("0.00", "-44.00")
    assert len(payouts) == 2 * 6  # every rep, every month 2026-01 to 2026-06


def test_peer_agrees_without_the_optional_tables(case: Path, tmp_path: Path) -> None:
    (case / "splits.csv").unlink()
    (case / "disputes.csv").unlink()
    _assert_agree(*_both(case, tmp_path))


# -- the peer's other branches, on variants of the plan ---------------------------------------

VARIANTS = {
    "peer-linear": """
id: peer-linear
basis: collected
rate: 0.0375
late_payment:
  clock: invoice_date
  grace_days: 5
  pause_during_disputes: false
  linear: {start_after_days: 30, per_day: 0.0125, max: 0.6}
bad_debt: {window_days: 120, penalty_rate: 0.035}
payout: {min_payout: 150.00, cap: 2500.00}
rounding: half_even
""",
    "peer-steps": """
id: peer-steps
basis: collected
rate: 0.05
late_payment:
  steps:
    - {after_days: 10, haircut: 0.125}
    - {after_days: 45, haircut: 0.5}
    - {after_days: 90, haircut: 1.0}
bad_debt: {penalty_rate: 0.02}
payout: {min_payout: 1000, carry_forward_negative: false}
""",
    "peer-plain": "id: peer-plain\nbasis: collected\nrate: 0.03\n",
}


@pytest.mark.parametrize("plan", sorted(VARIANTS))
def test_peer_agrees_on_plan_variants(plan: str, generated: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)  # every rep's own plan must still be known
    (rules / f"{plan}.yaml").write_text(VARIANTS[plan].lstrip(), encoding="utf-8")
    _assert_agree(*_both(generated, tmp_path, plan, rules))


def test_agree_reports_differences(tmp_path: Path) -> None:
    ours, theirs = _both(_part1_sample(tmp_path), tmp_path)
    rows = _rows(theirs / "lines.csv")
    header = list(rows[0])
    rows[0]["gross"] = "999.99"
    del rows[1]
    with (theirs / "lines.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    problems = agree.compare_outputs(ours, theirs)
    assert any("1 only in ours" in p for p in problems)
    assert any("1 differ" in p and "gross ours" in p for p in problems)


def test_peer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not implement"):
        peer.PeerPlan.load(RULES, "advance-marginal")

"""Statements show part 2: attainment against quota, the next accelerator, draws, manual lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.engine import calculate
from commission.inputs.reading import read_tables, to_inputs
from commission.plans import load_plans
from commission.reports.statement import render_statement_html, statement_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    tables, problems = read_tables(ROOT / "sample_data")
    assert problems == []
    inputs = to_inputs(tables)
    plans, _texts, _problems = load_plans(ROOT / "rules")
    return inputs, plans, calculate(inputs, plans, "2025-03")


def _statement(sample, rep, period):
    inputs, plans, result = sample
    return statement_data(rep, period, result.lines, result.payouts, inputs, plans,
                          f"{period}-28")


def test_attainment_against_quota_and_the_next_accelerator(sample):
    data = _statement(sample, "R003", "2025-02")
    att = data["attainment"]
    assert att["quota_period"] == "2025-Q1" and att["quota"] > 0
    assert att["more"] > 0 and att["sentence"].startswith("collect ")
    assert att["sentence"].endswith(f"more this quarter to reach {att['next_rate']}")
    assert att["sentence"] in render_statement_html(data)


def test_a_draw_and_its_recovery_and_manual_lines_with_their_reasons(sample):
    draw = _statement(sample, "R011", "2025-02")["draw"]
    assert draw["amount"] == 150000 and "recover" in draw["recovery"]
    data = _statement(sample, "R005", "2024-12")
    assert [m["reason"] for m in data["manual"]] == ["SPIFF: new-logo bonus, 2024-Q4"]
    assert "SPIFF: new-logo bonus, 2024-Q4" in render_statement_html(data)
    assert data["attainment"] is None

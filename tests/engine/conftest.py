"""Fixtures of the engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission import load_plans
from commission.inputs.reading import read_inputs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    """The sample data, read and validated, and the shipped plans (one copy per module)."""
    plans, _, problems = load_plans(ROOT / "rules")
    assert not problems
    inputs, problems = read_inputs(ROOT / "sample_data", plans.keys(), plans)
    assert not problems
    return inputs, plans

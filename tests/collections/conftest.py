"""A small desk: two reps under one manager, three customers, overdue invoices (fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.collections.ladder import load_ladder
from commission.payroll.lifecycle import load

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"

# On 2026-03-31: I1 (R1, C1, due 02-04) is 55 days past due, I2 (R2, C2, due 02-09) 50,
# I4 (R2, C3, due 03-01) 30; I3 (R1, due 03-31) is not yet overdue.
REPS = [("R1", "Rep One", "r1@example.com", "M1", "collected-stepped"),
        ("R2", "Rep Two", "r2@example.com", "M1", "collected-40day"),
        ("M1", "Manager", "m1@example.com", None, "collected-40day")]
CUSTOMERS = [("C1", "Acme Ltd", "smb"), ("C2", "Bolt GmbH", "smb"), ("C3", "Crane SA", "smb")]
INVOICES = [("I1", "C1", "R1", "2026-01-05", "2026-02-04", "10000.00"),
            ("I2", "C2", "R2", "2026-01-10", "2026-02-09", "5000.00"),
            ("I3", "C1", "R1", "2026-03-01", "2026-03-31", "2000.00"),
            ("I4", "C3", "R2", "2026-01-30", "2026-03-01", "800.00")]
PAYMENTS = [("P1", "I1", "2026-01-20", "4000.00", None)]


@pytest.fixture
def desk_store(store, csvs, tmp_path):
    """The store loaded with the small desk; returns (store, ladder)."""
    data = csvs.write(tmp_path / "data", reps=REPS, customers=CUSTOMERS, invoices=INVOICES,
                      payments=PAYMENTS, adjustments=[])
    load(store, data, RULES)
    ladder, problems = load_ladder(RULES / "collections.yaml")
    assert not problems
    return store, ladder

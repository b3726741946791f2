"""Mistakes that cannot be undone are refused (issue 9, class 6), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.payroll import BatchError, approve, list_batches, load, lock, run_batch
from commission.problems import InputError

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def loaded(csvs, store, tmp_path):
    load(store, csvs.small(tmp_path / "data"), RULES)
    return store


@pytest.mark.parametrize(("period", "words"), [
    ("2052-03", "2052-03 is in the future (this month is "),
    ("2026-04", "2026-04 is after the latest event's month (2026-03)"),
    ("2025-12", "2025-12 is before the earliest event's month (2026-01): the first batch "
                "pays 2026-01 or a later month"),  # it would pay draws for a month never computed
])
def test_a_period_outside_the_data_or_after_this_month_is_refused(loaded, period, words):
    with pytest.raises(BatchError) as err:
        run_batch(loaded, period, by="ann")
    assert words in str(err.value)
    assert list_batches(loaded).empty  # nothing written


def test_splits_of_an_invoice_with_paid_events_are_history(csvs, loaded, tmp_path):
    b = run_batch(loaded, "2026-01", by="ann")  # pays P1 of I1 (and I2)
    approve(loaded, b.batch_id, by="bob")
    lock(loaded, b.batch_id, by="cy")
    before = loaded.stored_inputs().splits.copy()
    data = csvs.write(tmp_path / "splits", splits=[("I1", "R1", "0.5"), ("I1", "R2", "0.5")])
    with pytest.raises(InputError) as err:
        load(loaded, data)
    assert [str(p) for p in err.value.problems] == [
        "splits.csv:2 [share] I1: invoice I1 has events paid by locked batch 1: its splits are "
        "history and cannot change; expected the splits as they were; a correction is a "
        "reversal or an adjustment"]
    assert loaded.stored_inputs().splits.equals(before)  # nothing changed

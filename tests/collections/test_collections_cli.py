"""``commission collections ...`` on a small store: worklist table and CSV, records, bad input."""

from __future__ import annotations

import pandas as pd

from commission.cli import main


def test_worklist_contact_and_a_refused_arrangement(desk_store, store_url, tmp_path, capsys):
    out = tmp_path / "w.csv"
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-03-31",
                 "--csv", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame["invoice_id"]) == ["I1", "I2", "I4"]  # by open amount
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-03-31",
                 "--owner", "rep", "--rep", "R2"]) == 0
    shown = capsys.readouterr().out
    assert "I2" in shown and "I1" not in shown
    assert main(["collections", "contact", "--db", store_url, "--role", "collector", "--actor",
                 "ann", "--invoice", "I1", "--date", "2026-03-02", "--channel", "phone",
                 "--outcome", "ok", "--promise-amount", "-1", "--promise-date",
                 "2026-03-09"]) == 2
    assert "promise_amount" in capsys.readouterr().err
    assert main(["collections", "arrange", "--db", store_url, "--role", "collector", "--actor",
                 "ann", "--invoice", "I1", "--date", "2026-03-02", "--amount", "10",
                 "--first-due", "2026-04-01", "--installments", "2"]) == 2
    assert main(["collections", "worklist", "--db", store_url, "--as-of", "2026-02-30"]) == 2

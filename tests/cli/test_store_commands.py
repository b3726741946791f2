"""The payroll month from the command line, on SQLite and on PostgreSQL.

Load the sample data, run, approve and lock three months, load a late payment
for the first month, run the fourth and see it paid there once; the payroll
export and the statement reconcile with the batch to the cent.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import run

from commission.cli import main
from commission.payroll.lifecycle import batch_lines, batch_payouts
from commission.store import open_store
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

ROOT = Path(__file__).parents[2]


ANA, BOB, CAROL = (("--as", f"{n}@example.com") for n in ("ana", "bob", "carol"))


def add_users(capsys, db: list[str]) -> None:
    """root (admin and finance: the bootstrap), ana and carol (finance), bob (approver)."""
    assert run(capsys, "user", *db, "add", "root@example.com", "--name", "Root",
               "--role", "admin", "--role", "finance")[0] == 0
    for email, role in (("ana", "finance"), ("carol", "finance"), ("bob", "approver")):
        code, _, err = run(capsys, "user", *db, "add", f"{email}@example.com", "--name", email,
                           "--role", role, "--as", "root@example.com")
        assert code == 0, err


@pytest.fixture
def operators(store_url, capsys, monkeypatch) -> list[str]:
    """The store's --db, with its users; commands without --as act as ana (finance)."""
    db = ["--db", store_url]
    add_users(capsys, db)
    monkeypatch.setenv("COMMISSION_USER", "ana@example.com")
    return db


def test_a_payroll_quarter_with_late_data_from_the_command_line(operators, store_url, tmp_path,
                                                                 capsys):
    db = operators
    data = tmp_path / "sample"
    assert main(["sample", "--out", str(data), "--seed", "7"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "load", *db, "--data", str(data),
                         "--rules", str(ROOT / "rules"), "--as", "root@example.com")
    assert code == 0, err
    assert "invoices: 3,000 new" in out

    ids = []
    for period in ("2024-11", "2024-12", "2025-01"):
        code, out, err = run(capsys, "batch", *db, "run", "--period", period, *ANA)
        assert code == 0, err
        batch_id = int(out.split()[1])
        ids.append(batch_id)
        # a batch must be approved before it is locked
        code, _, err = run(capsys, "batch", *db, "lock", str(batch_id), *CAROL)
        assert code == 2 and "Traceback" not in err
        assert run(capsys, "batch", *db, "approve", str(batch_id), *BOB)[0] == 0
        assert run(capsys, "batch", *db, "lock", str(batch_id), *CAROL)[0] == 0

    # the past is closed
    code, _, err = run(capsys, "batch", *db, "run", "--period", "2024-12", *ANA)
    assert code == 2 and "locked" in err

    late = tmp_path / "late"
    late.mkdir()
    (late / "payments.csv").write_text(
        "payment_id,invoice_id,payment_date,amount,reverses_payment_id\n"
        "LATE1,I000021,2024-11-28,1000.00,\n")
    code, _, err = run(capsys, "load", *db, "--data", str(late))
    assert code == 0, err
    code, out, _ = run(capsys, "load", *db, "--data", str(late))
    assert code == 0 and "nothing changed" in out

    code, out, err = run(capsys, "batch", *db, "run", "--period", "2025-02", *ANA)
    assert code == 0, err
    fourth = int(out.split()[1])
    assert run(capsys, "batch", *db, "approve", str(fourth), *BOB)[0] == 0
    assert run(capsys, "batch", *db, "lock", str(fourth), *CAROL)[0] == 0
    code, out, _ = run(capsys, "batch", *db, "run", "--period", "2025-03", *ANA)
    fifth = int(out.split()[1])

    with open_store(store_url) as store:
        paid = {b: batch_lines(store, b) for b in [*ids, fourth, fifth]}
        payouts = batch_payouts(store, fourth)
    late_lines = {b: lines[lines["event_id"] == "LATE1"] for b, lines in paid.items()}
    assert [len(x) for x in late_lines.values()] == [0, 0, 0, 1, 0]  # paid once, in February
    line = late_lines[fourth].iloc[0]
    assert (line["period"], line["prior_period"], line["amount"]) == ("2025-02", "2024-11", 5000)

    _export_reconciles(capsys, db, tmp_path, fourth, payouts, paid[fourth])
    _statement_and_aging_of_the_late_payments_rep(capsys, db, tmp_path, fourth)


def _export_reconciles(capsys, db, tmp_path, batch_id, payouts, lines) -> None:
    """The payroll export reconciles with the batch, cent for cent."""
    export = tmp_path / "export.csv"
    assert run(capsys, "batch", *db, "export", str(batch_id), "--out", str(export))[0] == 0
    reps = list(csv.DictReader(export.open()))
    total = next(csv.DictReader((tmp_path / "export_control.csv").open()))
    assert int(total["reps"]) == len(reps) == len(payouts)  # locked: no _DRAFT in the name
    assert {r["status"] for r in reps} == {"FINAL"}

    def cents(text: str) -> int:
        return int(Decimal(text) * 100)

    for col in PAYOUT_MONEY_COLUMNS:
        assert sum(cents(r[col]) for r in reps) == cents(total[col]) == int(payouts[col].sum())
    assert cents(total["net"]) == int(lines["amount"].sum())


def _statement_and_aging_of_the_late_payments_rep(capsys, db, tmp_path, fourth) -> None:
    html = tmp_path / "r011.html"
    pdf = tmp_path / "r011.pdf"
    assert run(capsys, "statement", *db, "--batch", str(fourth), "--rep", "R011",
               "--out", str(html))[0] == 0
    assert run(capsys, "statement", *db, "--batch", str(fourth), "--rep", "R011",
               "--out", str(pdf))[0] == 0
    text = html.read_text()
    assert "5% of 1,000.00 collected on 2024-11-28" in text  # new-rep-draw: no late clock
    assert pdf.read_bytes().startswith(b"%PDF")

    code, out, _ = run(capsys, "aging", *db, "--as-of", "2025-02-28", "--rep", "R011")
    assert code == 0 and "R011" in out and "over 90" in out


def test_commands_on_a_missing_batch_or_rep_fail_cleanly(tmp_path, capsys, monkeypatch):
    db = ["--db", f"sqlite:///{tmp_path}/c.db"]
    add_users(capsys, db)
    monkeypatch.setenv("COMMISSION_USER", "root@example.com")
    for args in (["batch", *db, "show", "9"], ["batch", *db, "approve", "9"],
                 ["aging", *db, "--as-of", "yesterday"],
                 ["statement", *db, "--batch", "1", "--rep", "R1", "--out", str(tmp_path / "s")]):
        code, _, err = run(capsys, *args)
        assert code == 2 and err.startswith("commission:") and "Traceback" not in err
    assert not (tmp_path / "s").exists()


def test_every_statement_of_a_batch_into_one_zip(operators, store_url, tmp_path, capsys):
    import zipfile

    db = operators
    data = tmp_path / "sample"
    assert main(["sample", "--out", str(data), "--seed", "7", "--invoices", "400"]) == 0
    assert main(["load", *db, "--data", str(data), "--rules", str(ROOT / "rules"),
                 "--as", "root@example.com"]) == 0
    assert main(["batch", "run", *db, "--period", "2024-11"]) == 0
    capsys.readouterr()
    out = tmp_path / "s.zip"
    code, text, err = run(capsys, "statements", *db, "--batch", "1", "--out", str(out),
                          "--format", "html")
    assert code == 0, err
    with open_store(store_url) as store:
        period = batch_payouts(store, 1)
    reps = sorted(set(period.loc[period["period"] == "2024-11", "rep_id"]))
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == [f"statement_{r}_2024-11.html" for r in reps]
    assert f"{len(reps)} HTML statements" in text and f"{len(reps)} of {len(reps)}" in err
    code, _, err = run(capsys, "statements", *db, "--batch", "1", "--out", str(tmp_path / "x"))
    assert code == 2 and "ZIP" in err  # a user's mistake: said plainly, nothing written
    code, _, err = run(capsys, "statements", *db, "--batch", "1", "--out", str(out),
                       "--as", "nobody@example.com")
    assert code == 2 and "Traceback" not in err

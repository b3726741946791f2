"""A user's mistake is one clear line and a non-zero exit, never a traceback (issue 9, class 7).

Every case runs the real command line in a subprocess and checks: no "Traceback"
on stderr, exit code not 0, and nothing written (no output file, the store as it
was).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from commission.cli import main
from commission.payroll import approve, list_batches, lock, run_batch
from commission.store import open_store

ROOT_DIR = Path(__file__).resolve().parents[2]
RULES = ROOT_DIR / "rules"
ADMIN = "root@example.com"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT_DIR), **(env or {})}
    full.pop("COMMISSION_USER", None)
    return subprocess.run([sys.executable, "-c", "from commission.cli import run; run()", *args],
                          capture_output=True, text=True, env=full, timeout=120)


def refused(result: subprocess.CompletedProcess, words: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode != 0
    assert words in result.stderr, result.stderr


@pytest.fixture
def locked_db(tmp_path, csvs, capsys, monkeypatch) -> str:
    """A SQLite store with an administrator (also finance) and a locked batch 2026-01."""
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["user", "--db", url, "add", ADMIN, "--name", "Root", "--role", "admin",
                 "--role", "finance"]) == 0
    assert main(["load", "--db", url, "--data", str(csvs.small(tmp_path / "data")),
                 "--rules", str(RULES), "--as", ADMIN]) == 0
    with open_store(url) as store:
        b = run_batch(store, "2026-01", by="ann").batch_id
        approve(store, b, by="bob")
        lock(store, b, by="cy")
    capsys.readouterr()
    return url


def test_export_to_an_unwritable_path(locked_db, tmp_path):
    out = "/dev/null/nowhere/pay.csv"
    refused(cli("batch", "export", "1", "--out", out, "--db", locked_db, "--as", ADMIN),
            "cannot write or read")
    assert not Path(out).exists()


def test_calculate_to_an_unwritable_path(csvs, tmp_path):
    refused(cli("calculate", "--data", str(csvs.small(tmp_path / "d")), "--rules", str(RULES),
                "--out", "/proc/no-such-folder"), "cannot write or read")


@pytest.mark.parametrize(("through", "words"), [
    ("9999-12", "--through: '9999-12' is not a month from 1970-01 to 2099-12"),
    ("2026-13", "--through: '2026-13' is not a month; expected YYYY-MM"),
])
def test_calculate_through_a_month_no_data_set_can_have(csvs, tmp_path, through, words):
    """A typo such as 9999-12 computed a payout for every rep and month until then."""
    out = tmp_path / "out"
    refused(cli("calculate", "--data", str(csvs.small(tmp_path / "d")), "--rules", str(RULES),
                "--out", str(out), "--through", through), words)
    assert not out.exists()


@pytest.mark.parametrize("args", [
    ["batch", "show", "99999999999999999999999"],  # overflowed the driver: a traceback
    ["batch", "lock", "0"],
    ["statement", "--batch", "3000000000", "--rep", "R1", "--out", "x.html"],
    ["scenario", "show", "-1"],
    ["inquiry", "answer", "1e5", "--text", "x"],
])
def test_an_id_no_store_can_hold(locked_db, args):
    refused(cli(*args, "--db", locked_db, "--as", ADMIN),
            "is not an id: expected a whole number from 1 to 2,147,483,647")


def test_statement_as_of_a_word(locked_db, tmp_path):
    out = tmp_path / "s.html"
    refused(cli("statement", "--batch", "1", "--rep", "R2", "--out", str(out), "--as-of",
                "yesterday", "--db", locked_db, "--as", ADMIN),
            "commission: --as-of: 'yesterday' is not a date; expected YYYY-MM-DD")
    assert not out.exists()


@pytest.mark.parametrize(("args", "env", "words"), [
    (["--db", "not a url"], {}, "--db / COMMISSION_DB is not a database URL"),
    ([], {"COMMISSION_DB": "::::"}, "--db / COMMISSION_DB is not a database URL"),
    (["--db", "sqlite:////nonexistent-folder/x/commission.db"], {},
     "cannot open the store sqlite:////nonexistent-folder/x/commission.db"),
    (["--db", "sqlite:////proc/commission.db"], {}, "cannot open the store"),  # read-only
    (["--db", "postgresql://app:secret@127.0.0.1:1/x"], {}, "cannot open the store"),
])
def test_a_bad_or_unusable_database(args, env, words, tmp_path):
    result = cli("batch", "list", *args, "--as", ADMIN, env=env)
    refused(result, words)
    assert "secret" not in result.stderr
    assert not Path("/nonexistent-folder").exists()


def test_a_read_only_database_file(locked_db, tmp_path):
    db = Path(locked_db.removeprefix("sqlite:///"))
    db.chmod(0o444)
    # root writes a 0444 file anyway: SQLite's own read-only mode stands in for it there
    url = f"sqlite:///file:{db}?mode=ro&uri=true" if os.geteuid() == 0 else locked_db
    before = db.read_bytes()
    refused(cli("batch", "run", "--period", "2026-02", "--db", url, "--as", ADMIN),
            "commission:")
    assert db.read_bytes() == before


def test_a_zero_byte_csv(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    (data / "payments.csv").write_bytes(b"")
    refused(cli("validate", "--data", str(data), "--rules", str(RULES)),
            "payments.csv: the file is empty (0 bytes)")


@pytest.mark.parametrize(("text", "words"), [
    ("id: x\nrate: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("RULE\n".replace("RULE", (RULES / "invoiced-traditional.yaml").read_text()
                      .replace("id: invoiced-traditional", "id: x")
                      .replace("rate: 0.04", "rate: .nan")), "not a usable number"),
    ((RULES / "collected-stepped.yaml").read_text().replace("id: collected-stepped", "id: x")
     .replace("cap: null", "cap: 1e35"), "expected an amount below 10,000,000,000.00"),
])
def test_hostile_plan_yaml(csvs, tmp_path, text, words):
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in RULES.glob("*.yaml"):
        (rules / f.name).write_text(f.read_text())
    (rules / "x.yaml").write_text(text)
    out = tmp_path / "out"
    refused(cli("calculate", "--data", str(csvs.small(tmp_path / "d")), "--rules", str(rules),
                "--out", str(out)), words)
    assert not out.exists()


@pytest.mark.postgres
@pytest.mark.parametrize(("rep_id", "name", "words"), [
    ("R" * 100, "Rep", "an id of 100 characters"),
    ("R3", "Bad\x00Name", "control character"),
    ("R3", "N" * 501, "a text of 501 characters"),
])
def test_over_long_ids_and_nul_bytes_on_postgresql(pg_schema_url, csvs, tmp_path, capsys,
                                                   rep_id, name, words):
    assert main(["user", "--db", pg_schema_url, "add", ADMIN, "--name", "Root", "--role",
                 "admin", "--role", "finance"]) == 0
    capsys.readouterr()
    data = csvs.write(tmp_path / "d", reps=[(rep_id, name, "x@example.com", None,
                                             "collected-stepped")])
    refused(cli("load", "--db", pg_schema_url, "--data", str(data), "--rules", str(RULES),
                "--as", ADMIN), words)
    with open_store(pg_schema_url) as store:
        assert store.stored_inputs().reps.empty and list_batches(store).empty

"""The store as the system of record: workers read their rep partitions from the database.

``calculate --db`` pays the stored rows; with ``--workers``/``--scheduler`` each worker
reads only its partition's rows (no file is cut). Both write the bytes that
``calculate --data`` writes for the same rows, on SQLite and PostgreSQL. Computing
everyone's pay from the store is finance's (``batch.run``), so other people are
refused before anything is read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from commission import load_plans
from commission.access import add_user, bootstrap_admin
from commission.cli.parser import main
from commission.distributed import Unsplittable
from commission.distributed.from_store import calculate_from_source
from commission.engine import calculate
from commission.inputs.reading import read_inputs
from commission.payroll import load
from commission.reports.result_files import write_result
from commission.store import open_store
from commission.store.partitions import StoredPartitions

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
RULES = ROOT / "rules"


def _files(folder: Path) -> dict[str, bytes]:
    return {n: (folder / f"{n}.csv").read_bytes() for n in ("lines", "payouts")}


@pytest.fixture
def stored(store_url: str) -> str:
    """The sample data loaded into an empty store; a finance admin and a rep as users."""
    with open_store(store_url) as store:
        load(store, SAMPLE, RULES, by="test")
        admin = bootstrap_admin(store, "fin@example.com", "Fin", roles=("admin", "finance"))
        add_user(admin, store, "rita@example.com", "Rita", rep_id="R001", roles=("rep",))
    return store_url


def _from_files(tmp: Path, through=None, plan=None) -> dict[str, bytes]:
    plans, _, _ = load_plans(RULES)
    inputs, problems = read_inputs(SAMPLE, plans.keys(), plans)
    assert not problems
    write_result(calculate(inputs, plans, through=through, plan_override=plan), tmp)
    return _files(tmp)


@pytest.mark.parametrize(("partitions", "through", "plan"), [
    (5, None, None), (3, "2025-06", None), (4, None, "manager-override")])
def test_workers_reading_the_store_write_the_files_of_one_process(client, stored, tmp_path,
                                                                  partitions, through, plan):
    plans, _, _ = load_plans(RULES)
    done = calculate_from_source(client, StoredPartitions(stored), plans, tmp_path / "many",
                                 {"partitions": partitions, "through": through, "plan": plan})
    assert done.partitions == partitions
    assert _files(tmp_path / "many") == _from_files(tmp_path / "one", through, plan)
    assert not list((tmp_path / "many").glob(".partitions-*"))


def test_a_partition_reads_only_the_invoices_that_credit_its_reps(stored):
    source = StoredPartitions(stored)
    with open_store(stored) as store:
        everything = store.stored_inputs()
    part = source.inputs(["R003"])
    credited = set(everything.invoices.loc[everything.invoices["rep_id"] == "R003",
                                           "invoice_id"])
    credited |= set(everything.splits.loc[everything.splits["rep_id"] == "R003", "invoice_id"])
    assert set(part.invoices["invoice_id"]) == credited
    assert 0 < len(part.payments) < len(everything.payments)
    assert set(part.payments["invoice_id"]) <= credited
    assert len(part.reps) == len(everything.reps)  # small tables whole: same rep positions


def test_the_cli_from_the_store_as_finance_with_and_without_workers(client, stored, tmp_path,
                                                                    capsys):
    want = _from_files(tmp_path / "csv")
    common = ["calculate", "--db", stored, "--rules", str(RULES), "--quiet",
              "--as", "fin@example.com"]
    assert main([*common, "--out", str(tmp_path / "one")]) == 0
    assert main([*common, "--out", str(tmp_path / "many"), "--scheduler",
                 client.scheduler.address, "--partitions", "3"]) == 0
    assert "(3 partitions)" in capsys.readouterr().out
    assert _files(tmp_path / "one") == want == _files(tmp_path / "many")
    with open_store(stored) as store, store.read() as conn:
        actions = [r[0] for r in conn.exec_driver_sql(
            "SELECT action FROM audit_log WHERE actor = 'fin@example.com'")]
    assert actions.count("calculate.read") == 2


@pytest.mark.parametrize("who", ["rita@example.com", "nobody@example.com", ""])
def test_anyone_but_finance_is_refused_and_nothing_is_written(client, stored, tmp_path,
                                                              capsys, who, monkeypatch):
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    for extra in ([], ["--scheduler", client.scheduler.address]):
        out = tmp_path / f"out{len(extra)}"
        assert main(["calculate", "--db", stored, "--rules", str(RULES), "--out", str(out),
                     *(["--as", who] if who else []), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("commission: ") and "Traceback" not in err
        assert not out.exists()


def test_stored_rows_the_plans_do_not_fit_are_reported_not_paid(client, stored, tmp_path,
                                                                capsys):
    """A plan the store's reps use is missing from --rules: every partition's check
    finds it, and the one-process check names it (exit 2, nothing written)."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "manager-override.yaml").unlink()
    plans, _, _ = load_plans(rules)
    with pytest.raises(Unsplittable):
        calculate_from_source(client, StoredPartitions(stored), plans, tmp_path / "x", {})
    assert main(["calculate", "--db", stored, "--rules", str(rules), "--out",
                 str(tmp_path / "out"), "--as", "fin@example.com",
                 "--scheduler", client.scheduler.address]) == 2
    assert "manager-override" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()

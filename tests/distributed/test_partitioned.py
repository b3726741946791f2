"""The partitioned run on a real local Dask cluster writes the one-process files, byte for byte.

One cluster (two worker processes, loopback only, no dashboard; conftest) serves them.
Partitions are made small on purpose (one or two reps each) so that split invoices,
managers and their reports, and reps without events all fall in different partitions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import inputs_and_plans

from commission import load_plans
from commission.cli.parser import main
from commission.distributed import Unsplittable, calculate_partitioned
from commission.distributed.split import split_folder
from commission.engine import calculate
from commission.inputs.reading import read_inputs
from commission.inputs.tables import COLUMNS, DATE_COLUMNS, MONEY_COLUMNS, SHARE_SCALE, Inputs
from commission.money import cents_text, ratio_to_decimal_str
from commission.reports.result_files import write_result

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
RULES = ROOT / "rules"


def _files(folder: Path) -> dict[str, bytes]:
    return {n: (folder / f"{n}.csv").read_bytes() for n in ("lines", "payouts")}


def _one_process(data: Path, plans, out: Path, through=None, plan=None) -> dict[str, bytes]:
    inputs, problems = read_inputs(data, plans.keys(), plans)
    assert not problems, problems
    write_result(calculate(inputs, plans, through=through, plan_override=plan), out)
    return _files(out)


@pytest.mark.parametrize(("partitions", "through", "plan"), [
    (12, None, None), (5, None, None), (3, "2025-06", None), (7, None, "manager-override")])
def test_the_sample_data_partitioned_is_the_one_process_run(client, tmp_path, partitions,
                                                            through, plan):
    """Part 2's features: assignments, quotas, draws, overrides, manual lines, reversals."""
    adjustments = pd.read_csv(SAMPLE / "adjustments.csv")
    reps = pd.read_csv(SAMPLE / "reps.csv")
    assert (adjustments["kind"] == "write_off_reversal").any()
    assert reps["manager_id"].notna().any() and (SAMPLE / "splits.csv").exists()
    assert (SAMPLE / "commission_adjustments.csv").exists() and (SAMPLE / "quotas.csv").exists()
    plans, _, problems = load_plans(RULES)
    assert not problems
    want = _one_process(SAMPLE, plans, tmp_path / "one", through, plan)
    done = calculate_partitioned(client, SAMPLE, plans, tmp_path / "many",
                                 {"partitions": partitions, "through": through, "plan": plan})
    assert done.partitions == partitions
    assert _files(tmp_path / "many") == want
    assert done.n_lines == want["lines"].count(b"\n") - 1
    assert not list((tmp_path / "many").glob(".partitions-*"))  # scratch removed


@pytest.mark.parametrize("only_overriding", [False, True])
def test_every_partition_gets_what_its_reps_need(tmp_path, only_overriding):
    """A split invoice goes to each credited rep's partition; a report's, to its manager's
    (with ``override_plans``: only when the manager's plan pays an override)."""
    plans, _, _ = load_plans(RULES)
    overriding = frozenset(p for p, plan in plans.items() if plan.override)
    assert overriding  # the sample has a manager on an override plan
    parts = split_folder(SAMPLE, tmp_path, 12, overriding if only_overriding else None)
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=str, keep_default_na=False)
    assigned = pd.read_csv(SAMPLE / "plan_assignments.csv", dtype=str)
    invoices = pd.read_csv(SAMPLE / "invoices.csv", dtype=str)
    splits = pd.read_csv(SAMPLE / "splits.csv", dtype=str)
    held = {k: set(pd.read_csv(f / "invoices.csv", dtype=str)["invoice_id"])
            for k, f in enumerate(parts.folders)}
    part_of = {r: k for k, (lo, hi) in enumerate(parts.owned) for r in reps["rep_id"][lo:hi]}
    credited = pd.concat([
        invoices.loc[~invoices["invoice_id"].isin(splits["invoice_id"]), ["invoice_id", "rep_id"]],
        splits[["invoice_id", "rep_id"]]])
    manager = dict(zip(reps["rep_id"], reps["manager_id"], strict=True))
    paid = set(reps.loc[reps["plan_id"].isin(overriding), "rep_id"]) | set(
        assigned.loc[assigned["plan_id"].isin(overriding), "rep_id"])
    needed = 0
    for inv, rep in credited.itertuples(index=False):
        assert inv in held[part_of[rep]]
        if manager[rep] and (manager[rep] in paid or not only_overriding):
            assert inv in held[part_of[manager[rep]]]
            needed += part_of[manager[rep]] != part_of[rep]
    assert needed > 0  # some report's invoices did cross to the manager's partition
    total = sum(len(h) for h in held.values())
    assert total < 12 * len(invoices)  # not everything everywhere
    if only_overriding:
        conservative = split_folder(SAMPLE, tmp_path / "all", 12)
        assert total < sum(conservative.rows["invoices"])


def _csv_folder(inputs: Inputs, folder: Path) -> Path:
    """The typed tables back as the contract's CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in inputs.tables().items():
        out = {}
        for col in COLUMNS[name]:
            values = frame[col]
            if col in DATE_COLUMNS:
                out[col] = values.dt.strftime("%Y-%m-%d").fillna("")
            elif col in MONEY_COLUMNS:
                out[col] = cents_text(values.to_numpy(dtype=np.int64), thousands=False)
            elif col == "share":
                out[col] = [ratio_to_decimal_str(int(v), SHARE_SCALE) for v in values]
            else:
                out[col] = values.fillna("")
        pd.DataFrame(out, columns=COLUMNS[name]).to_csv(folder / f"{name}.csv", index=False)
    return folder


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=inputs_and_plans(part2=True))
def test_random_part2_data_partitioned_is_the_one_process_run(client, tmp_path, case):
    inputs, plans, through = case
    run = tmp_path / f"case-{np.random.default_rng().integers(1 << 40)}"
    data = _csv_folder(inputs, run / "data")
    want = _one_process(data, plans, run / "one", through)
    done = calculate_partitioned(client, data, plans, run / "many",
                                 {"partitions": len(inputs.reps), "through": through})
    assert _files(run / "many") == want
    assert done.partitions == len(inputs.reps)
    shutil.rmtree(run)


def test_a_bad_input_is_left_to_the_one_process_path(client, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    with (data / "payments.csv").open("a") as fh:
        fh.write("PX1,NO-SUCH-INVOICE,2025-01-01,10.00,\n")
    plans, _, _ = load_plans(RULES)
    with pytest.raises(Unsplittable):
        calculate_partitioned(client, data, plans, tmp_path / "out", {"partitions": 4})
    assert not (tmp_path / "out" / "lines.csv").exists()


def test_the_cli_scheduler_flag_writes_the_same_files(client, tmp_path, capsys):
    one, many = tmp_path / "one", tmp_path / "many"
    assert main(["calculate", "--data", str(SAMPLE), "--out", str(one), "--quiet"]) == 0
    assert main(["calculate", "--data", str(SAMPLE), "--out", str(many), "--quiet",
                 "--scheduler", client.scheduler.address, "--partitions", "4"]) == 0
    assert "(4 partitions)" in capsys.readouterr().out
    assert _files(many) == _files(one)


def test_the_cli_reports_a_bad_input_with_its_row_as_one_process_does(client, tmp_path,
                                                                      capsys):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    with (data / "payments.csv").open("a") as fh:
        fh.write("PX1,NO-SUCH-INVOICE,2025-01-01,10.00,\n")
    assert main(["calculate", "--data", str(data), "--out", str(tmp_path / "a")]) == 2
    alone = capsys.readouterr()
    assert main(["calculate", "--data", str(data), "--out", str(tmp_path / "b"),
                 "--scheduler", client.scheduler.address]) == 2
    spread = capsys.readouterr()
    assert "NO-SUCH-INVOICE" in spread.err and spread.err == alone.err
    assert not (tmp_path / "b" / "lines.csv").exists()


def test_the_workers_flag_end_to_end(tmp_path):
    """``commission calculate --workers 2`` in a fresh process: its own local cluster."""
    one, many = tmp_path / "one", tmp_path / "many"
    assert main(["calculate", "--data", str(SAMPLE), "--out", str(one), "--quiet"]) == 0
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from commission.cli.parser import main; "
         "sys.exit(main(sys.argv[1:]))", "calculate", "--data", str(SAMPLE), "--out",
         str(many), "--workers", "2", "--partitions", "3"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "(3 partitions)" in proc.stdout
    assert _files(many) == _files(one)


@pytest.mark.parametrize(("flags", "message"), [
    (["--workers", "0"], "--workers must be 1 to 63"),
    (["--workers", "100000"], "--workers must be 1 to 63"),  # started processes until OOM
    (["--partitions", "5"], "--partitions and --scratch cut the run for a cluster"),
    (["--scratch", "x"], "--partitions and --scratch cut the run for a cluster"),
    (["--workers", "1", "--partitions", "64"], "--partitions must be 1 to 63"),
    (["--workers", "1", "--through", "2025-13"], "--through"),
])
def test_bad_flags_are_refused_before_any_cluster_starts(tmp_path, capsys, flags, message):
    out = tmp_path / "out"
    assert main(["calculate", "--data", str(SAMPLE), "--out", str(out), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()

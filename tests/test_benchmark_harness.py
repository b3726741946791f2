"""The one-command benchmark (benchmarks/run.py) runs end to end on a tiny data set.

No timing is asserted (timing lives in the benchmark itself): only that the
sections chosen with ``--only`` run through the command line and public functions
and print their rows of the Markdown table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--invoices", "2000",
         "--whatif-invoices", "2000", "--repeats", "1", "--data-dir", str(tmp_path), *args],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_calculate_and_whatif_print_their_rows(tmp_path):
    out = _bench(tmp_path, "--only", "calculate,whatif")
    assert "| benchmark | invoices | median s | min–max s | runs | peak MB | target |" in out
    assert "| `calculate`, every rep on their own plan (end to end) | 2k |" in out
    assert "| what-if, 4 plans: `compare` alone | 2k |" in out
    assert "load average" in out
    assert (tmp_path / "data-2000-7" / "invoices.csv").exists()


def test_the_store_section_runs_every_command_on_sqlite(tmp_path):
    out = _bench(tmp_path, "--only", "store", "--backends", "sqlite")
    for step in ("load", "batch run", "batch lock", "batch diff", "batch export",
                 "statement (HTML, one rep)", "aging", "next month's batch run"):
        assert f"| sqlite: `{step}` | 2k |" in out


def test_an_unknown_section_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only",
                           "nope"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2 and "unknown section" in proc.stderr


@pytest.mark.skipif(not os.environ.get("COMMISSION_TEST_PG_URL"),
                    reason="PostgreSQL store benchmark: needs COMMISSION_TEST_PG_URL")
def test_the_store_section_runs_on_postgres(tmp_path):
    out = _bench(tmp_path, "--only", "store", "--backends", "postgres",
                 env={"COMMISSION_BENCH_PG_URL": os.environ["COMMISSION_TEST_PG_URL"]})
    assert "| postgres: `aging` | 2k |" in out

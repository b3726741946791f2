"""A command loads only what it needs (issue 14): what a fresh process imports, not its time.

``commission --help`` and building the parser import no engine, store, pandas, SQLAlchemy
or Jinja; opening a store that is already at the head revision imports no alembic; a
statement loads no PDF or spreadsheet library. Each runs in a fresh interpreter and
reads ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commission.store import open_store
from commission.store.migrate import declared_head, head_revision

ROOT_DIR = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "pyarrow", "sqlalchemy", "sqlmodel", "alembic", "jinja2",
         "commission.engine", "commission.store", "commission.plans", "commission.inputs",
         "commission.payroll", "commission.reports", "commission.access", "streamlit",
         "weasyprint", "openpyxl", "dask")


def _loaded(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after ``code`` (which may exit with 0)."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: print('\\nMODULES' + json.dumps(sorted(sys.modules))))\n"
             + code)
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                          text=True, env=env, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return set(json.loads(done.stdout.rsplit("MODULES", 1)[1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["batch", "--help"], ["user", "add", "--help"],
                                  ["inquiry", "--help"], ["calculate", "--help"]])
def test_help_and_the_parser_import_nothing_heavy(args):
    modules = _loaded("from commission.cli.parser import main\nsys.exit(main(sys.argv[1:]))",
                      *args)
    assert "commission.cli.parser" in modules
    assert _heavy(modules) == []


def test_the_head_is_read_from_the_version_files_as_alembic_reads_it():
    assert declared_head() == head_revision()


def test_opening_a_store_at_the_head_imports_no_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    open_store(url).close()  # a new database: migrated by alembic
    modules = _loaded(f"from commission.store import open_store\nopen_store({url!r}).close()")
    assert "commission.store.db" in modules
    assert not any(m == "alembic" or m.startswith("alembic.") for m in modules)


def test_opening_a_store_at_the_head_waits_for_no_writer(tmp_path):
    """A statement opened while a load holds the writer's lock reads at once: checking the
    schema's revision is a read (the lock is taken only when a migration is due)."""
    import sqlite3

    path = tmp_path / "x.db"
    open_store(f"sqlite:///{path}").close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's load, holding the lock
    try:
        with open_store(f"sqlite:///{path}") as store, store.read() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM batches").scalar_one() == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_calculate_on_files_loads_no_store_and_no_statement_templates(tmp_path):
    modules = _loaded("from commission.cli.parser import main\nsys.exit(main(sys.argv[1:]))",
                      "calculate", "--data", str(ROOT_DIR / "sample_data"), "--rules",
                      str(ROOT_DIR / "rules"), "--out", str(tmp_path / "out"), "--quiet")
    assert (tmp_path / "out" / "lines.csv").exists()
    assert {"commission.engine", "commission.reports.result_files",
            "commission.inputs.csv_text"} <= modules
    assert _heavy(modules) and not [m for m in _heavy(modules) if m.split(".")[0] in (
        "sqlalchemy", "sqlmodel", "alembic", "jinja2", "weasyprint", "openpyxl", "dask")
        or m.startswith(("commission.store", "commission.payroll", "commission.access",
                         "commission.reports.statement"))]

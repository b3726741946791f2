"""Parsing a folder's files while the engine imports (csv_text.Prefetch) reads exactly
what reading them afterwards does: the same tables, the same problems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from commission.inputs.csv_text import Prefetch
from commission.inputs.reading import read_tables

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _same_read(folder: Path) -> tuple[dict[str, pd.DataFrame], list]:
    """read_tables of ``folder`` with and without a prefetch; they must agree."""
    plain, plain_problems = read_tables(folder)
    prefetch = Prefetch.folder(folder)
    try:
        early, early_problems = read_tables(folder, prefetch=prefetch)
    finally:
        prefetch.close()
    assert early_problems == plain_problems
    assert sorted(early) == sorted(plain)
    for name, table in plain.items():
        pd.testing.assert_frame_equal(early[name], table)
    return plain, plain_problems


def test_the_sample_data_reads_the_same_prefetched():
    tables, problems = _same_read(SAMPLE)
    assert problems == [] and len(tables["payments"]) > 1000


def test_broken_files_report_the_same_problems_prefetched(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    pay = data / "payments.csv"
    head, *rows = pay.read_text().splitlines()
    pay.write_text("\n".join([head, *rows, "P9,I1,2026-01-05", "P10,I1,2026-01-06,1.00,,x"])
                   + "\n")
    (data / "customers.csv").write_text("")  # empty: refused before parsing
    (data / "reps.csv").write_bytes(b"rep_id,name\n\xff\xfe,x\n")  # not UTF-8
    _tables, problems = _same_read(data)
    said = [(p.source, p.message.split(":")[0]) for p in problems]
    assert ("payments.csv", "3 fields where the header has 5") in said
    assert ("payments.csv", "6 fields where the header has 5") in said
    assert ("customers.csv", "the file is empty (0 bytes)") in said
    assert any(p.source == "reps.csv" and p.row == 2 and "not UTF-8" in p.message
               for p in problems)


def test_a_file_that_is_not_the_contracts_is_never_parsed(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    (data / "notes.csv").write_text("a,b\n1,2\n")
    prefetch = Prefetch.folder(data)
    prefetch.close()
    assert sorted(p.name for p in prefetch.paths) == sorted(
        p.name for p in data.glob("*.csv") if p.name != "notes.csv")


def test_parsing_starts_without_pandas_or_the_engine():
    """What lets the parse overlap the start: csv_text imports neither pandas nor the
    engine (importing them is a second or more of a calculation's start)."""
    code = ("import sys, commission.inputs.csv_text as c; "
            "print(sorted(m for m in ('pandas', 'commission.engine', 'commission.inputs.reading',"
            " 'commission.inputs.tables') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

"""Inputs that parse but are wrong, or are not inputs at all (issue 9, class 4).

Each one is a problem in the report, with file, line and column, and nothing else
is read: duplicated header columns, over-long ids, NUL and control characters in
text; a header of a million columns or a 100 MB first line is refused quickly
without reading the file into memory.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from commission.inputs.checks import MAX_ID_LENGTH
from commission.inputs.reading import read_inputs, read_tables
from commission.plans.language import load_plans

RULES = Path(__file__).resolve().parents[2] / "rules"


def problems_of(folder: Path) -> list[str]:
    _inputs, problems = read_inputs(folder, load_plans(RULES)[0])
    return [str(p) for p in problems]


def test_a_duplicated_header_column_is_a_problem(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    pay = data / "payments.csv"
    lines = pay.read_text().splitlines()
    lines[0] += ",amount"
    pay.write_text("\n".join([lines[0], *(line + ",1.00" for line in lines[1:])]) + "\n")
    found = problems_of(data)
    assert found == ["payments.csv:1 [amount]: duplicate column: the header names it twice; "
                     "expected each column once"]


def test_spaces_around_a_header_name_are_trimmed_and_its_cells_stay_text(csvs, tmp_path):
    """A spreadsheet's 'payment_id, amount': before, Arrow parsed ' amount' as numbers
    (its type was set for 'amount') and reading crashed with a traceback."""
    data = csvs.small(tmp_path / "d")
    plans = load_plans(RULES)[0]
    before, problems = read_inputs(data, plans)
    assert problems == []
    pay = data / "payments.csv"
    head, *rows = pay.read_text().splitlines()
    pay.write_text("\n".join([head.replace(",", ", "), *rows]) + "\n")
    after, problems = read_inputs(data, plans)
    assert problems == []
    assert after.payments["amount"].tolist() == before.payments["amount"].tolist()
    assert after.payments["payment_id"].tolist() == before.payments["payment_id"].tolist()


def test_a_header_column_with_no_name_is_a_problem_not_a_crash(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    reps = data / "reps.csv"
    head, *rows = reps.read_text().splitlines()
    reps.write_text("\n".join([head + ",", *(row + ",5" for row in rows)]) + "\n")
    assert problems_of(data) == [
        "reps.csv:1: a column with no name; expected only the columns rep_id, name, email, "
        "manager_id, plan_id"]


@pytest.mark.parametrize(("cell", "words"), [
    ("R" * (MAX_ID_LENGTH + 1), f"an id of {MAX_ID_LENGTH + 1} characters"),
    ("R\x00X", "control character in 'R\\x00X'"),
])
def test_over_long_ids_and_nul_bytes_in_ids_are_problems(csvs, tmp_path, cell, words):
    data = csvs.write(tmp_path / "d", reps=[(cell, "Rep", "r@example.com", None,
                                             "collected-stepped")],
                      customers=[("C1", "C", "smb")], invoices=[], payments=[], adjustments=[])
    found = problems_of(data)
    assert any(f.startswith("reps.csv:2 [rep_id]") and words in f for f in found), found


@pytest.mark.parametrize("name", ["Ann\x0cBee", "Ann\x00", "A\x1b[31mred", "Tab\there"])
def test_control_characters_in_a_name_are_problems(csvs, tmp_path, name):
    data = csvs.write(tmp_path / "d", reps=[("R1", name, "r@example.com", None,
                                             "collected-stepped")],
                      customers=[("C1", "C", "smb")], invoices=[], payments=[], adjustments=[])
    found = problems_of(data)
    assert len(found) == 1 and found[0].startswith("reps.csv:2 [name]: control character")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("what", "head"), [
    ("a million columns", b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n1\n"),
    ("a 100 MB line without a newline", b"x" * 100_000_000),
])
def test_a_monstrous_first_line_is_refused_quickly_in_bounded_memory(tmp_path, what, head):
    (tmp_path / "payments.csv").write_bytes(head)
    del head
    before = _peak_mb()
    t0 = time.perf_counter()
    _tables, problems = read_tables(tmp_path, require_all=False)
    assert time.perf_counter() - t0 < 2.0
    assert _peak_mb() - before < 50  # the file is never read whole
    text = [str(p) for p in problems]
    assert len(text) == 1 and text[0].startswith("payments.csv:1: ")
    assert ("the header has 1,000,000 columns" in text[0]
            or "the first line is longer than 65,536 bytes" in text[0]), text


def test_an_empty_file_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "payments.csv").write_bytes(b"")
    _tables, problems = read_tables(tmp_path, require_all=False)
    assert [str(p) for p in problems] == [
        "payments.csv: the file is empty (0 bytes); expected a CSV file with a header row"]


@pytest.mark.parametrize(("how", "said"), [
    ("latin-1", "reps.csv:3: byte 0xe9 (character 8 of the line) is not UTF-8 text"),
    ("utf-16", "reps.csv:1: byte 0xff (character 1 of the line) is not UTF-8 text"),
    ("gzip", "reps.csv:1: byte 0x8b (character 2 of the line) is not UTF-8 text"),
    ("cut", "reps.csv:3: the file ends inside a character: not UTF-8 text"),
])
def test_a_file_that_is_not_utf8_names_the_line_and_character(csvs, tmp_path, how, said):
    """A spreadsheet's "CSV" is often Latin-1 or UTF-16: say where, and what to save."""
    import gzip

    data = csvs.small(tmp_path / "d")
    reps = data / "reps.csv"
    text = reps.read_text(encoding="utf-8")
    head, first, second, *rest = text.splitlines()
    body = {"latin-1": lambda: "\n".join([head, first, second.replace(",", ",Andr\u00e9 ", 1),
                                          *rest]).encode("latin-1") + b"\n",
            "utf-16": lambda: text.encode("utf-16"),
            "gzip": lambda: gzip.compress(text.encode()),
            "cut": lambda: text.rstrip("\n").encode() + "\u00e9".encode()[:1]}[how]()
    reps.write_bytes(body)
    found = problems_of(data)
    assert found == [f"{said}; expected UTF-8 text (a spreadsheet's \"CSV UTF-8\"; not "
                     "UTF-16, Latin-1 or a compressed file)"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 1 << 24])
def test_the_first_non_utf8_byte_is_found_across_read_blocks(tmp_path, chunk):
    from commission.inputs.csv_text import _not_utf8

    path = tmp_path / "x.csv"
    path.write_bytes("a,b\nx\u00e9\u20ac,1\n\u00fc\u00fc,".encode() + b"\xe9z,2\n")
    found = _not_utf8(path, "x.csv", chunk=chunk)
    assert found is not None and (found.row, found.message) == (
        3, "byte 0xe9 (character 4 of the line) is not UTF-8 text")
    path.write_bytes("a,b\nx\u00e9\u20ac,1\n".encode())
    assert _not_utf8(path, "x.csv", chunk=chunk) is None


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_problem_after_blank_lines_names_its_own_line(csvs, tmp_path, newline):
    """Arrow skips blank lines; counting rows pointed every later problem one line up."""
    data = csvs.small(tmp_path / "d")
    pay = data / "payments.csv"
    head, p1, p2, p3 = pay.read_text().splitlines()
    bad = p3.replace("600.00", "6.005")
    pay.write_bytes(newline.join([head, p1, "", p2, "", "", bad, "", ""]).encode())
    found = problems_of(data)
    assert len(found) == 1 and found[0].startswith("payments.csv:7 [amount] P3:"), found


def test_a_quoted_field_across_lines_keeps_the_next_rows_lines(csvs, tmp_path):
    data = csvs.write(tmp_path / "d",
                      reps=[("R1", "Ann\nBee", "a@example.com", None, "collected-stepped"),
                            ("R2", "C\x1by", "c@example.com", None, "collected-stepped")],
                      customers=[("C1", "C", "smb")], invoices=[], payments=[], adjustments=[])
    assert (data / "reps.csv").read_text().count("\n") == 4  # the name spans lines 2 and 3
    found = problems_of(data)
    assert [f.split(":")[0] + ":" + f.split(":")[1].split(" ")[0] for f in found] == [
        "reps.csv:2", "reps.csv:4"], found


def test_a_row_with_too_many_or_too_few_fields_names_its_line(csvs, tmp_path):
    """Arrow gives no row number when it parses on several threads: the file is read
    again on one, and its record numbers turned into lines (blank lines skipped)."""
    data = csvs.small(tmp_path / "d")
    pay = data / "payments.csv"
    head, p1, p2, p3 = pay.read_text().splitlines()
    pay.write_text("\n".join([head, p1, "", p2 + ",extra", "", p3, "P9,I1"]) + "\n")
    found = problems_of(data)
    assert [f.split(": ")[0] for f in found] == ["payments.csv:4", "payments.csv:7"], found
    assert "6 fields where the header has 5" in found[0]
    assert "2 fields where the header has 5" in found[1]


def test_a_date_outside_the_plausible_years_is_a_problem(csvs, tmp_path):
    """One payment typed 9999-12-31 made a month for every month until then (a million
    payouts from a dozen reps); the years 1970 to 2099 themselves are fine."""
    data = csvs.write(tmp_path / "d",
                      reps=[("R1", "Rep", "r@example.com", None, "collected-stepped")],
                      customers=[("C1", "C", "smb")],
                      invoices=[("I1", "C1", "R1", "1970-01-01", "2099-12-31", "100.00"),
                                ("I2", "C1", "R1", "1969-12-31", "2026-01-31", "100.00")],
                      payments=[("P1", "I1", "9999-12-31", "10.00", None),
                                ("P2", "I1", "2099-12-31", "10.00", None)],
                      adjustments=[])
    found = problems_of(data)
    assert found == [
        "invoices.csv:3 [invoice_date] I2: 1969-12-31 is outside the years 1970 to 2099; "
        "expected a date from 1970-01-01 to 2099-12-31 (not a placeholder such as 9999-12-31)",
        "payments.csv:2 [payment_date] P1: 9999-12-31 is outside the years 1970 to 2099; "
        "expected a date from 1970-01-01 to 2099-12-31 (not a placeholder such as 9999-12-31)",
    ], found


def test_thousands_of_bad_rows_list_the_first_by_line_and_count_the_rest(csvs, tmp_path):
    data = csvs.small(tmp_path / "d")
    pay = data / "payments.csv"
    head, *rows = pay.read_text().splitlines()
    pay.write_text("\n".join([head, *rows, *(["P9,I1"] * 5000)]) + "\n")
    found = [f for f in problems_of(data) if f.startswith("payments.csv")]
    assert len(found) == 201
    assert ("payments.csv: and 4,800 more malformed rows; expected one field per column"
            in found)
    lines = [f.split(": ")[0] for f in found if "2 fields where the header has 5" in f]
    assert lines == [f"payments.csv:{n}" for n in range(len(rows) + 2, len(rows) + 202)]


def test_a_name_longer_than_500_characters_is_a_problem(csvs, tmp_path):
    """A rep named with 200,000 characters kept a PDF statement busy for minutes; 500
    characters (of two bytes each, here) are fine."""
    data = csvs.write(tmp_path / "d",
                      reps=[("R1", "A" * 501, "r@example.com", None, "collected-stepped"),
                            ("R2", "é" * 500, "s@example.com", None, "collected-stepped")],
                      customers=[("C1", "C" * 200_000, "smb")], invoices=[], payments=[],
                      adjustments=[])
    assert problems_of(data) == [
        "customers.csv:2 [name]: a text of 200,000 characters ('CCCCCCCCCCCCCCCCCCCC'...); "
        "expected a text of at most 500 characters",
        "reps.csv:2 [name]: a text of 501 characters ('AAAAAAAAAAAAAAAAAAAA'...); expected a "
        "text of at most 500 characters"]

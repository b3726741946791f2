"""commission inquiry, explain, approve --acknowledge-open-inquiries, and .xlsx workbooks."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import loaded_store, run

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


@pytest.fixture
def db(store_url, csvs, tmp_path, capsys, monkeypatch) -> list[str]:
    monkeypatch.delenv("COMMISSION_USER", raising=False)
    return loaded_store(capsys, store_url, csvs.small(tmp_path / "data"),
                        (("rita", "rep", "R1"), ("fin", "finance", None),
                         ("olga", "approver", None)))


def test_the_inquiry_cycle_from_the_command_line(db, capsys):
    fin, rita, olga = (["--as", f"{w}@example.com"] for w in ("fin", "rita", "olga"))
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", *fin)[0] == 0
    code, out, err = run(capsys, "inquiry", *db, "open", "--batch", "1", "--rep", "R1",
                         "--reason", "wrong_haircut", "--line", "P1", "--comment",
                         "paid on time\x07", *rita)
    assert code == 0, err
    assert "INQ-000001" in out and "collection P1" in out and "\x07" not in out
    code, _, err = run(capsys, "inquiry", *db, "open", "--batch", "1", "--rep", "R2",
                       "--reason", "other", "--comment", "not mine", *rita)
    assert code == 2 and "own statement" in err
    code, _, err = run(capsys, "inquiry", *db, "resolve", "1", "--text", "ok", "--amount",
                       "12.50", *rita)
    assert code == 2 and "finance" in err
    code, _, err = run(capsys, "batch", *db, "approve", "1", *olga)
    assert code == 2 and "still open" in err
    code, out, err = run(capsys, "inquiry", *db, "resolve", "1", "--text", "Grace days apply",
                         "--amount", "12.50", *fin)
    assert code == 0, err
    assert "resolved" in out and "correction 12.50" in out
    code, out, _ = run(capsys, "inquiry", *db, "list", *rita)
    assert "answer by fin@example.com: Grace days apply" in out
    # the correction is a manual line the draft does not pay yet: it is stale until run again
    code, _, err = run(capsys, "batch", *db, "approve", "1", *olga)
    assert code == 2 and "1 manual line added or changed: run again" in err
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", *fin)[0] == 0
    assert run(capsys, "batch", *db, "approve", "1", *olga)[0] == 0


def test_an_open_inquiry_needs_the_flag_and_rolls_at_lock(db, capsys):
    fin, rita, olga = (["--as", f"{w}@example.com"] for w in ("fin", "rita", "olga"))
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", *fin)[0] == 0
    assert run(capsys, "inquiry", *db, "open", "--batch", "1", "--rep", "R1", "--reason",
               "missing_payment", *rita)[0] == 0
    code, _, err = run(capsys, "batch", *db, "approve", "1", "--acknowledge-open-inquiries",
                       *olga)
    assert code == 0, err
    assert run(capsys, "batch", *db, "lock", "1", *fin)[0] == 0
    code, out, _ = run(capsys, "inquiry", *db, "list", "--status", "open", *fin)
    assert "INQ-000001  2026-02  R1  open" in out


def test_explain_from_the_store_and_from_files(db, capsys, csvs, tmp_path):
    fin, rita = (["--as", f"{w}@example.com"] for w in ("fin", "rita"))
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", *fin)[0] == 0
    assert run(capsys, "batch", *db, "approve", "1", "--as", "root@example.com")[0] == 2
    # two batches: lock January (root is admin only: finance locks after an approver)
    assert run(capsys, "user", *db, "add", "apr@example.com", "--name", "A", "--role",
               "approver", "--as", "root@example.com")[0] == 0
    assert run(capsys, "batch", *db, "approve", "1", "--as", "apr@example.com")[0] == 0
    assert run(capsys, "batch", *db, "lock", "1", *fin)[0] == 0
    assert run(capsys, "batch", *db, "run", "--period", "2026-02", *fin)[0] == 0
    code, out, err = run(capsys, "explain", *db, "--rep", "R1", "--from", "2026-01", "--to",
                         "2026-02", *rita)
    assert code == 0, err
    # 200.00 (4,000 on time) -> 150.00 (3,000, 11 days late but within the plan's grace)
    assert "paid 200.00 in 2026-01 (batch 1, locked), 150.00 in 2026-02" in out
    assert "−50.00  Cash collected" in out
    code, _, err = run(capsys, "explain", *db, "--rep", "R2", "--from", "2026-01", "--to",
                       "2026-02", *rita)
    assert code == 2 and "may not see the pay of rep R2" in err
    data = csvs.small(tmp_path / "files")
    code, out, err = run(capsys, "explain", "--rep", "R1", "--from", "2026-02", "--to",
                         "2026-03", "--data", str(data), "--rules", str(RULES), "--brief")
    assert code == 0, err
    assert "paid 150.00 in 2026-02, 0.00 in 2026-03" in out and "Carry out" in out


def test_the_xlsx_export_has_numbers_and_the_csvs_control_total(db, capsys, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    fin = ["--as", "fin@example.com"]
    assert run(capsys, "batch", *db, "run", "--period", "2026-01", *fin)[0] == 0
    assert run(capsys, "batch", *db, "export", "1", "--out", str(tmp_path / "p.csv"),
               *fin)[0] == 0
    code, _out, err = run(capsys, "batch", *db, "export", "1", "--out", str(tmp_path / "p.xlsx"),
                          *fin)
    assert code == 0, err
    # batch 1 is a draft: its files say so; the control total is a file of its own
    csv_total = next(csv.DictReader(io.StringIO(
        (tmp_path / "p_DRAFT_control.csv").read_text())))
    book = openpyxl.load_workbook(tmp_path / "p_DRAFT.xlsx")
    assert book.sheetnames == ["Payroll", "Lines"]
    sheet = book["Payroll"]
    header = [c.value for c in sheet[1]]
    body = [dict(zip(header, [c.value for c in row], strict=True))
            for row in sheet.iter_rows(min_row=2)]
    total = body[-1]
    assert total["rep_id"] == "TOTAL"
    for col in ("gross", "haircuts", "clawbacks", "net", "carry_in", "payout", "carry_out"):
        assert all(isinstance(r[col], (int, float)) for r in body), col
        assert Decimal(str(total[col])) == Decimal(csv_total[col]), col
        assert round(sum(Decimal(str(r[col])) for r in body[:-1]), 2) == Decimal(csv_total[col])
    money_cell = sheet.cell(row=2, column=header.index("payout") + 1)
    assert money_cell.number_format == "#,##0.00"
    lines = book["Lines"]
    lheader = [c.value for c in lines[1]]
    amounts = [r[lheader.index("amount")].value for r in lines.iter_rows(min_row=2)]
    assert all(isinstance(a, (int, float)) for a in amounts)
    assert round(sum(Decimal(str(a)) for a in amounts[:-1]), 2) == Decimal(str(amounts[-1]))
    assert Decimal(str(amounts[-1])) == Decimal(csv_total["net"])
    # the statement as a workbook too, one sheet per part
    code, _, err = run(capsys, "statement", *db, "--batch", "1", "--rep", "R1", "--out",
                       str(tmp_path / "s.xlsx"), *fin)
    assert code == 0, err
    assert openpyxl.load_workbook(tmp_path / "s.xlsx").sheetnames[:2] == ["Summary", "Lines"]

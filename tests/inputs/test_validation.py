"""Bad input gets a clear, complete report; spreadsheet oddities are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from commission.cli import main
from commission.inputs import read_inputs
from commission.problems import Problem

PLANS = {"collected-40day", "invoiced-traditional"}

GOOD = {
    "reps.csv": """rep_id,name,email,manager_id,plan_id
R1,Ann Lee,ann@example.com,,collected-40day
R2,Bob Ray,bob@example.com,R1,invoiced-traditional
""",
    "customers.csv": """customer_id,name,segment
C1,"Acme, Inc.",enterprise
C2,Beta,
""",
    "invoices.csv": """invoice_id,customer_id,rep_id,invoice_date,due_date,amount
I1,C1,R1,2026-01-05,2026-02-04,1000.00
I2,C2,R2,2026-01-10,2026-02-09,500
""",
    "payments.csv": """payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,600.00,
P2,I1,2026-02-10,-100.00,P1
P3,I2,2026-03-01,250.5,
""",
    "adjustments.csv": """adjustment_id,invoice_id,adjustment_date,kind,amount
A1,I1,2026-02-02,discount,20.00
""",
    "splits.csv": """invoice_id,rep_id,share
I2,R1,0.4
I2,R2,0.6
""",
    "disputes.csv": """dispute_id,invoice_id,opened_date,resolved_date
D1,I1,2026-02-05,
""",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems_for(tmp_path: Path, **changes: str | None) -> list[Problem]:
    files = dict(GOOD)
    for key, text in changes.items():
        files[key.replace("_csv", ".csv")] = text
    folder = tmp_path / "data"
    for name in GOOD:
        if files.get(name) is None and (folder / name).exists():
            (folder / name).unlink()
    write(folder, {k: v for k, v in files.items() if v is not None})
    inputs, problems = read_inputs(folder, PLANS)
    assert (inputs is None) == bool(problems)
    return problems


def test_good_data_has_no_problems(tmp_path):
    assert problems_for(tmp_path) == []


def test_spreadsheet_oddities_are_accepted(tmp_path):
    """A UTF-8 byte-order mark, CRLF line endings, quoted fields with commas."""
    folder = tmp_path / "odd"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    inputs, problems = read_inputs(folder, PLANS)
    assert problems == []
    assert inputs.customers["name"].tolist() == ["Acme, Inc.", "Beta"]
    assert inputs.payments["amount"].tolist() == [60000, -10000, 25050]
    assert inputs.reps.columns[0] == "rep_id"


def test_unparseable_cells_are_each_reported_with_line_and_column(tmp_path):
    problems = problems_for(tmp_path, payments_csv="""payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-31,600.00,
P3,I2,2026-03-01,12.345,
P4,I2,03/01/2026,1,234.00,
""".replace("1,234.00", '"1,234.00"'))
    assert [str(p) for p in problems] == [
        "payments.csv:2 [payment_date] P1: '2026-02-31' is not a date; "
        "expected a date as YYYY-MM-DD",
        "payments.csv:3 [amount] P3: '12.345' has more than 2 decimals; "
        "expected an amount with at most 2 decimals",
        "payments.csv:4 [amount] P4: '1,234.00' is not a number; "
        "expected a plain number such as 1234.50 (no thousands separators)",
        "payments.csv:4 [payment_date] P4: '03/01/2026' is not a date; "
        "expected a date as YYYY-MM-DD",
    ]


def test_missing_file_and_missing_column_are_reported(tmp_path):
    problems = problems_for(
        tmp_path, customers_csv=None,
        invoices_csv="invoice_id,customer_id,rep_id,invoice_date,amount\nI1,C1,R1,2026-01-05,1\n")
    assert [str(p) for p in problems] == [
        "customers.csv: the file is missing; expected customers.csv with columns "
        "customer_id, name, segment",
        "invoices.csv:1 [due_date]: missing column; expected the columns invoice_id, "
        "customer_id, rep_id, invoice_date, due_date, amount",
    ]


def test_duplicate_ids_and_unknown_references_are_all_reported(tmp_path):
    problems = problems_for(tmp_path, invoices_csv="""invoice_id,customer_id,rep_id,invoice_date,due_date,amount
I1,C1,R1,2026-01-05,2026-02-04,1000.00
I2,C9,R7,2026-01-10,2026-02-09,500
I2,C2,R2,2026-01-10,2026-02-09,500
""", reps_csv="""rep_id,name,email,manager_id,plan_id
R1,Ann Lee,ann@example.com,,collected-40day
R2,Bob Ray,bob@example.com,R5,no-such-plan
""")
    assert [str(p) for p in problems] == [
        "invoices.csv:3 [customer_id] I2: unknown customer C9; expected a customer that exists",
        "invoices.csv:3 [invoice_id] I2: duplicate id I2; expected each id once",
        "invoices.csv:3 [rep_id] I2: unknown rep R7; expected a rep that exists",
        "invoices.csv:4 [invoice_id] I2: duplicate id I2; expected each id once",
        "reps.csv:3 [manager_id] R2: unknown rep (manager) R5; expected a rep (manager) "
        "that exists",
        "reps.csv:3 [plan_id] R2: unknown plan no-such-plan; expected one of the plans in "
        "rules/ (collected-40day, invoiced-traditional)",
    ]


def test_split_shares_must_sum_to_exactly_one(tmp_path):
    problems = problems_for(tmp_path, splits_csv="invoice_id,rep_id,share\nI2,R1,0.4\n"
                                                 "I2,R2,0.59\n")
    assert [str(p) for p in problems] == [
        "splits.csv:2 [share] I2: shares of invoice I2 sum to 0.99; expected the shares of "
        "one invoice to sum to exactly 1"]


def test_unknown_adjustment_kind_is_refused(tmp_path):
    problems = problems_for(tmp_path, adjustments_csv="adjustment_id,invoice_id,"
                            "adjustment_date,kind,amount\nA1,I1,2026-02-02,refund,20.00\n")
    assert [str(p) for p in problems] == [
        "adjustments.csv:2 [kind] A1: unknown kind 'refund'; expected one of credit_note, "
        "discount, write_off, write_off_reversal"]


def test_reversals_must_name_a_payment_they_can_reverse(tmp_path):
    problems = problems_for(tmp_path, payments_csv="""payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,600.00,
P2,I1,2026-02-10,-100.00,
P3,I2,2026-03-01,-50.00,P1
P4,I1,2026-01-31,-10.00,P1
P5,I1,2026-02-11,-600.00,P1
""")
    assert [str(p) for p in problems] == [
        "payments.csv:3 [reverses_payment_id] P2: a negative payment without a payment to "
        "reverse; expected the id of the payment it reverses in reverses_payment_id",
        "payments.csv:4 [invoice_id] P3: reverses P1, a payment of another invoice; "
        "expected the invoice of the payment it reverses",
        "payments.csv:5 [payment_date] P4: reversal dated before the payment P1 it reverses; "
        "expected a reversal dated on or after the payment it reverses",
        "payments.csv:6 [amount] P5: reversals of P1 total 660.00, more than the 600.00 "
        "received; expected reversals of a payment never exceeding it",
    ]


def test_payment_dated_before_its_invoice_is_refused(tmp_path):
    problems = problems_for(tmp_path, payments_csv="payment_id,invoice_id,payment_date,amount,"
                            "reverses_payment_id\nP1,I1,2026-01-04,600.00,\n")
    assert [str(p) for p in problems] == [
        "payments.csv:2 [payment_date] P1: payment dated 2026-01-04 before its invoice dated "
        "2026-01-05; expected a payment dated on or after its invoice"]


def test_invoice_over_settled_at_any_date_is_refused(tmp_path):
    # 600 paid, 100 reversed, then 480 paid and a 20 discount: exactly 1,000 (fine) ...
    # ... until a write-off of 0.01 on 02-20 over-settles it
    problems = problems_for(tmp_path, payments_csv="""payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,600.00,
P2,I1,2026-02-10,-100.00,P1
P3,I1,2026-02-15,480.00,
""", adjustments_csv="""adjustment_id,invoice_id,adjustment_date,kind,amount
A1,I1,2026-02-02,discount,20.00
A2,I1,2026-02-20,write_off,0.01
""")
    assert [str(p) for p in problems] == [
        "invoices.csv:2 [amount] I1: over-settled on 2026-02-20: payments − reversals + "
        "credits + discounts + write-offs − reinstatements reach 1,000.01, more than the "
        "amount 1,000.00; "
        "expected at most the invoice amount settled at every date"]


def test_over_settlement_is_judged_at_each_date_not_only_at_the_end(tmp_path):
    # paid in full twice on 02-01, the second reversed on 02-03: over-settled on 02-01
    problems = problems_for(tmp_path, payments_csv="""payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,1000.00,
P2,I1,2026-02-01,1000.00,
P3,I1,2026-02-03,-1000.00,P2
""", adjustments_csv="adjustment_id,invoice_id,adjustment_date,kind,amount\n")
    assert [p.message[:27] for p in problems] == ["over-settled on 2026-02-01:"]


def test_empty_optional_tables_and_header_only_files_are_fine(tmp_path):
    assert problems_for(tmp_path, splits_csv=None, disputes_csv=None,
                        adjustments_csv="adjustment_id,invoice_id,adjustment_date,kind,"
                                        "amount\n") == []


# ---------------------------------------------------------------------------- the CLI


def test_calculate_on_bad_input_prints_every_problem_and_writes_nothing(tmp_path, capsys):
    data = write(tmp_path / "data", {**GOOD, "payments.csv": """payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,abc,
P2,I9,2026-02-10,-100.00,
"""})
    out = tmp_path / "out"
    code = main(["calculate", "--data", str(data), "--rules", "rules", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "3 problem(s) found; nothing was written:" in err
    assert "payments.csv:2 [amount] P1: 'abc' is not a number" in err
    assert "payments.csv:3 [invoice_id] P2: unknown invoice I9" in err
    assert "payments.csv:3 [reverses_payment_id] P2: a negative payment without a payment" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_calculate_writes_both_files_and_leaves_no_temporary_files(tmp_path, capsys):
    data = write(tmp_path / "data", GOOD)
    out = tmp_path / "out"
    assert main(["calculate", "--data", str(data), "--rules", "rules", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lines.csv", "payouts.csv"]
    header = (out / "lines.csv").read_text().splitlines()[0]
    assert header.replace('"', "") == (
        "period,rep_id,plan_id,line_kind,event_id,invoice_id,event_date,base_amount,rate,"
        "days_late,haircut_pct,gross,haircut,amount,prior_period,explanation")
    payouts = (out / "payouts.csv").read_text().splitlines()
    assert payouts[0].replace('"', "") == (
        "period,rep_id,plan_id,gross,haircuts,clawbacks,net,carry_in,payout,carry_out,"
            "attainment")
    assert len(payouts) == 1 + 2 * 3  # two reps, January to March
    assert "R1" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["calculate", "--data", "nowhere", "--out", "x"],
    ["calculate", "--data", "sample_data", "--out", "x", "--through", "2026-13"],
    ["calculate", "--data", "sample_data", "--out", "x", "--plan", "nope"],
    ["validate", "--data", "sample_data", "--rules", "nowhere"],
])
def test_user_mistakes_exit_2_without_a_traceback(args, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[2])
    args = [a if a != "x" else str(tmp_path / "out") for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_validate_prints_a_one_line_summary(capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[2])
    assert main(["validate", "--data", "sample_data", "--rules", "rules"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("OK: 7 plan(s)") and "3,000 invoices" in out


def test_an_amount_of_ten_billion_or_more_is_refused(tmp_path):
    problems = problems_for(tmp_path, invoices_csv="invoice_id,customer_id,rep_id,invoice_date,"
                            "due_date,amount\nI1,C1,R1,2026-01-05,2026-02-04,10000000000.00\n"
                            "I2,C2,R2,2026-01-10,2026-02-09,9999999999.99\n",
                            payments_csv="payment_id,invoice_id,payment_date,amount,"
                            "reverses_payment_id\n", adjustments_csv="adjustment_id,invoice_id,"
                            "adjustment_date,kind,amount\n")
    assert [str(p) for p in problems] == [
        "invoices.csv:2 [amount] I1: 10000000000.00 is too large; expected an amount below "
        "10,000,000,000.00"]


# ------------------------------------------------ checks that run beside the calculation

#: a payment of 1,200.00 on an invoice of 1,000.00: over-settled, a check run beside
OVER_SETTLED = """payment_id,invoice_id,payment_date,amount,reverses_payment_id
P1,I1,2026-02-01,1200.00,
P3,I2,2026-03-01,250.5,
"""
#: an invoice id twice: a check the engine rests on (it runs before the engine starts)
TWICE = GOOD["invoices.csv"] + "I1,C2,R2,2026-01-11,2026-02-10,10.00\n"


def test_the_checks_split_into_the_foundation_and_those_beside():
    from commission.inputs.checks import (
        BESIDE,
        CHECKS,
        FOUNDATION,
        settlement,
        text_cells,
        unique_ids,
    )
    assert set(FOUNDATION) | set(BESIDE) == set(CHECKS)
    assert not set(FOUNDATION) & set(BESIDE)
    assert unique_ids in FOUNDATION and text_cells in FOUNDATION and settlement in BESIDE


@pytest.mark.parametrize("changes", [
    {"payments.csv": OVER_SETTLED},
    {"invoices.csv": TWICE},
    {"invoices.csv": TWICE, "payments.csv": OVER_SETTLED},
])
def test_checking_in_two_parts_finds_what_check_finds(tmp_path, changes):
    from commission.inputs.checks import Checking, check
    from commission.inputs.reading import read_tables, to_inputs
    tables, read_problems = read_tables(write(tmp_path / "data", {**GOOD, **changes}))
    assert read_problems == []
    inputs = to_inputs(tables)
    checking = Checking(inputs, PLANS)
    assert checking.sound == ("invoices.csv" not in changes)
    found = checking.problems()
    assert found and sorted(found) == sorted(check(inputs, PLANS))


def _spy_on_calculate(monkeypatch, fail: bool = False) -> list[str]:
    """Record each start of the engine from the command line (and make it fail)."""
    import commission
    started: list[str] = []
    real = commission.calculate

    def spy(*args, **kwargs):
        started.append("calculate")
        if fail:
            raise ZeroDivisionError("what a wrong figure can do to the engine")
        return real(*args, **kwargs)

    monkeypatch.setattr(commission, "calculate", spy)
    return started


@pytest.mark.parametrize("fail", [False, True])
def test_a_problem_found_beside_the_calculation_still_stops_it(tmp_path, capsys,
                                                              monkeypatch, fail):
    """The engine starts while the last checks run; what they find is reported, the
    engine's result (or its failure on the wrong figure) is dropped, nothing is written."""
    started = _spy_on_calculate(monkeypatch, fail)
    data = write(tmp_path / "data", {**GOOD, "payments.csv": OVER_SETTLED})
    out = tmp_path / "out"
    code = main(["calculate", "--data", str(data), "--rules", "rules", "--out", str(out)])
    err = capsys.readouterr().err
    assert started == ["calculate"]
    assert code == 2
    assert "1 problem(s) found; nothing was written:" in err
    assert "over-settled on 2026-02-01" in err
    assert "Traceback" not in err and "ZeroDivisionError" not in err
    assert not out.exists()


@pytest.mark.parametrize(("changes", "words"), [
    ({"invoices.csv": TWICE}, "duplicate id I1"),
    ({"disputes.csv": GOOD["disputes.csv"].replace("02-05,", "02-30,")},
     "'2026-02-30' is not a date"),
    ({"customers.csv": GOOD["customers.csv"].replace("C2,Beta,", "C2,Be\x07ta,")},
     "control character in 'Be\\x07ta'"),
])
def test_a_problem_the_engine_rests_on_keeps_it_from_starting(tmp_path, capsys, monkeypatch,
                                                              changes, words):
    """A duplicated id, a cell that is not a date, a control character in a name (text
    the engine would word into lines): the engine never starts, and every
    problem is reported at once (those of the checks that would have run beside it too)."""
    started = _spy_on_calculate(monkeypatch)
    data = write(tmp_path / "data", {**GOOD, **changes, "payments.csv": OVER_SETTLED})
    out = tmp_path / "out"
    code = main(["calculate", "--data", str(data), "--rules", "rules", "--out", str(out)])
    err = capsys.readouterr().err
    assert (started, code) == ([], 2)
    assert words in err and "over-settled on 2026-02-01" in err
    assert not out.exists()


def test_the_engine_failing_on_input_without_a_problem_is_not_hidden(tmp_path, monkeypatch):
    """Only a problem in the input excuses the engine: otherwise its fault is raised."""
    _spy_on_calculate(monkeypatch, fail=True)
    data = write(tmp_path / "data", GOOD)
    with pytest.raises(ZeroDivisionError):
        main(["calculate", "--data", str(data), "--rules", "rules", "--out",
              str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()

"""Formula and markup injection in what people open (issue 9, class 5).

Text cells that a spreadsheet would run (``=``, ``+``, ``-``, ``@``, tab, CR first)
get a leading ``'`` in every CSV a person opens, numbers never; a name cannot
escape the statement's CSS string; WeasyPrint fetches nothing but data: URIs; a
name on My pay is plain text, never Markdown.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from commission.cli import main
from commission.files import safe_frame, safe_value
from commission.reports.export import export_csv_text, payroll_export
from commission.reports.statement import _css_string, no_outside_urls

RULES = Path(__file__).resolve().parents[2] / "rules"
NASTY = ["=HYPERLINK(\"http://evil/x\",\"pay\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
         "\t=1", "\r=1"]


@pytest.mark.parametrize("text", NASTY)
def test_a_formula_like_text_cell_is_quoted(text):
    assert safe_value(text) == "'" + text


@pytest.mark.parametrize("text", ["-45.00", "+3", "1,234.50", "Ann", "", "R-1", "a=b"])
def test_numbers_and_ordinary_text_are_left_alone(text):
    assert safe_value(text) == text


def test_the_payroll_export_quotes_names_and_keeps_money_numbers():
    reps = pd.DataFrame({"rep_id": ["R1", "=R2"], "name": [NASTY[0], "Bo"],
                         "email": ["@r1@example.com", "b@example.com"]})
    money = {c: [-4500, 100] for c in ("gross", "haircuts", "clawbacks", "net", "carry_in",
                                       "payout", "carry_out")}
    payouts = pd.DataFrame({"rep_id": ["R1", "=R2"], "period": ["2026-01"] * 2,
                            "plan_id": ["p", "+p"], **money})
    rows = list(csv.DictReader(io.StringIO(export_csv_text(
        payroll_export(payouts, reps, "2026-01", 1)))))
    by = {r["rep_id"]: r for r in rows}
    assert by["R1"]["name"] == "'" + NASTY[0] and by["R1"]["email"] == "'@r1@example.com"
    assert by["'=R2"]["plan_id"] == "'+p"
    assert by["R1"]["payout"] == "-45.00" and by["'=R2"]["payout"] == "1.00"


def test_lines_and_payouts_csv_quote_ids(csvs, tmp_path, capsys):
    data = csvs.small(tmp_path / "d")
    for name in ("invoices", "payments"):
        f = data / f"{name}.csv"
        f.write_text(f.read_text().replace("I1,", "@I1,"))
    assert main(["calculate", "--data", str(data), "--rules", str(RULES), "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0
    lines = (tmp_path / "out" / "lines.csv").read_text()
    assert "'@I1" in lines and not re.search(r"(^|,)@I1", lines, re.M)
    assert "-" not in "".join(r["payout"] for r in csv.DictReader(
        (tmp_path / "out" / "payouts.csv").open()) if r["payout"].startswith("'"))


def test_the_app_csv_helper_quotes_text_not_money():
    from commission.ui.common import csv_text

    text = csv_text(pd.DataFrame({"rep_id": ["=x"], "amount": [-4500]}), ["amount"])
    assert text == "rep_id,amount\n'=x,-45.00\n"
    assert safe_frame(pd.DataFrame({"n": [1], "t": ["-1+1"]}))["t"][0] == "'-1+1"


@pytest.mark.parametrize("name", ["Ann\x0c} body { background: url(http://evil/beacon) }",
                                  'Ann"; } @import "http://evil/x.css', "Ann\n</style><img>",
                                  "Ann\\\x0d\x00"])
def test_a_name_cannot_leave_the_statement_css_string(name):
    css = str(_css_string(name))
    assert css.startswith('"') and css.endswith('"')
    inner = css[1:-1]
    assert not any(c in inner for c in '"\'<>') and not any(ord(c) < 0x20 for c in inner)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/beacon.png", "https://evil.example/x",
                                 "file:///etc/passwd", "ftp://x/y"])
def test_weasyprint_fetches_nothing_from_outside(url):
    with pytest.raises(ValueError, match="disallowed protocol"):
        no_outside_urls().fetch(url)


def test_weasyprint_still_reads_data_uris_and_prints_a_statement_with_an_outside_image():
    from weasyprint import HTML

    got = no_outside_urls().fetch("data:text/plain,hi")
    assert (got.read() if hasattr(got, "read") else got.body) == b"hi"
    html = '<p>x</p><img src="http://127.0.0.1:9/beacon.png"><link rel=stylesheet href="/etc/x">'
    assert HTML(string=html, url_fetcher=no_outside_urls()).write_pdf().startswith(b"%PDF")


def test_a_name_on_my_pay_is_plain_text_not_markdown():
    from commission.ui.common import plain

    shown = plain("Ann ![x](http://evil/b.png) [pay here](http://phish)")
    assert not re.search(r"(?<!\\)[\[\]!:]", shown)  # every link, image, URL mark escaped
    assert shown.replace("\\", "") == "Ann ![x](http://evil/b.png) [pay here](http://phish)"


@pytest.mark.parametrize("rep_id", ["../../etc/passwd", "..\\..\\boot", "/abs", "a b<script>",
                                    "R\u202e1", ".."])
def test_a_hostile_rep_id_cannot_name_a_file_outside_the_zip(rep_id, tmp_path):
    """Statement ZIP members and downloads are named from rep ids: no separator, no '..'."""
    import zipfile

    from commission.reports.statement_jobs import statement_name

    name = statement_name(rep_id, "2025-01", "html")
    assert "/" not in name and "\\" not in name and ".." not in name
    assert name.startswith("statement_") and name.endswith("_2025-01.html")
    out = tmp_path / "z.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(name, "x")
    with zipfile.ZipFile(out) as zf:
        zf.extractall(tmp_path / "un")
    assert [p.name for p in (tmp_path / "un").iterdir()] == [name]


def test_cleaned_file_names_still_tell_ids_apart():
    from commission.files import file_part

    assert file_part("R001") == "R001"  # an ordinary id is kept as it is
    assert len({file_part("a/b"), file_part("a_b"), file_part("a\\b")}) == 3

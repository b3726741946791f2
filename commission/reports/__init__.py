"""Reports built from the engine's results: pure functions of DataFrames, no database.

- :mod:`.export`: the payroll export of a batch, with a control total.
- :mod:`.statement`: a rep's statement (data, HTML, PDF).
- :mod:`.outlook`: open invoices, the commission still to come, what is at stake.
- :mod:`.aging`: open balances by days past due, per rep and customer.
"""

from __future__ import annotations

from commission.reports.aging import AGING_BUCKETS, aging, aging_text
from commission.reports.export import export_csv_text, line_totals, payroll_export, reconcile
from commission.reports.outlook import open_balances, open_invoices
from commission.reports.statement import render_statement_html, render_statement_pdf, statement_data

__all__ = [
    "AGING_BUCKETS",
    "aging",
    "aging_text",
    "export_csv_text",
    "line_totals",
    "open_balances",
    "open_invoices",
    "payroll_export",
    "reconcile",
    "render_statement_html",
    "render_statement_pdf",
    "statement_data",
]

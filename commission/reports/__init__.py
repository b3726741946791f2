"""Reports built from the engine's results: pure functions of DataFrames, no database.

- :mod:`.export`: the payroll export of a batch, with a control total.
- :mod:`.statement`: a rep's statement (data, HTML, PDF).
- :mod:`.outlook`: open invoices, the commission still to come, what is at stake.
- :mod:`.aging`: open balances by days past due, per rep and customer.

Names are imported on first use (PEP 562): ``calculate`` writes its files through
:mod:`.result_files` without loading the statement's templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commission.lazy import exports

#: public name -> the module that defines it
_WHERE = {
    "AGING_BUCKETS": "commission.reports.aging",
    "aging": "commission.reports.aging",
    "aging_text": "commission.reports.aging",
    "export_csv_text": "commission.reports.export",
    "line_totals": "commission.reports.export",
    "payroll_export": "commission.reports.export",
    "reconcile": "commission.reports.export",
    "open_balances": "commission.reports.outlook",
    "open_invoices": "commission.reports.outlook",
    "render_statement_html": "commission.reports.statement",
    "render_statement_pdf": "commission.reports.statement",
    "statement_data": "commission.reports.statement",
}

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
assert sorted(__all__) == sorted(_WHERE)

__getattr__, __dir__ = exports(__name__, _WHERE)


if TYPE_CHECKING:  # what type checkers and editors see
    from commission.reports.aging import AGING_BUCKETS, aging, aging_text
    from commission.reports.export import (
        export_csv_text,
        line_totals,
        payroll_export,
        reconcile,
    )
    from commission.reports.outlook import open_balances, open_invoices
    from commission.reports.statement import (
        render_statement_html,
        render_statement_pdf,
        statement_data,
    )

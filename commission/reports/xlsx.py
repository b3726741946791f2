"""Workbooks finance lives in: the payroll export, a batch's lines, statements, as ``.xlsx``.

Money is written as numbers (exact two-decimal values, shown ``#,##0.00``), never as
text, so a spreadsheet sums it; each part is a sheet of its own; every sheet of
money ends with a totals row that is the exact sum of the rows above it (the
payroll sheet's is the export's control total, the same figures as the CSV's).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from commission.reports.export import MONEY_COLUMNS, TOTAL
from commission.vocabulary import LINE_COLUMNS

MONEY_FORMAT = "#,##0.00"
#: the money columns of a batch's lines
LINE_MONEY = ("base_amount", "gross", "haircut", "amount")


def _money(cents: Any) -> Decimal | None:
    if cents is None or (not isinstance(cents, str) and pd.isna(cents)):
        return None
    return Decimal(int(cents)).scaleb(-2)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    return value


def _sheet(book, title: str, frame: pd.DataFrame, money: Sequence[str],
           total: dict[str, Any] | None) -> None:
    """One sheet: a bold header, the rows, and ``total`` (if given) as the last row."""
    from openpyxl.styles import Font

    ws = book.create_sheet(title[:31])
    columns = list(frame.columns)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    rows: Iterable[dict[str, Any]] = frame.to_dict("records")
    if total is not None:
        rows = [*rows, total]
    for row in rows:
        ws.append([_money(row.get(c)) if c in money else _plain(row.get(c)) for c in columns])
    for idx, col in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = max(10, min(48, len(col) + 4))
        if col in money:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = MONEY_FORMAT
    if total is not None:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def _book_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _new_book():
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    return book


def _total_row(frame: pd.DataFrame, money: Sequence[str], label_col: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(frame.columns)
    row[label_col] = TOTAL
    for c in money:
        row[c] = int(pd.to_numeric(frame[c]).sum()) if len(frame) else 0
    return row


def lines_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """A batch's (or a calculation's) lines with the columns of lines.csv, money in cents."""
    out = lines[LINE_COLUMNS].copy()
    out["rate"] = [Decimal(str(v)) if str(v) not in ("", "nan", "<NA>") else None
                   for v in out["rate"]]
    return out


def payroll_workbook(export: pd.DataFrame, lines: pd.DataFrame | None = None) -> bytes:
    """The payroll export (its TOTAL row is the control total) and, given, the batch's lines."""
    book = _new_book()
    body = export[export["rep_id"] != TOTAL]
    total = export[export["rep_id"] == TOTAL]
    _sheet(book, "Payroll", body, MONEY_COLUMNS,
           total.iloc[0].to_dict() if len(total) else _total_row(body, MONEY_COLUMNS, "rep_id"))
    if lines is not None:
        frame = lines_frame(lines)
        _sheet(book, "Lines", frame, LINE_MONEY,
               _total_row(frame, ("gross", "haircut", "amount"), "period"))
    return _book_bytes(book)


def lines_workbook(lines: pd.DataFrame) -> bytes:
    """A batch's lines, one sheet, with a totals row."""
    book = _new_book()
    frame = lines_frame(lines)
    _sheet(book, "Lines", frame, LINE_MONEY,
           _total_row(frame, ("gross", "haircut", "amount"), "period"))
    return _book_bytes(book)


def _statement_lines(data: dict[str, Any]) -> pd.DataFrame:
    rows = [{"customer": c["name"], "invoice_id": i["invoice_id"], "date": line["date"],
             "kind": line["kind"], "event_id": line["event_id"], "gross": line["gross"],
             "haircut": line["haircut"], "amount": line["amount"],
             "prior_period": line["prior_period"], "explanation": line["explanation"]}
            for c in data["customers"] for i in c["invoices"] for line in i["lines"]]
    return pd.DataFrame(rows, columns=["customer", "invoice_id", "date", "kind", "event_id",
                                       "gross", "haircut", "amount", "prior_period",
                                       "explanation"])


def statement_workbook(data: dict[str, Any]) -> bytes:
    """A statement's parts as sheets: summary, lines (with totals), compared, inquiries."""
    book = _new_book()
    t = data["totals"]
    summary = pd.DataFrame([{"figure": k, "amount": t[k]} for k in (
        "gross", "haircuts", "clawbacks", "net", "carry_in", "balance", "forfeited", "payout",
        "carry_out")])
    head = pd.DataFrame([{"figure": f"{k}: {v}", "amount": None} for k, v in (
        ("rep", f"{data['rep']['name']} ({data['rep']['rep_id']})"),
        ("period", data["period"]), ("plan", data["plan"]["id"]),
        ("batch", data.get("batch_id", "")))])
    _sheet(book, "Summary", pd.concat([head, summary], ignore_index=True), ("amount",), None)
    lines = _statement_lines(data)
    _sheet(book, "Lines", lines, ("gross", "haircut", "amount"),
           _total_row(lines, ("gross", "haircut", "amount"), "customer"))
    compared = data.get("compared")
    if compared:
        steps = pd.DataFrame(compared["rows"], columns=["step", "amount"])
        _sheet(book, "Compared", steps, ("amount",), None)
    asked = data.get("inquiries") or []
    if asked:
        _sheet(book, "Inquiries", pd.DataFrame(asked), ("correction_amount",), None)
    return _book_bytes(book)


__all__ = ["MONEY_FORMAT", "lines_workbook", "payroll_workbook", "statement_workbook"]

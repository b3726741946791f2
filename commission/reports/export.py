"""The payroll export: one data row per rep of a batch, and apart from it a control total.

A batch not locked yet exports as DRAFT (in the file name and on every row), so a
draft never passes for what payroll pays; the control total is its own file, so
the file payroll imports holds data rows only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.files import safe_frame
from commission.money import format_cents
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

#: money columns of a payout, in the contract's order, then what the payout rules forfeited
#: and the draw's top-up (net + carry_in − carry_out − forfeited = payout on every row)
MONEY_COLUMNS = [*PAYOUT_MONEY_COLUMNS, "forfeited", "draw"]
#: the data rows payroll imports: one per rep, nothing else (the control total is apart)
EXPORT_COLUMNS = ["status", "period", "batch_id", "pay_date", "currency", "employee_id",
                  "rep_id", "name", "email", "plan_id", *MONEY_COLUMNS]
#: the control file: one row that the data rows add up to
CONTROL_COLUMNS = ["status", "period", "batch_id", "pay_date", "currency", "reps",
                   *MONEY_COLUMNS]
TOTAL = "TOTAL"
DRAFT, FINAL = "DRAFT", "FINAL"
#: line kinds whose money counts as earnings (the rest are clawbacks)
EARNING_KINDS = ("invoice", "collection", "override")


def payroll_export(payouts: pd.DataFrame, reps: pd.DataFrame, period: str,
                   batch_id: int | str, *, status: str = FINAL, currency: str = "USD",
                   pay_date: str = "") -> pd.DataFrame:
    """The batch's payouts for ``period``: one data row per rep, nothing else.

    Rows are sorted by rep_id; name, email and employee_id come from ``reps`` (blank
    for an unknown rep, and employee_id blank when the reps have none). ``status`` is
    DRAFT for a batch not locked yet (payroll must not pay it) or FINAL, on every row.
    Money stays int64 cents (:func:`export_csv_text` writes ``1234.50``); forfeited
    and draw are 0 where the payouts lack them. The control total is
    :func:`control_totals`, a file of its own.

    ValueError if a rep has more than one row in the period (a batch pays each rep
    once per period).
    """
    rows = payouts[payouts["period"] == period]
    dup = rows["rep_id"].duplicated()
    if dup.any():
        raise ValueError(f"more than one payout row in {period} for rep(s): "
                         f"{', '.join(sorted(map(str, rows.loc[dup, 'rep_id'].unique())))}")
    rows = rows.sort_values("rep_id", kind="stable", ignore_index=True)
    who = reps.drop_duplicates("rep_id").set_index("rep_id")
    ids = rows["rep_id"].to_numpy(dtype=object)
    n = len(rows)

    def const(value: object) -> np.ndarray:
        return np.full(n, value, dtype=object)

    employee = (who["employee_id"].reindex(ids).fillna("").to_numpy(dtype=object)
                if "employee_id" in who else const(""))
    out = pd.DataFrame({
        "status": const(status), "period": const(period), "batch_id": const(batch_id),
        "pay_date": const(pay_date), "currency": const(currency), "employee_id": employee,
        "rep_id": ids,
        "name": who["name"].reindex(ids).fillna("").to_numpy(dtype=object),
        "email": who["email"].reindex(ids).fillna("").to_numpy(dtype=object),
        "plan_id": rows["plan_id"].to_numpy(dtype=object),
    })
    for col in MONEY_COLUMNS:
        out[col] = (rows[col].to_numpy(dtype=np.int64) if col in rows
                    else np.zeros(n, dtype=np.int64))
    return out[EXPORT_COLUMNS]


def control_totals(export: pd.DataFrame, period: str, batch_id: int | str, *,
                   status: str = FINAL, currency: str = "USD", pay_date: str = ""
                   ) -> pd.DataFrame:
    """The control file: one row with the number of reps and the exact sum of every
    money column of ``export``'s data rows, so payroll checks what it imported."""
    row: dict[str, object] = {"status": status, "period": period, "batch_id": batch_id,
                              "pay_date": pay_date, "currency": currency, "reps": len(export)}
    row.update({col: int(export[col].sum()) for col in MONEY_COLUMNS})
    frame = pd.DataFrame([row])
    for col in MONEY_COLUMNS:
        frame[col] = frame[col].astype(np.int64)
    return frame[CONTROL_COLUMNS]


def export_file_name(period: str, batch_id: int | str, status: str, what: str = "payroll",
                     suffix: str = ".csv") -> str:
    """'payroll_2026-03_batch4_DRAFT.csv' (DRAFT while the batch is not locked)."""
    mark = "_DRAFT" if status == DRAFT else ""
    return f"{what}_{period}_batch{batch_id}{mark}{suffix}"


def export_csv_text(frame: pd.DataFrame) -> str:
    """The export as CSV text: money as two-decimal strings (``-45.00``), ``\\n`` line ends.

    Text cells that a spreadsheet would run as a formula (a name ``=HYPERLINK(...)``)
    get a leading ``'`` (:func:`commission.files.safe_frame`); money stays a number.
    """
    text = safe_frame(frame, MONEY_COLUMNS)
    for col in MONEY_COLUMNS:
        if col in text.columns:
            text[col] = [format_cents(v) for v in text[col].to_numpy(dtype=np.int64)]
    return text.to_csv(index=False, lineterminator="\n")


def line_totals(lines: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per rep, the payout figures the lines of ``period`` add up to (int64 cents).

    gross = Σ gross of invoice, collection and override lines and of positive manual
    lines; haircuts = Σ haircut of collection lines; clawbacks = −Σ amount of the
    other lines; net = gross − haircuts − clawbacks (which is also Σ amount), as the
    contract defines them.
    """
    rows = lines[lines["period"] == period]
    kind = rows["line_kind"].to_numpy(dtype=object)
    earning = np.isin(kind, EARNING_KINDS) | (
        (kind == "manual") & (rows["amount"].to_numpy(dtype=np.int64) > 0))
    frame = pd.DataFrame({
        "rep_id": rows["rep_id"].to_numpy(dtype=object),
        "gross": np.where(earning, rows["gross"].to_numpy(dtype=np.int64), 0),
        "haircuts": np.where(kind == "collection", rows["haircut"].to_numpy(dtype=np.int64), 0),
        "clawbacks": np.where(earning, 0, -rows["amount"].to_numpy(dtype=np.int64)),
    })
    out = frame.groupby("rep_id", sort=True)[["gross", "haircuts", "clawbacks"]].sum()
    out["net"] = out["gross"] - out["haircuts"] - out["clawbacks"]
    return out.astype(np.int64).reset_index()


def reconcile(lines: pd.DataFrame, payouts: pd.DataFrame, period: str) -> list[str]:
    """Differences between the payouts of ``period`` and their lines; [] when they agree.

    Checks, per rep, gross, haircuts, clawbacks and net against :func:`line_totals`
    (a rep with lines but no payout row is a difference too), and each payout row's
    own arithmetic, net = gross − haircuts − clawbacks and (when the payouts carry
    ``forfeited``) net + carry_in − carry_out − forfeited = payout. Meant to run before an
    export is handed to payroll.
    """
    problems: list[str] = []
    pay = payouts[payouts["period"] == period].set_index("rep_id")
    sums = line_totals(lines, period).set_index("rep_id")
    for rep in sums.index.difference(pay.index):
        problems.append(f"{period} {rep}: lines but no payout row")
    cols = ["gross", "haircuts", "clawbacks", "net"]
    expect = sums.reindex(pay.index, fill_value=0)[cols]
    diff = pay[cols].astype(np.int64) - expect.astype(np.int64)
    for rep, row in diff[(diff != 0).any(axis=1)].iterrows():
        bad = ", ".join(f"{c} off by {int(v)} cents" for c, v in row.items() if v)
        problems.append(f"{period} {rep}: {bad}")
    own = pay["gross"] - pay["haircuts"] - pay["clawbacks"] - pay["net"]
    for rep in own.index[own != 0]:
        problems.append(f"{period} {rep}: net is not gross − haircuts − clawbacks")
    if "forfeited" in pay:
        left = (pay["net"] + pay["carry_in"] - pay["carry_out"] - pay["forfeited"]
                - pay["payout"])
        for rep in left.index[left != 0]:
            problems.append(f"{period} {rep}: net + carried in − carried out − forfeited is "
                            "not the payout")
    return problems


__all__ = ["CONTROL_COLUMNS", "DRAFT", "EXPORT_COLUMNS", "FINAL", "MONEY_COLUMNS", "TOTAL",
           "control_totals", "export_csv_text", "export_file_name", "line_totals",
           "payroll_export", "reconcile"]

"""The payroll export: one row per rep of a batch, and a control total that reconciles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commission.files import safe_frame
from commission.money import format_cents
from commission.vocabulary import PAYOUT_MONEY_COLUMNS

#: money columns of a payout, in the contract's order
MONEY_COLUMNS = PAYOUT_MONEY_COLUMNS
EXPORT_COLUMNS = ["period", "batch_id", "rep_id", "name", "email", "plan_id", *MONEY_COLUMNS]
TOTAL = "TOTAL"
#: line kinds whose money counts as earnings (the rest are clawbacks)
EARNING_KINDS = ("invoice", "collection", "override")


def payroll_export(payouts: pd.DataFrame, reps: pd.DataFrame, period: str,
                   batch_id: int | str) -> pd.DataFrame:
    """The batch's payouts for ``period``, one row per rep, then a control-total row.

    Rows are sorted by rep_id; name and email come from ``reps`` (blank for an
    unknown rep). Money stays int64 cents (:func:`export_csv_text` writes it as
    ``1234.50``). The last row has rep_id ``'TOTAL'``, blank name, email and plan,
    and the exact integer sum of every money column, so payroll can check the file
    it imported against the batch.

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
    out = pd.DataFrame({
        "period": np.full(len(rows), period, dtype=object),
        "batch_id": np.full(len(rows), batch_id, dtype=object),
        "rep_id": ids,
        "name": who["name"].reindex(ids).fillna("").to_numpy(dtype=object),
        "email": who["email"].reindex(ids).fillna("").to_numpy(dtype=object),
        "plan_id": rows["plan_id"].to_numpy(dtype=object),
    })
    for col in MONEY_COLUMNS:
        out[col] = rows[col].to_numpy(dtype=np.int64)
    total = {"period": period, "batch_id": batch_id, "rep_id": TOTAL, "name": "", "email": "",
             "plan_id": ""}
    total.update({col: int(out[col].sum()) for col in MONEY_COLUMNS})
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for col in MONEY_COLUMNS:
        out[col] = out[col].astype(np.int64)
    return out[EXPORT_COLUMNS]


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
    own arithmetic, net = gross − haircuts − clawbacks. Meant to run before an
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
    return problems


__all__ = ["EXPORT_COLUMNS", "MONEY_COLUMNS", "TOTAL", "export_csv_text", "line_totals",
           "payroll_export", "reconcile"]

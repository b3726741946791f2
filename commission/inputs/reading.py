"""Reading the contract's CSV tables and validating them: every problem, in one pass.

Two steps, so every door can share them:

* :func:`read_tables` parses the files of a folder into typed tables, reporting
  unreadable files, missing or unknown columns and unparseable cells;
* :func:`check` validates a whole :class:`Inputs` across tables (ids,
  references, dates, reversals, splits, over-settlement).

Typed tables keep a ``_line`` column (the line number in the file) so problems
found across tables still point at a line.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from commission.inputs.tables import (
    ADJUSTMENT_KINDS,
    COLUMNS,
    DATE_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
    OPTIONAL_TABLES,
    SHARE_SCALE,
    Inputs,
    empty_table,
)
from commission.keys import as_arrow, lookup
from commission.money import format_money
from commission.problems import Problem, sort_problems

#: at most this many problems of one kind are listed; the rest are counted
MAX_PER_KIND = 200
MAX_WHOLE_DIGITS = 10  # amounts below 10,000,000,000.00

#: columns that may be empty
OPTIONAL_COLUMNS = frozenset({
    ("reps", "manager_id"), ("customers", "segment"), ("payments", "reverses_payment_id"),
    ("disputes", "resolved_date"),
})

_AMOUNT_RE = r"^-?[0-9]+(\.[0-9]{1,2})?$"
_TOO_PRECISE_RE = r"^-?[0-9]*\.[0-9]{3,}$"
_SHARE_RE = r"^(0|1)?(\.[0-9]{1,9})?$"
_DATE_FULL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Collector:
    """Collects problems, listing at most MAX_PER_KIND of one kind and counting the rest."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def rows(self, source: str, frame: pd.DataFrame, mask: np.ndarray | pd.Series,
             column: str | None, id_col: str | None, message, expected: str) -> None:
        """One problem per masked row; ``message`` is a str or a function of the row."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        bad = frame[mask]
        shown = bad.head(MAX_PER_KIND)
        lines = shown["_line"].tolist() if "_line" in shown else [None] * len(shown)
        ids = shown[id_col].tolist() if id_col and id_col in shown else [None] * len(shown)
        texts = (message(shown) if callable(message) else [message] * len(shown))
        for line, rid, text in zip(lines, ids, texts, strict=True):
            self.problems.append(Problem(source, None if pd.isna(line) else int(line), column,
                                         None if _blank(rid) else str(rid), text, expected))
        if len(bad) > MAX_PER_KIND:
            rest = len(bad) - MAX_PER_KIND
            first = texts[0] if texts else ""
            self.problems.append(Problem(
                source, None, column, None,
                f"and {rest:,} more rows with the same problem as above ({first})", expected))

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == ""


# ---------------------------------------------------------------------------- reading


def _read_csv(path: Path, source: str, out: _Collector) -> pd.DataFrame | None:
    """All cells as stripped strings; bad rows reported; None when the file is unusable."""
    bad_rows: list[Problem] = []

    def on_bad_row(row: pacsv.InvalidRow) -> str:
        line = None if row.number is None else row.number  # number counts the header as 1
        bad_rows.append(Problem(source, line, None, None,
                                f"{row.actual_columns} fields where the header has "
                                f"{row.expected_columns}: {row.text[:80]!r}",
                                "one field per column (quote fields that contain commas)"))
        return "skip"

    try:
        with path.open("rb") as fh:
            head = fh.readline().decode("utf-8-sig").strip("\r\n")
        header = next(iter(pd.read_csv(pd.io.common.StringIO(head), header=None,
                                       dtype=str).itertuples(index=False)), ())
        header = [str(h).strip() for h in header]
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8", use_threads=True),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid, pd.errors.ParserError,
            StopIteration) as exc:
        out.add(Problem(source, None, None, None, f"cannot read the file ({_short(exc)})",
                        "a UTF-8 CSV file with a header row"))
        return None
    if bad_rows:
        for p in bad_rows[:MAX_PER_KIND]:
            out.add(p)
        if len(bad_rows) > MAX_PER_KIND:
            out.add(Problem(source, None, None, None,
                            f"and {len(bad_rows) - MAX_PER_KIND:,} more malformed rows",
                            "one field per column"))
        return None
    frame = pd.DataFrame({
        str(name).lstrip("\ufeff").strip(): pc.utf8_trim_whitespace(col).to_pandas()
        for name, col in zip(table.column_names, table.columns, strict=True)
    })
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    return frame


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:160]


def _fixed_point(text: pd.Series, places: int) -> np.ndarray:
    """Decimal strings already known to be well formed, as exact integers × 10**places.

    '1234.5' with places=2 -> 123450. The digits are parsed as integers (never floats):
    the decimal point is dropped and the value scaled by the missing places.
    """
    if len(text) == 0:
        return np.zeros(0, dtype=np.int64)
    text = text.astype("str")
    dot = text.str.find(".").to_numpy(dtype=np.int64)
    length = text.str.len().to_numpy(dtype=np.int64)
    decimals = np.where(dot >= 0, length - dot - 1, 0)
    digits = text.str.replace(".", "", regex=False)
    digits = digits.where(~digits.isin(["", "-"]), "0")
    value = pc.cast(pa.array(digits.array), pa.int64()).to_numpy()
    return value * (10 ** (places - decimals))


def _parse_dates(text: pd.Series) -> np.ndarray:
    """'YYYY-MM-DD' strings as datetime64[D], NaT where not a real calendar date.

    A data set has few distinct dates, so each distinct string is parsed once,
    strictly (2026-02-31 is refused), and spread back to every row.
    """
    codes, uniq = pd.factorize(text)
    parsed = np.full(len(uniq) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    for i, value in enumerate(uniq):
        if _DATE_FULL.fullmatch(str(value)):
            with contextlib.suppress(ValueError):
                parsed[i] = np.datetime64(str(value), "D")
    return parsed[np.where(codes >= 0, codes, len(uniq))]


def _typed(name: str, raw: pd.DataFrame, source: str, out: _Collector) -> pd.DataFrame:
    """Cells parsed to their types; every unparseable cell reported."""
    id_col = ID_COLUMN.get(name)
    data: dict[str, object] = {}
    for col in COLUMNS[name]:
        text = raw[col]
        empty = (text == "").to_numpy()
        if (name, col) not in OPTIONAL_COLUMNS:
            out.rows(source, raw, empty, col, id_col, "empty", "a value")
        if col in DATE_COLUMNS:
            parsed = _parse_dates(text)
            bad = np.isnat(parsed) & ~empty
            out.rows(source, raw, bad, col, id_col,
                     lambda r, c=col: [f"{v!r} is not a date" for v in r[c]],
                     "a date as YYYY-MM-DD")
            data[col] = pd.Series(parsed.astype("datetime64[s]"))
        elif col in MONEY_COLUMNS:
            ok = text.str.match(_AMOUNT_RE).to_numpy(dtype=bool)
            precise = np.zeros(len(text), dtype=bool)
            if not ok.all():  # only bad cells need to say why
                precise = text.str.match(_TOO_PRECISE_RE).to_numpy(dtype=bool)
            out.rows(source, raw, precise, col, id_col,
                     lambda r, c=col: [f"{v!r} has more than 2 decimals" for v in r[c]],
                     "an amount with at most 2 decimals")
            out.rows(source, raw, ~ok & ~precise & ~empty, col, id_col,
                     lambda r, c=col: [f"{v!r} is not a number" for v in r[c]],
                     "a plain number such as 1234.50 (no thousands separators)")
            good = ok & (text.str.len().to_numpy(dtype=np.int64) <= MAX_WHOLE_DIGITS)
            huge = np.zeros(len(text), dtype=bool)
            if not good[ok].all():  # a long cell: count the digits before the point
                dot = text.str.find(".").to_numpy(dtype=np.int64)
                length = text.str.len().to_numpy(dtype=np.int64)
                sign = text.str.startswith("-").to_numpy(dtype=bool).astype(np.int64)
                huge = ok & (np.where(dot >= 0, dot, length) - sign > MAX_WHOLE_DIGITS)
                out.rows(source, raw, huge, col, id_col,
                         lambda r, c=col: [f"{v} is too large" for v in r[c]],
                         "an amount below 10,000,000,000.00")
            good = ok & ~huge
            data[col] = (_fixed_point(text, 2) if good.all() else
                         np.where(good, _fixed_point(text.where(good, "0"), 2), 0))
        elif col == "share":
            ok = text.str.match(_SHARE_RE).to_numpy(dtype=bool) & ~empty
            ok &= (text != ".").to_numpy()
            share = np.where(ok, _fixed_point(text.where(ok, "0"), 9), 0)
            out.rows(source, raw, ~ok & ~empty, col, None,
                     lambda r: [f"{v!r} is not a share" for v in r["share"]],
                     "a decimal between 0 and 1 with at most 9 decimals, such as 0.6")
            out.rows(source, raw, ok & ((share <= 0) | (share > SHARE_SCALE)), col, None,
                     lambda r: [f"share {v} is outside (0, 1]" for v in r["share"]],
                     "a share more than 0 and at most 1")
            data[col] = share
        else:
            data[col] = text.where(~empty).astype("str")
    data["_line"] = raw["_line"].to_numpy()
    return pd.DataFrame(data)


def read_tables(folder: str | Path, require_all: bool = True
                ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed tables of the CSV files in ``folder`` and the problems found reading them.

    With ``require_all`` every table but the optional ones must be present (a full
    data set); without it, whichever files exist are read (a partial load).
    """
    folder = Path(folder)
    out = _Collector()
    tables: dict[str, pd.DataFrame] = {}
    if not folder.is_dir():
        out.add(Problem(str(folder), None, None, None, "no such folder",
                        "a folder of CSV files (invoices.csv, payments.csv, ...)"))
        return tables, out.problems
    found = {p.name.lower(): p for p in folder.glob("*.csv")}
    if not require_all and not any(f"{n}.csv" in found for n in COLUMNS):
        out.add(Problem(str(folder), None, None, None, "no input files found",
                        f"one or more of {', '.join(n + '.csv' for n in COLUMNS)}"))
    for name, columns in COLUMNS.items():
        source = f"{name}.csv"
        path = found.get(source)
        if path is None:
            if require_all and name not in OPTIONAL_TABLES:
                out.add(Problem(source, None, None, None, "the file is missing",
                                f"{source} with columns {', '.join(columns)}"))
            continue
        raw = _read_csv(path, source, out)
        if raw is None:
            continue
        have = [c for c in raw.columns if c != "_line"]
        missing = [c for c in columns if c not in have]
        unknown = [c for c in have if c not in columns]
        for c in missing:
            out.add(Problem(source, 1, c, None, "missing column",
                            f"the columns {', '.join(columns)}"))
        for c in unknown:
            out.add(Problem(source, 1, c, None, "unknown column",
                            f"only the columns {', '.join(columns)}"))
        if missing:
            continue
        tables[name] = _typed(name, raw, source, out)
    return tables, out.problems


# ---------------------------------------------------------------------------- checking


def _money(cents: int) -> str:
    return format_money(int(cents))


def check(inputs: Inputs, plan_ids: Iterable[str]) -> list[Problem]:
    """Every cross-table problem of a full data set (ids, references, dates, amounts).

    Ids are resolved to row positions once (Arrow hash lookups); every later check
    works on integer positions and numpy columns.
    """
    out = _Collector()
    t = inputs.tables()
    for name, frame in t.items():
        if "_line" not in frame:
            t[name] = frame.assign(_line=pd.array([None] * len(frame), dtype="Int64"))
    reps, inv, pay, adj, spl, dis = (t["reps"], t["invoices"], t["payments"],
                                     t["adjustments"], t["splits"], t["disputes"])

    # unique ids
    for name, id_col in ID_COLUMN.items():
        frame = t[name]
        first = inputs.positions(name, id_col, name, id_col)  # each id's first row
        later = (first >= 0) & (first != np.arange(len(first)))
        dup = later.copy()
        dup[first[later]] = True
        out.rows(f"{name}.csv", frame, dup, id_col, id_col,
                 lambda r, c=id_col: [f"duplicate id {v}" for v in r[c]], "each id once")
    dup = spl.duplicated(["invoice_id", "rep_id"], keep=False).to_numpy()
    out.rows("splits.csv", spl, dup, "rep_id", "invoice_id",
             lambda r: [f"rep {v} is listed twice for this invoice" for v in r["rep_id"]],
             "each rep once per invoice")

    # references, resolved to positions (-1: unknown)
    def ref(frame: pd.DataFrame, name: str, col: str, target: str, what: str,
            id_col: str | None) -> np.ndarray:
        """Positions of ``frame[col]`` in table ``target`` (by its id), unknown ones reported."""
        pos = inputs.positions(name, col, target, ID_COLUMN[target])
        bad = frame[col].notna().to_numpy() & (pos < 0)
        out.rows(f"{name}.csv", frame, bad, col, id_col,
                 lambda r: [f"unknown {what} {v}" for v in r[col]], f"a {what} that exists")
        return pos

    ref(inv, "invoices", "customer_id", "customers", "customer", "invoice_id")
    ref(inv, "invoices", "rep_id", "reps", "rep", "invoice_id")
    ref(reps, "reps", "manager_id", "reps", "rep (manager)", "rep_id")
    plan_ids = sorted(set(plan_ids))
    bad = reps["plan_id"].notna().to_numpy() & (lookup(reps["plan_id"], pd.Series(
        plan_ids, dtype=object)) < 0)
    out.rows("reps.csv", reps, bad, "plan_id", "rep_id",
             lambda r: [f"unknown plan {v}" for v in r["plan_id"]],
             f"one of the plans in rules/ ({', '.join(plan_ids) or 'none found'})")
    ref(spl, "splits", "invoice_id", "invoices", "invoice", None)
    ref(spl, "splits", "rep_id", "reps", "rep", "invoice_id")
    pay_inv = ref(pay, "payments", "invoice_id", "invoices", "invoice", "payment_id")
    adj_inv = ref(adj, "adjustments", "invoice_id", "invoices", "invoice", "adjustment_id")
    dis_inv = ref(dis, "disputes", "invoice_id", "invoices", "invoice", "dispute_id")

    # values
    out.rows("invoices.csv", inv, (inv["amount"] <= 0).to_numpy(), "amount", "invoice_id",
             lambda r: [f"amount {_money(v)} is not positive" for v in r["amount"]],
             "an amount more than 0")
    out.rows("adjustments.csv", adj, (adj["amount"] <= 0).to_numpy(), "amount",
             "adjustment_id",
             lambda r: [f"amount {_money(v)} is not positive" for v in r["amount"]],
             "an amount more than 0 (the kind says which way it goes)")
    kind_bad = adj["kind"].notna().to_numpy() & ~adj["kind"].isin(ADJUSTMENT_KINDS).to_numpy()
    out.rows("adjustments.csv", adj, kind_bad, "kind", "adjustment_id",
             lambda r: [f"unknown kind {v!r}" for v in r["kind"]],
             f"one of {', '.join(ADJUSTMENT_KINDS)}")
    out.rows("payments.csv", pay, (pay["amount"] == 0).to_numpy(), "amount", "payment_id",
             "amount is 0", "cash received (> 0) or a reversal (< 0)")

    # split shares sum to exactly 1
    if len(spl):
        sums = spl.groupby("invoice_id")["share"].sum()
        off = sums[sums != SHARE_SCALE]
        bad = spl["invoice_id"].isin(off.index).to_numpy() & ~spl.duplicated(
            "invoice_id").to_numpy()
        out.rows("splits.csv", spl, bad, "share", "invoice_id",
                 lambda r: [f"shares of invoice {v} sum to {_share_text(off[v])}"
                            for v in r["invoice_id"]],
                 "the shares of one invoice to sum to exactly 1")

    # dates against the invoice
    inv_date = inv["invoice_date"].to_numpy()
    out.rows("invoices.csv", inv, (inv["due_date"] < inv["invoice_date"]).to_numpy(),
             "due_date", "invoice_id",
             lambda r: [f"due {_day(d)} before the invoice date {_day(i)}"
                        for d, i in zip(r["due_date"], r["invoice_date"], strict=True)],
             "a due date on or after the invoice date")
    for frame, pos, name, col, id_col, what in (
        (pay, pay_inv, "payments", "payment_date", "payment_id", "payment"),
        (adj, adj_inv, "adjustments", "adjustment_date", "adjustment_id", "adjustment"),
        (dis, dis_inv, "disputes", "opened_date", "dispute_id", "dispute"),
    ):
        own = inv_date[np.maximum(pos, 0)] if len(inv_date) else frame[col].to_numpy()
        early = (pos >= 0) & (frame[col].to_numpy() < own)
        out.rows(f"{name}.csv", frame.assign(_inv_date=own), early, col, id_col,
                 lambda r, c=col, what=what: [
                     f"{what} dated {_day(d)} before its invoice dated {_day(i)}"
                     for d, i in zip(r[c], r["_inv_date"], strict=True)],
                 f"a {what} dated on or after its invoice")
    resolved_early = (dis["resolved_date"] < dis["opened_date"]).to_numpy(dtype=bool)
    out.rows("disputes.csv", dis, resolved_early, "resolved_date", "dispute_id",
             "resolved before it was opened", "a resolved_date on or after opened_date")

    _check_reversals(pay, inputs.positions("payments", "reverses_payment_id", "payments",
                                           "payment_id"), out)
    _check_settlement(inv, pay, pay_inv, adj, adj_inv, out)
    return out.problems


def _day(value: object) -> str:
    return str(np.datetime64(value, "D"))


def _share_text(nano: int) -> str:
    whole, frac = divmod(int(nano), SHARE_SCALE)
    return f"{whole}.{frac:09d}".rstrip("0").rstrip(".")


def _check_reversals(pay: pd.DataFrame, target_of: np.ndarray, out: _Collector) -> None:
    """A negative payment reverses a positive payment of the same invoice, not beyond it."""
    neg = (pay["amount"] < 0).to_numpy()
    named = pay["reverses_payment_id"].notna().to_numpy()
    out.rows("payments.csv", pay, neg & ~named, "reverses_payment_id", "payment_id",
             "a negative payment without a payment to reverse",
             "the id of the payment it reverses in reverses_payment_id")
    out.rows("payments.csv", pay, ~neg & named, "reverses_payment_id", "payment_id",
             "a positive payment names a payment to reverse",
             "reverses_payment_id empty for cash received (amount > 0)")
    rev = pay[neg & named]
    if rev.empty:
        return
    target = target_of[neg & named]
    exists = target >= 0
    out.rows("payments.csv", rev, ~exists, "reverses_payment_id", "payment_id",
             lambda r: [f"reverses unknown payment {v}" for v in r["reverses_payment_id"]],
             "the id of an existing payment")
    ok, target = rev[exists], target[exists]
    o_amount = pay["amount"].to_numpy()[target]
    o_invoice = as_arrow(pay["invoice_id"]).take(pa.array(target))
    o_date = pay["payment_date"].to_numpy()[target]
    out.rows("payments.csv", ok, o_amount <= 0, "reverses_payment_id", "payment_id",
             lambda r: [f"reverses {v}, which is itself a reversal"
                        for v in r["reverses_payment_id"]],
             "the id of a payment received (amount > 0)")
    same = pc.equal(o_invoice, as_arrow(ok["invoice_id"])).fill_null(False)
    out.rows("payments.csv", ok, ~same.to_numpy(zero_copy_only=False), "invoice_id",
             "payment_id",
             lambda r: [f"reverses {v}, a payment of another invoice"
                        for v in r["reverses_payment_id"]],
             "the invoice of the payment it reverses")
    out.rows("payments.csv", ok, ok["payment_date"].to_numpy() < o_date, "payment_date",
             "payment_id",
             lambda r: [f"reversal dated before the payment {v} it reverses"
                        for v in r["reverses_payment_id"]],
             "a reversal dated on or after the payment it reverses")
    reversed_total = np.zeros(len(pay), dtype=np.int64)
    np.add.at(reversed_total, target, -ok["amount"].to_numpy(dtype=np.int64))
    over = reversed_total > np.maximum(pay["amount"].to_numpy(dtype=np.int64), 0)
    last = ~pd.Series(target).duplicated(keep="last").to_numpy()
    worst = ok[last & over[target]].assign(
        _total=reversed_total[target[last & over[target]]],
        _paid=pay["amount"].to_numpy()[target[last & over[target]]])
    out.rows("payments.csv", worst, np.ones(len(worst), bool), "amount", "payment_id",
             lambda r: [f"reversals of {v} total {_money(t)}, more than the {_money(p)} "
                        "received" for v, t, p in zip(r["reverses_payment_id"], r["_total"],
                                                      r["_paid"], strict=True)],
             "reversals of a payment never exceeding it")


def _check_settlement(inv: pd.DataFrame, pay: pd.DataFrame, pay_inv: np.ndarray,
                      adj: pd.DataFrame, adj_inv: np.ndarray, out: _Collector) -> None:
    """At every date: payments − reversals + credits + discounts + write-offs ≤ amount."""
    pos = np.concatenate([pay_inv, adj_inv])
    day = np.concatenate([pay["payment_date"].to_numpy().astype("datetime64[D]"),
                          adj["adjustment_date"].to_numpy().astype("datetime64[D]")])
    amount = np.concatenate([pay["amount"].to_numpy(dtype=np.int64),
                             adj["amount"].to_numpy(dtype=np.int64)])
    keep = (pos >= 0) & ~np.isnat(day)
    pos, day, amount = pos[keep], day[keep].astype(np.int64), amount[keep]
    if len(pos) == 0:
        return
    order = np.lexsort((day, pos))
    pos, day, amount = pos[order], day[order], amount[order]
    # the settled total after each event; compare only at the last event of a date
    settled = np.cumsum(amount)
    first_of_invoice = np.r_[True, pos[1:] != pos[:-1]]
    start = np.maximum.accumulate(np.where(first_of_invoice, np.arange(len(pos)), 0))
    before = np.r_[0, settled[:-1]]
    settled = settled - before[start]
    end_of_day = np.r_[(pos[1:] != pos[:-1]) | (day[1:] != day[:-1]), True]
    limit = inv["amount"].to_numpy(dtype=np.int64)[pos]
    over = end_of_day & (settled > limit)
    if not over.any():
        return
    first = ~pd.Series(pos[over]).duplicated().to_numpy()
    rows = inv.iloc[pos[over][first]].assign(
        _date=day[over][first].astype("datetime64[D]"), _settled=settled[over][first])
    out.rows("invoices.csv", rows, np.ones(len(rows), bool), "amount", "invoice_id",
             lambda r: [f"over-settled on {_day(d)}: payments − reversals + credits + "
                        f"discounts + write-offs reach {_money(s)}, more than the amount "
                        f"{_money(a)}" for d, s, a in zip(r["_date"], r["_settled"],
                                                          r["amount"], strict=True)],
             "at most the invoice amount settled at every date")


def to_inputs(tables: dict[str, pd.DataFrame]) -> Inputs:
    """An Inputs from typed tables (absent optional tables empty)."""
    return Inputs(**{name: tables.get(name, empty_table(name)) for name in COLUMNS})


def validate_tables(tables: dict[str, pd.DataFrame], problems: list[Problem],
                    plan_ids: Iterable[str]) -> tuple[Inputs | None, list[Problem]]:
    """Cross-table checks on what :func:`read_tables` read, adding to its problems."""
    problems = list(problems)
    required = set(COLUMNS) - OPTIONAL_TABLES
    if not required <= set(tables):  # a file missing or unreadable: report what we have
        return None, sort_problems(problems)
    inputs = to_inputs(tables)
    # cells that did not parse were already reported; don't report them again as
    # cross-table problems (a bad amount would also look "not positive")
    bad_rows = {(p.source, p.row) for p in problems if p.row is not None}
    problems += [p for p in check(inputs, plan_ids) if (p.source, p.row) not in bad_rows]
    return (None, sort_problems(problems)) if problems else (inputs, [])


def read_inputs(folder: str | Path, plan_ids: Iterable[str]
                ) -> tuple[Inputs | None, list[Problem]]:
    """Read and validate a full data set: (inputs, []) or (None, every problem)."""
    tables, problems = read_tables(folder, require_all=True)
    return validate_tables(tables, problems, plan_ids)

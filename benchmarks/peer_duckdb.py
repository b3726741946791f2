"""A peer for the benchmark: the collected-40day plan written as plain DuckDB SQL.

``python benchmarks/peer_duckdb.py --data DIR --out DIR [--plan collected-40day]``

Reads the contract's CSV folder with DuckDB and computes, for one plan applied
to every rep (what ``commission calculate --plan P`` does), every line and every
payout, then writes ``lines.csv`` and ``payouts.csv``. It is written from the
calculation contract (../shared/docs/calculation.md) and docs/calculation-notes.md
only, shares no code with the ``commission`` package, and exists so that the
benchmark can time our engine against a straightforward columnar implementation
and check that both agree to the cent (see ``benchmarks/agree.py``).

Scope: part 1 of the contract (part 2's manual lines and write-off reversals are
refused), and the plans of the simplest shape, i.e. what ``rules/collected-40day.yaml``
uses and a little around it: basis ``collected`` with a flat ``rate``;
``late_payment`` with ``steps`` or ``linear`` (clock, grace, dispute pauses);
``bad_debt`` (a collected plan has p = 0, so only the ``penalty`` line);
``payout`` min_payout, cap and carry_forward_negative; rounding half_up or
half_even. Any other plan feature is refused, not approximated.

Arithmetic is exact: money is integer cents, a split share is an integer in
billionths, a rate or haircut an exact fraction whose numerator and denominator
are SQL integer literals, and every figure is ``round(N / D)`` of exact HUGEINT
integers, rounded once (DuckDB raises on HUGEINT overflow rather than wrap).
Payout carry-forward is a recursive CTE over the months, all reps at a time.
Nothing loops over rows in Python.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLAN = "collected-40day"

SHARE_SCALE = 10**9  # a split share 0.6 is held as 600_000_000
H_SCALE = 10**9  # a haircut 0.01 is held as 10_000_000

#: the columns each input table must have (read by header name; others are ignored)
INPUT_TYPES: dict[str, dict[str, str]] = {
    "reps": {"rep_id": "VARCHAR"},
    "invoices": {"invoice_id": "VARCHAR", "rep_id": "VARCHAR", "invoice_date": "DATE",
                 "due_date": "DATE", "amount": "DECIMAL(18,2)"},
    "payments": {"payment_id": "VARCHAR", "invoice_id": "VARCHAR", "payment_date": "DATE",
                 "amount": "DECIMAL(18,2)", "reverses_payment_id": "VARCHAR"},
    "adjustments": {"adjustment_id": "VARCHAR", "invoice_id": "VARCHAR",
                    "adjustment_date": "DATE", "kind": "VARCHAR", "amount": "DECIMAL(18,2)"},
    "splits": {"invoice_id": "VARCHAR", "rep_id": "VARCHAR", "share": "DECIMAL(18,9)"},
    "disputes": {"dispute_id": "VARCHAR", "invoice_id": "VARCHAR", "opened_date": "DATE",
                 "resolved_date": "DATE"},
}
OPTIONAL = frozenset({"splits", "disputes"})

LINE_COLUMNS = ["period", "rep_id", "plan_id", "line_kind", "event_id", "invoice_id",
                "event_date", "base_amount", "rate", "days_late", "haircut_pct", "gross",
                "haircut", "amount"]
PAYOUT_COLUMNS = ["period", "rep_id", "plan_id", "gross", "haircuts", "clawbacks", "net",
                  "carry_in", "payout", "carry_out"]


# -- the plan ------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """YAML floats as exact Decimals (0.05 never becomes a binary float)."""


_Loader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: Decimal(loader.construct_scalar(node).replace("_", "")))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _scaled(value: Any, scale: int, what: str) -> int:
    v = _dec(value) * scale
    if v != v.to_integral_value():
        raise ValueError(f"{what} {value} has more decimals than the peer handles")
    return int(v)


def _text(value: Decimal) -> str:
    """A plan decimal as plain text without trailing zeros: 0.050 -> '0.05', 0 -> '0'."""
    t = format(value.normalize(), "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


class PeerPlan:
    """The few numbers of a collected, flat-rate plan, checked for what the peer supports."""

    def __init__(self, raw: dict[str, Any]):
        supported = {"id", "name", "basis", "rate", "late_payment", "bad_debt", "payout",
                     "rounding"}
        extra = set(raw) - supported
        if extra:
            raise ValueError(f"the peer does not implement plan keys {sorted(extra)}")
        if raw.get("basis") != "collected" or "rate" not in raw:
            raise ValueError("the peer implements basis collected with a flat rate only")
        self.id = str(raw["id"])
        self.rate = _dec(raw["rate"])
        self.rounding = raw.get("rounding", "half_up")
        if self.rounding not in ("half_up", "half_even"):
            raise ValueError(f"unknown rounding {self.rounding!r}")

        lp = raw.get("late_payment")
        self.has_late = lp is not None
        lp = lp or {}
        self.clock = lp.get("clock", "due_date")
        if self.clock not in ("due_date", "invoice_date"):
            raise ValueError(f"unknown clock {self.clock!r}")
        self.grace = int(lp.get("grace_days", 0))
        self.pause = bool(lp.get("pause_during_disputes", True))
        self.steps = [(int(s["after_days"]), _scaled(s["haircut"], H_SCALE, "haircut"))
                      for s in lp.get("steps") or []]
        lin = lp.get("linear")
        self.linear = None if lin is None else (
            int(lin["start_after_days"]), _scaled(lin["per_day"], H_SCALE, "per_day"),
            _scaled(lin.get("max", 1), H_SCALE, "max"))
        if self.has_late and (bool(self.steps) == (self.linear is not None)):
            raise ValueError("late_payment needs exactly one of steps or linear")

        bd = raw.get("bad_debt") or {}
        window = bd.get("window_days")
        self.window = None if window is None else int(window)
        self.penalty = _dec(bd.get("penalty_rate", 0))

        po = raw.get("payout") or {}
        unknown = set(po) - {"min_payout", "cap", "carry_forward_negative"}
        if unknown:
            raise ValueError(f"the peer does not implement payout keys {sorted(unknown)}")
        self.min_payout = _scaled(po.get("min_payout", 0), 100, "min_payout")
        cap = po.get("cap")
        self.cap = None if cap is None else _scaled(cap, 100, "cap")
        self.carry_negative = bool(po.get("carry_forward_negative", True))

    @classmethod
    def load(cls, rules_dir: Path, plan_id: str) -> PeerPlan:
        with (Path(rules_dir) / f"{plan_id}.yaml").open(encoding="utf-8") as fh:
            return cls(yaml.load(fh, Loader=_Loader))


# -- exact integer SQL ---------------------------------------------------------------------

def _lit(n: int) -> str:
    """An exact HUGEINT literal (integers beyond BIGINT would otherwise parse as DOUBLE)."""
    return f"CAST('{int(n)}' AS HUGEINT)"


def _round(num_sql: str, den: int, mode: str) -> str:
    """SQL for round(N / den) of a non-negative HUGEINT N, half_up or half_even, exact."""
    d = _lit(den)
    n = f"CAST({num_sql} AS HUGEINT)"
    if mode == "half_up":
        return f"CAST((2 * {n} + {d}) // (2 * {d}) AS BIGINT)"
    q, r = f"({n} // {d})", f"({n} % {d})"
    return (f"CAST({q} + CASE WHEN 2 * {r} > {d} OR (2 * {r} = {d} AND {q} % 2 = 1) "
            f"THEN 1 ELSE 0 END AS BIGINT)")


def _money(cents: str, share: str, ratio: Fraction, mode: str, extra: str = "1") -> str:
    """round(cents × share/SHARE_SCALE × ratio × extra) as SQL (all factors ≥ 0)."""
    num = f"CAST({cents} AS HUGEINT) * {share} * {_lit(ratio.numerator)} * ({extra})"
    return _round(num, SHARE_SCALE * ratio.denominator, mode)


def _cents_text(col: str) -> str:
    """Integer cents as '-123.45' text, exactly (decimal multiplication, no floats)."""
    return f"CAST(CAST(CAST({col} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2)) AS VARCHAR)"


# -- the computation -----------------------------------------------------------------------

def _read(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    for table, types in INPUT_TYPES.items():
        path = data_dir / f"{table}.csv"
        cols = ", ".join(types)
        if not path.exists():
            if table not in OPTIONAL:
                raise FileNotFoundError(f"{path} is missing")
            defs = ", ".join(f"{c} {t}" for c, t in types.items())
            con.execute(f"CREATE TABLE {table} ({defs})")
            continue
        type_map = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
        con.execute(
            f"CREATE TABLE {table} AS SELECT {cols} FROM read_csv(?, header = true, "
            f"delim = ',', quote = '\"', escape = '\"', types = {type_map})",
            [str(path)])
    # part 2 of the contract is not implemented here: refuse rather than differ quietly
    # (plan_assignments are ignored by a what-if run; quotas mean nothing to a flat rate)
    manual = data_dir / "commission_adjustments.csv"
    if manual.exists() and con.execute(
            "SELECT count(*) FROM read_csv(?, header = true, all_varchar = true)",
            [str(manual)]).fetchone()[0]:
        raise ValueError("the peer does not implement commission_adjustments (manual lines)")
    kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM adjustments").fetchall()}
    if kinds - {"credit_note", "discount", "write_off"}:
        raise ValueError(f"the peer does not implement adjustment kinds "
                         f"{sorted(kinds - {'credit_note', 'discount', 'write_off'})}")


def _compute(con: duckdb.DuckDBPyConnection, plan: PeerPlan) -> None:
    """Tables ``lines`` and ``payouts`` from the input tables."""
    _credited(con, plan)
    _late(con, plan)
    _lines(con, plan)
    _payouts(con, plan)


def _credited(con: duckdb.DuckDBPyConnection, plan: PeerPlan) -> None:
    """Every rep credited on every invoice (splits replace invoices.rep_id), share in
    billionths; payments in cents."""
    con.execute(f"""
        CREATE TABLE credited AS
        SELECT i.invoice_id, i.invoice_date,
               coalesce(s.rep_id, i.rep_id) AS rep_id,
               coalesce(CAST(s.share * {SHARE_SCALE} AS BIGINT), {SHARE_SCALE}) AS share_n
        FROM invoices i LEFT JOIN splits s USING (invoice_id)
    """)
    con.execute("""
        CREATE TABLE pay AS
        SELECT payment_id, invoice_id, payment_date,
               CAST(amount * 100 AS BIGINT) AS cents, reverses_payment_id
        FROM payments
    """)


def _late(con: duckdb.DuckDBPyConnection, plan: PeerPlan) -> None:
    """Days late and haircut (over H_SCALE) of each positive payment, one row per payment."""
    clock = plan.clock
    if plan.has_late:
        paused = "0"
        pause_cte = ""
        if plan.pause:
            # each invoice's disputes merged into disjoint [s, e) ranges (gaps and islands);
            # an unresolved dispute runs on (clipped to the payment date below)
            pause_cte = """,
            d AS (SELECT invoice_id, opened_date AS s,
                         coalesce(resolved_date, DATE '9999-12-31') AS e FROM disputes),
            r AS (SELECT *, max(e) OVER (PARTITION BY invoice_id ORDER BY s, e
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                  FROM d),
            g AS (SELECT *, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                            OVER (PARTITION BY invoice_id ORDER BY s, e
                                  ROWS UNBOUNDED PRECEDING) AS island
                  FROM r),
            merged AS (SELECT invoice_id, min(s) AS s, max(e) AS e
                       FROM g GROUP BY invoice_id, island),
            paused AS (
                SELECT q.payment_id,
                       sum(greatest(0, least(m.e, q.payment_date)
                                       - greatest(m.s, q.clock_date))) AS days
                FROM q JOIN merged m USING (invoice_id)
                GROUP BY q.payment_id)"""
            paused = "coalesce(paused.days, 0)"
        join_paused = "LEFT JOIN paused USING (payment_id)" if plan.pause else ""
        if plan.steps:
            h_sql = "CASE " + " ".join(
                f"WHEN days_late > {after} THEN {cut}"
                for after, cut in sorted(plan.steps, reverse=True)) + " ELSE 0 END"
        else:
            start, per_day, top = plan.linear  # type: ignore[misc]
            h_sql = f"least({top}, {per_day} * greatest(0, days_late - {start}))"
        con.execute(f"""
            CREATE TABLE late AS
            WITH q AS (
                SELECT p.payment_id, p.invoice_id, p.payment_date, i.{clock} AS clock_date
                FROM pay p JOIN invoices i USING (invoice_id)
                WHERE p.cents > 0){pause_cte},
            dl AS (
                SELECT q.payment_id,
                       greatest(0, (q.payment_date - q.clock_date) - {paused}
                                   - {plan.grace}) AS days_late
                FROM q {join_paused})
            SELECT payment_id, days_late, CAST({h_sql} AS BIGINT) AS h_n FROM dl
        """)
    else:
        con.execute("""CREATE TABLE late AS SELECT payment_id, CAST(NULL AS BIGINT) AS days_late,
                       CAST(NULL AS BIGINT) AS h_n FROM pay WHERE false""")


def _lines(con: duckdb.DuckDBPyConnection, plan: PeerPlan) -> None:
    """collection, reversal and penalty lines: money in cents, rounded once per figure."""
    mode = plan.rounding
    rate = Fraction(plan.rate)
    cut_ratio = rate / H_SCALE
    gross_c = _money("p.cents", "c.share_n", rate, mode)
    cut_c = _money("p.cents", "c.share_n", cut_ratio, mode, "coalesce(l.h_n, 0)")
    con.execute(f"""
        CREATE TABLE coll AS
        SELECT c.rep_id, p.payment_id AS event_id, p.invoice_id, p.payment_date AS event_date,
               p.cents AS base, c.share_n, l.days_late, l.h_n,
               {gross_c} AS gross, {cut_c} AS haircut
        FROM pay p JOIN credited c USING (invoice_id)
        LEFT JOIN late l USING (payment_id)
        WHERE p.cents > 0
    """)
    # a reversal of x, for every rep credited on its invoice whose share of the reversed
    # payment made a collection line, at that line's rate r₀ (the flat rate) and h₀
    r_gross = _money("-p.cents", "c.share_n", rate, mode)
    r_cut = _money("-p.cents", "c.share_n", cut_ratio, mode, "coalesce(o.h_n, 0)")
    con.execute(f"""
        CREATE TABLE rev AS
        SELECT c.rep_id, p.payment_id AS event_id, p.invoice_id, p.payment_date AS event_date,
               p.cents AS base, o.days_late, o.h_n,
               -{r_gross} AS gross, -{r_cut} AS haircut
        FROM pay p JOIN credited c USING (invoice_id)
        JOIN coll o ON o.event_id = p.reverses_payment_id AND o.rep_id = c.rep_id
        WHERE p.cents < 0
    """)
    # bad debt: basis collected has p = 0, so no credit or clawback line; a write-off
    # within the window makes a penalty line when the plan charges one
    penalty = Fraction(plan.penalty)
    if penalty > 0:
        window = "" if plan.window is None else \
            f"AND a.adjustment_date - c.invoice_date <= {plan.window}"
        pen = _money("CAST(a.amount * 100 AS BIGINT)", "c.share_n", penalty, mode)
        con.execute(f"""
            CREATE TABLE pen AS
            SELECT c.rep_id, a.adjustment_id AS event_id, a.invoice_id,
                   a.adjustment_date AS event_date, CAST(a.amount * 100 AS BIGINT) AS base,
                   -{pen} AS gross
            FROM adjustments a JOIN credited c USING (invoice_id)
            WHERE a.kind = 'write_off' {window}
        """)
    else:
        con.execute("""CREATE TABLE pen (rep_id VARCHAR, event_id VARCHAR, invoice_id VARCHAR,
                       event_date DATE, base BIGINT, gross BIGINT)""")

    con.execute("""
        CREATE TABLE lines AS
        SELECT 1 AS k, 'collection' AS line_kind, rep_id, event_id, invoice_id, event_date,
               base, days_late, h_n, gross, haircut FROM coll
        UNION ALL
        SELECT 2, 'reversal', rep_id, event_id, invoice_id, event_date, base, days_late, h_n,
               gross, haircut FROM rev
        UNION ALL
        SELECT 3, 'penalty', rep_id, event_id, invoice_id, event_date, base, NULL, NULL,
               gross, 0 FROM pen
    """)


def _payouts(con: duckdb.DuckDBPyConnection, plan: PeerPlan) -> None:
    """Every rep in every month from the first event's to the last's, carry month to month."""
    cap = "NULL" if plan.cap is None else str(plan.cap)

    def carry(balance: str) -> str:
        """carry_out of a balance: negative (if carried) or below min_payout, else 0."""
        negative = f"({balance})" if plan.carry_negative else "0"
        return (f"CAST(CASE WHEN ({balance}) < 0 THEN {negative} "
                f"WHEN ({balance}) < {plan.min_payout} THEN ({balance}) ELSE 0 END AS BIGINT)")

    con.execute(f"""
        CREATE TABLE payouts AS
        WITH RECURSIVE
        bounds AS (
            SELECT CAST(date_trunc('month', min(d)) AS TIMESTAMP) AS lo,
                   CAST(date_trunc('month', max(d)) AS TIMESTAMP) AS hi
            FROM (SELECT invoice_date AS d FROM invoices
                  UNION ALL SELECT payment_date FROM payments
                  UNION ALL SELECT adjustment_date FROM adjustments)),
        months AS (
            SELECT CAST(m AS DATE) AS month, row_number() OVER (ORDER BY m) - 1 AS i
            FROM bounds, range(bounds.lo, bounds.hi + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)),
        totals AS (
            SELECT CAST(date_trunc('month', event_date) AS DATE) AS month, rep_id,
                   sum(CASE WHEN k = 1 THEN gross ELSE 0 END) AS gross,
                   sum(CASE WHEN k = 1 THEN haircut ELSE 0 END) AS haircuts,
                   -sum(CASE WHEN k <> 1 THEN gross - haircut ELSE 0 END) AS clawbacks
            FROM lines GROUP BY ALL),
        grid AS (
            SELECT m.i, m.month, r.rep_id,
                   CAST(coalesce(t.gross, 0) AS BIGINT) AS gross,
                   CAST(coalesce(t.haircuts, 0) AS BIGINT) AS haircuts,
                   CAST(coalesce(t.clawbacks, 0) AS BIGINT) AS clawbacks
            FROM months m CROSS JOIN reps r
            LEFT JOIN totals t ON t.month = m.month AND t.rep_id = r.rep_id),
        net AS (SELECT *, gross - haircuts - clawbacks AS net FROM grid),
        run(i, rep_id, carry_in, balance, carry_out) AS (
            SELECT i, rep_id, CAST(0 AS BIGINT), net, {carry("net")} FROM net WHERE i = 0
            UNION ALL
            SELECT n.i, n.rep_id, c.carry_out, n.net + c.carry_out,
                   {carry("n.net + c.carry_out")}
            FROM run c JOIN net n ON n.i = c.i + 1 AND n.rep_id = c.rep_id)
        SELECT n.month, n.rep_id, n.gross, n.haircuts, n.clawbacks, n.net, r.carry_in,
               CASE WHEN r.balance < 0 OR r.balance < {plan.min_payout} THEN 0
                    ELSE least(r.balance, coalesce({cap}, r.balance)) END AS payout,
               r.carry_out
        FROM net n JOIN run r USING (i, rep_id)
    """)


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write(con: duckdb.DuckDBPyConnection, plan: PeerPlan, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rate = _text(plan.rate)
    pen = _text(plan.penalty)
    h_text = ("CASE WHEN h_n IS NULL THEN NULL ELSE rtrim(rtrim(CAST(CAST("
              "CAST(h_n AS DECIMAL(18,0)) * 0.000000001 AS DECIMAL(19,9)) AS VARCHAR), '0'), "
              "'.') END")
    con.execute(f"""
        COPY (
            SELECT strftime(event_date, '%Y-%m') AS period, rep_id,
                   '{plan.id}' AS plan_id, line_kind, event_id, invoice_id,
                   strftime(event_date, '%Y-%m-%d') AS event_date,
                   {_cents_text("base")} AS base_amount,
                   CASE WHEN k = 3 THEN '{pen}' ELSE '{rate}' END AS rate,
                   days_late, {h_text} AS haircut_pct,
                   {_cents_text("gross")} AS gross, {_cents_text("haircut")} AS haircut,
                   {_cents_text("gross - haircut")} AS amount
            FROM lines ORDER BY period, rep_id, k, event_id
        ) TO {_sql_path(out_dir / "lines.csv")} (HEADER, DELIMITER ',')
    """)
    money = ", ".join(f"{_cents_text(c)} AS {c}" for c in PAYOUT_COLUMNS[3:])
    con.execute(f"""
        COPY (
            SELECT strftime(month, '%Y-%m') AS period, rep_id, '{plan.id}' AS plan_id, {money}
            FROM payouts ORDER BY period, rep_id
        ) TO {_sql_path(out_dir / "payouts.csv")} (HEADER, DELIMITER ',')
    """)


def run_peer(data_dir: Path, out_dir: Path, plan_id: str = DEFAULT_PLAN,
             rules_dir: Path | None = None, threads: int | None = None) -> dict[str, float]:
    """Compute ``lines.csv`` and ``payouts.csv`` for ``plan_id`` applied to every rep.

    Returns wall-clock seconds per phase (read, compute, write, total) and row counts.
    """
    t0 = time.perf_counter()
    plan = PeerPlan.load(rules_dir or ROOT / "rules", plan_id)
    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _read(con, Path(data_dir))
        t1 = time.perf_counter()
        _compute(con, plan)
        t2 = time.perf_counter()
        _write(con, plan, Path(out_dir))
        t3 = time.perf_counter()
        n_lines = con.execute("SELECT count(*) FROM lines").fetchone()[0]
        n_payouts = con.execute("SELECT count(*) FROM payouts").fetchone()[0]
    finally:
        con.close()
    return {"read": t1 - t0, "compute": t2 - t1, "write": t3 - t2, "total": t3 - t0,
            "lines": n_lines, "payouts": n_payouts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of input CSV files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the two CSV files")
    parser.add_argument("--plan", default=DEFAULT_PLAN, help="plan id applied to every rep")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="folder of plans")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    args = parser.parse_args(argv)
    t = run_peer(args.data, args.out, args.plan, args.rules, args.threads)
    print(f"{t['lines']:,} lines, {t['payouts']:,} payouts, written to {args.out}/")
    print(" ".join(f"{k} {t[k]:.2f}s" for k in ("read", "compute", "write", "total")),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

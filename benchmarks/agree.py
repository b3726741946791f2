"""Do two result folders agree to the cent? ``python benchmarks/agree.py OURS_DIR PEER_DIR``

:func:`compare_outputs` matches every line of ``lines.csv`` on (period, rep_id,
line_kind, event_id) and every row of ``payouts.csv`` on (period, rep_id), and
reports each line or payout missing on one side, each key that is not unique,
and each figure that differs: a line's gross, haircut, amount, base_amount,
days_late and invoice_id; every money column of a payout. Money is compared as
integer cents parsed from the decimal text, so '10.10' and '10.1' agree and
formatting (quoting, column order, extra columns) does not matter.

It uses DuckDB to join millions of rows in seconds; nothing here is shared with
either implementation being compared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

LINE_KEY = ("period", "rep_id", "line_kind", "event_id")
LINE_MONEY = ("base_amount", "gross", "haircut", "amount")
LINE_OTHER = ("invoice_id", "days_late")
PAYOUT_KEY = ("period", "rep_id")
PAYOUT_MONEY = ("gross", "haircuts", "clawbacks", "net", "carry_in", "payout", "carry_out")


def _cents(col: str) -> str:
    # exact: decimal text -> DECIMAL(18,2) -> cents; a malformed figure fails loudly
    return f"CAST(CAST({col} AS DECIMAL(18,2)) * 100 AS BIGINT)"


def _load(con: duckdb.DuckDBPyConnection, name: str, path: Path, key: tuple[str, ...],
          money: tuple[str, ...], other: tuple[str, ...]) -> None:
    cols = [*(f"{c}" for c in key), *(f"{_cents(c)} AS {c}" for c in money),
            *(f"{c}" for c in other)]
    con.execute(f"CREATE TABLE {name} AS SELECT {', '.join(cols)} FROM read_csv(?, "
                "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')",
                [str(path)])


def _fmt(cents: int | None) -> str:
    if cents is None:
        return "(none)"
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def _compare(con: duckdb.DuckDBPyConnection, what: str, key: tuple[str, ...],
             money: tuple[str, ...], other: tuple[str, ...], limit: int) -> list[str]:
    problems: list[str] = []
    k = ", ".join(key)
    for side in ("ours", "peer"):
        dup = con.execute(f"SELECT {k}, count(*) FROM {what}_{side} GROUP BY ALL "
                          f"HAVING count(*) > 1 ORDER BY ALL").fetchall()
        if dup:
            problems.append(f"{what}: {len(dup):,} keys repeated in {side}, e.g. "
                            + "; ".join(" ".join(map(str, r[:-1])) for r in dup[:limit]))
    on = " AND ".join(f"o.{c} = p.{c}" for c in key)
    for side, present, absent in (("ours", "o", "p"), ("peer", "p", "o")):
        only = con.execute(
            f"SELECT {', '.join(f'{present}.{c}' for c in key)} FROM {what}_ours o "
            f"FULL JOIN {what}_peer p ON {on} WHERE {absent}.{key[0]} IS NULL "
            f"ORDER BY ALL").fetchall()
        if only:
            problems.append(f"{what}: {len(only):,} only in {side}, e.g. "
                            + "; ".join(" ".join(map(str, r)) for r in only[:limit]))
    fields = [*money, *other]
    differs = " OR ".join(
        f"o.{c} IS DISTINCT FROM p.{c}" if c in money else
        f"nullif(trim(o.{c}), '') IS DISTINCT FROM nullif(trim(p.{c}), '')"
        for c in fields)
    cols = ", ".join(f"o.{c}, p.{c}" for c in fields)
    rows = con.execute(f"SELECT {', '.join(f'o.{c}' for c in key)}, {cols} "
                       f"FROM {what}_ours o JOIN {what}_peer p ON {on} WHERE {differs} "
                       f"ORDER BY ALL").fetchall()
    if rows:
        examples = []
        for r in rows[:limit]:
            vals = r[len(key):]
            diffs = []
            for i, c in enumerate(fields):
                a, b = vals[2 * i], vals[2 * i + 1]
                if c in money and a != b:
                    diffs.append(f"{c} ours {_fmt(a)} peer {_fmt(b)}")
                elif c not in money and (a or None) != (b or None):
                    diffs.append(f"{c} ours {a!r} peer {b!r}")
            examples.append(f"{' '.join(map(str, r[:len(key)]))}: {', '.join(diffs)}")
        problems.append(f"{what}: {len(rows):,} differ, e.g. " + "; ".join(examples))
    return problems


def compare_outputs(ours_dir: Path | str, peer_dir: Path | str, limit: int = 5) -> list[str]:
    """Every difference between two result folders; an empty list means they agree."""
    con = duckdb.connect(":memory:")
    try:
        for side, folder in (("ours", Path(ours_dir)), ("peer", Path(peer_dir))):
            _load(con, f"lines_{side}", folder / "lines.csv", LINE_KEY, LINE_MONEY, LINE_OTHER)
            _load(con, f"payouts_{side}", folder / "payouts.csv", PAYOUT_KEY, PAYOUT_MONEY, ())
        problems = _compare(con, "lines", LINE_KEY, LINE_MONEY, LINE_OTHER, limit)
        problems += _compare(con, "payouts", PAYOUT_KEY, PAYOUT_MONEY, (), limit)
        if not problems:  # belt and braces: the grand totals, and the row counts
            for what, col in (("lines", "amount"), ("payouts", "payout")):
                a, b = (con.execute(f"SELECT count(*), sum({col}) FROM {what}_{s}").fetchone()
                        for s in ("ours", "peer"))
                if a != b:
                    problems.append(f"{what}: count/total of {col} ours {a} peer {b}")
    finally:
        con.close()
    return problems


def counts(folder: Path | str) -> dict[str, int]:
    """Rows of lines.csv and payouts.csv (for reports)."""
    con = duckdb.connect(":memory:")
    try:
        return {name: con.execute("SELECT count(*) FROM read_csv(?, header = true, "
                                  "all_varchar = true)", [str(Path(folder) / f"{name}.csv")]
                                  ).fetchone()[0] for name in ("lines", "payouts")}
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    problems = compare_outputs(*args, limit=10)
    for p in problems:
        print(p)
    if not problems:
        n = counts(args[0])
        print(f"agree: {n['lines']:,} lines and {n['payouts']:,} payouts, to the cent")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every benchmark of issue 14 in one run: `python benchmarks/run.py [--only ...] [--all]`.

Sections (``--only`` takes a comma-separated list; the default is all but the long
``partitioned``, which ``--all`` adds):

- ``peer``: ``commission calculate --plan collected-40day`` against the DuckDB SQL
  peer (benchmarks/peer_duckdb.py), alternating, on part-1 data (the peer refuses
  part 2), then checked to agree to the cent on every line and payout;
- ``calculate``: ``commission calculate`` with every rep on their own plan (the
  shipped plans), with its phases (read, validate, compute, write);
- ``whatif``: ``reports.compare.compare`` of the four part-1 plans (what the
  Compare page runs), at each ``--whatif-invoices`` size;
- ``store``: each store command on SQLite and PostgreSQL (benchmarks/store_bench.py);
- ``partitioned``: ``commission calculate --workers N`` on ``--partitioned-invoices``
  (10M by default), its peak memory summed over the driver and every worker, and,
  with ``--check-partitioned``, byte-compared with the one-process files.

Data sets are generated with ``commission sample`` into benchmarks/data-N-SEED[-part1]/
and kept for re-runs. Every command runs in a fresh process through the command line
or public functions, so faster code shows here unchanged. Prints a Markdown table:
median and spread (min-max) over ``--repeats``, peak memory, and the load average
(the machine may be shared).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import signal
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import OURS, ROOT, Run, compile_checkout, load_average, measure  # noqa: E402

SECTIONS = ("peer", "calculate", "whatif", "store", "partitioned")
DEFAULT_SECTIONS = ("peer", "calculate", "whatif", "store")
PEER_PLAN = "collected-40day"
WHATIF_PLANS = ("collected-40day", "collected-stepped", "invoiced-traditional",
                "advance-marginal")
WHATIF = """
import sys, time
from commission.allocator import prefer_jemalloc, small_pages_for_numpy
prefer_jemalloc()  # as the app does
small_pages_for_numpy()
from commission import load_plans
from commission.inputs.reading import read_inputs
from commission.reports.compare import compare, data_periods
plans, _, _ = load_plans(sys.argv[2])
inputs, problems = read_inputs(sys.argv[1], plans.keys(), plans)
assert not problems, problems[:3]
periods = data_periods(inputs)
t0 = time.perf_counter()
compare(inputs, plans, sys.argv[3].split(","), periods[0], periods[-1])
print(f"COMPARE_S={time.perf_counter() - t0:.3f}")
"""


@dataclass
class Row:
    """One line of the table: a measurement repeated."""

    what: str
    size: str
    runs: list[Run] = field(default_factory=list)
    target: str = ""
    seconds: list[float] | None = None  # when the time is not the process's wall time

    def cells(self) -> str:
        times = self.seconds if self.seconds is not None else [r.wall for r in self.runs]
        peak = max((r.peak_mb for r in self.runs), default=0.0)
        med = statistics.median(times)
        return (f"| {self.what} | {self.size} | {med:.2f} | {min(times):.2f}–{max(times):.2f} "
                f"| {len(times)} | {peak:,.0f} | {self.target} |")


DATA_DIR = HERE


def data_set(n: int, seed: int, part1: bool = False) -> Path:
    """benchmarks/data-N-SEED[-part1]/ (or under ``--data-dir``), generated once."""
    path = DATA_DIR / f"data-{n}-{seed}{'-part1' if part1 else ''}"
    if not (path / "invoices.csv").exists():
        run = measure([*OURS, "sample", "--out", str(path), "--invoices", str(n), "--seed",
                       str(seed), *(["--part1-only"] if part1 else [])])
        print(f"  generated {path.name} in {run.wall:.1f} s (peak {run.peak_mb:,.0f} MB)",
              flush=True)
    return path


def _size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def peer(args: argparse.Namespace) -> list[Row]:
    """Ours and the DuckDB peer alternating, then the agreement check."""
    from agree import compare_outputs

    data = data_set(args.invoices, args.seed, part1=True)
    rows = {"ours": Row(f"ours: `calculate --plan {PEER_PLAN}`", _size(args.invoices),
                        target="≤ peer"),
            "peer": Row("peer: DuckDB SQL (benchmarks/peer_duckdb.py)", _size(args.invoices))}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {w: Path(tmp) / w for w in rows}
        cmds = {"ours": [*OURS, "calculate", "--data", str(data), "--rules", str(ROOT / "rules"),
                         "--out", str(outs["ours"]), "--plan", PEER_PLAN, "--quiet"],
                "peer": [sys.executable, str(HERE / "peer_duckdb.py"), "--data", str(data),
                         "--out", str(outs["peer"]), "--plan", PEER_PLAN]}
        for i in range(args.repeats):
            for who in ("ours", "peer"):
                rows[who].runs.append(measure(cmds[who]))
                print(f"  peer run {i + 1} {who}: {rows[who].runs[-1].wall:.1f} s", flush=True)
        problems = compare_outputs(outs["ours"], outs["peer"], limit=10)
    if problems:
        sys.exit("ours and the peer DISAGREE:\n" + "\n".join(problems))
    print("  ours and the peer agree to the cent on every line and payout", flush=True)
    ratio = (statistics.median(r.wall for r in rows["ours"].runs)
             / statistics.median(r.wall for r in rows["peer"].runs))
    rows["ours"].what += f" (ours/peer {ratio:.2f})"
    return list(rows.values())


def calculate(args: argparse.Namespace) -> list[Row]:
    data = data_set(args.invoices, args.seed)
    row = Row("`calculate`, every rep on their own plan (end to end)", _size(args.invoices),
              target="≤ 6 s, ≤ 2 GB at 1M")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            row.runs.append(measure([*OURS, "calculate", "--data", str(data), "--rules",
                                     str(ROOT / "rules"), "--out", tmp, "--quiet",
                                     "--timings"]))
            print(f"  calculate run {i + 1}: {row.runs[-1].wall:.1f} s "
                  f"({row.runs[-1].err.strip()})", flush=True)
    return [row]


def whatif(args: argparse.Namespace) -> list[Row]:
    rows = []
    for n in args.whatif_invoices:
        data = data_set(n, args.seed)
        total = Row("what-if, 4 plans: read + validate + compare", _size(n))
        inner = Row("what-if, 4 plans: `compare` alone", _size(n),
                    target="≤ 0.5 s at 100k, ≤ 5 s at 1M", seconds=[])
        for i in range(args.repeats):
            run = measure([sys.executable, "-c", WHATIF, str(data), str(ROOT / "rules"),
                           ",".join(WHATIF_PLANS)])
            total.runs.append(run)
            inner.runs.append(run)
            assert inner.seconds is not None
            inner.seconds.append(float(run.out.split("COMPARE_S=")[1]))
            print(f"  what-if {_size(n)} run {i + 1}: compare {inner.seconds[-1]:.2f} s, "
                  f"process {run.wall:.1f} s", flush=True)
        rows += [inner, total]
    return rows


def store(args: argparse.Namespace) -> list[Row]:
    from store_bench import STEPS, store_runs

    data = data_set(args.invoices, args.seed)
    runs = store_runs(data, args.backends, args.repeats)
    return [Row(f"{backend}: `{step}`", _size(args.invoices), runs=runs[backend][step])
            for backend in runs for step in STEPS]


def partitioned(args: argparse.Namespace) -> list[Row]:
    n = args.partitioned_invoices
    data = data_set(n, args.seed)
    row = Row(f"`calculate --workers {args.workers}` (driver + workers)", _size(n),
              target="≤ 8 GB peak at 10M")
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        for i in range(args.repeats):
            row.runs.append(measure([*OURS, "calculate", "--data", str(data), "--rules",
                                     str(ROOT / "rules"), "--out", f"{tmp}/many", "--quiet",
                                     "--workers", str(args.workers)]))
            print(f"  partitioned run {i + 1}: {row.runs[-1].wall:.1f} s, peak "
                  f"{row.runs[-1].peak_mb:,.0f} MB ({row.runs[-1].out.strip()})", flush=True)
        rows = [row]
        if args.check_partitioned:
            one = Row("`calculate`, one process (the comparison)", _size(n))
            one.runs.append(measure([*OURS, "calculate", "--data", str(data), "--rules",
                                     str(ROOT / "rules"), "--out", f"{tmp}/one", "--quiet"]))
            same = all(filecmp.cmp(f"{tmp}/one/{f}", f"{tmp}/many/{f}", shallow=False)
                       for f in ("lines.csv", "payouts.csv"))
            print(f"  partitioned files {'ARE' if same else 'are NOT'} byte-identical to the "
                  "one-process files", flush=True)
            one.what += " — files byte-identical" if same else " — FILES DIFFER"
            rows.append(one)
    return rows


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    p.add_argument("--all", action="store_true", help="every section, partitioned included")
    p.add_argument("--invoices", type=int, default=1_000_000,
                   help="size for peer, calculate and store (default 1,000,000)")
    p.add_argument("--whatif-invoices", default="100000,1000000",
                   help="comma-separated sizes for what-if (default 100000,1000000)")
    p.add_argument("--partitioned-invoices", type=int, default=10_000_000)
    p.add_argument("--workers", type=int, default=2, help="Dask workers (partitioned)")
    p.add_argument("--check-partitioned", action="store_true",
                   help="also run one process and compare the files byte for byte")
    p.add_argument("--scratch", help="folder for the partitioned run's output (large)")
    p.add_argument("--backends", default="sqlite,postgres", help="store backends")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--data-dir", type=Path, default=HERE,
                   help="where generated data sets are kept (default: benchmarks/)")
    args = p.parse_args(argv)
    chosen = (SECTIONS if args.all else
              tuple(s.strip() for s in args.only.split(",")) if args.only else DEFAULT_SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) {', '.join(sorted(unknown))}")
    args.sections = chosen
    args.whatif_invoices = [int(v) for v in args.whatif_invoices.split(",")]
    args.backends = [b.strip() for b in args.backends.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    global DATA_DIR
    # a terminated run still stops its throwaway PostgreSQL (the `finally` blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = _args(argv)
    DATA_DIR = args.data_dir
    compile_checkout()  # measured as installed: no module compiled from source per start
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average at start {load_average()}", flush=True)
    rows: list[Row] = []
    for section in SECTIONS:
        if section in args.sections:
            print(f"{section} ...", flush=True)
            rows += globals()[section](args)
    print(f"\nload average at the end: {load_average()} (1, 5, 15 min; "
          f"{os.cpu_count()} cores)\n")
    print("| benchmark | invoices | median s | min–max s | runs | peak MB | target |")
    print("|---|---|---:|---:|---:|---:|---|")
    for row in rows:
        print(row.cells())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ours against the DuckDB peer: `python benchmarks/vs_peer.py [--invoices N] [--runs 3]`.

Uses (or generates, as benchmarks/run.py does) benchmarks/data-N-SEED/, then
times `commission calculate --plan collected-40day` and `peer_duckdb.py` end to
end (read, compute, write), each in a fresh process, alternating ours and the
peer so that a busy machine weighs on both alike. Checks that the two agree to
the cent on every line and payout (benchmarks/agree.py) and prints a Markdown
table of wall time and peak memory per run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from agree import compare_outputs, counts  # noqa: E402

PLAN = "collected-40day"
WRAPPER = ("import resource, subprocess, sys; "
           "r = subprocess.run(sys.argv[1:]); "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(f'PEAK_KB={u.ru_maxrss} CPU_S={u.ru_utime + u.ru_stime}', file=sys.stderr); "
           "sys.exit(r.returncode)")


def timed(args: list[str]) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, peak RSS in MB, phase seconds) of one command in a fresh process.

    The phases are the command's own (``--timings``), plus ``cpu``: user + system
    seconds of the process and its threads, which a busy machine inflates less.
    """
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    peak = int(re.search(r"PEAK_KB=(\d+)", proc.stderr).group(1)) / 1024
    phases = {k: float(v) for k, v in re.findall(r"(\w+) ([0-9.]+)s\b", proc.stderr)}
    phases["cpu"] = float(re.search(r"CPU_S=([0-9.]+)", proc.stderr).group(1))
    return wall, peak, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ours", default=None,
                        help="command that runs ours (default: the `commission` script)")
    args = parser.parse_args()

    ours = shlex.split(args.ours) if args.ours else [
        shutil.which("commission") or str(Path(sys.executable).with_name("commission"))]
    # part 1 of the contract only, as benchmarks/run.py: the peer refuses part-2 inputs
    data = HERE / f"data-{args.invoices}-{args.seed}-part1"
    if not (data / "invoices.csv").exists():
        wall, _, _ = timed([*ours, "sample", "--out", str(data), "--invoices",
                         str(args.invoices), "--seed", str(args.seed), "--part1-only"])
        print(f"generated {data.name} in {wall:.1f} s")

    results: dict[str, list[tuple[float, float, dict[str, float]]]] = {"ours": [], "peer": []}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {"ours": Path(tmp) / "ours", "peer": Path(tmp) / "peer"}
        commands = {
            "ours": [*ours, "calculate", "--data", str(data), "--rules", str(ROOT / "rules"),
                     "--out", str(outs["ours"]), "--plan", PLAN, "--quiet", "--timings"],
            "peer": [sys.executable, str(HERE / "peer_duckdb.py"), "--data", str(data),
                     "--out", str(outs["peer"]), "--plan", PLAN],
        }
        for i in range(args.runs):
            for who in ("ours", "peer"):
                shutil.rmtree(outs[who], ignore_errors=True)
                results[who].append(timed(commands[who]))
                wall, peak, phases = results[who][-1]
                print(f"run {i + 1} {who}: {wall:.1f} s, peak {peak:,.0f} MB; "
                      + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()), flush=True)
        t0 = time.perf_counter()
        problems = compare_outputs(outs["ours"], outs["peer"], limit=10)
        check = time.perf_counter() - t0
        n = counts(outs["ours"])

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; data {data.name}, plan {PLAN}")
    print(f"{n['lines']:,} lines, {n['payouts']:,} payouts\n")
    runs = " | ".join(f"run {i + 1}" for i in range(args.runs))
    print(f"| end to end, wall (s) | {runs} | median | median CPU (s) | peak MB |")
    print("|---|" + "---:|" * (args.runs + 3))
    for who, label in (("ours", "ours: `commission calculate`"),
                       ("peer", "peer: DuckDB SQL")):
        walls = [r[0] for r in results[who]]
        peak = max(r[1] for r in results[who])
        cpu = statistics.median(r[2]["cpu"] for r in results[who])
        print(f"| {label} | " + " | ".join(f"{w:.1f}" for w in walls)
              + f" | {statistics.median(walls):.1f} | {cpu:.1f} | {peak:,.0f} |")
    print("\n| median phase (s) | read | validate | compute | write |\n|---|---:|---:|---:|---:|")
    for who in ("ours", "peer"):
        cells = []
        for phase in ("read", "validate", "compute", "write"):
            got = [r[2][phase] for r in results[who] if phase in r[2]]
            cells.append(f"{statistics.median(got):.1f}" if got else "-")
        print(f"| {who} | " + " | ".join(cells) + " |")
    if problems:
        print("\nDISAGREE:\n" + "\n".join(problems))
        sys.exit(1)
    print(f"\nagreement: every line and payout to the cent (checked in {check:.1f} s)")


if __name__ == "__main__":
    main()

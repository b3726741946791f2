"""Speed and memory at scale: `python benchmarks/run.py [--invoices N]`.

Generates a data set with `commission sample` (kept in benchmarks/data-N/ for
re-runs), then times `commission calculate` end to end in a fresh process,
with its phases (read, validate, compute, write) and the process's peak memory.
With `--load`, also times `commission load` into a fresh SQLite database.
Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stderr) of one command in a fresh process.

    The peak is the process's own, read by a tiny wrapper with ``resource`` after
    the command exits, so one measurement never includes another's.
    """
    wrapper = ("import resource, subprocess, sys; "
               "r = subprocess.run(sys.argv[1:]); "
               "print(f'PEAK_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', "
               "file=sys.stderr); sys.exit(r.returncode)")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    peak = int(re.search(r"PEAK_KB=(\d+)", proc.stderr).group(1)) / 1024
    return wall, peak, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", action="store_true", help="also time loading into SQLite")
    args = parser.parse_args()

    exe = shutil.which("commission") or str(Path(sys.executable).with_name("commission"))
    data = ROOT / "benchmarks" / f"data-{args.invoices}-{args.seed}"
    if not (data / "invoices.csv").exists():
        wall, peak, _ = _run([exe, "sample", "--out", str(data), "--invoices",
                              str(args.invoices), "--seed", str(args.seed)])
        print(f"generated {data.name} in {wall:.1f} s (peak {peak:,.0f} MB)")
    sizes = {}
    for p in sorted(data.glob("*.csv")):
        with p.open("rb") as fh:
            sizes[p.stem] = sum(1 for _ in fh) - 1

    with tempfile.TemporaryDirectory() as out:
        wall, peak, err = _run([exe, "calculate", "--data", str(data), "--rules", "rules",
                                "--out", out, "--quiet", "--timings"])
        phases = dict(re.findall(r"(\w+) ([0-9.]+)s", err))
        with open(Path(out) / "lines.csv", "rb") as fh:
            lines = sum(1 for _ in fh) - 1

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    print(f"data: {sizes.get('invoices', 0):,} invoices, {sizes.get('payments', 0):,} payments,"
          f" {sizes.get('adjustments', 0):,} adjustments, {sizes.get('reps', 0):,} reps; "
          f"{lines:,} lines written\n")
    print("| phase | seconds |\n|---|---:|")
    for name in ("read", "validate", "compute", "write"):
        print(f"| {name} | {float(phases.get(name, 'nan')):.1f} |")
    print(f"| **calculate, end to end (process wall time)** | **{wall:.1f}** |")
    print(f"\npeak memory (max RSS): {peak:,.0f} MB")

    if args.load:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "COMMISSION_DB": f"sqlite:///{tmp}/bench.db"}
            wall, peak, _ = _run([exe, "load", "--data", str(data), "--rules", "rules"],
                                 env=env)
            print(f"\nload into SQLite: {wall:.1f} s wall, peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()

"""Timing one command in a fresh process, with the peak memory of its whole process tree.

Shared by the benchmark sections (benchmarks/run.py). The peak is the largest sum of
resident memory over the process and all its descendants (a Dask cluster's workers
and nanny included), sampled every 50 ms with psutil, so a short spike between two
samples can be missed; for a single process it is also checked against the
kernel's own high-water mark (``ru_maxrss`` of the children), whichever is larger.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: `commission ...` run from this checkout, whatever is installed, as the console
#: script runs it (an older checkout without ``run``: its ``main``)
OURS = [sys.executable, "-c",
        "import sys, commission.cli.parser as p; "
        "p.run() if hasattr(p, 'run') else sys.exit(p.main())"]


@dataclass
class Run:
    wall: float  # seconds
    peak_mb: float  # the process tree's largest resident memory, MB
    out: str
    err: str


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def env_with_checkout(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with this checkout first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


def compile_checkout() -> None:
    """This checkout's modules compiled to bytecode once, as an installed program has them.

    ``pip install`` compiles a package's modules, and Python caches what it imports;
    where ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machines) an
    uncompiled checkout is compiled from source at every start instead: about 0.4 s of
    every store command, which no installed ``commission`` pays.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "commission")],
                   check=True, stdout=subprocess.DEVNULL)


def measure(args: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run ``args`` once; its wall time and the peak memory of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = psutil.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        cwd=ROOT, env=env or env_with_checkout())
    peak = 0
    out_parts: list[str] = []
    while True:
        try:
            out, err = proc.communicate(timeout=0.05)
            out_parts.append(out)
            break
        except subprocess.TimeoutExpired:
            peak = max(peak, _tree_rss(proc))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after > before:  # the kernel's high-water mark of one child (KB)
        peak = max(peak, after * 1024)
    if check and proc.returncode != 0:
        sys.exit(f"{shlex.join(args)} failed ({proc.returncode}):\n{out}\n{err}")
    return Run(wall, peak / 2**20, "".join(out_parts), err)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"

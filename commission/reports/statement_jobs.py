"""Every statement of a batch, generated in the background with progress, into one ZIP.

Why: printing a batch's statements one by one inside a page blocked it for minutes
(40 PDFs took 181 s; a long batch's HTML never arrived). Here:

- the batch is read once (:func:`commission.access.statement_sources`, the access
  layer: only the reps the person may see), and what every rep's statement shares
  (open invoices, aging as of the day) is computed once
  (:func:`commission.reports.statement.shared_frames`);
- each rep's statement data is then cheap and made in the calling process; PDFs,
  the slow part (WeasyPrint lays out every page), are printed by a pool of worker
  processes that receive only the plain statement data (``spawn``: safe from a
  threaded server) and keep their template and fonts between statements;
- a :class:`Job` runs all this on a thread of its own and records its progress,
  which a page polls (``st.fragment(run_every=...)``) and the CLI prints
  (``commission statements --batch N --out FILE.zip``).

Statements are written to a temporary file and moved into place at the end: a
failed or half-done job never leaves a ZIP that looks complete.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from commission.files import file_part
from commission.reports.statement import (
    period_bounds,
    render_statement_html,
    render_statement_pdf,
    shared_frames,
    statement_data,
)

FORMATS = ("html", "pdf")
#: worker processes for PDFs (each takes one core while it lays out a statement)
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))

Progress = Callable[[int, int], None]  # (done, total)


def statement_name(rep_id: str, period: str, fmt: str) -> str:
    """The file name of a rep's statement inside the ZIP (the id made safe: no ``../``)."""
    return f"statement_{file_part(rep_id)}_{file_part(period)}.{fmt}"


def _print_pdf(data: dict[str, Any]) -> bytes:
    """In a worker process: one statement's PDF (template and fonts stay loaded)."""
    return render_statement_pdf(data)


def generate(sources: Any, fmt: str, out: str | Path, *, as_of: dt.date | str | None = None,
             workers: int | None = None, progress: Progress | None = None) -> int:
    """Write the statement of every rep in ``sources`` into the ZIP ``out``; how many.

    ``sources``: :class:`commission.access.StatementSources` (read through the access
    layer). ``as_of`` dates the open invoices (default: the end of the batch's period).
    ``progress(done, total)`` is called after each statement.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    period = sources.summary.period
    day = as_of or period_bounds(period)[1]
    reps = sources.reps
    shared = shared_frames(sources.lines, sources.inputs, sources.plans, day)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")
    done = 0

    def made(name: str, body: bytes | str, zf: zipfile.ZipFile) -> None:
        nonlocal done
        zf.writestr(name, body)
        done += 1
        if progress is not None:
            progress(done, len(reps))

    def data_of(rep_id: str) -> dict[str, Any]:
        return statement_data(rep_id, period, sources.lines, sources.payouts, sources.inputs,
                              sources.plans, shared, batch_id=sources.summary.batch_id)

    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            if progress is not None:
                progress(0, len(reps))
            if fmt == "html":
                for rep_id in reps:
                    made(statement_name(rep_id, period, fmt), render_statement_html(
                        data_of(rep_id)), zf)
            else:
                _print_all(reps, period, data_of, lambda n, b: made(n, b, zf), workers)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return done


def _print_all(reps: list[str], period: str, data_of: Callable[[str], dict[str, Any]],
               made: Callable[[str, bytes], None], workers: int | None) -> None:
    """PDFs of every rep, printed by worker processes while the next data is made."""
    n = max(1, min(workers or DEFAULT_WORKERS, len(reps) or 1))
    if n == 1:  # one core: no pool to start
        for rep_id in reps:
            made(statement_name(rep_id, period, "pdf"), _print_pdf(data_of(rep_id)))
        return
    with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
        pending: list[tuple[str, Future[bytes]]] = []
        for rep_id in reps:
            pending.append((rep_id, pool.submit(_print_pdf, data_of(rep_id))))
        for rep_id, future in pending:  # in rep order, so the ZIP is in a stable order
            made(statement_name(rep_id, period, "pdf"), future.result())


# ----------------------------------------------------------------------------- jobs


@dataclass
class Job:
    """One background generation: what, how far, and the finished ZIP."""

    job_id: str
    batch_id: int
    fmt: str
    out: Path
    owner: str  # the email of who started it: only they see it
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    total: int = 0
    status: str = "reading"  # reading, printing, done, failed
    error: str = ""
    seconds: float = 0.0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def text(self) -> str:
        """Where the job is, in words."""
        if self.status == "reading":
            return "Reading the batch..."
        if self.status == "failed":
            return f"Failed: {self.error}"
        verb = "Made" if self.status == "done" else "Making"
        tail = f" in {self.seconds:.0f} s" if self.status == "done" else ""
        return f"{verb} {self.done} of {self.total} {self.fmt.upper()} statements{tail}"


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def start(read: Callable[[], Any], batch_id: int, fmt: str, folder: str | Path, owner: str,
          workers: int | None = None) -> Job:
    """Start a job on its own thread; the job at once (poll it with :func:`job`).

    ``read`` returns the batch's statement sources; it is called on the job's thread
    (reading a large batch takes a while), so a refusal of the access layer ends the
    job as failed, with its message.
    """
    out = Path(folder) / f"statements_batch{batch_id}_{fmt}.zip"
    job = Job(uuid.uuid4().hex[:12], batch_id, fmt, out, owner)
    with _LOCK:
        _JOBS[job.job_id] = job

    def progress(done: int, total: int) -> None:
        job.done, job.total, job.status = done, total, "printing"

    def run() -> None:
        try:
            sources = read()
            job.total = len(sources.reps)
            generate(sources, fmt, out, workers=workers, progress=progress)
            job.status = "done"
        except Exception as exc:  # shown on the page as the job's outcome, never raised
            job.error, job.status = str(exc) or type(exc).__name__, "failed"
        job.seconds = time.monotonic() - job.started

    threading.Thread(target=run, name=f"statements-{job.job_id}", daemon=True).start()
    return job


def job(job_id: str | None, owner: str) -> Job | None:
    """The job ``job_id`` if ``owner`` started it (None otherwise)."""
    with _LOCK:
        found = _JOBS.get(job_id or "")
    return found if found is not None and found.owner == owner else None


__all__ = ["DEFAULT_WORKERS", "FORMATS", "Job", "generate", "job", "start", "statement_name"]

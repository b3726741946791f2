"""A batch's statements, made in the background: a button, a progress bar, then the ZIP.

The work runs in :mod:`commission.reports.statement_jobs` (its own thread and, for
PDFs, worker processes), never in the page's script: the page stays usable, and
a fragment polls the job's progress once a second until the ZIP is ready. A job
is seen only by the person who started it; what it reads goes through the access
layer as them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from commission import access
from commission.access import Identity
from commission.payroll import BatchSummary
from commission.reports import statement_jobs
from commission.reports.statement_jobs import Job

POLL_SECONDS = 1.0
WORDS = {"pdf": "PDF (to print)", "html": "HTML (to read on screen)"}


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "commission-statements"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _key(summary: BatchSummary) -> str:
    """One job per batch run: a re-run makes a new draft, whose statements are new."""
    return f"statements.job.{summary.batch_id}.{summary.run_no}.{summary.status}"


def render(identity: Identity, store, summary: BatchSummary, inputs) -> None:
    """The statements control of a batch: start a job, watch it, download its ZIP."""
    key = _key(summary)
    fmt = st.radio("Statements as", list(WORDS), format_func=WORDS.get, horizontal=True,
                   key="statements.format")
    if st.button("Make statements", key="statements.start",
                 help="Every statement of the batch you may see, in one ZIP, made in the "
                      "background: the page stays usable meanwhile."):
        batch_id = summary.batch_id
        job = statement_jobs.start(
            lambda: access.statement_sources(identity, store, batch_id, inputs),
            batch_id, fmt, _folder(), identity.email)
        st.session_state[key] = job.job_id
    job = statement_jobs.job(st.session_state.get(key), identity.email)
    if job is None:
        return
    if job.finished:
        _finished(job, summary)
    else:
        st.fragment(_watch, run_every=POLL_SECONDS)(job.job_id, identity.email)


def _watch(job_id: str, owner: str) -> None:
    """Polled: the progress bar; once the job is over, the page again (with the download)."""
    job = statement_jobs.job(job_id, owner)
    if job is None:
        return
    if job.finished:
        st.rerun()
    st.progress(job.fraction, text=job.text())


def _finished(job: Job, summary: BatchSummary) -> None:
    if job.status == "failed":
        st.error(f"The statements could not be made: {job.error}")
        return
    st.caption(job.text())
    st.download_button(f"Statements ({job.fmt.upper()}, ZIP)", lambda: job.out.read_bytes(),
                       mime="application/zip", key="statements.download", on_click="ignore",
                       file_name=f"statements_{summary.period}_batch{summary.batch_id}_"
                                 f"{job.fmt}.zip")

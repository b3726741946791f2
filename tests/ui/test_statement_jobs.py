"""A batch's statements made in the background: the same statements, all of them, one ZIP.

The job reads the batch once through the access layer (a rep gets only their own
statement), reports progress, and the Batches page offers the ZIP once it is done.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from ui.test_app import env, open_app, run, sample_dir

from commission import access
from commission.access import LOCAL_ADMIN, Identity
from commission.payroll import lifecycle as batches
from commission.reports import statement_jobs
from commission.reports.statement import period_bounds, render_statement_html, statement_data
from commission.store import open_store

__all__ = ["env", "sample_dir"]  # fixtures used here


def _batch(env) -> int:
    with open_store(env.db) as store:
        batches.load(store, env.data, env.rules, by="test")
        return batches.run_batch(store, env.periods[0], by="ann").batch_id


def test_the_html_zip_holds_every_reps_statement_as_made_one_by_one(env, tmp_path):
    batch_id = _batch(env)
    seen: list[tuple[int, int]] = []
    with open_store(env.db) as store:
        sources = access.statement_sources(LOCAL_ADMIN, store, batch_id)
        lines, payouts = batches.batch_lines(store, batch_id), batches.batch_payouts(store,
                                                                                     batch_id)
    out = tmp_path / "s.zip"
    made = statement_jobs.generate(sources, "html", out, progress=lambda d, t: seen.append((d, t)))
    reps = sorted(set(payouts["rep_id"]))
    assert made == len(reps) and seen[-1] == (len(reps), len(reps)) and seen[0] == (0, len(reps))
    period = env.periods[0]
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == [f"statement_{r}_{period}.html" for r in reps]
        got = zf.read(f"statement_R004_{period}.html").decode()
    one = statement_data("R004", period, lines, payouts, env.inputs, sources.plans,
                         period_bounds(period)[1], batch_id=batch_id)
    assert got == render_statement_html(one)  # shared frames change nothing


def test_pdfs_are_printed_by_worker_processes(env, tmp_path):
    batch_id = _batch(env)
    manager = Identity("m@example.com", frozenset({"rep", "manager"}), "R001", "Manager")
    with open_store(env.db) as store:
        sources = access.statement_sources(manager, store, batch_id)
    assert len(sources.reps) >= 2  # the manager and their team
    out = tmp_path / "p.zip"
    assert statement_jobs.generate(sources, "pdf", out, workers=2) == len(sources.reps)
    with zipfile.ZipFile(out) as zf:
        bodies = [zf.read(n) for n in zf.namelist()]
    assert all(b.startswith(b"%PDF") for b in bodies) and len(bodies) == len(sources.reps)


def test_a_rep_gets_only_their_own_statement_and_a_failed_job_leaves_no_zip(env, tmp_path):
    batch_id = _batch(env)
    rep = Identity("r2@example.com", frozenset({"rep"}), "R002", "Rep")
    with open_store(env.db) as store:
        mine = access.statement_sources(rep, store, batch_id)
    assert mine.reps == ["R002"]

    def refused():
        with open_store(env.db) as store:
            return access.statement_sources(Identity("x@example.com", frozenset(), None, "X"),
                                            store, batch_id)

    job = statement_jobs.start(refused, batch_id, "html", tmp_path, "x@example.com")
    for _ in range(600):
        if job.finished:
            break
        time.sleep(0.1)
    assert job.status == "done" and job.total == 0  # nobody to see: an empty ZIP, no error
    assert statement_jobs.job(job.job_id, "someone-else@example.com") is None

    def broken():
        raise access.AccessDenied("x may not read batch 1")

    failed = tmp_path / "failed"
    failed.mkdir()
    job = statement_jobs.start(broken, batch_id, "html", failed, "x@example.com")
    for _ in range(100):
        if job.finished:
            break
        time.sleep(0.05)
    assert job.status == "failed" and "may not read" in job.text()
    assert not any(failed.iterdir())  # nothing half-made is left behind


def test_an_unknown_format_is_refused(env, tmp_path):
    batch_id = _batch(env)
    with open_store(env.db) as store:
        sources = access.statement_sources(LOCAL_ADMIN, store, batch_id)
    with pytest.raises(ValueError, match="format"):
        statement_jobs.generate(sources, "docx", tmp_path / "x.zip")


def test_the_batches_page_makes_statements_in_the_background_then_offers_the_zip(env):
    batch_id = _batch(env)
    at = open_app("commission/ui/batches.py")
    at.radio(key="statements.format").set_value("html")
    at.button(key="statements.start").click()
    run(at)
    job = statement_jobs.job(at.session_state[f"statements.job.{batch_id}.1.draft"],
                             LOCAL_ADMIN.email)
    assert job is not None and job.batch_id == batch_id
    for _ in range(1200):
        if job.finished:
            break
        time.sleep(0.1)
    assert job.status == "done", job.error
    run(at)
    assert any(b.key == "statements.download" for b in at.download_button)
    with zipfile.ZipFile(io.BytesIO(job.out.read_bytes())) as zf:
        assert len(zf.namelist()) == job.total > 0

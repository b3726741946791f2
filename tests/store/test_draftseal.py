"""The seal digests a run computes from its frames equal the seal's digests of the stored rows.

A lock seals with the digests the run kept (:mod:`commission.store.draftseal`), and
``batch verify`` recomputes them from the rows (:mod:`commission.store.seal`): for any
frame the engine could hand over, and hostile text in every text column (quotes,
backslashes, control characters, non-ASCII, NULLs), big integers and missing values,
both must hash the same bytes, on SQLite and PostgreSQL. The batch is locked for real
(the database pays its events) so the paid events section is read as verify reads it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commission.store import batchdb, draftseal, seal
from commission.store.db import utcnow

_counter = itertools.count()
HOSTILE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ['"', "\\", "\\\"", "\n", "\t\r\x08\x0c", "\x1f\x7f", "é…€\u2028\U0001f600", "", " a "])
BIG = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
HUGE = st.integers(min_value=-(10**40), max_value=10**40)  # rates are exact: any size


def _no_nul(text: str, dialect: str) -> str:
    return text.replace("\x00", "") if dialect == "postgresql" else text  # PG text: no NUL


@st.composite
def lines_frames(draw, dialect: str) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=12))
    text = st.lists(HOSTILE, min_size=n, max_size=n)

    def texts(width: int = 12) -> np.ndarray:  # VARCHAR(7) periods on PostgreSQL
        return np.array([_no_nul(t, dialect)[:width] for t in draw(text)], dtype=object)

    def huge() -> np.ndarray:  # Python ints, as the engine's exact rates (object dtype)
        values = np.empty(n, dtype=object)
        values[:] = draw(st.lists(HUGE, min_size=n, max_size=n))
        return values

    ints = st.lists(BIG, min_size=n, max_size=n)
    days = draw(st.lists(st.integers(-20000, 40000), min_size=n, max_size=n))
    late = draw(st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n))
    return pd.DataFrame({
        "period": texts(7), "rep_id": np.array(draw(st.lists(st.sampled_from(
            ["R1", "R\"2", "Ré", "R\\4", _no_nul("R\x00\n5", dialect)]), min_size=n,
            max_size=n)), dtype=object),
        "plan_id": texts(), "line_kind": texts(10), "event_id": texts(), "invoice_id": texts(),
        "event_date": np.array(days, dtype="datetime64[D]").astype("datetime64[s]"),
        "base_amount": np.array(draw(ints), dtype=np.int64),
        "share": np.array(draw(ints), dtype=np.int64),
        "rate": pd.array(texts(), dtype="str"),  # the engine's Arrow-backed strings too
        "rate_num": huge(), "rate_den": huge(),
        "days_late": pd.array(late, dtype="Int64"),
        "haircut_num": np.array(draw(st.lists(st.integers(-1, 2**62), min_size=n, max_size=n)),
                                dtype=np.int64),
        "haircut_pct": texts(), "gross": np.array(draw(ints), dtype=np.int64),
        "haircut": np.array(draw(ints), dtype=np.int64),
        "amount": np.array(draw(ints), dtype=np.int64),
        "prior_period": texts(7), "explanation": pd.array(texts(), dtype="str"),
    })


@st.composite
def event_frames(draw, dialect: str) -> pd.DataFrame:
    ids = draw(st.lists(HOSTILE.map(lambda t: _no_nul(t, dialect)), max_size=12))
    kinds = draw(st.lists(st.sampled_from(["invoice", "payment", "adjustment"]),
                          min_size=len(ids), max_size=len(ids)))
    frame = pd.DataFrame({"event_kind": np.array(kinds, dtype=object),
                          "event_id": np.array(ids, dtype=object)})
    frame = frame.drop_duplicates(ignore_index=True)
    return frame.assign(event_date=np.datetime64("2026-01-01", "s"), amount=np.int64(1),
                        row_hash=np.arange(len(frame), dtype=np.int64))


def _batch(conn) -> int:
    i = next(_counter)
    return batchdb.create(conn, {"period": f"{1900 + i // 12:04d}-{i % 12 + 1:02d}",
                                 "run_by": "t", "run_at": utcnow(), "base_batch_id": None,
                                 "data_version": 0, "events_digest": "x", "fingerprint": "x"})


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_run_digests_equal_the_seals_digests_of_the_stored_rows(store, data):
    dialect = store.dialect
    lines = data.draw(lines_frames(dialect))
    events = data.draw(event_frames(dialect))
    with store.write() as conn:
        b = _batch(conn)
        prefix = f"{b}:"  # events are paid once across the store's batches
        events = events.assign(event_id=prefix + events["event_id"].astype(object))
        batchdb.write_contents(conn, b, lines, pd.DataFrame(), events, {})
        kept_lines, kept_paid = batchdb.read_digests(conn, b)
        assert kept_lines == {r: d[0] for r, d in seal.rep_digests(conn, b).items()}
        for status in ("approved", "locked"):  # the database pays the batch's events
            batchdb.set_status(conn, b, status, "t", utcnow())
        from_rows = seal.paid_events_section(conn, b)
        assert from_rows == draftseal.events_digest(events)
        if draftseal.orders_by_code_point(conn):
            assert kept_paid == from_rows
        # the reference: every row through json.dumps in Python
        q = seal._queries(b)["paid_events"]
        assert seal._digest(conn, q) == from_rows


def test_every_json_escape_and_big_values_match_json_dumps():
    """The serialisation itself, without a database: one row of every awkward value."""
    import hashlib
    import json

    text = "".join(chr(i) for i in range(0x80)) + "é…€\u2028\U0001f600\\\""
    frame = pd.DataFrame({"line_no": np.array([1, 2], dtype=np.int64),
                          "rep_id": np.array(["R", "R"], dtype=object),
                          "rate_num": np.array([10**30, -7], dtype=object),
                          "days_late": pd.array([None, -(2**31)], dtype="Int64"),
                          "explanation": np.array([text, None], dtype=object),
                          "event_date": np.array(["2026-01-31", "NaT"], dtype="datetime64[s]")})
    cols = ["line_no", "rep_id", "rate_num", "days_late", "explanation", "event_date"]
    want = "".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in [
        [1, "R", str(10**30), None, text, "2026-01-31"], [2, "R", "-7", -(2**31), None, None]])
    got = draftseal.line_digests(frame, cols)
    assert got == {"R": hashlib.sha256(want.encode()).hexdigest()}


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_digests_do_not_depend_on_the_chunk_size(monkeypatch, chunk):
    frame = pd.DataFrame({"line_no": np.arange(1, 8), "rep_id": np.array(
        ["B", "A", "B", "C", "A", "B", "A"], dtype=object),
        "explanation": np.array([f"x{i}\"" for i in range(7)], dtype=object)})
    cols = ["line_no", "rep_id", "explanation"]
    whole = draftseal.line_digests(frame, cols)
    monkeypatch.setattr(draftseal, "CHUNK", chunk)
    assert draftseal.line_digests(frame, cols) == whole
    events = pd.DataFrame({"event_kind": np.array(["payment", "invoice", "payment"], dtype=object),
                           "event_id": np.array(["b", "z", "a\\"], dtype=object)})
    assert draftseal.events_digest(events) == draftseal.events_digest(events.iloc[::-1])

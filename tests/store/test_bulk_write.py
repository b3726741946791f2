"""Whole frames written and read back exactly, on SQLite and PostgreSQL.

PostgreSQL takes a frame as CSV written by Arrow into ``COPY`` (``bulk.copy_frame``):
quoting, NULL against empty text, nullable dates and upserts must come back as they
went in, whatever the text holds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import lru_cache

import numpy as np
import pandas as pd
import psycopg
import pytest
from backends import pg_url_or_skip
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from commission.store import batchdb, metadata, open_store
from commission.store.bulk import ids_subquery, read_frame, text_array, write_frame

CUSTOMERS = metadata.tables["customers"]
DISPUTES = metadata.tables["disputes"]
HOSTILE = ["plain", "comma, inside", 'quote " inside ""', "new\nline\r\nand more", "",
           "=1+2", "\\N", "\\.", "NULL", "ünï 名前 😀", " spaces ", "tab\there", "a\\b",
           '"', ",", "12345678901234567890123"]
NOW = dt.datetime(2026, 12, 3, 6, 49, 46, 587592, tzinfo=dt.UTC)


class _RolledBack(Exception):
    """Raised at the end of a test's transaction: nothing it wrote stays."""


SEGMENTS = [None if i % 3 == 0 else v for i, v in enumerate(HOSTILE)]  # NULL or text, "" too


def _customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"C{i:02d}" for i in range(len(HOSTILE))],
                         "name": HOSTILE, "segment": SEGMENTS})


def test_hostile_text_nulls_and_empty_text_come_back_as_written(store):
    frame = _customers()
    with pytest.raises(_RolledBack), store.write() as conn:
        write_frame(conn, CUSTOMERS, frame, constants={"recorded_at": NOW, "load_id": 7})
        got = read_frame(conn, CUSTOMERS, ["customer_id", "name", "segment"],
                         "ORDER BY customer_id")
        assert got["name"].tolist() == HOSTILE
        assert [None if pd.isna(v) else v for v in got["segment"]] == SEGMENTS
        stamps = conn.execute(text("SELECT DISTINCT load_id, CAST(recorded_at AS TEXT) "
                                   "FROM customers")).all()
        assert stamps == [(7, "2026-12-03 06:49:46.587592")]
        raise _RolledBack


def test_an_upsert_changes_only_the_rows_that_differ(store):
    frame = _customers()
    later = NOW + dt.timedelta(days=1)
    edit = pd.DataFrame({"customer_id": ["C01", "C02", "C99"],
                         "name": ["renamed, with \"quotes\"", HOSTILE[2], "new"],
                         "segment": [None, HOSTILE[2], ""]})
    with pytest.raises(_RolledBack), store.write() as conn:
        write_frame(conn, CUSTOMERS, frame, constants={"recorded_at": NOW, "load_id": 7})
        write_frame(conn, CUSTOMERS, edit, key=["customer_id"],
                    constants={"recorded_at": later, "load_id": 8})
        got = read_frame(conn, CUSTOMERS, ["customer_id", "name", "segment", "load_id"],
                         "WHERE load_id = 8 ORDER BY customer_id")
        assert got["customer_id"].tolist() == ["C01", "C99"]  # C02 is the same: untouched
        assert got["name"].tolist() == ['renamed, with "quotes"', "new"]
        assert pd.isna(got["segment"].iloc[0]) and got["segment"].iloc[1] == ""
        raise _RolledBack


def test_dates_and_missing_dates_come_back_as_written(store):
    opened = np.array(["2024-11-01", "2026-02-28", "1999-12-31"], dtype="datetime64[s]")
    resolved = np.array(["2024-11-03", "NaT", "2000-01-01"], dtype="datetime64[s]")
    frame = pd.DataFrame({"dispute_id": ["D1", "D2", "D3"], "invoice_id": ["I1", "I2", "I3"],
                          "opened_date": opened, "resolved_date": resolved})
    with pytest.raises(_RolledBack), store.write() as conn:
        write_frame(conn, DISPUTES, frame, constants={"recorded_at": NOW, "load_id": 7})
        got = read_frame(conn, DISPUTES, ["dispute_id", "opened_date", "resolved_date"],
                         "ORDER BY dispute_id")
        assert got["opened_date"].to_numpy().tolist() == opened.tolist()
        assert got["resolved_date"].isna().tolist() == [False, True, False]
        assert got["resolved_date"].dropna().to_numpy().tolist() == resolved[[0, 2]].tolist()
        raise _RolledBack


def test_nullable_integers_and_big_money_come_back_as_written(store):
    """Days late and haircut numerators are NULL where they mean nothing; money is cents
    up to the largest a bigint holds."""
    n = 4
    lines = pd.DataFrame({
        "line_no": np.arange(1, n + 1), "period": "2026-01", "rep_id": "R1", "plan_id": "p",
        "line_kind": "collection", "event_id": [f"P{i}" for i in range(n)],
        "invoice_id": "I1", "event_date": np.array(["2026-01-05"] * n, dtype="datetime64[s]"),
        "base_amount": [0, -1, 2**63 - 1, -(2**63) + 1], "share": 1_000_000, "rate": "1/20",
        "rate_num": "1", "rate_den": "20", "days_late": pd.array([None, 0, 45, None], "Int64"),
        "haircut_num": pd.array([None, 1, None, 2**62 + 1], "Int64"),
        "haircut_pct": [None, "", "x", "5"],
        "gross": 1, "haircut": 0, "amount": 1, "prior_period": None, "explanation": HOSTILE[:n]})
    with pytest.raises(_RolledBack), store.write() as conn:
        batch_id = batchdb.create(conn, {"period": "2026-01", "run_by": "ann", "run_at": NOW,
                                         "data_version": 0, "events_digest": "e",
                                         "fingerprint": "f"})
        write_frame(conn, metadata.tables["batch_lines"], lines,
                    constants={"batch_id": batch_id})
        got = read_frame(conn, metadata.tables["batch_lines"], None, "ORDER BY line_no")
        assert got["batch_id"].tolist() == [batch_id] * n
        assert got["base_amount"].tolist() == lines["base_amount"].tolist()
        assert got["days_late"].dtype == "Int64" and got["haircut_num"].dtype == "Int64"
        assert got["days_late"].tolist() == lines["days_late"].tolist()
        assert got["haircut_num"].tolist() == lines["haircut_num"].tolist()
        assert [None if pd.isna(v) else v for v in got["haircut_pct"]] == [None, "", "x", "5"]
        assert got["prior_period"].isna().all() and got["explanation"].tolist() == HOSTILE[:n]
        raise _RolledBack


def test_a_latin1_database_with_day_first_dates_stores_what_was_written():
    """The bulk paths speak UTF-8 and ISO dates to PostgreSQL whatever the database's
    settings: in a LATIN1 database a name is stored as itself (not as UTF-8 bytes read
    as Latin-1), text Latin-1 cannot hold is refused rather than mangled, and dates
    come back right under a day-first ``DateStyle``."""
    base = pg_url_or_skip()
    name = f"test_latin1_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' "
                          "LC_CTYPE 'C' TEMPLATE template0"))
        conn.execute(text(f"ALTER DATABASE {name} SET DateStyle = 'SQL, DMY'"))
    store = open_store(make_url(base).set(database=name).render_as_string(False))
    frame = pd.DataFrame({"customer_id": ["C1"], "name": ["Zoë Müller, café"],
                          "segment": [""]})
    try:
        with store.write() as conn:
            conn.execute(text("INSERT INTO loads (load_id, loaded_at, loaded_by, source, "
                              "summary) VALUES (1, :at, 'ann', 'test', '{}')"), {"at": NOW})
            write_frame(conn, CUSTOMERS, frame, constants={"recorded_at": NOW, "load_id": 1},
                        key=["customer_id"])
        with store.read() as conn:
            stored = conn.execute(text("SELECT name, length(name) FROM customers")).one()
            assert tuple(stored) == ("Zoë Müller, café", 16)
            assert read_frame(conn, CUSTOMERS, ["name"])["name"].tolist() == [frame["name"][0]]
        opened = np.array(["2024-11-02", "2026-12-31"], dtype="datetime64[s]")
        with pytest.raises(_RolledBack), store.write() as conn:
            write_frame(conn, DISPUTES, pd.DataFrame({
                "dispute_id": ["D1", "D2"], "invoice_id": ["I1", "I2"], "opened_date": opened,
                "resolved_date": opened}), constants={"recorded_at": NOW, "load_id": 1})
            got = read_frame(conn, DISPUTES, ["opened_date"], "ORDER BY dispute_id")
            assert got["opened_date"].to_numpy().tolist() == opened.tolist()
            raise _RolledBack
        with pytest.raises(psycopg.Error, match="LATIN1"), store.write() as conn:
            write_frame(conn, CUSTOMERS, frame.assign(customer_id="C2", name="名前"),
                        constants={"recorded_at": NOW, "load_id": 1})
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def test_a_large_read_of_text_spanning_lines_comes_back_whole(store):
    """Stored text may hold newlines (a plan's text, a message): a read of megabytes of
    them is not cut inside a value (Arrow parses PostgreSQL's CSV in blocks)."""
    n = 40_000
    names = [f"name {i}\nits second line, {i}\r\nand a third" for i in range(n)]
    frame = pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(n)], "name": names,
                          "segment": None})
    with pytest.raises(_RolledBack), store.write() as conn:
        write_frame(conn, CUSTOMERS, frame, constants={"recorded_at": NOW, "load_id": 7})
        got = read_frame(conn, CUSTOMERS, ["name"], "ORDER BY customer_id")
        assert got["name"].tolist() == names
        raise _RolledBack


def test_numbers_in_a_text_column_are_stored_as_their_exact_text(store):
    """An exact ratio's numerator may be an integer past 64 bits, beside plain text; read
    alone, a NULL is a row too (on PostgreSQL an empty line of CSV, which Arrow skips
    unless told)."""
    ids = [12345678901234567890123456789, "C-1", 7, None]
    frame = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "name": "n",
                          "segment": pd.Series(ids, dtype=object)})
    with pytest.raises(_RolledBack), store.write() as conn:
        write_frame(conn, CUSTOMERS, frame, constants={"recorded_at": NOW, "load_id": 7})
        got = read_frame(conn, CUSTOMERS, ["segment"], "ORDER BY customer_id")
        assert [None if pd.isna(v) else v for v in got["segment"]] == [
            "12345678901234567890123456789", "C-1", "7", None]
        raise _RolledBack


@given(st.lists(st.one_of(st.integers(-2**63, 2**63 - 1), st.integers(-10**40, 10**40)),
                max_size=12))
def test_exact_ints_read_back_every_rate_part_as_python_int(values):
    """A rate's numerator and denominator are stored as text (they may pass 64 bits):
    read back by Arrow when all fit in 64 bits, else one by one; the same ints."""
    got = batchdb.exact_ints(pd.Series([str(v) for v in values], dtype="str"))
    assert got.dtype == object and list(got) == values
    assert all(type(v) is int for v in got)


ODD_IDS = [*HOSTILE, "{a,b}", "a}", "{", "back\\slash\\", 'both \\" and "\\', "x" * 300]


def test_ids_handed_to_a_query_come_back_as_they_are(store):
    """``ids_subquery`` gives the database the ids as one parameter (JSON on SQLite, one
    array literal on PostgreSQL): every id, whatever it holds, is one row of it, and one
    that reads like NULL, a quote or a brace is still that text."""
    for ids in (ODD_IDS, [], ["only"], ["a"] * 3):
        with store.read() as conn:
            sub, params = ids_subquery(conn, ids)
            got = [r[0] for r in conn.exec_driver_sql(sub, params).all()]
        assert sorted(got) == sorted(ids)


@lru_cache(maxsize=1)
def _pg() -> psycopg.Connection:
    return psycopg.connect(make_url(pg_url_or_skip()).set(drivername="postgresql")
                           .render_as_string(hide_password=False), autocommit=True)


@given(st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=8), max_size=8))
def test_a_text_array_is_read_by_postgresql_as_the_same_list(ids):
    """Any text (PostgreSQL holds no NUL) survives ``text_array``: same values, order and
    count, none read as NULL."""
    got = _pg().execute("SELECT CAST(%s AS text[])", (text_array(ids),)).fetchone()
    assert got is not None and got[0] == ids

"""A draft's seal digests, computed from the frames a batch run writes (issue 14).

Sealing a million-line batch at lock used to reread every line and paid event to
hash them (5 s on SQLite, 25 s on PostgreSQL). The run has the very rows in hand
as columns, so it computes here, vectorised, the digests :mod:`commission.store.seal`
would compute from the stored rows: each rep's lines digest and the paid events
section (a batch pays exactly its ``batch_events``). They are kept with the draft
(``batch_digests``, replaced by a re-run) and the lock seals with them.

The bytes hashed are the seal's canonical serialization, byte for byte: each row
the JSON array ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
makes of its stored values (``null``, integers, ``YYYY-MM-DD`` dates, text),
``\\n``-terminated. Values are converted as :func:`commission.store.bulk.column_out`
stores them; text is quoted by Arrow string kernels, and the rare value JSON must
escape (quote, backslash, control characters) goes through ``json.dumps`` once per
distinct value. No Python work per row.

What this changes for tamper evidence: the seal now says what the run computed,
so a row changed behind the app's back between the run and the lock shows at
``commission batch verify`` (which always recomputes from the rows) instead of
being sealed as if it were the computed figure.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import BigInteger, Date, Integer, Table, Text
from sqlalchemy.engine import Connection

from commission.store.models import BatchLine

LINES: Table = BatchLine.__table__  # type: ignore[attr-defined]
CHUNK = 200_000  # rows serialised at a time (bounds the memory of a million-line batch)
#: what JSON escapes in a string: ", \ and the control characters U+0000 to U+001F
#: the bytes JSON escapes in a string: a quote, a backslash, the control characters
_ESCAPED = np.zeros(256, dtype=bool)
_ESCAPED[[*range(0x20), 0x22, 0x5C]] = True
#: a text column with fewer distinct values in its first rows is quoted per distinct value
_FEW, _SAMPLE = 1_000, 10_000
#: PostgreSQL collations that order text by code point, as SQLite and Python do
_CODE_POINT_COLLATIONS = {"C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic"}


def _escape_rows(texts: pa.Array) -> np.ndarray | None:
    """Which strings JSON must escape (a quote, backslash or control character), from
    one pass over the column's bytes; None when none does (the usual case)."""
    texts = texts.cast(pa.large_string())
    data = np.frombuffer(texts.buffers()[2] or b"", dtype=np.uint8)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[
        texts.offset:texts.offset + len(texts) + 1]
    bad = _ESCAPED[data[offsets[0]:offsets[-1]]]
    if not bad.any():
        return None
    per_byte = np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])
    rel = offsets - offsets[0]
    return (per_byte[rel[1:]] - per_byte[rel[:-1]]) > 0


def _quoted(texts: pa.Array) -> pa.Array:
    """JSON string literals of ``texts`` (``null`` for a null), as ``json.dumps`` writes."""
    texts = texts.cast(pa.string())
    plain = pc.binary_join_element_wise('"', texts, '"', "")
    rows = _escape_rows(texts)
    if rows is not None:
        needs = pa.array(rows)
        odd = pc.unique(pc.filter(texts, needs))
        dumped = pa.array([json.dumps(v, ensure_ascii=False) for v in odd.to_pylist()],
                          type=pa.string())
        escaped = pc.take(dumped, pc.index_in(texts, value_set=odd))
        plain = pc.if_else(needs, escaped, plain)
    return pc.fill_null(plain, "null")


def _text_values(values: pd.Series | np.ndarray) -> pa.Array:
    """A text column's stored strings: ``str`` of a non-string value (exact big ints),
    once per distinct value, as :func:`commission.store.bulk.column_out` writes it."""
    if isinstance(values, pd.Series) and values.dtype != object:
        arr = pa.array(values)  # Arrow-backed strings: no Python objects
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr.cast(pa.string())
    values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) and not isinstance(uniques[0], str):
        uniques = np.array([str(v) for v in uniques], dtype=object)
        return pc.take(pa.array(uniques, type=pa.string()), pa.array(codes, mask=codes < 0))
    return pa.array(values, type=pa.string(), from_pandas=True)


def json_texts(values: pd.Series | np.ndarray, sa_type) -> tuple[pa.Array, np.ndarray | None]:
    """One column as stored in a column of ``sa_type``, as JSON texts: (texts, None) with
    a text per row, or (texts, codes) with a text per distinct value and each row's code."""
    if isinstance(sa_type, Date):
        days = np.asarray(values).astype("datetime64[D]")
        uniq, inv = np.unique(days, return_inverse=True)
        text = np.char.add(np.char.add('"', np.datetime_as_string(uniq)), '"').astype(object)
        text[np.isnat(uniq)] = "null"
        return pa.array(text, type=pa.string()), inv.ravel()
    raw = values.to_numpy() if isinstance(values, pd.Series) and values.dtype.kind in "iu" \
        else values
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":
        digits = pc.cast(pa.array(raw), pa.string())
        return (pc.binary_join_element_wise('"', digits, '"', "") if isinstance(sa_type, Text)
                else digits), None
    if isinstance(sa_type, (BigInteger, Integer)):  # nullable (Int64): NULL is null
        ints = pa.array(values if isinstance(values, pd.Series) and values.dtype == "Int64"
                        else pd.array(np.asarray(values, dtype=object), dtype="Int64"))
        ints = ints.combine_chunks() if isinstance(ints, pa.ChunkedArray) else ints
        return pc.fill_null(pc.cast(ints, pa.string()), "null"), None
    texts = _text_values(values)
    if len(texts) > _SAMPLE and len(pc.unique(texts.slice(0, _SAMPLE))) < _FEW:
        encoded = pc.dictionary_encode(texts)  # rep ids, periods, rates: quote each once
        return _quoted(encoded.dictionary), np.asarray(
            pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return _quoted(texts), None


def _take(texts: pa.Array, codes: np.ndarray | None, rows: np.ndarray) -> pa.Array:
    """The JSON texts of ``rows`` (a null value's code is -1: ``null``)."""
    if codes is None:
        return pc.take(texts, rows)
    picked = codes[rows]
    return pc.fill_null(pc.take(texts, pa.array(picked, mask=picked < 0)), "null")


def _rows(columns: list[pa.Array]) -> pa.Array:
    """``[a,b,...]\n`` of each row, from its values' JSON texts."""
    first = pc.binary_join_element_wise("[", columns[0], "")
    last = pc.binary_join_element_wise(columns[-1], "]\n", "")
    return pc.binary_join_element_wise(first, *columns[1:-1], last, ",") if len(
        columns) > 1 else pc.binary_join_element_wise("[", columns[0], "]\n", "")


def _hash_runs(rows: pa.Array, starts: np.ndarray, hashers: list) -> None:
    """Feed row ranges [starts[i], starts[i+1]) of ``rows`` to ``hashers[i]`` (no copy)."""
    rows = rows.cast(pa.large_string())
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset:]
    data = memoryview(rows.buffers()[2] or b"")
    for h, a, b in zip(hashers, starts[:-1], starts[1:], strict=True):
        h.update(data[offsets[a]:offsets[b]])


def line_digests(lines: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """rep_id -> digest of the rep's lines in ``line_no`` order, from the frame as stored
    (``columns``: the sealed columns, ``line_no`` first; rows in ``line_no`` order)."""
    codes, reps = pd.factorize(lines["rep_id"].to_numpy(dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")  # by rep, line_no order within a rep
    hashers = [hashlib.sha256() for _ in reps]
    converted = [json_texts(lines[c], LINES.c[c].type) for c in columns]
    for start in range(0, len(order), CHUNK):
        take = order[start:start + CHUNK]
        rows = _rows([_take(texts, codes, take) for texts, codes in converted])
        rep = codes[take]
        bounds = np.flatnonzero(np.diff(rep)) + 1
        starts = np.concatenate([[0], bounds, [len(take)]])
        _hash_runs(rows, starts, [hashers[rep[s]] for s in starts[:-1]])
    return {str(r): h.hexdigest() for r, h in zip(reps, hashers, strict=True)}


def events_digest(events: pd.DataFrame) -> str:
    """The paid events section's digest of a batch that pays ``events`` (rows
    ``["kind","id"]`` in (kind, id) code-point order, as the seal reads them)."""
    kinds = events["event_kind"].to_numpy(dtype=object)
    ids = events["event_id"]
    h = hashlib.sha256()
    for kind in sorted(set(kinds.tolist())):  # a few kinds
        mine = _text_values(ids[kinds == kind])
        mine = pc.take(mine, pc.sort_indices(mine))  # Arrow sorts text bytewise
        head = json.dumps(kind, ensure_ascii=False)
        for start in range(0, len(mine), CHUNK):
            part = mine.slice(start, CHUNK)
            rows = pc.binary_join_element_wise(f"[{head},", _quoted(part), "]\n", "")
            _hash_runs(rows, np.array([0, len(rows)]), [h])
    return h.hexdigest()


def orders_by_code_point(conn: Connection) -> bool:
    """Does this database order paid events' text by code point (as :func:`events_digest`)?

    SQLite compares text bytewise (UTF-8: code point order); PostgreSQL by its
    collation, which only some collations make code point order.
    """
    if conn.dialect.name == "sqlite":
        return True
    collation = conn.exec_driver_sql(
        "SELECT datcollate FROM pg_database WHERE datname = current_database()").scalar_one()
    return str(collation) in _CODE_POINT_COLLATIONS


__all__ = ["events_digest", "json_texts", "line_digests", "orders_by_code_point"]

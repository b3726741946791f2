"""Fingerprints of a batch's inputs: which events it paid, as they were, and which plans.

Every event (invoice, payment, adjustment) gets a 64-bit hash of its whole record,
computed over columns (pandas' keyed SipHash, the same in every process), so a
batch can later tell which of the events it paid have changed since. The batch's
events digest is a SHA-256 over its events in a fixed order; its fingerprint
adds the SHA-256 of every plan text it used.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from commission.inputs.tables import DATE_COLUMNS, OPTIONAL_FILE_COLUMNS, Inputs
from commission.inputs.tables import STORED_COLUMNS as COLUMNS
from commission.store.records import EVENTS

HASH_KEY = "commission-event"  # 16 bytes, fixed: hashes must not change between runs


def row_hashes(frame: pd.DataFrame, table: str) -> np.ndarray:
    """A stable int64 hash of each record's contract columns.

    A column added later (``adjustments.reverses_adjustment_id``) counts only where it
    is set, so the records batches paid before it existed keep their hashes.
    """
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    later = [c for c in COLUMNS[table] if (table, c) in OPTIONAL_FILE_COLUMNS]
    if not later:
        return _hashes(frame, COLUMNS[table])
    base = _hashes(frame, [c for c in COLUMNS[table] if c not in later])
    unset = frame[[c for c in later if c in frame]].isna().all(axis=1).to_numpy()
    if unset.all():
        return base
    return np.where(unset, base, _hashes(frame.reindex(columns=COLUMNS[table]), COLUMNS[table]))


def _hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    cols = frame[columns].copy()
    for c in cols.columns:  # the hash sees the storage: fix it whatever the dtypes were
        if c in DATE_COLUMNS:
            cols[c] = cols[c].astype("datetime64[s]")
        elif cols[c].dtype.kind not in "iu":
            v = cols[c].to_numpy(dtype=object)
            cols[c] = pd.Series(np.where(pd.isna(v), None, v), dtype=object, index=cols.index)
    h = pd.util.hash_pandas_object(cols, index=False, hash_key=HASH_KEY)
    return h.to_numpy().view(np.int64)


def event_frame(inputs: Inputs | dict[str, pd.DataFrame],
                masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """event_kind, event_id, event_date, amount, row_hash of the events (``masks`` selects).

    ``inputs`` may also be just the event tables, by name.
    """
    tables = inputs.tables() if isinstance(inputs, Inputs) else inputs
    parts = []
    for table, (kind, id_col, date_col) in EVENTS.items():
        frame = tables[table]
        if masks is not None:
            frame = frame[masks[table]]
        parts.append(pd.DataFrame({
            "event_kind": np.full(len(frame), kind, dtype=object),
            "event_id": frame[id_col].to_numpy(dtype=object),
            "event_date": frame[date_col].to_numpy(dtype="datetime64[s]"),
            "amount": frame["amount"].to_numpy(dtype=np.int64),
            "row_hash": row_hashes(frame, table),
        }))
    return pd.concat(parts, ignore_index=True)


def events_digest(events: pd.DataFrame) -> str:
    """SHA-256 over (kind, id, record hash) of the events, in (kind, id) order."""
    ordered = events.sort_values(["event_kind", "event_id"], kind="stable")
    sha = hashlib.sha256()
    for kind, part in ordered.groupby("event_kind", sort=True):
        sha.update(f"{kind}\x1e".encode())
        sha.update("\x1f".join(part["event_id"].tolist()).encode())
        sha.update(part["row_hash"].to_numpy(dtype="<i8").tobytes())
    return sha.hexdigest()


def fingerprint(digest: str, plans: dict[str, tuple[int, str]]) -> str:
    """SHA-256 of the events digest and every plan's text hash: the batch's inputs in one."""
    body = {"events": digest, "plans": {pid: sha for pid, (_v, sha) in sorted(plans.items())}}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

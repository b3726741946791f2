"""Looking ids up in other tables, fast: Arrow hash kernels over whole columns."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def as_arrow(values: pd.Series | np.ndarray | pa.Array) -> pa.Array:
    """Ids as an Arrow string array (nulls for missing)."""
    if isinstance(values, pd.Series):
        values = values.array
        if isinstance(values, pd.arrays.ArrowStringArray):
            values = pa.array(values)
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.cast(pa.string()) if values.type != pa.string() else values


def lookup(values: pd.Series | np.ndarray | pa.Array,
           keys: pd.Series | np.ndarray | pa.Array) -> np.ndarray:
    """Position in ``keys`` of each of ``values`` (first match), -1 where absent or null."""
    values = as_arrow(values)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(values, value_set=as_arrow(keys))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def lookup_many(columns: list, keys: pd.Series | np.ndarray | pa.Array) -> list[np.ndarray]:
    """:func:`lookup` for several columns against the same keys, hashing the keys once."""
    arrays = [as_arrow(c) for c in columns]
    found = lookup(pa.concat_arrays(arrays) if arrays else pa.array([], pa.string()), keys)
    bounds = np.cumsum([0, *(len(a) for a in arrays)])
    return [found[a:b] for a, b in itertools.pairwise(bounds)]


def take_text(values: pd.Series, positions: np.ndarray) -> pa.Array:
    """``values[positions]`` as Arrow strings (no Python string objects on the way)."""
    return as_arrow(values).take(pa.array(np.asarray(positions, dtype=np.int64)))


def text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of an Arrow string array, as numpy views (no copies).

    Cell i is ``bytes[offsets[i]:offsets[i + 1]]``; a test over every cell's bytes
    (any control character? any cell longer than n bytes?) is then one numpy pass.
    """
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _, offsets_buf, data_buf = values.buffers()
    if offsets_buf is None:
        return np.zeros(1, dtype=width), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offsets_buf, dtype=width)[
        values.offset:values.offset + len(values) + 1]
    data = (np.zeros(0, dtype=np.uint8) if data_buf is None
            else np.frombuffer(data_buf, dtype=np.uint8))
    return offsets, data


def edge_bytes(values: pa.Array, last: bool = False) -> np.ndarray:
    """The first (or last) byte of each non-empty cell of an Arrow string array.

    Read straight from the array's buffers (:func:`text_buffers`), so a test of how
    cells start or end costs one gather, not a kernel over every cell.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint8)
    offsets, data = text_buffers(values)
    full = offsets[:-1] < offsets[1:]
    at = offsets[1:][full] - 1 if last else offsets[:-1][full]
    return data[at]

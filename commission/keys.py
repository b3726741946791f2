"""Looking ids up in other tables, fast: Arrow hash kernels over whole columns."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

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
    return lookup_many([values], keys)[0]


def lookup_many(columns: list, keys: pd.Series | np.ndarray | pa.Array) -> list[np.ndarray]:
    """:func:`lookup` for several columns against the same keys, reading the keys once:
    numbered ids (:class:`_Numbered`) column by column, any other ids hashed once."""
    arrays = [as_arrow(c) for c in columns]
    if sum(len(a) for a in arrays) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in arrays]
    key_column, keys = keys, as_arrow(keys)
    numbered = _Numbered.of(keys)
    if numbered is not None:  # the keys themselves: each one's first occurrence, known
        return [numbered.own if _same(c, key_column) else numbered.find(a)
                for c, a in zip(columns, arrays, strict=True)]
    found = pc.index_in(pa.concat_arrays(arrays), value_set=keys)
    found = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    bounds = np.cumsum([0, *(len(a) for a in arrays)])
    return [found[a:b] for a, b in itertools.pairwise(bounds)]


def _same(values: object, keys: object) -> bool:
    """Whether ``values`` are the keys themselves (the same object or column of them)."""
    return values is keys or (isinstance(values, pd.Series) and isinstance(keys, pd.Series)
                              and values.array is keys.array)


#: the most digits a numbered id may have for its number to be read as an int64
_MAX_DIGITS = 18
#: rows of ids read at a time when their digits are turned into numbers (in cache)
_ROWS = 1 << 15


def _fixed_width(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, their bytes as a rows × width matrix) of the non-null cells exactly ``width`` long.

    When every cell has that width the matrix is a view of the array's bytes (no copy).
    """
    offsets, data = text_buffers(values)
    lengths = np.diff(offsets)
    if not values.null_count and (lengths == width).all():
        used = data[int(offsets[0]):int(offsets[-1])]
        return np.arange(len(values)), used.reshape(len(values), width)
    full = lengths == width
    if values.null_count:
        full &= values.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(full)
    starts = offsets[:-1][rows].astype(np.int64)
    cells = np.empty((len(rows), width), dtype=np.uint8)
    for j in range(width):  # over the id's few characters, never rows
        cells[:, j] = data[starts + j]
    return rows, cells


def _numbers(cells: np.ndarray, prefix: int) -> tuple[np.ndarray, np.ndarray]:
    """(the digits after ``prefix`` bytes of each row as an int64 number, whether all digits).

    :data:`_ROWS` rows at a time, so that each digit's pass reads rows still in cache.
    """
    number = np.zeros(len(cells), dtype=np.int64)
    digits = np.ones(len(cells), dtype=bool)
    for a in range(0, len(cells), _ROWS):  # over blocks of rows, then the id's characters
        block, num, ok = cells[a:a + _ROWS], number[a:a + _ROWS], digits[a:a + _ROWS]
        for j in range(prefix, cells.shape[1]):
            d = block[:, j] - np.uint8(ord("0"))  # wraps below '0': not a digit either way
            ok &= d <= 9
            num *= 10
            num += d
    return number, digits


@dataclass(frozen=True)
class _Numbered:
    """Keys that are numbered ids ('I0000042'), looked up by number, not by hashing.

    When every key has the same length, the same leading bytes and then only digits,
    a value equals a key exactly when it has that length, those bytes and digits, and
    the same number: the lookup is then an array index by number (a few times faster
    than hashing millions of ids).
    """

    width: int
    prefix: np.ndarray  # the leading bytes every key shares (the letters of 'I0000042')
    low: int  # the smallest number
    first: np.ndarray  # by number - low: the first key with that number, -1 for none
    own: np.ndarray  # each key's own lookup: the first key with its number

    @classmethod
    def of(cls, keys: pa.Array) -> _Numbered | None:
        """The keys by number, or None when they are not such ids (then they are hashed)."""
        offsets, _ = text_buffers(keys)
        if len(keys) == 0 or keys.null_count:
            return None
        width = int(offsets[1] - offsets[0])
        if not (np.diff(offsets) == width).all():
            return None
        _, cells = _fixed_width(keys, width)
        letters = 0
        while letters < width and (cells[:, letters] == cells[0, letters]).all():
            letters += 1
        while letters > 0 and ord("0") <= cells[0, letters - 1] <= ord("9"):
            letters -= 1  # shared leading digits ('I00000...') are part of the number
        if letters == width or width - letters > _MAX_DIGITS:
            return None
        number, digits = _numbers(cells, letters)
        if not digits.all():
            return None
        low, span = int(number.min()), int(number.max() - number.min()) + 1
        if span > 4 * len(keys) + 1024:  # sparse numbers: hashing is as good
            return None
        first = np.full(span, len(keys), dtype=np.int64)
        np.minimum.at(first, number - low, np.arange(len(keys), dtype=np.int64))
        first[first == len(keys)] = -1
        return cls(width, cells[0, :letters].copy(), low, first, first[number - low])

    def find(self, values: pa.Array) -> np.ndarray:
        """Position of each value among the keys, -1 where absent or null."""
        rows, cells = _fixed_width(values, self.width)
        number, ok = _numbers(cells, len(self.prefix))
        for j, byte in enumerate(self.prefix):
            ok &= cells[:, j] == byte
        number -= self.low
        ok &= (number >= 0) & (number < len(self.first))
        if len(rows) == len(values) and ok.all():  # every value an id of this kind
            return self.first[number]
        found = np.full(len(values), -1, dtype=np.int64)
        found[rows[ok]] = self.first[number[ok]]
        return found


def _numbered_lookup(values: pa.Array, keys: pa.Array) -> np.ndarray | None:
    """:func:`lookup` by number (:class:`_Numbered`), or None when the keys are not
    numbered ids."""
    numbered = _Numbered.of(keys)
    return None if numbered is None else numbered.find(values)


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

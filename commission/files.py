"""Writing files whole or not at all: the one atomic-write helper every door uses.

A file is written beside its destination under a temporary name, flushed to disk
(``fsync``) and only then renamed over the destination (``os.replace``, atomic on
one file system), so a reader sees the old file or the new one, never half of it.
:func:`staged` does this for several files at once: none is renamed into place
until every one of them is complete.

Files are pay data (exports, statements, lines and payouts): they are created
readable by their owner only (``0600``, less if the umask takes more away), never
world-readable. And every CSV a person may open in a spreadsheet goes through
:func:`safe_frame` / :func:`safe_text`: a text cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'`` so the spreadsheet shows
it instead of running it; a cell that is a plain number (``-45.00``) is left alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from commission.keys import edge_bytes

__all__ = ["FILE_MODE", "file_mode", "file_part", "safe_frame", "safe_text", "safe_value",
           "staged", "write_atomic"]

FILE_MODE = 0o600  # pay files: the owner only (the umask may take more away, never add)
#: what a spreadsheet reads as the start of a formula
FORMULA_START = r"^[=+\-@\t\r]"
#: a plain number is data, even when it starts with a sign ('-45.00', '+3')
PLAIN_NUMBER = r"^[+-]?[0-9][0-9,]*(\.[0-9]+)?$"
_FORMULA = re.compile(FORMULA_START)
#: what a file-name part may hold: no separator, no dot (so no '..'), no space or markup
_NOT_FILE_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_NUMBER = re.compile(PLAIN_NUMBER)


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)  # no race on the mode: files are created 0600 by mkstemp anyway
    os.umask(mask)
    return mask


def file_part(text: str) -> str:
    """``text`` made safe inside a file or ZIP member name, still telling ids apart.

    Ids are free text (a rep id may hold ``/``, ``..``, ``\\`` or markup), so a name built
    from one could climb out of a folder when the ZIP is unpacked. Any character outside
    ``A-Z a-z 0-9 _ -`` becomes ``_``; when that changed anything, a short digest of the
    original follows, so ``a/b`` and ``a_b`` never share a file.
    """
    cleaned = _NOT_FILE_SAFE.sub("_", text)[:80]
    if cleaned == text:
        return text
    return f"{cleaned}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def file_mode() -> int:
    """The mode pay files are written with: 0600 less whatever the umask removes."""
    return FILE_MODE & ~_umask()


def safe_value(value: Any) -> Any:
    """One cell made safe for a spreadsheet: a formula-like text gets a leading ``'``.

    >>> safe_value("=HYPERLINK(1)"), safe_value("-45.00"), safe_value("Ann"), safe_value(3)
    ("'=HYPERLINK(1)", '-45.00', 'Ann', 3)
    """
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


_FORMULA_BYTES = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)


def _may_start_a_formula(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any cell starts with a formula character (a cheap test before the regex)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return any(np.isin(edge_bytes(c), _FORMULA_BYTES).any() for c in chunks)


def safe_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """An Arrow string column with every formula-like cell prefixed by ``'`` (vectorised)."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return values
    if not _may_start_a_formula(values):
        return values
    risky = pc.and_(pc.match_substring_regex(values, FORMULA_START),
                    pc.invert(pc.match_substring_regex(values, PLAIN_NUMBER)))
    if not pc.any(risky).as_py():
        return values
    quoted = pc.binary_join_element_wise(pa.scalar("'", values.type), values,
                                         pa.scalar("", values.type))
    return pc.if_else(risky, quoted, values)


def safe_frame(frame: pd.DataFrame, numeric: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe to open in a spreadsheet.

    ``numeric`` columns (money written as '-45.00', counts) are never touched; in the
    others, only string cells that start like a formula and are not plain numbers.
    """
    skip = set(numeric)
    out = frame.copy()
    for col in out.columns:
        if col in skip or not (out[col].dtype == object or pd.api.types.is_string_dtype(
                out[col].dtype)):
            continue
        out[col] = [safe_value(v) for v in out[col].to_numpy(dtype=object)]
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def staged(folder: str | Path) -> Iterator[Callable[[str], Path]]:
    """Yield ``stage(name)``: a temporary path in ``folder`` that becomes ``folder/name``.

    When the block ends without an exception, every staged file is flushed to disk
    and renamed into place; on any exception none is, and the temporary files are
    removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with staged(d) as stage:
    ...     _ = stage("a.txt").write_text("one")
    >>> (d / "a.txt").read_text()
    'one'
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files: list[tuple[Path, Path]] = []

    def stage(name: str) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
        os.close(fd)
        os.chmod(tmp, file_mode())
        files.append((Path(tmp), out / name))
        return Path(tmp)

    try:
        yield stage
        for tmp, _final in files:
            _fsync(tmp)
        for tmp, final in files:
            os.replace(tmp, final)
    finally:
        for tmp, _final in files:
            tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    path = Path(path)
    with staged(path.parent) as stage:
        stage(path.name).write_bytes(data)
    return path

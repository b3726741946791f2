"""Writing files whole or not at all: the one atomic-write helper every door uses.

A file is written beside its destination under a temporary name, flushed to disk
(``fsync``) and only then renamed over the destination (``os.replace``, atomic on
one file system), so a reader sees the old file or the new one, never half of it.
:func:`staged` does this for several files at once: none is renamed into place
until every one of them is complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["staged", "write_atomic"]

FILE_MODE = 0o644  # mkstemp creates 0600; results are ordinary files


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
        os.chmod(tmp, FILE_MODE)
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

"""A CSV file parsed into Arrow columns of text: the part of reading that needs neither
pandas nor the engine, so :class:`Prefetch` can start it before they are imported.

Cheap checks of the header come first (an empty file, an overlong or many-column
first line, a duplicated name) and refuse a file without parsing it, in bounded time
and memory. Every cell is then read as text; :mod:`.reading` types and checks the
cells afterwards, with the line of each bad one.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import mmap
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from commission.problems import Problem
from commission.vocabulary import INPUT_COLUMNS

#: a header line longer than this, or with more columns, is not one of the contract's
#: headers: refused before anything else reads the file (bounded time and memory)
MAX_HEADER_BYTES = 65_536
MAX_HEADER_COLUMNS = 256

NEWLINE, QUOTE, RETURN = ord("\n"), ord('"'), ord("\r")
BLOCK = 1 << 24  # bytes compared at a time when counting line ends

#: the rows with the wrong number of fields listed by line (the rest are counted)
SHOWN_BAD_ROWS = 200

#: files parsed at once (the machine's cores; each file's parse is also threaded by Arrow)
READ_THREADS = 2

UNREADABLE = "a UTF-8 CSV file with a header row"


def _first_line(path: Path) -> bytes | None:
    """The file's first line (without its end), or None when longer than MAX_HEADER_BYTES."""
    with path.open("rb") as fh:
        head = fh.read(MAX_HEADER_BYTES + 2)
    end = head.find(b"\n")
    if end < 0:
        return None if len(head) > MAX_HEADER_BYTES else head
    return head[:end]


def header_problems(path: Path, source: str) -> list[Problem]:
    """An empty file, an overlong or many-column first line, a duplicated column name."""
    if path.stat().st_size == 0:
        return [Problem(source, None, None, None, "the file is empty (0 bytes)",
                        "a CSV file with a header row")]
    head = _first_line(path)
    if head is None:
        return [Problem(source, 1, None, None,
                        f"the first line is longer than {MAX_HEADER_BYTES:,} bytes: not a "
                        "header row (is this a CSV file?)", "a CSV file with a header row")]
    names = [n.strip().strip('"').strip() for n in
             head.decode("utf-8-sig", errors="replace").strip("\r").split(",")]
    if len(names) > MAX_HEADER_COLUMNS:
        return [Problem(source, 1, None, None, f"the header has {len(names):,} columns",
                        f"at most {MAX_HEADER_COLUMNS} (the contract's columns)")]
    seen: set[str] = set()
    dups = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    return [Problem(source, 1, n, None, "duplicate column: the header names it twice",
                    "each column once") for n in dict.fromkeys(dups)]


#: checks of a file before it is parsed, each a function of (path, source) -> problems
FILE_CHECKS: list[Callable[[Path, str], list[Problem]]] = [header_problems]


def _header_as_read(path: Path) -> list[str]:
    """The header's names exactly as Arrow names the columns (unquoted, spaces kept), so
    every column is read as text: a name typed as ``" amount"`` or left empty must not
    have its cells parsed as numbers (it is trimmed, or reported as a column with no
    name, afterwards)."""
    with path.open("rb") as fh:
        head = fh.readline().decode("utf-8-sig").rstrip("\r\n")
    return next(csv.reader([head]), [])


def short(exc: BaseException) -> str:
    """An exception's first line, at most 160 characters, for a problem's message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:160]


@dataclass(frozen=True)
class Parsed:
    """A file's cells as text (None when it is unusable), and what was wrong with it:
    ``problems`` stop the file (its header, or it cannot be read); ``bad_rows`` are the
    first :data:`SHOWN_BAD_ROWS` rows whose number of fields is not the header's, of
    ``bad_count`` in all."""

    table: pa.Table | None
    problems: list[Problem] = field(default_factory=list)
    bad_rows: list[Problem] = field(default_factory=list)
    bad_count: int = 0
    lines: np.ndarray | None = None  # the file line of each row, when not simply 2, 3, ...

    def line_numbers(self) -> np.ndarray:
        """The line in the file on which each row starts (the header is line 1)."""
        n = 0 if self.table is None else self.table.num_rows
        return self.lines if self.lines is not None else np.arange(2, n + 2, dtype=np.int64)


def parse(path: Path, source: str) -> Parsed:
    """Check ``path``'s header, then parse every cell as text (Arrow, off the GIL)."""
    try:
        early = [p for check in FILE_CHECKS for p in check(path, source)]
    except OSError as exc:
        early = [Problem(source, None, None, None, f"cannot read the file ({short(exc)})",
                         UNREADABLE)]
    if early:
        return Parsed(None, early)
    bad = _BadRows(keep=0)
    try:
        table = _read(path, bad, threads=True)
        if bad.count:  # the file is refused: say on which line each bad row is
            shown = _bad_row_problems(path, source) or [Problem(
                source, None, None, None, "a row with the wrong number of fields",
                "one field per column (quote fields that contain commas)")]
            return Parsed(table, [], shown, bad_count=bad.count)
        return Parsed(table, lines=_row_lines(path, table.num_rows))
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid, csv.Error, ValueError) as exc:
        return Parsed(None, [_not_utf8(path, source) or Problem(
            source, None, None, None, f"cannot read the file ({short(exc)})", UNREADABLE)])


#: what a file that is not UTF-8 text should be
UTF8 = ("UTF-8 text (a spreadsheet's \"CSV UTF-8\"; not UTF-16, Latin-1 or a "
        "compressed file)")


def _not_utf8(path: Path, source: str, chunk: int = 1 << 24) -> Problem | None:
    """Where ``path`` stops being UTF-8: its first bad byte, by line and character
    (the reader only says the file has one somewhere). None when it is all UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, partial = 1, b""  # partial: the current line's bytes before this block (≤ 1 MB)
    with contextlib.suppress(OSError), path.open("rb") as fh:
        while block := fh.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:  # exc.object: bytes held back + this block
                at = exc.start - (len(exc.object) - len(block))  # < 0: held back, in partial
                return _bad_byte(source, line, partial + block, len(partial) + at)
            line += block.count(b"\n")
            partial = (partial + block).rsplit(b"\n", 1)[-1][-(1 << 20):]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return Problem(source, line, None, None, "the file ends inside a character: "
                           "not UTF-8 text", UTF8)
    return None


def _bad_byte(source: str, line: int, text: bytes, at: int) -> Problem:
    """The problem of the byte at ``text[at]``, ``text`` starting at the start of ``line``."""
    before = text[:at]
    start = before.rfind(b"\n") + 1
    column = len(before[start:].decode("utf-8", errors="replace")) + 1
    return Problem(source, line + before.count(b"\n"), None, None,
                   f"byte 0x{text[at]:02x} (character {column} of the line) is not UTF-8 "
                   "text", UTF8)


def _read(path: Path, bad_row: Callable[[pacsv.InvalidRow], object], threads: bool
          ) -> pa.Table:
    """Every cell of ``path`` as text; a row with the wrong number of fields is handed
    to ``bad_row`` and skipped."""
    def skip(row: pacsv.InvalidRow) -> str:
        bad_row(row)
        return "skip"

    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8", use_threads=threads),
        parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(_header_as_read(path), pa.large_string()),
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _bad_row_problems(path: Path, source: str) -> list[Problem]:
    """A problem for each row whose number of fields is not the header's, at its line.

    Arrow numbers rows only when it parses on one thread, and then counts records (a
    blank line is none, a quoted field across lines is one): the file is read again
    that way, and each record's number turned into the line it starts on.
    """
    rows = _BadRows(keep=SHOWN_BAD_ROWS)
    _read(path, rows, threads=False)
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        starts = _record_starts(np.frombuffer(mm, dtype=np.uint8))
    return [Problem(source, int(starts[r.number - 1]) if r.number and r.number <= len(starts)
                    else r.number, None, None,
                    f"{r.actual_columns} fields where the header has {r.expected_columns}: "
                    f"{r.text[:80]!r}", "one field per column (quote fields that contain commas)")
            for r in rows.kept]


class _BadRows:
    """Counts the rows Arrow could not split into the header's fields, keeping the first
    ``keep`` (a hostile file of a million bad rows is not held twice)."""

    def __init__(self, keep: int) -> None:
        self.keep, self.count = keep, 0
        self.kept: list[pacsv.InvalidRow] = []

    def __call__(self, row: pacsv.InvalidRow) -> None:
        self.count += 1
        if len(self.kept) < self.keep:
            self.kept.append(row)


def _row_lines(path: Path, rows: int) -> np.ndarray | None:
    """Where the rows start when a row is not one line each (None when it is).

    Arrow skips blank lines and reads a quoted field across lines, so counting rows
    would point every problem after a blank line at the line above it. Counting the
    file's line ends says whether that can happen (a mapped file, numpy off the GIL).
    """
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _record_lines(np.frombuffer(mm, dtype=np.uint8), rows)


def _record_lines(data: np.ndarray, rows: int) -> np.ndarray | None:
    """The first line of each row of ``data`` (the file's bytes), the header's left out;
    None when each line is a row, or when this count of rows disagrees with Arrow's
    (the rows are then numbered as counted, as before)."""
    ends = sum(int(np.count_nonzero(data[i:i + BLOCK] == NEWLINE))
               for i in range(0, len(data), BLOCK))
    if ends + (len(data) > 0 and data[-1] != NEWLINE) == rows + 1:
        return None
    lines = _record_starts(data)
    return lines[1:] if len(lines) == rows + 1 else None


def _record_starts(data: np.ndarray) -> np.ndarray:
    """The line on which each record of ``data`` starts, the header's first (line 1).

    Records end at the line ends outside quotes (an even number of quotes before
    them); blank records (nothing, or only a carriage return) are none.
    """
    breaks = np.flatnonzero(data == NEWLINE)
    quoted = np.searchsorted(np.flatnonzero(data == QUOTE), breaks) % 2 == 1
    record_ends = np.r_[breaks[~quoted], len(data)]
    starts = np.r_[0, record_ends[:-1] + 1]
    size = record_ends - starts
    crlf = (size == 1) & (data[np.minimum(starts, len(data) - 1)] == RETURN)
    kept = starts[(size > 0) & ~crlf]
    return (np.searchsorted(breaks, kept) + 1).astype(np.int64)  # line ends before, + 1


class Prefetch:
    """The CSV files of a folder being parsed on threads, from the moment a command knows
    where they are: Arrow parses off the GIL while the interpreter imports pandas and the
    engine (a second or more of a calculation's start on two cores).

    :func:`commission.inputs.reading.read_tables` takes each file's result; a file it
    does not take (a problem stopped the command first) is dropped with the threads.
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=READ_THREADS)
        self.paths = tuple(sorted(paths, key=lambda p: -file_size(p)))  # biggest first
        self._parsing: dict[Path, Future[Parsed]] = {
            p: self._pool.submit(parse, p, p.name.lower()) for p in self.paths}

    @classmethod
    def folder(cls, folder: str | Path) -> Prefetch:
        """The contract's files in ``folder`` (any other file is never read; none when
        it is not a folder), found as :func:`~commission.inputs.reading.read_tables`
        finds them."""
        path = Path(folder)
        found = [p for p in path.glob("*.csv") if p.name.lower()[:-4] in INPUT_COLUMNS] \
            if path.is_dir() else []
        return cls(found)

    def take(self, path: Path, source: str) -> Parsed:
        """``path`` parsed (waiting for it if need be), or parsed now if not prefetched."""
        parsing = self._parsing.pop(path, None)
        if parsing is None or source != path.name.lower():
            return parse(path, source)
        return parsing.result()

    def close(self) -> None:
        """Drop what was not taken: queued files are not parsed, running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def file_size(path: Path) -> int:
    """The file's size, 0 when it cannot be read (parsing it reports why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0

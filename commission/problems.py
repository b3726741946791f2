"""Problems found in the input: records collected across the whole input, never raised singly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads for a table of problems, not for the command line's parser
    import pandas as pd


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, precise enough to find and fix it."""

    source: str  # file name (``payments.csv``, ``rules/x.yaml``) or table
    row: int | None  # line number in the file (header is line 1), None for file-level problems
    column: str | None  # column, or key path for a plan
    record_id: str | None  # id of the record, when it has one
    message: str  # what is wrong
    expected: str  # what is expected instead

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f":{self.row}"
        if self.column:
            where += f" [{self.column}]"
        if self.record_id:
            where += f" {self.record_id}"
        return f"{where}: {self.message}; expected {self.expected}"


class InputError(Exception):
    """Raised at a door (CLI, store, app) when the input has problems; carries all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__(f"{len(self.problems)} problem(s) in the input")


class StoreError(Exception):
    """A store this version of the program cannot use as it is (one line for the person
    who opened it), e.g. one a newer version has migrated further."""


def _sort_key(p: Problem) -> tuple:
    return (p.source, p.row if p.row is not None else -1, p.column or "", p.message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(set(problems), key=_sort_key)


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a table (for the app and for tests)."""
    import pandas as pd

    rows = [asdict(p) for p in sort_problems(problems)]
    cols = ["source", "row", "column", "record_id", "message", "expected"]
    return pd.DataFrame(rows, columns=cols)

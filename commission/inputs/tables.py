"""The typed input tables the engine works on, whatever door they came through.

Every door (CSV folder, database, app upload) produces an :class:`Inputs` of
validated columns: ids as strings, dates as ``datetime64``, money as int64
cents, split shares as int64 billionths (``SHARE_SCALE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import TypeVar

import numpy as np
import pandas as pd

from commission.vocabulary import INPUT_COLUMNS

T = TypeVar("T")

SHARE_SCALE = 10**9  # a split share 0.6 is held as 600_000_000

#: The contract's tables and their columns, in file order (defined with the shared words,
#: so reading can start before this module's pandas is imported)
COLUMNS: dict[str, list[str]] = INPUT_COLUMNS
OPTIONAL_TABLES = frozenset({"splits", "disputes", "plan_assignments", "quotas",
                             "commission_adjustments"})
#: columns a file may leave out (older files): read as empty
OPTIONAL_FILE_COLUMNS = frozenset({("adjustments", "reverses_adjustment_id")})
#: part 2's tables (plans over time, quotas, manual lines)
PART2_TABLES = ("plan_assignments", "quotas", "commission_adjustments")
#: what the store holds: every table and column of the contract (migration 0010
#: added part 2's tables and ``adjustments.reverses_adjustment_id``)
STORED_COLUMNS: dict[str, list[str]] = {name: list(cols) for name, cols in COLUMNS.items()}
DATE_COLUMNS = frozenset(
    {"invoice_date", "due_date", "payment_date", "adjustment_date", "opened_date", "resolved_date",
     "effective_from"}
)
MONEY_COLUMNS = frozenset({"amount"})
ADJUSTMENT_KINDS = ("credit_note", "discount", "write_off", "write_off_reversal")
#: id column of each table (splits have a composite key)
ID_COLUMN = {
    "reps": "rep_id",
    "customers": "customer_id",
    "invoices": "invoice_id",
    "payments": "payment_id",
    "adjustments": "adjustment_id",
    "disputes": "dispute_id",
    "commission_adjustments": "commission_adjustment_id",
}


#: every column that refers to another table's id (itself first: duplicates show there)
REFERENCES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("invoices", "invoice_id"): [("invoices", "invoice_id"), ("payments", "invoice_id"),
                                 ("adjustments", "invoice_id"), ("disputes", "invoice_id"),
                                 ("splits", "invoice_id")],
    ("reps", "rep_id"): [("reps", "rep_id"), ("invoices", "rep_id"), ("splits", "rep_id"),
                         ("reps", "manager_id"), ("plan_assignments", "rep_id"),
                         ("quotas", "rep_id"), ("commission_adjustments", "rep_id")],
    ("adjustments", "adjustment_id"): [("adjustments", "adjustment_id"),
                                       ("adjustments", "reverses_adjustment_id")],
    ("payments", "payment_id"): [("payments", "payment_id"),
                                 ("payments", "reverses_payment_id")],
    ("customers", "customer_id"): [("customers", "customer_id"), ("invoices", "customer_id")],
}


def empty_table(name: str) -> pd.DataFrame:
    """A typed, empty table (used for absent optional tables)."""
    data: dict[str, pd.Series] = {}
    for col in COLUMNS[name]:
        if col in DATE_COLUMNS:
            data[col] = pd.Series([], dtype="datetime64[s]")
        elif col in MONEY_COLUMNS or col == "share":
            data[col] = pd.Series([], dtype="int64")
        else:
            data[col] = pd.Series([], dtype=object)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class Inputs:
    """All the input tables, validated and typed."""

    reps: pd.DataFrame
    customers: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    adjustments: pd.DataFrame
    splits: pd.DataFrame
    disputes: pd.DataFrame
    plan_assignments: pd.DataFrame = field(
        default_factory=lambda: empty_table("plan_assignments"))
    quotas: pd.DataFrame = field(default_factory=lambda: empty_table("quotas"))
    commission_adjustments: pd.DataFrame = field(
        default_factory=lambda: empty_table("commission_adjustments"))
    _positions: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Tables from older doors lack the newer optional columns: they are empty."""
        for name, col in OPTIONAL_FILE_COLUMNS:
            frame = getattr(self, name)
            if col not in frame.columns:
                object.__setattr__(self, name, frame.assign(
                    **{col: pd.Series([None] * len(frame), dtype=object, index=frame.index)}))

    def positions(self, table: str, column: str, target: str, target_column: str):
        """Row position in ``target`` of each id in ``table.column`` (-1: unknown), cached.

        Validation and the engine resolve the same references, so each is resolved
        once; every column that refers to the same target is resolved in the same
        pass, hashing the target's ids once (the first occurrence wins).
        """
        from commission.keys import lookup_many  # here to keep tables.py free of Arrow at import

        def name(t: str, c: str) -> str:
            return f"positions {t}.{c} in {target}.{target_column}"

        found = self._cached((table, target), name(table, column))
        if found is not None:
            return found[1]
        group = [r for r in REFERENCES.get((target, target_column), [])
                 if r != (table, column)]
        group = [(table, column), *group]
        found_all = lookup_many([getattr(self, t)[c] for t, c in group],
                                getattr(self, target)[target_column])
        for (t, c), pos in zip(group, found_all, strict=True):
            if self._cached((t, target), name(t, c)) is None:
                self._keep((t, target), name(t, c), pos)
        return found_all[0]

    def months(self, table: str, column: str) -> np.ndarray:
        """The month number of each date of ``table.column``, worked out once for the
        table (the checks and the engine, and every plan of a what-if, read them)."""
        from commission.periods import month_index

        return self.derived((table,), f"months {column}", lambda: month_index(
            getattr(self, table)[column].to_numpy()))

    def derived(self, tables: tuple[str, ...], name: str, make: Callable[[], T]) -> T:
        """``make()``, a figure derived from ``tables`` only, computed once for those tables.

        What-if runs each plan on the same inputs: day numbers, merged disputes and
        who is credited on each invoice are the same for every plan, so they are
        worked out once. The cache is shared with every :meth:`replace` copy and
        keyed by the very table objects, so a copy with a table replaced never
        reads a figure of the old one.
        """
        found = self._cached(tables, name)
        if found is None:
            found = self._keep(tables, name, make())
        return found[1]

    def _cached(self, tables: tuple[str, ...], name: str) -> tuple | None:
        frames = tuple(getattr(self, t) for t in tables)
        entry = self._positions.get((name, tuple(map(id, frames))))
        if entry is None or any(a is not b for a, b in zip(entry[0], frames, strict=True)):
            return None
        return entry

    def _keep(self, tables: tuple[str, ...], name: str, value: object) -> tuple:
        frames = tuple(getattr(self, t) for t in tables)
        if len(self._positions) > 512:  # many what-ifs on shifted copies: start afresh
            self._positions.clear()
        entry = (frames, value)  # the frames kept alive: their ids stay theirs
        self._positions[(name, tuple(map(id, frames)))] = entry
        return entry

    def forget_derived(self) -> None:
        """Drop the figures :meth:`derived` kept (a few hundred MB at a million invoices):
        a one-off calculation that has computed frees them before it writes its files."""
        self._positions.clear()

    @classmethod
    def empty(cls) -> Inputs:
        return cls(**{name: empty_table(name) for name in COLUMNS})

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in COLUMNS}

    def replace(self, **changes: pd.DataFrame) -> Inputs:
        """A copy with some tables replaced, sharing what was worked out from the others."""
        return replace(self, **changes)

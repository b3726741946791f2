"""Input tables: their schemas (:mod:`.tables`), reading them (:mod:`.reading`) and
checking them across tables (:mod:`.checks`). Callers import from ``commission.inputs``."""

from commission.inputs.checks import CHECKS, check
from commission.inputs.reading import read_inputs, read_tables, to_inputs, validate_tables
from commission.inputs.tables import (
    ADJUSTMENT_KINDS,
    COLUMNS,
    DATE_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
    OPTIONAL_TABLES,
    SHARE_SCALE,
    Inputs,
    empty_table,
)

__all__ = [
    "ADJUSTMENT_KINDS",
    "CHECKS",
    "COLUMNS",
    "DATE_COLUMNS",
    "ID_COLUMN",
    "MONEY_COLUMNS",
    "OPTIONAL_TABLES",
    "SHARE_SCALE",
    "Inputs",
    "check",
    "empty_table",
    "read_inputs",
    "read_tables",
    "to_inputs",
    "validate_tables",
]

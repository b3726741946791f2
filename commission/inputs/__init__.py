"""Input tables: their schemas (:mod:`.tables`), parsing the files (:mod:`.csv_text`),
reading them (:mod:`.reading`) and checking them across tables (:mod:`.checks`).
Callers import from ``commission.inputs``.

Names are imported on first use (PEP 562): a calculation starts parsing its files
(:mod:`.csv_text`, Arrow only) before pandas and the checks are imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commission.lazy import exports

_TABLES = ("ADJUSTMENT_KINDS", "COLUMNS", "DATE_COLUMNS", "ID_COLUMN", "MONEY_COLUMNS",
           "OPTIONAL_TABLES", "SHARE_SCALE", "Inputs", "empty_table")
_READING = ("read_inputs", "read_tables", "start_validation", "to_inputs", "validate_tables")

#: public name -> the module that defines it
_WHERE = {"CHECKS": "commission.inputs.checks", "check": "commission.inputs.checks",
          **dict.fromkeys(_TABLES, "commission.inputs.tables"),
          **dict.fromkeys(_READING, "commission.inputs.reading")}

__all__ = [
    "ADJUSTMENT_KINDS", "CHECKS", "COLUMNS", "DATE_COLUMNS", "ID_COLUMN", "MONEY_COLUMNS",
    "OPTIONAL_TABLES", "SHARE_SCALE", "Inputs", "check", "empty_table", "read_inputs",
    "read_tables", "start_validation", "to_inputs", "validate_tables",
]
assert sorted(__all__) == sorted(_WHERE)

__getattr__, __dir__ = exports(__name__, _WHERE)


if TYPE_CHECKING:  # what type checkers and editors see
    from commission.inputs.checks import CHECKS, check
    from commission.inputs.reading import (
        read_inputs,
        read_tables,
        start_validation,
        to_inputs,
        validate_tables,
    )
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

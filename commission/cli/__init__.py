"""The command line: ``commission calculate | validate | sample | load | batch ...``.

- :mod:`.parser`: the one parser and ``main``;
- :mod:`.commands`: commands on a data folder (calculate, validate, sample);
- :mod:`.store_commands`: commands on the store (load, batch, statement, aging);
- :mod:`.common`: errors and options both groups share.

Files are written with :func:`commission.files.write_atomic` (whole or not at all).
"""

from commission.cli.parser import build_parser, main, run

__all__ = ["build_parser", "main", "run"]

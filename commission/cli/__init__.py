"""The command line: ``commission calculate | validate | sample | load | batch ...``."""

from commission.cli.commands import main

__all__ = ["main"]

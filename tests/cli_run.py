"""Run the command line in-process, as the CLI tests do: exit code, stdout, stderr."""

from __future__ import annotations

from commission.cli.parser import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``commission ARGS`` in this process; what it printed, captured by pytest's capsys."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err

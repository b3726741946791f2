"""The ``commission`` command line: one parser over both groups of commands, and ``main``.

A user's mistake (bad input, a refused operation) prints a clear message and
exits 2, never a traceback; nothing is written when anything is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from commission.cli import (
    collections_commands,
    commands,
    inquiry_commands,
    scenario_commands,
    store_commands,
)
from commission.cli.common import EXIT_PROBLEMS, UserError, print_problems
from commission.problems import InputError

#: the groups of commands, each adding its subcommands to the parser
GROUPS = (commands.register, store_commands.register, collections_commands.register,
          inquiry_commands.register, scenario_commands.register)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commission",
        description="Commission on cash collected: calculate, validate, load, run batches.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in GROUPS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print_problems(exc.problems)
        return EXIT_PROBLEMS
    except UserError as exc:
        print(f"commission: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except OSError as exc:  # --out into a missing or unwritable folder, a vanished file
        where = f" {exc.filename}" if exc.filename else ""
        print(f"commission: cannot write or read{where}: {exc.strerror or exc}; nothing was "
              "written", file=sys.stderr)
        return EXIT_PROBLEMS
    except DBAPIError as exc:  # the database refused (read-only file, lost connection, ...)
        lines = str(exc.orig or exc).strip().splitlines()
        print(f"commission: the database refused: {lines[0] if lines else exc}; nothing was "
              "written", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

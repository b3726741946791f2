"""The ``commission`` command line: one parser over both groups of commands, and ``main``.

A user's mistake (bad input, a refused operation) prints a clear message and
exits 2, never a traceback; nothing is written when anything is wrong.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from commission.allocator import keep_freed_memory, prefer_jemalloc, small_pages_for_numpy
from commission.cli import (
    collections_commands,
    commands,
    inquiry_commands,
    scenario_commands,
    store_commands,
)
from commission.cli.common import EXIT_PROBLEMS, UserError, print_problems
from commission.problems import InputError, StoreError

#: the groups of commands, each adding its subcommands to the parser
GROUPS = (commands.register, store_commands.register, collections_commands.register,
          inquiry_commands.register, scenario_commands.register)


#: commands on a folder of files: their parser needs nothing of the store's
FILE_COMMANDS = frozenset({"calculate", "validate", "sample"})


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; for a command on files (``argv`` starts with one), only
    that group, so ``calculate`` does not import the store (about a second at start)."""
    parser = argparse.ArgumentParser(
        prog="commission",
        description="Commission on cash collected: calculate, validate, load, run batches.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    args = list(sys.argv[1:] if argv is None else argv)
    files_only = bool(args) and args[0] in FILE_COMMANDS
    for register in (commands.register,) if files_only else GROUPS:
        register(sub)
    return parser


def _is_db_error(exc: Exception) -> bool:
    """A DBAPIError, without importing SQLAlchemy for commands that never open the store."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print_problems(exc.problems)
        return EXIT_PROBLEMS
    except (UserError, StoreError) as exc:
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
    except Exception as exc:  # the database refused (read-only file, lost connection, ...)
        if not _is_db_error(exc):
            raise
        lines = str(exc.orig or exc).strip().splitlines()
        print(f"commission: the database refused: {lines[0] if lines else exc}; nothing was "
              "written", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


#: allocations between two passes of the garbage collector's youngest generation: a
#: command imports a few hundred thousand objects that live until it ends, and at the
#: default 700 the collector walks them hundreds of times (0.2-0.4 s of a store
#: command); cycles left meanwhile are a few MB at most
GC_THRESHOLD = 50_000


def run() -> None:
    """The ``commission`` program (the console script): :func:`main`'s status as the exit.

    The garbage collector runs less often (:data:`GC_THRESHOLD`), and the objects
    still alive at the end are frozen out of it (:func:`gc.freeze`): at exit the
    interpreter would otherwise collect the whole heap (pandas, SQLAlchemy, the
    store's tables, a million lines' columns) only to free what the operating system
    frees anyway, 0.4 to 0.7 s of every command. What a command opens is closed by
    then; at-exit handlers still run. Arrow's memory comes from jemalloc, freed
    memory is reused and numpy takes ordinary pages (:mod:`commission.allocator`).
    Not in :func:`main`, which tests and programs call in a process that goes on.
    """
    prefer_jemalloc()
    keep_freed_memory()
    small_pages_for_numpy()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()

"""What every command shares: how a user's mistake is reported, and the store option."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from commission.problems import Problem, sort_problems
from commission.vocabulary import DB_URL_ENV, DEFAULT_DB_URL

EXIT_PROBLEMS = 2


class UserError(Exception):
    """A mistake in how the command was used: shown as one line, exit 2."""


#: the largest id a store hands out (PostgreSQL's INTEGER): a larger one names nothing
MAX_ID = 2_147_483_647


def record_id(text: str) -> int:
    """A batch, inquiry or scenario id as argparse reads it: a whole number from 1 to
    :data:`MAX_ID` (a larger one overflowed the database driver into a traceback)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not an id: expected a whole number from 1 to {MAX_ID:,}")
    return value


def print_problems(problems: Sequence[Problem], what: str = "nothing was written") -> None:
    problems = sort_problems(problems)
    print(f"{len(problems)} problem(s) found; {what}:", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)


def add_db_option(parser: argparse.ArgumentParser, inherited: bool = False) -> None:
    """``--db URL``; on a subcommand (``inherited``), absent means its parent's value."""
    if inherited:
        parser.add_argument("--db", default=argparse.SUPPRESS)
    else:
        parser.add_argument("--db", help=f"SQLAlchemy URL (default: ${DB_URL_ENV} or "
                                         f"{DEFAULT_DB_URL})")

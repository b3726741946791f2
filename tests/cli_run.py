"""Run the command line in-process, as the CLI tests do: exit code, stdout, stderr."""

from __future__ import annotations

from pathlib import Path

from commission.cli.parser import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``commission ARGS`` in this process; what it printed, captured by pytest's capsys."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


RULES = Path(__file__).resolve().parents[1] / "rules"


def loaded_store(capsys, store_url: str, data: Path,
                 users: tuple[tuple[str, str, str | None], ...]) -> list[str]:
    """A store through the command line: root@example.com (admin, finance), then each
    ``(name, role, rep_id or None)`` as ``name@example.com``, then ``data`` loaded with
    the shipped rules by root. Returns the ``--db URL`` arguments."""
    db = ["--db", store_url]
    assert run(capsys, "user", *db, "add", "root@example.com", "--name", "Root",
               "--role", "admin", "--role", "finance")[0] == 0
    for name, role, rep in users:
        extra = ["--rep", rep] if rep else []
        assert run(capsys, "user", *db, "add", f"{name}@example.com", "--name", name,
                   "--role", role, *extra, "--as", "root@example.com")[0] == 0
    assert run(capsys, "load", *db, "--data", str(data), "--rules", str(RULES),
               "--as", "root@example.com")[0] == 0
    return db

"""The store's commands at scale, on SQLite and PostgreSQL (a section of benchmarks/run.py).

Each repeat starts from an empty database: ``load``, then the payroll of the
second-to-last month of the data (``batch run``, approve, ``batch lock``, ``batch
diff``, ``batch export``, one rep's ``statement`` as HTML, ``aging``), a later load
(one rep renamed: a load into a store with history), then next month's incremental
``batch run``, approved and locked. Every command is the command line in a fresh
process, so whatever makes the store faster shows here without changing this file.

PostgreSQL: ``COMMISSION_BENCH_PG_URL`` (each repeat in a fresh schema), or a
throwaway cluster on loopback started here and removed afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
from measure import OURS, ROOT, Run, env_with_checkout, measure

USERS = (("root", "admin", "finance"), ("ana", "finance"), ("bob", "approver"))
STEPS = ("load", "batch run", "batch lock", "batch diff", "batch export",
         "statement (HTML, one rep)", "statement's start and imports alone", "aging",
         "a later load (one rep renamed)", "next month's batch run",
         "next month's batch lock")
#: what ``commission statement`` imports before it reads a row (the interpreter's start
#: and the modules), timed alone with the collector set as the command line sets it
#: (``cli.parser.run``): the floor under the statement's time
STATEMENT_IMPORTS = [OURS[0], "-c", "import gc; from commission.cli.parser import GC_THRESHOLD; "
                     "gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:]); "
                     "import commission.store, commission.payroll.lifecycle, "
                     "commission.access.changes, commission.reports.statement, jinja2; "
                     "gc.freeze()"]


def months_of(data: Path) -> tuple[str, str]:
    """(second-to-last, last) month with payments in the data."""
    dates = pacsv.read_csv(data / "payments.csv", convert_options=pacsv.ConvertOptions(
        include_columns=["payment_date"])).column(0).cast("string")
    last = pc.max(pc.utf8_slice_codeunits(dates, 0, 7)).as_py()
    year, month = int(last[:4]), int(last[5:7])
    prev = f"{year - (month == 1):04d}-{12 if month == 1 else month - 1:02d}"
    return prev, last


def first_rep(data: Path) -> str:
    return pacsv.read_csv(data / "reps.csv").column("rep_id")[0].as_py()


def _pg_binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("no PostgreSQL found: set COMMISSION_BENCH_PG_URL")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster on 127.0.0.1 only, in a temporary folder, removed afterwards."""
    bin_dir = _pg_binaries()
    tmp = Path(tempfile.mkdtemp(prefix="commission-bench-pg."))
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(tmp, "postgres")
    port = _free_port()
    data = tmp / "data"
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                    "-U", "postgres"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(tmp / "log"), "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "stop"], check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(backend: str, pg_url: str | None, folder: Path) -> Iterator[str]:
    """An empty database of ``backend``: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    assert pg_url is not None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def renamed_rep(data: Path, folder: Path) -> Path:
    """A folder with reps.csv only, its first rep's name changed: the smallest real load."""
    folder.mkdir(parents=True, exist_ok=True)
    with (data / "reps.csv").open(newline="", encoding="utf-8") as fh:
        head, first, *rest = csv.reader(fh)
    with (folder / "reps.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [head, [first[0], first[1] + " Jr.", *first[2:]], *rest])
    return folder


def settled(db: str) -> None:
    """PostgreSQL's upkeep of what the last command wrote, done before the next is timed.

    Autovacuum vacuums and analyzes a table some time after a large write (a load's 1M
    invoices, a catch-up's 4.8M lines and events): back to back, that ran on the second
    core while the lock, diff, export, statement and aging were timed (even the
    statement's imports alone took 0.09 s longer). Here it is done at once, untimed,
    in the state a month's commands find. SQLite has no such upkeep: its checkpoint is
    part of the command that writes.
    """
    if not db.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(db, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables "
                                       "WHERE schemaname = current_schema()")).scalars().all()
            if tables:
                conn.execute(text("VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in tables)))
    finally:
        engine.dispose()


def one_pass(data: Path, db: str, out: Path) -> dict[str, Run]:
    """Every store command once on an empty database; the timed ones by name, each after
    the database's upkeep of the command before (:func:`settled`)."""
    env = env_with_checkout({"COMMISSION_DB": db, "COMMISSION_USER": "ana@example.com"})

    def timed(args: list[str]) -> Run:
        settled(db)
        return measure(args, env)

    for name, *roles in USERS:
        who = [] if name == "root" else ["--as", "root@example.com"]
        measure([*OURS, "user", "add", f"{name}@example.com", "--name", name,
                 *[a for r in roles for a in ("--role", r)], *who], env)
    period, following = months_of(data)
    as_root = ["--as", "root@example.com"]
    t: dict[str, Run] = {}
    t["load"] = timed([*OURS, "load", "--data", str(data), "--rules", str(ROOT / "rules"),
                       *as_root])
    # the whole history in one batch: a catch-up, confirmed (a store's first batch at scale)
    t["batch run"] = timed([*OURS, "batch", "run", "--period", period, "--catch-up"])
    measure([*OURS, "batch", "approve", "1", "--as", "bob@example.com"], env)
    t["batch lock"] = timed([*OURS, "batch", "lock", "1"])
    t["batch diff"] = timed([*OURS, "batch", "diff", "1"])
    t["batch export"] = timed([*OURS, "batch", "export", "1", "--out",
                               str(out / "export.csv")])
    t["statement (HTML, one rep)"] = timed(
        [*OURS, "statement", "--batch", "1", "--rep", first_rep(data), "--out",
         str(out / "statement.html")])
    t["statement's start and imports alone"] = timed(STATEMENT_IMPORTS)
    t["aging"] = timed([*OURS, "aging", "--as-of", f"{period}-28"])
    # a load into a store that has history: it reads the store (and every paid event)
    t["a later load (one rep renamed)"] = timed(
        [*OURS, "load", "--data", str(renamed_rep(data, out / "later")), *as_root])
    t["next month's batch run"] = timed([*OURS, "batch", "run", "--period", following])
    # a month's lock: what locking costs once the store is past its first catch-up
    measure([*OURS, "batch", "approve", "2", "--as", "bob@example.com"], env)
    t["next month's batch lock"] = timed([*OURS, "batch", "lock", "2"])
    return t


def store_runs(data: Path, backends: list[str], repeats: int) -> dict[str, dict[str, list[Run]]]:
    """``{backend: {step: [Run per repeat]}}``."""
    out: dict[str, dict[str, list[Run]]] = {}
    with contextlib.ExitStack() as stack:
        pg_url = os.environ.get("COMMISSION_BENCH_PG_URL")
        if "postgres" in backends and not pg_url:
            pg_url = stack.enter_context(throwaway_postgres())
        for backend in backends:
            out[backend] = {s: [] for s in STEPS}
            for i in range(repeats):
                with tempfile.TemporaryDirectory() as tmp, \
                        fresh_database(backend, pg_url, Path(tmp)) as db:
                    for step, run in one_pass(data, db, Path(tmp)).items():
                        out[backend][step].append(run)
                print(f"  store {backend} pass {i + 1}: "
                      + ", ".join(f"{s} {r[-1].wall:.1f}" for s, r in out[backend].items()),
                      flush=True)
    return out

"""Safe defaults (issue 9, class 8): pay files owner-only, the app on this machine only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from commission.files import write_atomic

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o600), (0o077, 0o600), (0o277, 0o400)])
def test_pay_files_are_owner_only_and_respect_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_atomic(tmp_path / "pay.csv", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_exports_and_statements_are_written_0600(tmp_path, csvs, capsys, monkeypatch):
    from commission.cli import main

    monkeypatch.delenv("COMMISSION_USER", raising=False)
    url, who = f"sqlite:///{tmp_path / 's.db'}", "root@example.com"
    assert main(["user", "--db", url, "add", who, "--name", "R", "--role", "admin",
                 "--role", "finance"]) == 0
    db = ["--db", url, "--as", who]
    assert main(["load", *db, "--data", str(csvs.small(tmp_path / "d")), "--rules",
                 str(REPO / "rules")]) == 0
    assert main(["batch", "run", "--period", "2026-01", *db]) == 0
    assert main(["batch", "export", "1", "--out", str(tmp_path / "pay.csv"), *db]) == 0
    assert main(["statement", "--batch", "1", "--rep", "R1", "--out", str(tmp_path / "s.html"),
                 *db]) == 0
    assert main(["calculate", "--data", str(tmp_path / "d"), "--rules", str(REPO / "rules"),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    # a draft's export is marked in its name; its control total is a file of its own
    for f in ("pay_DRAFT.csv", "pay_DRAFT_control.csv", "s.html", "out/lines.csv",
              "out/payouts.csv"):
        assert (tmp_path / f).stat().st_mode & 0o777 == 0o600, f


def _listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_streamlit_run_app_listens_on_loopback_only(tmp_path):
    """``streamlit run app.py`` from the repository root, no --server.address given."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "COMMISSION_DB": f"sqlite:///{tmp_path / 'c.db'}"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.25)
        addresses = _listening(port)
        assert addresses and set(addresses) == {"0100007F"}, addresses  # 127.0.0.1 only
        config = (REPO / ".streamlit" / "config.toml").read_text()
        assert 'toolbarMode = "minimal"' in config  # no "Deploy" button
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_calculate_does_not_import_the_store():
    """`commission calculate` starts without SQLAlchemy or alembic (a second saved per run)."""
    code = ("import sys; from commission.cli import main; main(sys.argv[1:]); "
            "print(sorted(m for m in ('sqlalchemy', 'alembic', 'commission.store') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, "validate", "--data", "sample_data"],
                         capture_output=True, text=True,
                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_console_script_exits_with_main_and_its_files_whole(tmp_path):
    """`commission` is :func:`commission.cli.run`: main's exit status, every file written
    whole although the interpreter's last collections skip the frozen heap."""
    import tomllib

    from commission.cli import main

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"commission": "commission.cli:run"}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ran = subprocess.run([sys.executable, "-c", "from commission.cli import run; run()",
                          "calculate", "--data", "sample_data", "--rules", "rules", "--out",
                          str(tmp_path / "run"), "--quiet"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert main(["calculate", "--data", str(REPO / "sample_data"), "--rules",
                 str(REPO / "rules"), "--out", str(tmp_path / "main"), "--quiet"]) == 0
    for name in ("lines.csv", "payouts.csv"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "main" / name).read_bytes()
    wrong = subprocess.run([sys.executable, "-c", "from commission.cli import run; run()",
                            "calculate", "--data", str(tmp_path / "missing"), "--out",
                            str(tmp_path / "x")],
                           capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr, wrong.stderr

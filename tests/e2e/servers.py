"""``streamlit run`` for browser tests: one way to start it on loopback and stop it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SERVER_START_S = 90  # a cold start imports pandas, pyarrow, altair, sqlalchemy
SERVER_STOP_S = 10


def healthy(url: str) -> bool:
    """Whether Streamlit at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def streamlit_server(script: Path, cwd: Path, port: int, env: dict[str, str] | None = None
                     ) -> Iterator[str]:
    """``streamlit run script`` on 127.0.0.1:port from ``cwd``; its URL, stopped after.

    The server's output goes to ``cwd/server.log``, quoted when it fails to start.
    """
    log_path = cwd / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_S
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"streamlit did not start (exit {proc.poll()}):\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=SERVER_STOP_S)

"""One flow168 server for the end-to-end tests, started the way /work/shared/contract/run.sh starts it
(simulated clock, demo data, a fresh data directory), and stopped with its whole process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

MAIN = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120


@dataclass
class Server:
    base: str
    data_dir: Path


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _python() -> str:
    venv = MAIN / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (launcher, worker, Temporal test server), then SIGKILL if needed."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("flow168-e2e")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS", "SECRET_KEY")}
    env.update(CLOCK="simulated", PORT=str(port), DATA_DIR=str(data), DEMO="1")
    log_path = data / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([_python(), "launcher.py"], cwd=MAIN, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"flow168 exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"flow168 did not answer /healthz within {STARTUP_SECONDS} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield Server(base=base, data_dir=data)
    finally:
        _stop(proc)

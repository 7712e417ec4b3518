"""Shared helpers: ports, percentiles, the machine, and child processes that are always killed."""

from __future__ import annotations

import atexit
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")

_GROUPS: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something listens on 127.0.0.1:port (fail early if `proc` dies)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode} before port {port} opened")
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def spawn(cmd: Sequence[str], *, log: IO[bytes], env: dict[str, str] | None = None,
          cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start a child in its own process group, remembered so `kill_all` ends it and its children."""
    proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)
    _GROUPS[proc.pid] = proc
    return proc


def kill_group(proc: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """SIGTERM the child (it may stop its own children), then its whole process group, then SIGKILL what is left."""
    pgid = proc.pid  # start_new_session: the child leads its own group
    _GROUPS.pop(proc.pid, None)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        end = time.monotonic() + (5.0 if sig == signal.SIGTERM else 2.0)
        while _group_alive(pgid) and time.monotonic() < end:
            time.sleep(0.1)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_all() -> None:
    """End every process group this run started (safe to call twice)."""
    for proc in list(_GROUPS.values()):
        kill_group(proc, grace=5.0)


atexit.register(kill_all)


def group_pids(pgid: int) -> list[int]:
    """Pids of the processes in a process group."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "comm)": state, ppid, pgrp, ...
            out.append(int(entry))
    return out


def process_name(pid: int) -> str:
    """The process's name; a flow168 Python process is told apart by its role (python:web, python:worker, ...)."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        if name.startswith("python"):
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            role = "web" if b"--web" in args else "worker" if any(a.endswith(b"worker.py") for a in args) \
                else "launcher" if any(a.endswith(b"launcher.py") for a in args) else ""
            return f"{name}:{role}" if role else name
        return name
    except OSError:
        return "?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def cpu_by_name(pgid: int) -> dict[str, float]:
    """CPU seconds of a process group, summed by process name."""
    out: dict[str, float] = {}
    for pid in group_pids(pgid):
        name = process_name(pid)
        out[name] = out.get(name, 0.0) + cpu_seconds(pid)
    return out


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on the sorted values; NaN for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = max(0, min(len(xs) - 1, round(q / 100 * (len(xs) - 1))))
    return xs[k]


def machine() -> dict[str, Any]:
    """nproc, total memory, CPU model, Python, OS and the date of this run."""
    mem = "?"
    try:
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Mem:"):
                mem = line.split()[1]
    except (OSError, subprocess.SubprocessError):
        pass
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        nproc = str(len(os.sched_getaffinity(0)))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "memory": mem,
        "cpu": model,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": loadavg(),
    }


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def banner(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(3, 76 - len(title)), flush=True)

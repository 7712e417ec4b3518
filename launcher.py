"""`make run`: migrations, demo data, the Temporal server (dev or time-skipping), the workers and the web app.

Process layout (issue 12): this process migrates, starts the Temporal server as a child process, starts WORKERS
worker processes (`python worker.py`, default one per core; a worker that dies is started again) and then serves the
web app; the web process never runs workflow code. WORKERS=0 keeps the old single process (the worker inside the web
process); RUN_WORKER=false starts no worker at all (docker-compose runs them as their own services).
Ctrl-C stops all of it. With TEMPORAL_ADDRESS set no server is started; with CLOCK=simulated a standalone
time-skipping test server supplies the one clock that the API, the UI and every deadline use.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import uvicorn
from sqlmodel import Session

from api.app import create_app
from api.security import hash_password
from clock import Clock, RealClock, SimulatedClock
from db.engine import make_engine, migrate
from db.seed import DEMO_PASSWORD, seed_demo
from processes import registry
from processes.spec import resolve
from settings import Settings, get_settings
from worker import build_worker, connect, start_singletons

log = logging.getLogger("flow168")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Workers:
    """The worker processes: started with the server's address, restarted if one dies, stopped with SIGTERM."""

    def __init__(self, count: int, address: str, settings: Settings) -> None:
        self.count, self.address, self.settings = count, address, settings
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.stopping = False
        self.restarts = 0

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        env = dict(os.environ, TEMPORAL_ADDRESS=self.address, DATA_DIR=str(self.settings.data_dir),
                   CLOCK=self.settings.clock, FLOW168_WORKER_INDEX=str(i))
        logf = open(Path(self.settings.data_dir).resolve() / f"worker-{i}.log", "ab")
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("worker.py"))], env=env,
                                stdout=logf, stderr=subprocess.STDOUT)
        logf.close()  # the child has its own descriptor
        log.info("worker %s: pid %s (log %s/worker-%s.log)", i, proc.pid, self.settings.data_dir, i)
        return proc

    def start(self) -> None:
        for i in range(self.count):
            self.procs[i] = self._spawn(i)

    async def supervise(self) -> None:
        """Start a worker again when it exits (a crash, kill -9) until the launcher stops."""
        while not self.stopping:
            await asyncio.sleep(0.5)
            for i, proc in enumerate(self.procs):
                if proc is not None and proc.poll() is not None and not self.stopping:
                    log.warning("worker %s (pid %s) exited with %s: starting it again", i, proc.pid, proc.returncode)
                    self.restarts += 1
                    self.procs[i] = self._spawn(i)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None]

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping = True
        alive = [p for p in self.procs if p is not None and p.poll() is None]
        for p in alive:
            p.terminate()
        for p in alive:
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def start_temporal(settings: Settings) -> tuple[str, subprocess.Popen[bytes] | None]:
    """Start the embedded Temporal server unless TEMPORAL_ADDRESS names one."""
    if settings.temporal_address:
        return settings.temporal_address, None
    data = Path(settings.data_dir).resolve()
    logf = open(data / "temporal.log", "ab")
    if settings.simulated:
        port = settings.temporal_port if port_free(settings.temporal_port) else free_port()
        proc = subprocess.Popen([str(BIN / "temporal-test-server"), str(port)], stdout=logf, stderr=logf)
        log.info("time-skipping test server on 127.0.0.1:%s (simulated clock)", port)
        return f"127.0.0.1:{port}", proc
    port = settings.temporal_port if port_free(settings.temporal_port) else free_port()
    ui = settings.temporal_ui_port if port_free(settings.temporal_ui_port) else free_port()
    cmd = [str(BIN / "temporal"), "server", "start-dev", "--db-filename", str(data / "temporal.db"),
           "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui), "--log-level", "warn"]
    proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
    log.info("Temporal dev server on 127.0.0.1:%s, its UI on http://127.0.0.1:%s", port, ui)
    return f"127.0.0.1:{port}", proc


async def run(settings: Settings) -> None:
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    address, proc = start_temporal(settings)
    workers: Workers | None = None
    try:
        client = await connect(settings, address)
        clock: Clock = SimulatedClock(client) if settings.simulated else RealClock()
        if settings.demo:
            with Session(engine) as s:
                added = seed_demo(s, password_hash=hash_password(DEMO_PASSWORD), now=await clock.now())
                s.commit()
            log.info("demo data: %s rows added (password %s)", added, DEMO_PASSWORD)
        in_process = settings.run_worker and settings.worker_processes == 0
        worker = build_worker(client, engine=engine, settings=settings) if in_process else None
        workers = Workers(settings.worker_processes, address, settings) if settings.run_worker and not in_process \
            else None
        if workers is not None:
            workers.start()
            (Path(settings.data_dir) / "workers.pid").write_text(" ".join(map(str, workers.pids())))
        for spec in registry.specs().values():  # e.g. a process's yearly schedule (idempotent)
            for ref in spec.startup:
                await resolve(ref)(client, settings)
        app = create_app(settings=settings, engine=engine, clock=clock, temporal=client)
        # Keep idle connections longer than clients do (httpx 5 s, browsers and proxies up to 60 s): with uvicorn's
        # default of 5 s a client could reuse a connection just as the server closed it (a dropped request).
        server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info",
                                               access_log=False, timeout_keep_alive=75))
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        tasks = [asyncio.create_task(server.serve()), asyncio.create_task(stop.wait())]
        if worker is not None:
            tasks.append(asyncio.create_task(worker.run()))
        if workers is not None:
            tasks.append(asyncio.create_task(workers.supervise()))
        if settings.run_worker:
            await start_singletons(client, task_queue=settings.task_queue, now=await clock.now())
        log.info("flow168 on http://%s:%s", settings.host, settings.port)
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if t.exception() is not None:
                log.error("stopped by an error: %r", t.exception())
        server.should_exit = True
        if workers is not None:
            workers.stopping = True  # a worker ended by the same Ctrl-C is not started again
        if worker is not None:
            await worker.shutdown()
        await asyncio.gather(tasks[0], return_exceptions=True)
    finally:
        if workers is not None:
            await asyncio.to_thread(workers.stop)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(get_settings()))

"""`make run`: migrations, demo data, the Temporal server (dev or time-skipping), the workers and the web app.

Process layout (issue 12): this process is the supervisor. It migrates, starts the Temporal server, seeds the demo
data and the singletons, then starts the web app (`launcher.py --web`, uvicorn; it never runs workflow code) and
WORKERS worker processes (`worker.py`, default one per core), each its own process with its log in DATA_DIR; a child
that dies (a crash, kill -9) is started again. WORKERS=0 keeps the old single process (the worker inside the web
process); RUN_WORKER=false serves the web app here with no worker at all (docker-compose runs workers as services).
Ctrl-C stops all of it. With TEMPORAL_ADDRESS set no server is started; with CLOCK=simulated a standalone
time-skipping test server supplies the one clock that the API, the UI and every deadline use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from api.app import create_app
from api.logs import configure_logging
from api.security import hash_password
from clock import Clock, RealClock, SimulatedClock
from db.engine import make_engine, migrate
from db.seed import DEMO_PASSWORD, seed_demo
from processes import registry
from processes.spec import resolve
from settings import Settings, get_settings
from worker import build_worker, connect, run_process, start_singletons, temporal_runtime, tune_gc

log = logging.getLogger("flow168")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Children:
    """The web app and the worker processes: started with the server's address, started again if one dies (a crash,
    kill -9), stopped with SIGTERM (each finishes what it is doing)."""

    def __init__(self, settings: Settings, address: str, workers: int, *, web: bool) -> None:
        self.settings, self.address = settings, address
        self.names = (["web"] if web else []) + [f"worker-{i}" for i in range(workers)]
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False
        self.restarts = 0

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        workers = sum(1 for n in self.names if n.startswith("worker-"))
        env = dict(os.environ, TEMPORAL_ADDRESS=self.address, DATA_DIR=str(self.settings.data_dir),
                   CLOCK=self.settings.clock, PORT=str(self.settings.port), DEMO="false", WORKERS=str(workers))
        if self.settings.simulated and self.settings.task_queue_partitions == 0 and workers > 1:
            # The time-skipping server would give every case to one worker (settings.task_queue_partitions).
            env["TASK_QUEUE_PARTITIONS"] = str(workers)
        if name == "web":
            cmd = [sys.executable, str(Path(__file__)), "--web"]
            env["RUN_WORKER"] = "false"  # the web process never runs workflow code
        else:
            cmd = [sys.executable, str(Path(__file__).with_name("worker.py"))]
            env["FLOW168_WORKER"] = name
            # Each worker serves its Temporal SDK metrics on a port of its own: the base port + its number.
            base = self.settings.port + 4 if self.settings.worker_metrics_port is None else self.settings.worker_metrics_port
            env["WORKER_METRICS_PORT"] = str(base + int(name.rsplit("-", 1)[1]) if base else 0)
        logf = open(Path(self.settings.data_dir).resolve() / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()  # the child has its own descriptor
        log.info("%s: pid %s (log %s/%s.log)", name, proc.pid, self.settings.data_dir, name)
        return proc

    def start(self) -> None:
        for name in self.names:
            self.procs[name] = self._spawn(name)
        self._write_pids()

    def _write_pids(self) -> None:
        """DATA_DIR/processes.json: name -> pid (the fault tests and operators read it)."""
        path = Path(self.settings.data_dir) / "processes.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({n: p.pid for n, p in self.procs.items()}))
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    async def supervise(self) -> None:
        while not self.stopping:
            await asyncio.sleep(0.25)
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping:
                    log.warning("%s (pid %s) exited with %s: starting it again", name, proc.pid, proc.returncode)
                    self.restarts += 1
                    self.procs[name] = self._spawn(name)
                    self._write_pids()

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping = True
        alive = [p for p in self.procs.values() if p.poll() is None]
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
    """`make run`: migrate, start the server, seed, then the web app and the workers (as processes unless WORKERS=0
    or RUN_WORKER=false, when the web app runs here as before)."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    migrate(settings.db_url)
    engine = make_engine(settings.db_url)
    address, proc = start_temporal(settings)
    children: Children | None = None
    try:
        in_process = settings.run_worker and settings.worker_processes == 0  # else the worker processes serve them
        client = await connect(settings, address, runtime=temporal_runtime(settings) if in_process else None)
        clock: Clock = SimulatedClock(client) if settings.simulated else RealClock()
        if settings.demo:
            with Session(engine) as s:
                added = seed_demo(s, password_hash=hash_password(DEMO_PASSWORD), now=await clock.now())
                s.commit()
            log.info("demo data: %s rows added (password %s)", added, DEMO_PASSWORD)
        for spec in registry.specs().values():  # e.g. a process's yearly schedule (idempotent)
            for ref in spec.startup:
                await resolve(ref)(client, settings)
        if settings.run_worker:
            await start_singletons(client, task_queue=settings.task_queue, now=await clock.now())
        if not settings.run_worker or settings.worker_processes == 0:
            await serve(settings, engine=engine, client=client, clock=clock,
                        in_process_worker=settings.run_worker)
            return
        children = Children(settings, address, settings.worker_processes, web=True)
        children.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info("flow168 on http://%s:%s: the web app and %s worker processes", settings.host, settings.port,
                 settings.worker_processes)
        supervise = asyncio.create_task(children.supervise())
        await stop.wait()
        children.stopping = True  # a child ended by the same Ctrl-C is not started again
        supervise.cancel()
    finally:
        if children is not None:
            await asyncio.to_thread(children.stop)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        engine.dispose()


async def serve(settings: Settings, *, engine: Engine, client: Client, clock: Clock, in_process_worker: bool) -> None:
    """The web app (uvicorn) until SIGINT/SIGTERM; with `in_process_worker` the worker runs in this process too."""
    worker = build_worker(client, engine=engine, settings=settings) if in_process_worker else None
    app = create_app(settings=settings, engine=engine, clock=clock, temporal=client)
    tune_gc(settings)
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
    log.info("flow168 on http://%s:%s", settings.host, settings.port)
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in done:
        if t.exception() is not None:
            log.error("stopped by an error: %r", t.exception())
    server.should_exit = True
    if worker is not None:
        await worker.shutdown()
    await asyncio.gather(tasks[0], return_exceptions=True)


async def web(settings: Settings) -> None:
    """`launcher.py --web`: the web app alone, on the server `make run` started (TEMPORAL_ADDRESS); no worker."""
    engine = make_engine(settings.db_url)
    try:
        client = await connect(settings)
        clock: Clock = SimulatedClock(client) if settings.simulated else RealClock()
        await serve(settings, engine=engine, client=client, clock=clock, in_process_worker=False)
    finally:
        engine.dispose()


if __name__ == "__main__":
    configure_logging(get_settings().log_format)
    run_process(web(get_settings()) if "--web" in sys.argv[1:] else run(get_settings()), get_settings())

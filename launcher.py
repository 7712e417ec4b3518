"""`make run`: migrations, demo data, the Temporal server (dev or time-skipping), the worker and the web app.

Ctrl-C stops all of it. With TEMPORAL_ADDRESS set no server is started; with CLOCK=simulated a standalone
time-skipping test server supplies the one clock that the API, the UI and every deadline use.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import uvicorn
from sqlmodel import Session

from api.app import create_app
from api.logs import configure_logging
from api.security import hash_password
from clock import Clock, RealClock, SimulatedClock
from db.engine import make_engine, migrate
from db.seed import DEMO_PASSWORD, seed_demo
from processes import registry
from processes.spec import resolve
from settings import Settings, get_settings
from worker import build_worker, connect, start_singletons, temporal_runtime

log = logging.getLogger("flow168")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


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
    try:
        client = await connect(settings, address, runtime=temporal_runtime(settings) if settings.run_worker else None)
        clock: Clock = SimulatedClock(client) if settings.simulated else RealClock()
        if settings.demo:
            with Session(engine) as s:
                added = seed_demo(s, password_hash=hash_password(DEMO_PASSWORD), now=await clock.now())
                s.commit()
            log.info("demo data: %s rows added (password %s)", added, DEMO_PASSWORD)
        worker = build_worker(client, engine=engine, settings=settings) if settings.run_worker else None
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
            await start_singletons(client, task_queue=settings.task_queue, now=await clock.now())
        log.info("flow168 on http://%s:%s", settings.host, settings.port)
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if t.exception() is not None:
                log.error("stopped by an error: %r", t.exception())
        server.should_exit = True
        if worker is not None:
            await worker.shutdown()
        await asyncio.gather(tasks[0], return_exceptions=True)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        engine.dispose()


if __name__ == "__main__":
    configure_logging(get_settings().log_format)
    asyncio.run(run(get_settings()))

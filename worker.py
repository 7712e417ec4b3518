"""The Temporal worker: every workflow and activity of flow168. `python worker.py` runs it on its own."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from temporalio.client import Client, TLSConfig
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.cases import CaseActivities
from activities.channels import LogSms, SmtpMailer
from activities.documents import DocumentActivities
from activities.failures import FailureRecorder
from activities.log_context import LogContext
from activities.notify import NotifyActivities
from activities.public_notice import PublicNoticeActivities
from activities.tasks import TaskActivities
from api.logs import configure_logging
from payloads import DATA_CONVERTER, skip_empty_payload_walks
from processes import registry
from processes.spec import WorkerContext, resolve
from settings import Settings, get_settings


def build_activities(*, engine: Engine, settings: Settings) -> list[object]:
    """Every activity, bound to its dependencies: the shared ones, then each process's own (its spec's `worker`)."""
    documents_dir = Path(settings.data_dir) / "documents"
    ctx = WorkerContext(engine=engine, settings=settings, documents_dir=documents_dir)
    by_type = {spec.type: resolve(spec.worker)(ctx) for spec in registry.specs().values() if spec.worker}
    parts = list(by_type.values())
    builders: dict[str, object] = {}
    for p in parts:
        builders.update(p.builders)
    notify = NotifyActivities(
        engine=engine,
        mailer=SmtpMailer(settings.smtp_url, settings.smtp_from) if settings.smtp_url else None,
        sms=LogSms(),
    )
    tasks, cases = TaskActivities(engine=engine, notifier=notify), CaseActivities(engine=engine)
    # A kind two processes both draft (the public notice) is built by the case's own process first.
    docs = DocumentActivities(engine=engine, store=documents_dir, builders=builders,  # type: ignore[arg-type]
                              by_type={t: dict(p.builders) for t, p in by_type.items()})  # type: ignore[arg-type]
    notice = PublicNoticeActivities(engine=engine)
    shared: list[object] = [
        tasks.open_task, tasks.close_task, cases.set_case_status, cases.cancel_tasks, cases.set_deadline,
        cases.update_case_result, notice.open_public_notice, notice.public_notice_period, notice.close_public_notice,
        notice.record_objection, notice.decide_objection, notify.notify, docs.draft_document,
    ]
    return shared + [a for p in parts for a in p.activities]


def build_worker(client: Client, *, engine: Engine, settings: Settings, task_queue: str | None = None) -> Worker:
    """A worker for flow168's task queue (its payloads walked only when a walk can change them: payloads.py)."""
    skip_empty_payload_walks()
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=registry.workflows(),
        activities=build_activities(engine=engine, settings=settings),
        activity_executor=ThreadPoolExecutor(max_workers=settings.worker_activity_threads),
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_cached_workflows=settings.worker_max_cached_workflows,
        interceptors=[FailureRecorder(engine), LogContext()],
        workflow_runner=workflow_runner(settings),
    )


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """Temporal's sandbox when WORKER_SANDBOX is set (the tests set it), else workflow code runs as it is (issue 12:
    the sandbox costs the worker ~12 % of its CPU; every recorded history is replayed sandboxed in the tests)."""
    return SandboxedWorkflowRunner() if settings.worker_sandbox else UnsandboxedWorkflowRunner()


async def start_singletons(client: Client, *, task_queue: str, now: datetime) -> None:
    """Start every process's singleton workflows (fixed ids) unless they run already."""
    for spec in registry.specs().values():
        for single in spec.singletons:
            try:
                await client.start_workflow(single.workflow.run, single.first_input(now),  # type: ignore[attr-defined]
                                            id=single.id, task_queue=task_queue)
            except WorkflowAlreadyStartedError:
                pass


def temporal_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime whose SDK metrics (workflow/activity task latencies, pollers, sticky cache, …) are served
    for Prometheus on WORKER_METRICS_PORT (default PORT + 4; 0 turns them off)."""
    bind = settings.worker_metrics_bind
    if bind is None:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind)))
    except Exception as exc:  # the port is taken: run without SDK metrics rather than not at all
        logging.getLogger("flow168").warning("Temporal SDK metrics not served on %s: %s", bind, exc)
        return None


def connect_options(settings: Settings) -> dict[str, Any]:
    """Client.connect's options from the settings: the namespace, the data converter and, for a cluster that needs
    them (Temporal Cloud, or a self-hosted cluster with mTLS), TLS and the API key:

    TEMPORAL_TLS_CA (PEM file of the server's CA; unset: the system's), TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (PEM files
    of this client's certificate and key, for mTLS), TEMPORAL_TLS_SERVER_NAME (the name on the server's certificate, if
    not the address's host), TEMPORAL_TLS=true (TLS with none of those), TEMPORAL_API_KEY (sent as a bearer token; TLS
    is then on). None of them set: plain gRPC, as to the dev server `make run` starts on 127.0.0.1."""
    opts: dict[str, Any] = {"namespace": settings.temporal_namespace, "data_converter": DATA_CONVERTER}
    ca, cert, key = settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key
    if bool(cert) != bool(key):
        raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (the client certificate and its key)")
    tls: bool | TLSConfig = bool(settings.temporal_tls)
    if ca or cert or settings.temporal_tls_server_name:
        tls = TLSConfig(server_root_ca_cert=Path(ca).read_bytes() if ca else None,
                        client_cert=Path(cert).read_bytes() if cert else None,
                        client_private_key=Path(key).read_bytes() if key else None,
                        domain=settings.temporal_tls_server_name or None)
    if settings.temporal_api_key:
        opts["api_key"] = settings.temporal_api_key
        tls = tls or True
    if tls:
        opts["tls"] = tls
    return opts


async def connect(settings: Settings, address: str | None = None, runtime: Runtime | None = None) -> Client:
    """The one way to Temporal (the launcher, the web app and every worker use it): the Pydantic data converter, TLS and
    the API key when set (connect_options), retrying while the server starts."""
    target = address or settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    options = connect_options(settings)
    last: Exception | None = None
    for _ in range(120):
        try:
            return await Client.connect(target, **options, runtime=runtime)
        except Exception as exc:  # the server may still be starting
            last = exc
            await asyncio.sleep(0.5)
    raise RuntimeError(f"cannot reach Temporal at {target}: {last}")


def warm_calendar() -> None:
    """Build the built-in year schedules once before taking work: the first activity that needs the calendar would
    otherwise spend ~0.3 s computing them while it holds SQLite's write lock (issue 12)."""
    from db.calendar import YEARS
    from rules.official_calendar import build_calendar

    build_calendar(years=YEARS, overrides={})


async def main() -> None:
    """One worker process: SIGTERM or SIGINT lets its running tasks finish (graceful shutdown), then it exits."""
    from clock import RealClock, SimulatedClock
    from db.engine import make_engine

    settings = get_settings()
    configure_logging(settings.log_format)
    # The API process (launcher.py) migrates the schema; activities retry until it has.
    engine = make_engine(settings.db_url)
    client = await connect(settings, runtime=temporal_runtime(settings))
    clock = SimulatedClock(client) if settings.simulated else RealClock()
    await start_singletons(client, task_queue=settings.task_queue, now=await clock.now())
    queues = [settings.task_queue, *settings.worker_partitions(*worker_index(settings))]
    workers = [build_worker(client, engine=engine, settings=settings, task_queue=q) for q in queues]
    warm_calendar()
    tune_gc(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runs = [asyncio.create_task(w.run()) for w in workers]
    logging.getLogger("flow168").info("worker on task queues %s (cache %s workflows, %s activities)",
                                      ", ".join(queues), settings.worker_max_cached_workflows,
                                      settings.worker_max_concurrent_activities)
    await asyncio.wait([*runs, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*(w.shutdown() for w, r in zip(workers, runs, strict=True) if not r.done()))
    await asyncio.gather(*runs, return_exceptions=True)
    engine.dispose()


def tune_gc(settings: Settings) -> None:
    """Once a process has started: what it built so far is left out of every collection, and young collections run
    every `GC_THRESHOLD0` new container objects instead of every 700 (settings.gc_threshold0; 0 leaves Python's own)."""
    if settings.gc_threshold0 <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(settings.gc_threshold0, older, oldest)


T = TypeVar("T")


def run_process(main: Coroutine[Any, Any, T], settings: Settings) -> T:
    """Run a process's main coroutine to the end on the event loop `EVENT_LOOP` names (settings.event_loop): uvloop,
    or Python's own asyncio loop. The workflows themselves run on the SDK's own deterministic loop either way."""
    if settings.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:  # a platform uvloop does not build on (Windows)
            logging.getLogger("flow168").warning("EVENT_LOOP=uvloop but uvloop is not installed: Python's own loop runs")
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def worker_index(settings: Settings) -> tuple[int, int]:
    """This worker's number and how many the launcher started (FLOW168_WORKER=worker-i, WORKERS); (0, 1) alone."""
    name = os.environ.get("FLOW168_WORKER", "worker-0")
    index = int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[-1].isdigit() else 0
    return index, max(settings.worker_processes, 1)


if __name__ == "__main__":
    run_process(main(), get_settings())

"""flow168 settings, read once from the environment (pydantic-settings)."""

from __future__ import annotations

import os
import secrets
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_WEAK_SECRETS = {"changeme", "secret", "dev", "test"}


class Settings(BaseSettings):
    """Every knob of flow168; names match ARCHITECTURE.md's "Settings"."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    port: int = 8000
    host: str = "127.0.0.1"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    task_queue: str = "flow168"
    clock: Literal["real", "simulated"] = "real"
    smtp_url: str | None = None
    smtp_from: str = "flow168@localhost"
    secret_key: str | None = None
    demo: bool = True
    run_worker: bool = True
    upload_max_bytes: int = 20 * 1024 * 1024
    token_max_age_seconds: int = 12 * 3600
    login_max_failures: int = 5
    login_window_seconds: int = 900
    idle_case_days: int = 10
    temporal_ui_url: str | None = None  # the Temporal UI's address for the admins' history links
    worker_metrics_port: int | None = None  # Temporal SDK metrics (Prometheus) of the worker; None: PORT + 4, 0: off
    log_format: Literal["json", "text"] = "json"
    # Issue 12: `make run` starts WORKERS worker processes (0 = the worker inside the web process, as before;
    # unset = one per core). The worker's tuning, the same in every worker process (docker-compose too).
    workers: int | None = None
    worker_max_cached_workflows: int = 4000
    worker_max_concurrent_workflow_tasks: int = 100
    worker_max_concurrent_activities: int = 32
    worker_activity_threads: int = 32
    # Run workflow code in Temporal's sandbox (WORKER_SANDBOX). The sandbox re-checks every workflow for
    # non-deterministic calls at run time but costs the worker ~12 % of its CPU (it compiles and runs code in the
    # sandbox for every payload it converts). The tests and the replay of every recorded history run sandboxed, so a
    # non-deterministic call fails CI; the workers `make run` starts run without it (README, "Process layout").
    worker_sandbox: bool = False
    # Python's garbage collector in the web app and the workers (issue 12, thirteenth round): once started, each process
    # moves what it has built (modules, the app, the workflows' definitions) out of the collector's way (gc.freeze) and
    # runs a young collection every GC_THRESHOLD0 new container objects (Python's default: 700). With the defaults the
    # collector took 0.6–1.1 s of CPU per process in a 40-lifecycle benchmark, 6–11 % of it; with these 0.15–0.24 s.
    # GC_THRESHOLD0=0 keeps Python's own collector settings.
    gc_threshold0: int = 20_000
    # The event loop of the web app and the workers (issue 12, fourteenth round): "uvloop" (libuv's loop, the one
    # uvicorn itself picks when it starts the loop) or "asyncio" (Python's own). Measured in the voucher benchmark:
    # see README, "Process layout, throughput and durability".
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # The time-skipping test server (CLOCK=simulated) hands every new workflow to the worker that polled last, so one
    # worker process ran every case while the others only ran their regular activities. With TASK_QUEUE_PARTITIONS = n
    # a case starts on `<TASK_QUEUE>.<crc32(case id) mod n>` (its children and regular activities follow it), and
    # worker i (FLOW168_WORKER=worker-i) also polls the partitions p with p mod WORKERS = i. The launcher sets it to
    # WORKERS under the simulated clock, whose server keeps nothing across a restart. 0 (the default): every case on
    # TASK_QUEUE, as a real Temporal server balances it by itself (README, "Process layout").
    task_queue_partitions: int = 0
    # Production hardening (README "Production: how the stack is secured").
    metrics_token: str | None = None  # bearer token Prometheus sends to GET /metrics (an admin's login also may)
    temporal_tls: bool = False  # TLS to TEMPORAL_ADDRESS with the system's CAs (see worker.connect_options)
    temporal_tls_ca: str | None = None  # PEM file: the CA of the Temporal server's certificate
    temporal_tls_cert: str | None = None  # PEM file: this client's certificate (mTLS), with TEMPORAL_TLS_KEY
    temporal_tls_key: str | None = None  # PEM file: its private key
    temporal_tls_server_name: str | None = None  # the name on the server's certificate, if not the address's host
    temporal_api_key: str | None = None  # Temporal Cloud (or a cluster with API keys): sent as a bearer token, TLS on
    behind_https: bool = False  # served over HTTPS (a TLS proxy in front): Secure session cookie, HSTS
    request_max_bytes: int = 1024 * 1024  # a JSON or form body, refused (413) before it is parsed
    multipart_max_bytes: int = 110 * 1024 * 1024  # a multipart body (uploads; each file also <= upload_max_bytes)
    login_max_failures_per_address: int = 30  # failed logins from one client address in the window
    login_max_failures_per_account: int = 100  # failed logins on one account from all addresses in the window
    registrations_per_address_per_hour: int = 20
    objections_per_address_per_hour: int = 20

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, value: str | None) -> str | None:
        if value is not None and (value.lower() in _WEAK_SECRETS or len(value) < 16):
            raise ValueError("SECRET_KEY is too weak: use at least 16 random characters")
        return value

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, or a SQLite file under DATA_DIR."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'flow168.db').resolve()}"

    @property
    def temporal_ui_base(self) -> str | None:
        """TEMPORAL_UI_URL, else the dev server's UI that `make run` starts (none under the simulated clock)."""
        if self.temporal_ui_url:
            return self.temporal_ui_url
        return None if self.simulated else f"http://{self.host}:{self.temporal_ui_port}"

    @property
    def worker_metrics_bind(self) -> str | None:
        """Where the worker's Temporal SDK metrics are served (host:port), or None when turned off."""
        port = self.port + 4 if self.worker_metrics_port is None else self.worker_metrics_port
        return f"{self.host}:{port}" if port else None

    @property
    def worker_processes(self) -> int:
        """How many worker processes `make run` starts (WORKERS, default one per core)."""
        if self.workers is not None:
            return max(0, self.workers)
        return os.cpu_count() or 1

    def case_queue(self, case_id: str) -> str:
        """The task queue a case's workflow starts on (TASK_QUEUE, or its partition; see `task_queue_partitions`)."""
        return case_queue(self.task_queue, self.task_queue_partitions, case_id)

    def worker_partitions(self, index: int, workers: int) -> list[str]:
        """The partition queues worker `index` of `workers` polls besides TASK_QUEUE."""
        n = self.task_queue_partitions
        return [partition_queue(self.task_queue, p) for p in range(n) if p % max(workers, 1) == index]

    @property
    def simulated(self) -> bool:
        return self.clock == "simulated"

    def resolved_secret(self) -> str:
        """SECRET_KEY, or one generated once and kept under DATA_DIR (so tokens survive a restart)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()


def partition_queue(task_queue: str, partition: int) -> str:
    return f"{task_queue}.{partition}"


def case_queue(task_queue: str, partitions: int, case_id: str) -> str:
    """TASK_QUEUE, or with partitions the case's own: crc32 of its id, so every process computes the same one."""
    if partitions <= 0:
        return task_queue
    return partition_queue(task_queue, zlib.crc32(case_id.encode()) % partitions)

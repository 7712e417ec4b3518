"""A whole `make run` stack (launcher.py: the file-backed Temporal dev server, the web app, two worker processes) for
the fault tests and bench/fault.py, with its database open to the test for the comparisons."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from api.security import hash_password, issue_token
from api.services.operations import local_activity
from bench.client import Api, new_uscc
from bench.common import BIN, ROOT, free_port, kill_group, spawn
from db.engine import make_engine, reader
from db.models import Organization, User


class Stack:
    """launcher.py (CLOCK=real, WORKERS=2) in its own process group under `work`; start() / stop() / restart()."""

    def __init__(self, work: Path, *, workers: int = 2) -> None:
        self.work = work
        self.port, self.temporal_port = free_port(), free_port()
        self.secret = secrets.token_hex(24)
        self.workers = workers
        self.proc: Any = None
        self.log: Any = None
        self.api = Api(f"http://127.0.0.1:{self.port}")
        self.engine: Any = None
        self.t0 = time.monotonic()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_URL")}
        env.update(PORT=str(self.port), DATA_DIR=str(self.work), TEMPORAL_PORT=str(self.temporal_port),
                   TEMPORAL_UI_PORT=str(free_port()), CLOCK="real", DEMO="1", PYTHONUNBUFFERED="1",
                   SECRET_KEY=self.secret, WORKERS=str(self.workers))
        return env

    async def start(self, timeout: float = 60) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = open(self.work / "launcher.log", "ab")  # closed in stop()
        self.proc = spawn([str(BIN / "python"), str(ROOT / "launcher.py")], log=self.log, env=self.env())
        await self.wait_healthy(timeout)
        if self.engine is None:
            self.engine = make_engine(f"sqlite:///{(self.work / 'flow168.db').resolve()}")

    async def wait_healthy(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, (self.work / "launcher.log").read_text()[-2000:]
            try:
                if (await self.api.http.get("/healthz", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError(f"/healthz did not answer in {timeout:.0f}s")

    def stop(self) -> None:
        """SIGTERM to the launcher (as Ctrl-C): it stops the web app, the workers and the server."""
        if self.proc is not None:
            kill_group(self.proc, grace=20)
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    async def close(self) -> None:
        self.stop()
        await self.api.close()
        if self.engine is not None:
            self.engine.dispose()

    def pids(self) -> dict[str, int]:
        for _ in range(50):
            try:
                return dict(json.loads((self.work / "processes.json").read_text()))
            except (ValueError, OSError):  # being replaced
                time.sleep(0.02)
        raise RuntimeError("processes.json cannot be read")

    def kill9(self, *names: str) -> list[int]:
        """SIGKILL the named children (web, worker-0, …); launcher.py starts them again."""
        pids = self.pids()
        killed = [pids[n] for n in names]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    async def wait_restarted(self, old: list[int], timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not set(old) & set(self.pids().values()):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the killed processes were not started again")

    def temporal_address(self) -> str:
        m = re.findall(r"Temporal dev server on (127\.0\.0\.1:\d+)", (self.work / "launcher.log").read_text())
        return str(m[-1])

    async def temporal(self) -> Client:
        from temporalio.contrib.pydantic import pydantic_data_converter

        return await Client.connect(self.temporal_address(), data_converter=pydantic_data_converter)

    async def staff(self, *names: str) -> None:
        with Session(self.engine) as s:
            for n in names:
                user = s.exec(select(User).where(User.username == n)).one()
                self.api.tokens[n] = issue_token(self.secret, user.id or 0)

    def providers(self, count: int, prefix: str) -> list[str]:
        """`count` active provider organisations with one user each, written to the database, tokens minted."""
        pw = hash_password(secrets.token_hex(8))
        names: list[str] = []
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as s:
            for i in range(count):
                org = Organization(kind="provider", name=f"宁夏故障{prefix}{i:03d}有限公司", uscc=new_uscc(),
                                   city="yinchuan", size="small", employees=30, revenue_fen=800_000_000,
                                   industry="software", created_at=now)
                s.add(org)
                s.flush()
                user = User(username=f"{prefix}_{i}", password_hash=pw, role="provider", org_id=org.id,
                            city="yinchuan", display_name=org.name, created_at=now)
                s.add(user)
                s.flush()
                self.api.tokens[user.username] = issue_token(self.secret, user.id or 0)
                names.append(user.username)
            s.commit()
        return names

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with reader(self.engine).connect() as c:
            return list(c.execute(text(sql), params).all())


def duplicates(st: Stack, case_ids: list[str]) -> dict[str, list[Any]]:
    """Rows written twice for these cases: documents of a kind, notifications of a kind to one user, audit entries
    (same action on the same task), fund reservations."""
    ids = ",".join(f"'{c}'" for c in case_ids)
    return {
        "documents": st.rows(f"SELECT case_id, kind, count(*) FROM document WHERE case_id IN ({ids}) "
                             "GROUP BY case_id, kind HAVING count(*) > 1"),
        "notifications": st.rows(f"SELECT case_id, user_id, channel, subject, count(*) FROM notification "
                                 f"WHERE case_id IN ({ids}) GROUP BY case_id, user_id, channel, subject, task_id "
                                 "HAVING count(*) > 1"),
        "audit": st.rows(f"SELECT case_id, task_id, action, message, count(*) FROM timelineevent "
                         f"WHERE case_id IN ({ids}) GROUP BY case_id, task_id, action, message HAVING count(*) > 1"),
        "fund": st.rows(f"SELECT case_id, count(*) FROM fundreservation WHERE case_id IN ({ids}) "
                        "GROUP BY case_id HAVING count(*) > 1"),
    }


async def history_shapes(st: Stack, case_ids: list[str], *, settle_s: float = 90.0) -> Counter[tuple[Any, ...]]:
    """Each case's workflow status and the activity types it ran (with counts; regular and local), as comparable shapes. A case
    whose row is final may still have its last workflow task to run (after a kill -9 it waits for the dead worker's
    sticky queue to time out): each is given up to `settle_s` to close before its status is read."""
    client = await st.temporal()
    shapes: Counter[tuple[Any, ...]] = Counter()
    end = time.monotonic() + settle_s
    for cid in case_ids:
        handle = client.get_workflow_handle(cid)
        desc = await handle.describe()
        while desc.status == WorkflowExecutionStatus.RUNNING and time.monotonic() < end:
            await asyncio.sleep(0.5)
            desc = await handle.describe()
        acts: Counter[str] = Counter()
        async for ev in handle.fetch_history_events():
            local = local_activity(ev)  # a local activity leaves a marker, once, however often it was tried
            if local is not None:
                acts[local[0]] += 1
            elif ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                acts[ev.activity_task_scheduled_event_attributes.activity_type.name] += 1
        shapes[(desc.status, tuple(sorted(acts.items())))] += 1
    return shapes

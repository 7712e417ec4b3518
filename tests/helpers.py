"""Plain factory functions for tests: credit codes, registrations, logins, polling."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from temporalio.service import RPCError, RPCStatusCode

from clock import skip_time
from rules.uscc import ALPHABET

PASSWORD = "S3cure-pass-168"
LEAP_TIMEOUT = timedelta(minutes=3)
# A leap whose server clock runs at the wall clock's pace this long has met a leaked time-skipping lock (clock.skip_time):
# no test keeps a task in flight for so long.
LEAKED_LOCK = timedelta(seconds=20)
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def new_uscc(prefix: str = "91640100") -> str:
    """A valid 统一社会信用代码 for Ningxia (check character computed independently of the code under test)."""
    body = prefix + "".join(ALPHABET[b % 31] for b in uuid.uuid4().bytes[:9])
    s = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + ALPHABET[(31 - s % 31) % 31]


def org_body(kind: str, *, city: str = "yinchuan", **over: Any) -> dict[str, Any]:
    username = f"{kind[:4]}_{uuid.uuid4().hex[:8]}"
    org = {"name": f"宁夏测试{username[-6:]}有限公司", "uscc": new_uscc(), "city": city, "size": "small",
           "employees": 30, "revenue_fen": 800_000_000, "industry": "software"}
    if kind == "provider":
        org["categories"] = ["credit"]
    org.update(over)
    return {"kind": kind, "username": username, "password": PASSWORD, "org": org}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(http: httpx.AsyncClient, username: str, password: str = "demo168") -> dict[str, str]:
    r = await http.post("/api/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return auth(r.json()["access_token"])


async def wait_for(fn: Any, *, timeout: float = 120, what: str = "condition") -> Any:
    """Poll an async function until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        value = await fn()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def task_of(http: httpx.AsyncClient, h: dict[str, str], task_type: str, case_id: str) -> dict[str, Any]:
    """Wait until the caller's inbox holds an open task of that type for that case."""

    async def look() -> dict[str, Any] | None:
        for scope in ("available", "mine"):
            r = await http.get("/api/tasks", params={"scope": scope, "type": task_type, "case_id": case_id}, headers=h)
            assert r.status_code == 200, r.text
            if r.json()["items"]:
                return r.json()["items"][0]
        return None

    return await wait_for(look, what=f"task {task_type} of {case_id}")


async def complete(http: httpx.AsyncClient, h: dict[str, str], task: dict[str, Any], decision: str = "approve",
                   data: dict[str, Any] | None = None, comment: str = "同意") -> httpx.Response:
    return await http.post(f"/api/tasks/{task['id']}/complete", headers=h,
                           json={"decision": decision, "comment": comment, "data": data or {}})


async def case_status(http: httpx.AsyncClient, h: dict[str, str], case_id: str, statuses: set[str]) -> dict[str, Any]:
    async def look() -> dict[str, Any] | None:
        r = await http.get(f"/api/cases/{case_id}", headers=h)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] in statuses else None

    return await wait_for(look, what=f"case {case_id} in {statuses}")


async def register_approved(http: httpx.AsyncClient, kind: str, **over: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Register an organisation and have operator1 approve it; returns its auth headers and the request body."""
    body = org_body(kind, **over)
    r = await http.post("/api/register", json=body)
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    op = await login(http, "operator1")
    task = await task_of(http, op, "registration.review", case_id)
    r = await complete(http, op, task)
    assert r.status_code == 200, r.text
    return await active_login(http, body["username"]), body


async def active_login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Log in once the approval has activated the account (the workflow does so right after the decision)."""

    async def attempt() -> dict[str, str] | None:
        r = await http.post("/api/auth/token", json={"username": username, "password": PASSWORD})
        return auth(r.json()["access_token"]) if r.status_code == 200 else None

    return await wait_for(attempt, what=f"{username} to be able to log in")


async def leap(stack: Any, delta: timedelta) -> None:
    """Skip the test server's time forward (nothing if `delta` is not positive). Unlike `env.sleep` the call gets
    a deadline of its own: waking many open cases on a shared server can take longer than the default. A time-skipping
    lock that leaked (temporalio/sdk-java#1138) is released after LEAKED_LOCK (clock.skip_time), so the run goes on
    instead of sleeping in real time."""
    if delta <= timedelta(0):
        return
    target = await stack.env.get_current_time() + delta
    for attempt in (1, 2):
        left = target - await stack.env.get_current_time()
        if left <= timedelta(0):
            return  # a call cut off by the transport may still have slept on the server
        try:
            await skip_time(stack.client, left, timeout=LEAP_TIMEOUT, release_leaked_lock_after=LEAKED_LOCK)
            return
        except RPCError as exc:
            # A connection dropped mid-call ("h2 protocol error") is tried once more for what is left; a deadline
            # means the server's clock did not move (something holds it) and fails the test.
            if attempt == 2 or exc.status == RPCStatusCode.DEADLINE_EXCEEDED or "Timeout" in exc.message:
                raise


def activities_of(events: Any) -> list[str]:
    """The activities a history ran, in order (a local one by its marker, a regular one by its scheduled event)."""
    from temporalio.api.enums.v1 import EventType

    from api.services.operations import local_activity

    out = []
    for e in events:
        local = local_activity(e)
        if local is not None:
            out.append(local[0])
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            out.append(e.activity_task_scheduled_event_attributes.activity_type.name)
    return out


def take_write_lock_briefly(db: Any) -> None:
    """Take SQLite's write lock on the file `db` from another connection and let go at once: raises "database is
    locked" when a transaction holds it (for tests that work is done outside the writing transaction; issue 12)."""
    import sqlite3

    other = sqlite3.connect(db, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()

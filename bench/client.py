"""A small HTTP client of flow168's API for the benchmark: bearer tokens per user, polling, counted errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

PASSWORD = "demo168"
PROVIDER_PASSWORD = "S3cure-pass-168"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
POLL_S = 0.1


class BenchError(RuntimeError):
    pass


def new_uscc() -> str:
    """A valid 统一社会信用代码 for Ningxia (9164 0100 + 9 random characters + check character)."""
    body = "91640100" + "".join(USCC_CHARS[b % 31] for b in uuid.uuid4().bytes[:9])
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - s % 31) % 31]


class Api:
    """A thin client: one connection pool, bearer tokens per user, a count of requests."""

    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=120,
                                      limits=httpx.Limits(max_connections=64, max_keepalive_connections=64,
                                                          keepalive_expiry=30))  # below the server's 75 s
        self.tokens: dict[str, str] = {}
        self.requests = 0
        self.stale_409 = 0
        self.server_errors = 0
        self.timeouts = 0
        self.ended_409 = 0
        self.slowest = 0.0

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, url: str, user: str | None = None, **kw: Any) -> httpx.Response:
        self.requests += 1
        headers = kw.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        t0 = time.perf_counter()
        r = await self.http.request(method, url, headers=headers, **kw)
        self.slowest = max(self.slowest, time.perf_counter() - t0)
        return r

    async def get_ok(self, url: str, user: str, **kw: Any) -> httpx.Response | None:
        """A GET; a 5xx is counted and reported as None (the caller polls again)."""
        r = await self.call("GET", url, user, **kw)
        if r.status_code >= 500:
            self.server_errors += 1
            return None
        if r.status_code != 200:
            raise BenchError(f"GET {url} as {user}: {r.status_code} {r.text}")
        return r

    async def login(self, user: str, password: str = PASSWORD) -> bool:
        r = await self.call("POST", "/api/auth/token", json={"username": user, "password": password})
        if r.status_code == 200:
            self.tokens[user] = r.json()["access_token"]
            return True
        if r.status_code == 403:  # not approved yet
            return False
        if r.status_code >= 500:
            self.server_errors += 1
            return False
        raise BenchError(f"login {user}: {r.status_code} {r.text}")

    async def wait_task(self, user: str, task_type: str, case_id: str, *, timeout: float = 120) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for scope in ("available", "mine"):  # a panel's task is named: it is the expert's own ("mine")
                r = await self.get_ok("/api/tasks", user, params={"scope": scope, "type": task_type, "case_id": case_id})
                for t in r.json()["items"] if r is not None else []:
                    if t["status"] in ("open", "claimed"):
                        return t
            await asyncio.sleep(POLL_S)
        raise BenchError(f"no {task_type} for {case_id} in {user}'s inbox after {timeout:.0f}s")

    async def panel_expert(self, case_id: str, *, user: str = "operator1", timeout: float = 120) -> str:
        """The expert the case's panel names (000 四: named after the operator's review; the first of them)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = await self.get_ok(f"/api/cases/{case_id}", user)
            experts = (r.json().get("result") or {}).get("experts") if r is not None else None
            if experts:
                return str(experts[0])
            await asyncio.sleep(POLL_S)
        raise BenchError(f"no panel named for {case_id} after {timeout:.0f}s")

    async def claim(self, user: str, task_id: str) -> None:
        for _ in range(20):
            r = await self.call("POST", f"/api/tasks/{task_id}/claim", user)
            if r.status_code == 200:
                return
            if r.status_code < 500:
                break
            self.server_errors += 1
            await asyncio.sleep(0.2)
        raise BenchError(f"claim {task_id} as {user}: {r.status_code} {r.text}")

    async def complete(self, user: str, task_id: str, data: dict[str, Any]) -> None:
        body = {"decision": "approve", "comment": "同意", "data": data}
        failed = False
        for _ in range(50):
            r = await self.call("POST", f"/api/tasks/{task_id}/complete", user, json=body)
            if r.status_code == 200:
                return
            if r.status_code == 409 and "no longer open" in r.text:
                # The task row is visible before the workflow has registered the step (see docs/benchmarks.md).
                self.stale_409 += 1
                await asyncio.sleep(0.05)
                continue
            if r.status_code >= 500:
                self.server_errors += 1
                failed = True
                await asyncio.sleep(0.2)
                continue
            if failed and r.status_code == 409 and "already completed" in r.text:
                return  # the 5xx came after the Update went through
            if r.status_code == 409 and "process has already ended" in r.text:
                # Seen while the worker is stalled: the Update fails, the case is still running (see the report).
                self.ended_409 += 1
                failed = True
                await asyncio.sleep(0.2)
                continue
            raise BenchError(f"complete {task_id} as {user}: {r.status_code} {r.text}")
        raise BenchError(f"complete {task_id} as {user}: no success after 50 tries")

    async def wait_status(self, user: str, case_id: str, status: str, *, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            r = await self.get_ok(f"/api/cases/{case_id}", user)
            last = r.json()["status"] if r is not None else last
            if last == status:
                return
            await asyncio.sleep(POLL_S)
        raise BenchError(f"case {case_id} stayed {last}, wanted {status}")

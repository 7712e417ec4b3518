"""Issue 11's infrastructure findings: throttles (per address and per account, atomic), rate limits on registration
and objections, body limits before parsing, NUL refused, bounded numbers (a 500 on PostgreSQL before), security headers,
the Secure session cookie behind HTTPS."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from api import throttle
from api.app import create_app
from db.models import RateCounter
from tests.conftest import Stack
from tests.helpers import login, org_body

pytestmark = [pytest.mark.pg, pytest.mark.workflow]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@asynccontextmanager
async def clients(stack: Stack, *addresses: str, **settings: Any) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Clients of one app (the stack's, with `settings` changed), each from its own address."""
    app = create_app(settings=stack.settings.model_copy(update=settings), engine=stack.engine, clock=stack.clock,
                     temporal=stack.client)
    out = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(a, 40000)), base_url="http://flow168.test")
           for a in addresses]
    try:
        yield out
    finally:
        for c in out:
            await c.aclose()


def token(username: str, password: str = "demo168") -> dict[str, str]:
    return {"username": username, "password": password}


class TestLoginThrottle:
    async def test_a_stranger_cannot_lock_the_owner_out(self, stack: Stack) -> None:
        async with clients(stack, "10.1.0.66", "10.1.0.7") as (stranger, owner):
            for _ in range(5):
                assert (await stranger.post("/api/auth/token", json=token("department2", "guess"))).status_code == 401
            r = await stranger.post("/api/auth/token", json=token("department2"))
            assert r.status_code == 429 and r.json()["code"] == "too_many_logins"
            assert (await owner.post("/api/auth/token", json=token("department2"))).status_code == 200

    async def test_one_address_guessing_many_accounts_is_stopped(self, stack: Stack) -> None:
        async with clients(stack, "10.1.0.77", "10.1.0.78", login_max_failures_per_address=8) as (guesser, other):
            for n in range(8):
                r = await guesser.post("/api/auth/token", json=token(f"nobody{n}-{uuid.uuid4().hex[:4]}", "x"))
                assert r.status_code == 401
            assert (await guesser.post("/api/auth/token", json=token("operator2"))).status_code == 429
            assert (await other.post("/api/auth/token", json=token("operator2"))).status_code == 200

    async def test_many_addresses_guessing_one_account_are_stopped(self, stack: Stack) -> None:
        name = f"victim-{uuid.uuid4().hex[:6]}"
        addresses = [f"10.2.0.{n}" for n in range(1, 6)]
        async with clients(stack, *addresses, login_max_failures_per_account=4) as bots:
            codes = [(await bot.post("/api/auth/token", json=token(name, "x"))).status_code for bot in bots]
        assert codes == [401, 401, 401, 401, 429]

    async def test_a_successful_login_is_not_counted_as_a_failure(self, stack: Stack) -> None:
        async with clients(stack, "10.1.0.90", login_max_failures_per_address=3) as (c,):
            for _ in range(6):
                assert (await c.post("/api/auth/token", json=token("operator2"))).status_code == 200

    async def test_waiting_for_approval_is_not_guessing(self, stack: Stack) -> None:
        body = org_body("enterprise")
        async with clients(stack, "10.1.0.91", login_max_failures_per_address=3) as (c,):
            assert (await c.post("/api/register", json=body)).status_code == 201
            for _ in range(6):  # a client polling until the account is approved (tests.helpers.active_login does)
                r = await c.post("/api/auth/token", json=token(body["username"], body["password"]))
                assert r.json()["code"] == "registration_pending"

    def test_the_counter_is_atomic(self, stack: Stack) -> None:
        """Twenty requests at once get twenty different counts (a check-then-record would let several through)."""
        who, now, counts = uuid.uuid4().hex, datetime.now(UTC), []
        lock = threading.Lock()

        def one() -> None:
            with Session(stack.engine) as s:
                n = throttle.hit(s, "test", who, now=now, window_s=900)
                s.commit()
            with lock:
                counts.append(n)

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(counts) == list(range(1, 21))
        with Session(stack.engine) as s:
            row = s.exec(select(RateCounter).where(RateCounter.key.startswith(f"test:{who}:"))).one()  # type: ignore[attr-defined]
            assert row.count == 20


class TestRateLimits:
    async def test_registrations_per_address(self, stack: Stack) -> None:
        taken = org_body("enterprise")
        taken["username"] = "operator1"  # refused by the service (409): the attempt still counts
        async with clients(stack, "10.3.0.1", "10.3.0.2", registrations_per_address_per_hour=2) as (a, b):
            assert [(await a.post("/api/register", json=taken)).status_code for _ in range(3)] == [409, 409, 429]
            r = await a.post("/api/register", json=taken)
            assert r.json()["code"] == "too_many_requests"
            assert (await b.post("/api/register", json=taken)).status_code == 409

    async def test_objections_per_address(self, stack: Stack) -> None:
        body = {"name": "张三", "contact": "13900000000", "reason": "不实"}
        async with clients(stack, "10.4.0.1", "10.4.0.2", objections_per_address_per_hour=2) as (a, b):
            codes = [(await a.post("/api/cases/CT-none/objections", json=body)).status_code for _ in range(3)]
            assert codes == [404, 404, 429]
            assert (await b.post("/api/cases/CT-none/objections", json=body)).status_code == 404


class TestRequests:
    async def test_a_body_past_the_limit_is_refused_before_it_is_read(self, stack: Stack) -> None:
        async with clients(stack, "10.5.0.1", request_max_bytes=1000) as (c,):
            r = await c.post("/api/auth/token", json={"username": "operator1", "password": "x" * 2000})
            assert r.status_code == 413 and r.json()["code"] == "body_too_large"

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
                for _ in range(5):
                    yield b'{"username": "' + b"x" * 400

            r = await c.post("/api/auth/token", content=chunks(), headers={"content-type": "application/json"})
            assert r.status_code == 413
            assert (await c.post("/api/auth/token", json=token("operator2"))).status_code == 200

    async def test_uploads_have_their_own_limit(self, stack: Stack) -> None:
        async with clients(stack, "10.5.0.2", request_max_bytes=1000, multipart_max_bytes=20_000) as (c,):
            h = await login(c, "operator1")
            r = await c.post("/api/uploads", headers=h, files={"file": ("a.pdf", PDF + b" " * 5000, "application/pdf")})
            assert r.status_code == 201, r.text  # larger than a JSON body may be
            r = await c.post("/api/uploads", headers=h, files={"file": ("a.pdf", PDF + b" " * 30_000, "application/pdf")})
            assert r.status_code == 413 and r.json()["code"] == "body_too_large"

    async def test_nul_is_refused(self, stack: Stack) -> None:
        h = await login(stack.http, "operator1")
        for r in (await stack.http.get("/api/public/providers", params={"q": "a\x00b"}),
                  await stack.http.get("/api/cases/VC%00x", headers=h),
                  await stack.http.post("/api/auth/token", content=b'{"username": "a\\u0000", "password": "x"}',
                                        headers={"content-type": "application/json"})):
            assert r.status_code == 400 and r.json()["code"] == "bad_characters", r.text
        r = await stack.http.get("/inbox", params={"tab": "\x00"})  # a page answers as a page
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html") and "NUL" in r.text

    async def test_numbers_out_of_range_are_422_not_500(self, stack: Stack) -> None:
        """Negative LIMIT/OFFSET and ids past 32 bits were database errors on PostgreSQL; years past 9999 a crash."""
        h = await login(stack.http, "admin")
        for url, params in (("/api/cases", {"offset": -1}), ("/api/cases", {"limit": -5}), ("/api/tasks", {"offset": -1}),
                            ("/api/notifications", {"limit": -1}), ("/api/public/providers", {"offset": -3}),
                            ("/api/public/windows", {"limit": -1}), ("/api/budget/99999", {}),
                            ("/api/assessment/campaigns", {"year": 10**12}), ("/api/admin/stuck", {"idle_days": 10**9})):
            r = await stack.http.get(url, params=params, headers=h)
            assert r.status_code == 422, (url, params, r.status_code, r.text)
        assert (await stack.http.post("/api/notifications/394289776425070/read", headers=h)).status_code == 422
        assert (await stack.http.put("/api/admin/budget/99999", headers=h, json={"total_fen": 1})).status_code == 422
        assert (await stack.http.get("/assessment/campaigns/394289776425070",
                                     headers=h)).status_code in (303, 404)  # a page: not found (or log in)


class TestHeaders:
    async def test_security_headers_on_api_pages_and_files(self, stack: Stack) -> None:
        for url in ("/api/clock", "/", "/login", "/static/style.css", "/api/cases"):
            r = await stack.http.get(url)
            csp = r.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, url
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff", url
            assert r.headers["referrer-policy"] == "same-origin", url
            assert "strict-transport-security" not in r.headers

    async def test_the_session_cookie_is_secure_behind_https(self, stack: Stack) -> None:
        async with clients(stack, "10.6.0.2") as (plain,):
            r = await plain.get("/login")
            assert "flow168_session=" in r.headers["set-cookie"] and "secure" not in r.headers["set-cookie"].lower()
        async with clients(stack, "10.6.0.1", behind_https=True) as (c,):
            r = await c.get("/login")
            assert "secure" in r.headers["set-cookie"].lower()
            assert r.headers["strict-transport-security"].startswith("max-age=")

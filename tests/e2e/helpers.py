"""Plain helpers for the end-to-end tests: credit codes, registration through the API, page logins."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "S3cure-pass-168"
DEMO_PASSWORD = "demo168"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def new_uscc(region: str = "640100") -> str:
    """A valid 统一社会信用代码 of Ningxia (GB 32100-2015 check character, computed here independently)."""
    body = "91" + region + "".join(USCC_CHARS[b % 31] for b in uuid.uuid4().bytes[:9])
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - s % 31) % 31]


@dataclass
class Registered:
    username: str
    password: str
    name: str
    case_id: str
    city: str


def register(base: str, *, kind: str = "enterprise", city: str = "yinchuan", **org: Any) -> Registered:
    """Register an organisation through the JSON API (it then waits for the operator's review)."""
    username = f"{kind[:4]}_{uuid.uuid4().hex[:8]}"
    name = f"宁夏端到端{username[-6:]}有限公司"
    body = {"kind": kind, "username": username, "password": PASSWORD,
            "org": {"name": name, "uscc": new_uscc(), "city": city, "size": "small", "employees": 30,
                    "revenue_fen": 800_000_000, "industry": "software",
                    **({"categories": ["cloud"]} if kind == "provider" else {}), **org}}
    r = httpx.post(f"{base}/api/register", json=body, timeout=60)
    assert r.status_code == 201, r.text
    return Registered(username, PASSWORD, name, r.json()["case_id"], city)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page carries no CSRF token"
    return m.group(1)


def page_client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=60)


def page_login(base: str, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
    """A browser-like client logged in through the login page (session cookie)."""
    c = page_client(base)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert r.status_code == 303, (r.status_code, r.text[:500])
    return c


def api_login_status(base: str, username: str, password: str) -> int:
    return httpx.post(f"{base}/api/auth/token", json={"username": username, "password": password},
                      timeout=60).status_code


def wait_until(fn: Callable[[], Any], *, timeout: float = 60, what: str = "condition") -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def messages(html: str) -> list[str]:
    """The alerts, flash messages and field errors a page shows."""
    return re.findall(r'class="(?:alert|flash[^"]*|field-error)"[^>]*>([^<]+)<', html)

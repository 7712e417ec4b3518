"""The authorization matrix: every route of the app (read from the router, pages included) × every role, against the
allow/deny kept as data in tests/api/authz_matrix.py. A route the table does not know fails `test_every_route_has_a_row`;
each (route, role) cell is its own test, so a refusal that leaks names its route and role."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import MagicMock

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from api import error_messages
from api.app import create_app
from db.engine import make_engine
from settings import Settings
from tests.api.authz_matrix import DEFAULT_PARAMS, ROUTES, Row
from tests.api.authz_world import PDF, ROLES, World, build_world, page_client
from tests.conftest import Stack, own_stack_fixture

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()

DENY = (401, 403, 404)
NOT_PAGES = ("/api/", "/healthz", "/metrics", "/openapi.json", "/docs", "/redoc", "/static/")


def app_routes(app: FastAPI) -> set[str]:
    """Every "METHOD path" the app answers (HEAD left out: it answers as GET)."""
    out: set[str] = set()

    def add(route: Any) -> None:
        if isinstance(route, Mount):
            out.add(f"GET {route.path}/{{path}}")
            return
        methods = getattr(route, "methods", None) or set()
        for m in methods - {"HEAD"}:
            out.add(f"{m} {route.path}")

    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
            for ctx in route.effective_route_contexts():
                add(ctx.starlette_route if ctx.starlette_route is not None and not isinstance(ctx.original_route, APIRoute)
                    else ctx)
        elif isinstance(route, (APIRoute, Route, Mount)):
            add(route)
    return out


def _bare_app(tmp: Any) -> FastAPI:
    settings = Settings(data_dir=tmp, secret_key="test-secret-key-0123456789abcdef", demo=False)
    return create_app(settings=settings, engine=make_engine(f"sqlite:///{tmp}/routes.db"), clock=MagicMock(),
                      temporal=MagicMock())


def test_every_route_has_a_row(tmp_path: Any) -> None:
    known = {key.split(" #")[0] for key in ROUTES}
    routes = app_routes(_bare_app(tmp_path))
    assert len(routes) > 100
    missing, stale = sorted(routes - known), sorted(known - routes)
    assert not missing, f"routes without a row in tests/api/authz_matrix.py: {missing}"
    assert not stale, f"rows of routes the app no longer has: {stale}"


def test_the_table_names_only_known_roles() -> None:
    for key, row in ROUTES.items():
        assert row.allow <= set(ROLES), key
        assert set(row.xfail) <= set(ROLES), key


# --- the cells ----------------------------------------------------------------------------------------------------

REFUSALS: list[int] = []  # statuses of the ApiErrors a page turned into a message during the current request


@pytest.fixture(scope="module")
def _record_refusals() -> Iterator[None]:
    """Pages word a refusal (api/error_messages.say) and flash it; record its status so a page's redirect back with a
    403/404 message counts as refused."""
    original = error_messages.say

    def say(exc: Any, *args: Any, **kw: Any) -> str:
        REFUSALS.append(int(getattr(exc, "status", 422)))
        return original(exc, *args, **kw)

    with pytest.MonkeyPatch.context() as mp:
        for name, module in list(sys.modules.items()):
            if name.startswith("api.") and getattr(module, "say", None) is original:
                mp.setattr(module, "say", say)
        yield


@pytest.fixture(scope="module")
async def world(stack: Stack, _record_refusals: None) -> AsyncIterator[World]:
    w = await build_world(stack)
    yield w
    for client in w.pages.values():
        await client.aclose()


def _cells() -> list[Any]:
    out = []
    for key, row in ROUTES.items():
        # Refused roles first: an allowed call may change the fixture (claim a task, terminate a case).
        for role in sorted(ROLES, key=lambda r: (r in row.allow, ROLES.index(r))):
            marks = [pytest.mark.xfail(strict=True, reason=row.xfail[role])] if role in row.xfail else []
            out.append(pytest.param(key, role, marks=marks, id=f"{key}|{role}"))
    return out


def _url(key: str, row: Row, w: World) -> str:
    path = key.split(" #")[0].split(" ", 1)[1]
    for name, default in DEFAULT_PARAMS.items():
        if "{" + name + "}" in path:
            ref = row.params.get(name, default)
            value = ref[1:] if ref.startswith("=") else w.ids[ref]
            path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"{key}: a path parameter without a fixture"
    return path


async def _call(key: str, role: str, w: World, stack: Stack) -> tuple[int, str, list[int]]:
    row = ROUTES[key]
    method = key.split(" ", 1)[0]
    url = _url(key, row, w)
    REFUSALS.clear()
    if url.startswith(NOT_PAGES):
        headers = w.tokens.get(role, {})
        kw: dict[str, Any] = {"headers": headers, "params": row.query}
        if row.files:
            kw["files"] = {"file": ("m.pdf", PDF, "application/pdf")}
        elif row.json is not None:
            kw["json"] = row.json
        elif method in ("POST", "PUT"):
            kw["json"] = {}
        r = await stack.http.request(method, url, **kw)
    else:
        client, csrf = page_client(stack, w.uids.get(role)) if row.fresh else (w.pages[role], w.csrf[role])
        if method == "GET":
            r = await client.get(url, params=row.query)
        else:
            r = await client.post(url, data={"csrf_token": csrf, **(row.form or {})})
        if row.fresh:
            await client.aclose()
    return r.status_code, r.headers.get("location", ""), list(REFUSALS)


def refused(row: Row, status: int, location: str, refusals: list[int]) -> bool:
    deny = set(DENY) - row.answers
    return status in deny or location.startswith("/login") or any(s in deny for s in refusals)


@pytest.mark.parametrize(("key", "role"), _cells())
async def test_cell(key: str, role: str, world: World, stack: Stack) -> None:
    status, location, refusals = await _call(key, role, world, stack)
    assert status < 500, f"{key} as {role}: {status}"
    expected = "allow" if role in ROUTES[key].allow else "deny"
    got = "deny" if refused(ROUTES[key], status, location, refusals) else "allow"
    assert got == expected, f"{key} as {role}: expected {expected}, got {status} {location} refusals={refusals}"

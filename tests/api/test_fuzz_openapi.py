"""A fuzzer over the OpenAPI schema: schemathesis generates requests for every operation of GET /openapi.json (valid
and invalid bodies, queries, path values), hypothesis drives them through the app in process (the same event loop as
the module's own Temporal test server and worker), as anonymous and as a few roles, with real ids of the fixture cases
half of the time. No response may be a server error (>= 500).

Bounded: FLOW168_FUZZ_EXAMPLES examples per operation (default 10; derandomized, so a run is repeatable), no
shrinking phase. A new route is fuzzed without anything to add here; `-m fuzz` runs only this."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.api.authz_world import World, build_world
from tests.api.test_authz_matrix import _bare_app
from tests.conftest import Stack, own_stack_fixture

# On SQLite in the whole suite and again on PostgreSQL (-m pg): PostgreSQL is stricter (NUL in text, negative LIMIT,
# integers past 32 bits are errors there).
pytestmark = [pytest.mark.workflow, pytest.mark.fuzz, pytest.mark.pg]

stack = own_stack_fixture()

EXAMPLES = int(os.environ.get("FLOW168_FUZZ_EXAMPLES", "10"))
ROLES = ("anonymous", "enterprise", "provider", "platform", "city", "expert", "operator", "department", "admin")
# Real values for path parameters, by name (the world's fixtures).
REAL: dict[str, tuple[str, ...]] = {
    "case_id": ("V", "V2", "V3", "C", "W", "R"), "task_id": ("T_reg", "T_exp"), "upload_id": ("U",),
    "doc_id": ("D_case", "D_notice", "D_cert", "D_stat", "D_bulletin"), "nid": ("N",), "campaign_id": ("CAMP",),
}
LITERAL: dict[str, tuple[Any, ...]] = {"year": (2026, 2027, 1999, -1, 0, 99999), "kind": ("partner", "window", "hub"),
                                      "code": ("2016", "2017"), "task_type": ("registration.review", "voucher.apply")}
# Operations fuzzed as anonymous and non-admins only: an admin moving the simulated clock by years would spend the
# budget firing every timer of the fixture cases, which is not what this test is for (the admin tests cover it).
NOT_AS_ADMIN = {"POST /api/admin/clock/advance"}

SCHEMA = schemathesis.openapi.from_dict(_bare_app(tempfile.mkdtemp()).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
async def world(stack: Stack) -> AsyncIterator[World]:
    w = await build_world(stack)
    yield w
    for client in w.pages.values():
        await client.aclose()


def _request(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """httpx keyword arguments for a schemathesis case (which speaks requests' dialect)."""
    kw = case.as_transport_kwargs(base_url="http://flow168.test")
    out: dict[str, Any] = {"method": kw["method"], "url": kw["url"], "params": kw.get("params") or None,
                           "headers": {**{k: v for k, v in (kw.get("headers") or {}).items()
                                          if k.lower() not in ("authorization", "content-length")}, **headers}}
    if "json" in kw:
        out["json"] = kw["json"]
    if kw.get("files"):
        out["files"] = kw["files"]
        if isinstance(kw.get("data"), dict):
            out["data"] = kw["data"]
        out["headers"].pop("Content-Type", None)
    elif "data" in kw and kw["data"] is not None:
        data = kw["data"]
        if isinstance(data, dict):
            out["data"] = data
        else:
            out["content"] = data if isinstance(data, bytes) else str(data).encode()
    return out


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_no_server_error(operation: Any, data: st.DataObject, world: World, stack: Stack) -> None:
    case = data.draw(operation.as_strategy(), label="case")
    roles = [r for r in ROLES if not (r == "admin" and operation.label in NOT_AS_ADMIN)]
    role = data.draw(st.sampled_from(roles), label="role")
    if case.path_parameters and data.draw(st.booleans(), label="real ids"):
        for name in list(case.path_parameters):
            if name in REAL:
                case.path_parameters[name] = world.ids[data.draw(st.sampled_from(REAL[name]), label=name)]
            elif name in LITERAL:
                case.path_parameters[name] = data.draw(st.sampled_from(LITERAL[name]), label=name)
    request = _request(case, world.tokens.get(role, {}))
    try:
        r = await stack.http.request(**request)
    except (httpx.InvalidURL, UnicodeEncodeError):
        return  # a request no client could send (e.g. a control character in a header)
    assert r.status_code < 500, f"{operation.label} as {role}: {r.status_code} {r.text[:300]}\n{request}"

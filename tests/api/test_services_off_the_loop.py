"""Issue 12: a request's database work runs off the event loop, in the thread pool. On SQLite a writing session
begins with BEGIN IMMEDIATE: a statement run on the loop may wait there for the write lock and stall every other
request of the process. These tests drive the `async def` services that call the engine (admin actions, the
operations console, voucher, certification, window, rating, assessment, registration) through the HTTP API and fail
if any SQL statement ran on the loop's thread while the web app handled a request.

The guard is at run time: a SQLAlchemy `before_cursor_execute` listener on the app's engine records a statement when
an asyncio loop runs in the current thread (only the loop's thread has one) and the statement belongs to a request of
the app (a context variable set by a wrapper around the app, copied into the request's tasks). The worker, the test
server's helpers and the tests' own setup share the process and the engine, but not that context."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import Request
from sqlalchemy import event
from sqlmodel import Session, select
from starlette.types import Receive, Scope, Send

from api.app import create_app
from db import fund as fund_repo
from db.engine import session_scope
from db.models import Case, FundReservation, Organization, User, WindowAgreement
from rules.calendar import SHANGHAI
from rules.voucher import policy_in_force
from tests.api.test_certification import apply as apply_certification
from tests.api.test_certification import deadline, sleep_past, walk_to_notice
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, login, org_body, register_approved, task_of
from tests.voucher.factories import signed_provider

pytestmark = pytest.mark.workflow

# Calendars, budgets, ratings and campaigns of its own, and a leap past a public notice: a database and a server of
# its own.
plain_stack = own_stack_fixture(name="plain_stack")

REQUEST: ContextVar[str | None] = ContextVar("flow168_test_request", default=None)
ON_THE_LOOP = "/test/sql-on-the-loop"


@pytest.fixture(scope="module")
async def stack(plain_stack: Stack) -> AsyncIterator[Stack]:
    """The module's stack, its HTTP client on an app of its own (same settings, engine, worker) whose requests carry
    their method and path in REQUEST."""
    st = plain_stack
    app = create_app(settings=st.settings, engine=st.engine, clock=st.clock, temporal=st.client)

    @app.get(ON_THE_LOOP)
    async def sql_on_the_loop(request: Request) -> dict[str, int]:  # what the guard must see
        with Session(request.app.state.engine) as s:
            return {"users": len(s.exec(select(User.id)).all())}

    async def tagged(scope: Scope, receive: Receive, send: Send) -> None:
        token = REQUEST.set(f"{scope.get('method', '')} {scope.get('path', '')}")
        try:
            await app(scope, receive, send)
        finally:
            REQUEST.reset(token)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tagged), base_url="http://flow168.test",
                                 timeout=60) as http:
        yield dataclasses.replace(st, http=http)


@pytest.fixture
def on_the_loop(stack: Stack) -> Iterator[list[str]]:
    """The statements run on the event loop's thread during a request of the app, as "METHOD path: SQL"."""
    found: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        request = REQUEST.get()
        if request is None:
            return  # the worker, or the test's own setup
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a thread of the pool: where it belongs
        found.append(f"{request}: {' '.join(statement.split())[:160]}")

    event.listen(stack.engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(stack.engine, "before_cursor_execute", record)


def none_on_the_loop(found: list[str]) -> None:
    assert found == [], "SQL ran on the event loop (move it into `await in_thread(...)`):\n" + "\n".join(found)


async def year_of(stack: Stack) -> int:
    return (await stack.clock.now()).astimezone(SHANGHAI).year


def org_id_of(stack: Stack, uscc: str) -> int:
    with session_scope(stack.engine) as s:
        return int(s.exec(select(Organization.id).where(Organization.uscc == uscc)).one() or 0)


async def test_the_guard_sees_sql_on_the_loop(stack: Stack, on_the_loop: list[str]) -> None:
    await stack.http.post("/api/register", json={})  # 422 before any SQL
    assert on_the_loop == []
    r = await stack.http.get(ON_THE_LOOP)
    assert r.status_code == 200, r.text
    assert any(f.startswith(f"GET {ON_THE_LOOP}: SELECT") for f in on_the_loop), on_the_loop  # and on SQLite its BEGIN


async def test_registration_admin_actions_and_the_operations_console(stack: Stack, on_the_loop: list[str]) -> None:
    http = stack.http
    body = org_body("enterprise")
    r = await http.post("/api/register", json=body)
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    case_id = r.json()["case_id"]
    taken = await http.post("/api/register", json={**body, "org": {**body["org"], "uscc": org_body("x")["org"]["uscc"]}})
    assert taken.status_code == 409 and taken.json()["code"] == "username_taken", taken.text
    again = await http.post("/api/register", json={**org_body("enterprise"), "org": body["org"]})
    assert again.status_code == 409 and again.json()["code"] == "uscc_taken", again.text

    admin = await login(http, "admin")
    task = await task_of(http, admin, "registration.review", case_id)
    r = await http.post(f"/api/admin/tasks/{task['id']}/extend", headers=admin, json={"working_days": 3, "reason": "材料补正"})
    assert r.status_code == 200 and r.json()["due_at"] > task["due_at"], r.text
    r = await http.post("/api/admin/tasks/nope/extend", headers=admin, json={"working_days": 3, "reason": "x"})
    assert r.status_code == 404, r.text
    r = await http.post(f"/api/admin/cases/{case_id}/retry", headers=admin, json={"reason": "重试"})
    assert r.status_code == 409 and r.json()["code"] == "reset_unsupported", r.text  # the time-skipping server
    assert (await http.post("/api/admin/cases/nope/retry", headers=admin, json={"reason": "x"})).status_code == 404

    year = await year_of(stack)
    r = await http.put(f"/api/admin/calendar/{year}", headers=admin,
                       json={"holidays": [f"{year}-01-01"], "makeup_workdays": []})
    assert r.status_code == 200 and r.json()["confirmed"] is True, r.text
    bad = await http.put(f"/api/admin/calendar/{year}", headers=admin, json={"holidays": [f"{year + 1}-01-01"]})
    assert bad.status_code == 422, bad.text

    r = await http.post(f"/api/admin/cases/{case_id}/terminate", headers=admin, json={"reason": "重复注册"})
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    r = await http.post(f"/api/admin/cases/{case_id}/terminate", headers=admin, json={"reason": "重复注册"})
    assert r.status_code == 409 and r.json()["code"] == "case_already_closed", r.text
    assert (await http.post("/api/admin/cases/nope/terminate", headers=admin, json={"reason": "x"})).status_code == 404

    # The operations console runs the same actions case by case, and reads the engine's view of the cases.
    others = [(await http.post("/api/register", json=org_body("enterprise"))).json()["case_id"] for _ in range(2)]
    for other in others:
        await task_of(http, admin, "registration.review", other)
    results = {}
    for action, extra in (("extend", {"working_days": 2}), ("retry", {}), ("move_back", {"step": "registration.review"}),
                          ("terminate", {})):
        r = await http.post("/api/admin/cases/batch", headers=admin,
                            json={"action": action, "case_ids": [*others, "nope"], "reason": "批量处理", **extra})
        assert r.status_code == 200, r.text
        results[action] = [(x["ok"], x.get("code")) for x in r.json()["results"]]
    missing = (False, "case_not_found")
    assert results == {"extend": [(True, None), (True, None), missing],
                       "retry": [(False, "reset_unsupported")] * 2 + [missing],
                       "move_back": [(False, "reset_unsupported")] * 2 + [missing],
                       "terminate": [(True, None), (True, None), missing]}, results
    r = await http.get("/api/admin/workflow-problems", headers=admin)
    assert r.status_code == 200 and r.json()["checked"] >= 0, r.text
    r = await http.get(f"/api/admin/cases/{case_id}/history", headers=admin)
    assert r.status_code == 200 and r.json()["events"], r.text
    assert (await http.get("/api/admin/cases/nope/history", headers=admin)).status_code == 404
    none_on_the_loop(on_the_loop)


async def test_voucher_void_withdrawal_fund_and_a_terminated_reservation(stack: Stack,
                                                                         on_the_loop: list[str]) -> None:
    http = stack.http
    (ent, ent_body), (ent2, ent2_body) = [await register_approved(http, "enterprise") for _ in range(2)]
    demand = {"category": "credit", "title": "信用评价服务", "description": "企业信用评级", "budget_fen": 300_000}

    async def new_demand(h: dict[str, str], category: str) -> str:  # one open voucher per enterprise and category
        r = await http.post("/api/cases", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                            json={"type": "voucher", "data": {**demand, "category": category}})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    voided, withdrawn, held, waiting, later = [await new_demand(h, category) for h, category in (
        (ent, "credit"), (ent, "legal"), (ent, "cloud"), (ent2, "credit"), (ent2, "legal"))]
    op, dep, admin = await login(http, "operator1"), await login(http, "department1"), await login(http, "admin")

    r = await http.post(f"/api/cases/{voided}/void", headers=op, json={"reason": "串通报价", "responsible_person": "李四"})
    assert r.status_code == 202 and r.json()["status"] == "voiding", r.text
    assert (await http.post("/api/cases/nope/void", headers=op, json={"reason": "x"})).status_code == 404
    assert (await http.post(f"/api/cases/{withdrawn}/withdraw", headers=ent2, json={"reason": "x"})).status_code == 404
    r = await http.post(f"/api/cases/{withdrawn}/withdraw", headers=ent, json={"reason": "不再需要"})
    assert r.status_code == 202 and r.json()["status"] == "withdrawing", r.text
    await case_status(http, ent, withdrawn, {"withdrawn"})
    r = await http.post(f"/api/cases/{withdrawn}/withdraw", headers=ent, json={"reason": "不再需要"})
    assert r.status_code == 409, r.text

    # The fund: one reservation and two on the waitlist; a raise promotes one, the termination of the reserved case
    # gives its money back to the other.
    year = await year_of(stack)
    r = await http.put(f"/api/admin/budget/{year}", headers=dep, json={"total_fen": 300_000})
    assert r.status_code == 200 and r.json()["total_fen"] == 300_000, r.text
    cap = policy_in_force(on=date(year, 12, 31)).per_enterprise_year_cap_fen
    now = await stack.clock.now()
    first, second = (org_id_of(stack, b["org"]["uscc"]) for b in (ent_body, ent2_body))
    with session_scope(stack.engine) as s:
        for case_id, org_id, amount in ((held, first, 300_000), (waiting, second, 100_000), (later, second, 200_000)):
            fund_repo.reserve(s, year=year, case_id=case_id, enterprise_org_id=org_id, amount_fen=amount,
                              specialized=False, credit_rating=None, submitted_at=now, cap_fen=cap, at=now)
    r = await http.put(f"/api/admin/budget/{year}", headers=dep, json={"total_fen": 400_000})
    assert r.status_code == 200 and r.json()["total_fen"] == 400_000, r.text
    r = await http.post(f"/api/admin/cases/{held}/terminate", headers=admin, json={"reason": "企业注销"})
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    with Session(stack.engine) as s:
        states = {c: s.get(FundReservation, c).state for c in (held, waiting, later)}  # type: ignore[union-attr]
    assert states == {held: "released", waiting: "reserved", later: "reserved"}, states
    detail = (await http.get(f"/api/cases/{held}", headers=admin)).json()
    assert {"terminated", "fund_release"} <= {e["action"] for e in detail["timeline"]}
    none_on_the_loop(on_the_loop)


async def test_certification_list_objection_and_revocation(stack: Stack, on_the_loop: list[str]) -> None:
    http = stack.http
    objector = {"name": "张三", "contact": "13800000000", "reason": "该平台服务企业数量不实"}
    dep = await login(http, "department1")
    assert (await http.post("/api/cases/nope/objections", json=objector)).status_code == 404
    assert (await http.post("/api/certification/years/2099/list", headers=dep)).status_code == 404
    org, case = await apply_certification(stack)
    r = await http.post(f"/api/cases/{case['id']}/objections", json=objector)
    assert r.status_code == 409 and r.json()["code"] == "not_in_notice", r.text
    r = await http.post(f"/api/cases/{case['id']}/revoke", headers=dep, json={"reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "no_title", r.text
    notice = await walk_to_notice(stack, case["id"])  # the department publishes the year's list
    r = await http.post(f"/api/cases/{case['id']}/objections", json=objector)
    assert r.status_code == 201 and r.json()["status"] == "received" and r.json()["receipt"], r.text
    await sleep_past(stack, deadline(notice, "public_notice")["closes_at"])
    r = await complete(http, dep, await task_of(http, dep, "notice.objection_review", case["id"]), "dismiss",
                       comment="经核查，异议不成立")
    assert r.status_code == 200, r.text
    await case_status(http, org, case["id"], {"granted"})
    r = await http.post(f"/api/cases/{case['id']}/revoke", headers=dep, json={"reason": "弄虚作假"})
    assert r.status_code == 200 and r.json()["reason"] == "弄虚作假", r.text
    call_year = (await http.get(f"/api/cases/{case['id']}", headers=dep)).json()["result"]["call_year"]
    r = await http.post(f"/api/certification/years/{call_year}/list", headers=dep)  # nothing new: told again
    assert r.status_code == 200 and r.json()["year"] == call_year, r.text
    none_on_the_loop(on_the_loop)


async def test_window_withdrawal_and_agreement(stack: Stack, on_the_loop: list[str]) -> None:
    """Connected windows as rows without a running process: every check and write runs, then the engine says the
    process has ended (409)."""
    http = stack.http
    (mine, mine_body), (_, theirs_body) = [await register_approved(http, "platform_org") for _ in range(2)]
    now = await stack.clock.now()
    ids = []
    with session_scope(stack.engine) as s:
        for body in (mine_body, theirs_body):
            case = Case(id=f"WO-test-{uuid.uuid4().hex[:8]}", type="window_onboarding", status="connected",
                        title="窗口平台", applicant=body["org"]["name"], city="yinchuan",
                        applicant_org_id=org_id_of(stack, body["org"]["uscc"]),
                        data={"platform_name": body["org"]["name"]}, created_at=now, updated_at=now)
            s.add(case)
            ids.append(case.id)
    assert (await http.post("/api/windows/nope/withdraw", headers=mine, json={"reason": "x"})).status_code == 404
    r = await http.post(f"/api/windows/{ids[0]}/agreements", headers=mine,
                        json={"partner_case_id": ids[1], "scope": "政策咨询互通"})
    assert r.status_code == 409 and r.json()["code"] == "window_process_ended", r.text
    r = await http.post(f"/api/windows/{ids[0]}/agreements", headers=mine,
                        json={"partner_case_id": ids[1], "scope": "政策咨询互通"})
    assert r.status_code == 409 and r.json()["code"] == "window_agreement_exists", r.text  # the first was written
    r = await http.post(f"/api/windows/{ids[0]}/withdraw", headers=mine, json={"reason": "停止运营"})
    assert r.status_code == 409 and r.json()["code"] == "window_process_ended", r.text
    with Session(stack.engine) as s:
        assert len(s.exec(select(WindowAgreement).where(WindowAgreement.proposer_case_id == ids[0])).all()) == 1
    none_on_the_loop(on_the_loop)


async def test_rating_and_assessment_campaign(stack: Stack, on_the_loop: list[str]) -> None:
    http = stack.http
    op = await login(http, "operator1")
    r = await http.post("/api/provider-ratings", headers=op, json={"year": 2099})
    assert r.status_code == 201 and r.json()["type"] == "provider_rating", r.text
    r = await http.post("/api/provider-ratings", headers=op, json={"year": 2099})
    assert r.status_code == 409 and r.json()["code"] == "rating_year_open", r.text
    _, prov_body = await signed_provider(stack, "credit")
    subject = org_id_of(stack, prov_body["org"]["uscc"])
    r = await http.post("/api/assessment/campaigns", headers=op, json={"year": 2098, "kind": "partner", "subjects": [subject]})
    assert r.status_code == 201 and r.json()["cases"]["total"] == 1, r.text
    r = await http.post("/api/assessment/campaigns", headers=op, json={"year": 2098, "kind": "partner", "subjects": [subject]})
    assert r.status_code == 409 and r.json()["code"] == "campaign_exists", r.text
    none_on_the_loop(on_the_loop)


async def test_pages_that_call_services(stack: Stack, on_the_loop: list[str]) -> None:
    """The HTML forms: an admin's reassignment, a policy and an indicator set saved through `submit_and_return`, the
    throttle in front of a public objection."""
    from tests.api.test_pages_flow import csrf_of, page_login

    admin, dep, op = [await page_login(stack, u, "demo168") for u in ("admin", "department1", "operator1")]
    try:
        async def post(c: httpx.AsyncClient, path: str, form: dict[str, str], referer: str) -> httpx.Response:
            token = csrf_of((await c.get(referer)).text)
            r = await c.post(path, data={"csrf_token": token, **form})
            assert r.status_code in (302, 303), r.text
            return await c.get(r.headers["location"])

        r = await post(admin, "/admin/tasks/nope/reassign", {"username": "operator1"}, "/admin")
        assert "未执行" in r.text, r.text[:2000]
        r = await stack.http.get("/api/admin/voucher-policies", headers=await login(stack.http, "department1"))
        p = r.json()["items"][0]  # saved again with the numbers it has
        r = await post(dep, f"/voucher/policies/{p['code']}", {
            "year": "", "bidding_working_days": str(p["bidding_working_days"]),
            "voucher_validity_days": str(p["voucher_validity_days"]),
            "expiry_reminder_days": ",".join(str(d) for d in p["expiry_reminder_days"]),
            "supervision_fee_pct": f"{p['supervision_fee_bp'] / 100:.2f}"}, "/voucher/fund")
        assert f"已保存{p['code']}年版服务券政策参数" in r.text, r.text[:2000]
        r = await post(op, "/assessment/indicators/partner", {"lines": "service,服务质量,60\nsatisfaction,满意度,40",
                                                             "excellent_min": "90", "qualified_min": "60"},
                       "/assessment/indicators/partner")
        assert "已保存新版考核指标" in r.text, r.text[:2000]
        anon = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
        async with anon:
            r = await post(anon, "/public/notices/nope/objection", {"name": "张三", "contact": "13800000000",
                                                                   "reason": "不实"}, "/login")
            assert "异议未提交" in r.text, r.text[:2000]
    finally:
        for c in (admin, dep, op):
            await c.aclose()
    none_on_the_loop(on_the_loop)

"""The 3-year life of a demonstration-platform title under time skipping: yearly cycles across continue-as-new,
reminders before expiry, expiry, a failed assessment and a revocation mid-cycle.

The module leaps years, so it runs on its own time-skipping test server and database (`own_stack_fixture`); on the
session's server those leaps would fire every other test's reminders, escalations and notice closes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from db.models import Notification, Task
from tests.api.test_certification import apply, granted
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, leap, login, task_of, wait_for

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()


async def case_of(stack: Stack, case_id: str) -> dict[str, Any]:
    dep = await login(stack.http, "department1")
    return (await stack.http.get(f"/api/cases/{case_id}", headers=dep)).json()


async def to_next_summary(stack: Stack, org: dict[str, str], case_id: str) -> dict[str, Any]:
    """Skip to the opening of the next annual summary task and return it."""
    async def opened() -> bool:
        with Session(stack.engine) as s:
            return s.exec(select(Task).where(Task.case_id == case_id, Task.type == "certification.annual_summary",
                                             Task.status == "open")).first() is not None

    for _ in range(14):
        if await opened():
            break
        await leap(stack, timedelta(days=31))
        await stack.http.get("/healthz")
    return await task_of(stack.http, org, "certification.annual_summary", case_id)


async def run_cycle(stack: Stack, org: dict[str, str], case_id: str, rating: str, city: str = "yinchuan") -> None:
    """One yearly cycle: the platform's summary, the city bureau's report, the department's rating."""
    http = stack.http
    task = await to_next_summary(stack, org, case_id)
    year = task["title"][:4]
    assert datetime.fromisoformat(task["due_at"]).isoformat().startswith(f"{int(year) + 1}-01-01") or \
        task["due_at"].startswith(f"{year}-12-31T16:00"), task["due_at"]
    r = await complete(http, org, task, "submit", data={"summary": f"{year}年度工作总结"}, comment="")
    assert r.status_code == 200, r.text
    bureau = await login(http, f"city_{city}")
    report = await task_of(http, bureau, "certification.city_annual_report", case_id)
    assert report["due_at"].startswith(f"{int(year) + 1}-02-2"), report["due_at"]  # end of February, Shanghai
    r = await complete(http, bureau, report, "approve", data={"report": "服务规范", "satisfaction_pct": 90})
    assert r.status_code == 200, r.text
    dep = await login(http, "department1")
    r = await complete(http, dep, await task_of(http, dep, "certification.annual_assessment", case_id), "approve",
                       data={"rating": rating})
    assert r.status_code == 200, r.text

    async def rated() -> bool:
        return year in (await case_of(stack, case_id))["result"].get("annual_ratings", {})

    await wait_for(rated, what=f"the {year} rating")


def notes(stack: Stack, case_id: str, prefix: str) -> list[str]:
    with Session(stack.engine) as s:
        return sorted({n.kind for n in s.exec(select(Notification).where(Notification.case_id == case_id))
                       if n.kind.startswith(prefix)})


class TestTitleLife:
    async def test_three_yearly_cycles_then_expiry(self, stack: Stack) -> None:
        org, case_id = await granted(stack)
        for rating in ("excellent", "qualified", "qualified"):
            await run_cycle(stack, org, case_id, rating)
        case = await case_of(stack, case_id)
        assert case["status"] == "granted" and case["result"]["priority_support"] is False
        assert sorted(case["result"]["annual_ratings"].values()) == ["excellent", "qualified", "qualified"]
        assert sum(d["kind"] == "assessment_result_notice" for d in case["documents"]) == 3
        expires = datetime.fromisoformat(next(d for d in case["deadlines"] if d["name"] == "validity")["closes_at"])
        await leap(stack, expires - await stack.clock.now() + timedelta(hours=1))
        await case_status(stack.http, org, case_id, {"expired"})
        assert notes(stack, case_id, "expiry_") == ["expiry_180", "expiry_30"]
        register = (await stack.http.get("/api/public/platforms")).json()
        assert case_id not in [p["case_id"] for p in register["items"]]
        history = stack.client.get_workflow_handle(case_id)
        desc = await history.describe()
        assert desc.status is not None
        runs = 1
        events = [e async for e in history.fetch_history_events()]
        while events[0].workflow_execution_started_event_attributes.continued_execution_run_id:
            runs += 1
            prev = events[0].workflow_execution_started_event_attributes.continued_execution_run_id
            events = [e async for e in stack.client.get_workflow_handle(case_id, run_id=prev).fetch_history_events()]
        assert runs == 4  # application, then one run per yearly cycle

    async def test_excellent_marks_priority_support_in_the_register(self, stack: Stack) -> None:
        org, case_id = await granted(stack)
        await run_cycle(stack, org, case_id, "excellent")
        register = (await stack.http.get("/api/public/platforms")).json()
        entry = next(p for p in register["items"] if p["case_id"] == case_id)
        assert entry["priority_support"] is True

    async def test_failed_annual_assessment_revokes(self, stack: Stack) -> None:
        org, case_id = await granted(stack)
        await run_cycle(stack, org, case_id, "failed")
        case = await case_status(stack.http, org, case_id, {"revoked"})
        assert "revocation_decision" in {d["kind"] for d in case["documents"]}
        assert case["result"]["revocation_ground"] == "failed_assessment"
        register = (await stack.http.get("/api/public/platforms")).json()
        assert case_id not in [p["case_id"] for p in register["items"]]

    async def test_revocation_mid_cycle(self, stack: Stack) -> None:
        http = stack.http
        org, case_id = await granted(stack)
        task = await to_next_summary(stack, org, case_id)
        dep = await login(http, "department2")
        bureau = await login(http, "city_yinchuan")
        assert (await http.post(f"/api/cases/{case_id}/revoke", headers=bureau, json={"reason": "x"})).status_code == 403
        r = await http.post(f"/api/cases/{case_id}/revoke", headers=dep, json={"reason": "提供虚假材料"})
        assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
        case = await case_of(stack, case_id)
        assert case["status"] == "revoked" and case["closed_at"]
        assert "revocation_decision" in {d["kind"] for d in case["documents"]}
        assert next(t for t in case["tasks"] if t["id"] == task["id"])["status"] == "cancelled"
        published = (await http.get("/api/public/certification/documents", params={"kind": "revocation_decision"}))
        assert case_id in [d["case_id"] for d in published.json()["items"]]
        again = await http.post(f"/api/cases/{case_id}/revoke", headers=dep, json={"reason": "再次"})
        assert again.status_code == 409

    async def test_a_revocation_racing_the_yearly_hand_over_is_not_lost(self, stack: Stack) -> None:
        """The department revokes while the assessment that ends the year (and continues as new) is completed."""
        http = stack.http
        org, case_id = await granted(stack)
        task = await to_next_summary(stack, org, case_id)
        assert (await complete(http, org, task, "submit", data={"summary": "总结"}, comment="")).status_code == 200
        bureau, dep1, dep2 = (await login(http, "city_yinchuan"), await login(http, "department1"),
                              await login(http, "department2"))
        report = await task_of(http, bureau, "certification.city_annual_report", case_id)
        assert (await complete(http, bureau, report, "approve", data={"report": "良好"})).status_code == 200
        rating = await task_of(http, dep1, "certification.annual_assessment", case_id)
        rated, revoked = await asyncio.gather(
            complete(http, dep1, rating, "approve", data={"rating": "qualified"}),
            http.post(f"/api/cases/{case_id}/revoke", headers=dep2, json={"reason": "违规收费"}))
        assert rated.status_code == 200, rated.text
        if revoked.status_code != 200:  # it reached the old run as it handed over: send it again to the new one
            assert revoked.status_code == 409, revoked.text
            revoked = await http.post(f"/api/cases/{case_id}/revoke", headers=dep2, json={"reason": "违规收费"})
        assert revoked.status_code == 200, revoked.text
        case = await case_status(http, org, case_id, {"revoked"})
        assert case["result"]["revoked_reason"] == "违规收费"
        assert not [t for t in case["tasks"] if t["status"] in ("open", "claimed")]


class TestApplicationSteps:
    async def test_four_eyes_and_return_for_correction(self, stack: Stack) -> None:
        """The department member who prechecked may not decide; a precheck may return the application."""
        http = stack.http
        org, case = await apply(stack)
        cid = case["id"]
        bureau, dep1, dep2 = (await login(http, "city_yinchuan"), await login(http, "department1"),
                              await login(http, "department2"))
        await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", cid),
                       "recommend", data={"opinion": "推荐"})
        r = await complete(http, dep1, await task_of(http, dep1, "certification.precheck", cid), "return",
                           comment="请补充审计报告")
        assert r.status_code == 200, r.text
        fix = await task_of(http, org, "certification.correction", cid)
        data = (await http.get(f"/api/cases/{cid}", headers=org)).json()["data"]
        r = await complete(http, org, fix, "submit", data={**data, "materials": {"audit_report": "0" * 32}}, comment="")
        assert r.status_code == 200, r.text
        await complete(http, dep1, await task_of(http, dep1, "certification.precheck", cid))
        detail = (await http.get(f"/api/cases/{cid}", headers=dep1)).json()
        for n, expert in enumerate(detail["result"]["experts"]):
            h = await login(http, expert)
            await complete(http, h, await task_of(http, h, "certification.expert_review", cid),
                           data={"score": 70 + n, "no_conflict": True})
        await complete(http, dep1, await task_of(http, dep1, "certification.onsite_inspection", cid),
                       data={"passed": True, "report": "合格"})
        decision = await task_of(http, dep2, "certification.decision", cid)
        r = await complete(http, dep1, decision)
        assert r.status_code == 409 and "four-eyes" in r.json()["detail"]
        # The panel approved (002 art. 12): rejecting against it needs the recorded reason.
        r = await complete(http, dep2, decision, "reject", comment="综合评审未达到示范要求")
        assert r.status_code == 422 and r.json()["code"] == "panel_departure_reason_required"
        assert (await complete(http, dep2, decision, "reject", comment="综合评审未达到示范要求",
                               data={"departure_reason": "实地考察示范带动作用不足"})).status_code == 200
        done = await case_status(http, org, cid, {"rejected"})
        assert "综合评审" in done["result"]["reason"]

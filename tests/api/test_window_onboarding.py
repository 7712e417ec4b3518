"""Window-platform onboarding through the API (P4; seed 004 art. 8-10, 9(6)): the application and its checks, the
hub's review, the blind expert panel, the bureau's approval, the public notice, adaptation and the connection check,
the public window list, the first reports of the connected window, and its withdrawal.

The module leaps the clock past the notice and into the next year, so it runs on its own time-skipping server and
database (`own_stack_fixture`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from db.models import Case, WindowAgreement
from tests.api.test_window_pages import page_login
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, leap, login, register_approved, task_of, wait_for

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def upload(http: httpx.AsyncClient, h: dict[str, str], name: str) -> str:
    r = await http.post("/api/uploads", headers=h, files={"file": (name, PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def application(http: httpx.AsyncClient, h: dict[str, str], **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform_name": f"银川市中小企业窗口服务平台{uuid.uuid4().hex[:4]}", "city": "yinchuan", "coverage": "region",
        "coverage_detail": "银川市兴庆区、金凤区", "service_products": [{"name": "政策咨询", "description": "惠企政策解读"}],
        "staff": 12, "premises_sqm": 300,
        "materials": {k: await upload(http, h, f"{k}.pdf")
                      for k in ("application_form", "service_capability", "security_measures")},
    }
    data.update(over)
    return data


USERNAMES: dict[str, str] = {}  # case id -> the builder's username (for page logins)


async def apply(stack: Stack) -> tuple[dict[str, str], dict[str, Any]]:
    org, body = await register_approved(stack.http, "platform_org")
    r = await stack.http.post("/api/cases", headers={**org, "Idempotency-Key": uuid.uuid4().hex},
                              json={"type": "window_onboarding", "data": await application(stack.http, org)})
    assert r.status_code == 201, r.text
    USERNAMES[r.json()["id"]] = body["username"]
    return org, r.json()


async def case_of(stack: Stack, case_id: str, h: dict[str, str] | None = None) -> dict[str, Any]:
    h = h or await login(stack.http, "operator1")
    r = await stack.http.get(f"/api/cases/{case_id}", headers=h)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def to_notice(stack: Stack, case_id: str, scores: tuple[int, ...] = (85, 75, 55)) -> dict[str, Any]:
    """Hub review, the panel (the last expert rejects), the bureau's approval: into the public notice."""
    http = stack.http
    op = await login(http, "operator1")
    r = await complete(http, op, await task_of(http, op, "window_onboarding.hub_review", case_id))
    assert r.status_code == 200, r.text
    experts = (await case_of(stack, case_id, op))["result"]["experts"]
    assert len(experts) == 3
    for n, (expert, score) in enumerate(zip(experts, scores, strict=True)):
        h = await login(http, expert)
        task = await task_of(http, h, "window_onboarding.expert_assessment", case_id)
        if n == 0:  # the expert's task page renders the score form
            browser = await page_login(stack, expert, "demo168")
            got = await browser.get(f"/tasks/{task['id']}")
            assert got.status_code == 200 and "评分（0-100）" in got.text
            await browser.aclose()
        if n == 1:  # blind: the second expert sees neither the first's score nor the panel
            seen = await case_of(stack, case_id, h)
            others = [t for t in seen["tasks"] if t["type"] == "window_onboarding.expert_assessment"
                      and t["assignee"] != expert]
            assert all(t["data"] == {} and t["decision"] is None for t in others)
            assert "experts" not in seen["result"] and "expert_panel" not in seen["result"]
        r = await complete(http, h, task, "approve" if score >= 60 else "reject",
                           data={"score": score, "opinion": "服务能力较强", "no_conflict": True},
                           comment="" if score >= 60 else "场地偏小")
        assert r.status_code == 200, r.text
    dep = await login(http, "department1")
    bureau = await task_of(http, dep, "window_onboarding.bureau_approval", case_id)
    assert "平均分71.7" in bureau["summary"]
    r = await complete(http, dep, bureau)
    assert r.status_code == 200, r.text
    await case_status(http, op, case_id, {"public_notice"})

    async def published() -> dict[str, Any] | None:
        case = await case_of(stack, case_id, op)
        kinds = {d["kind"] for d in case["documents"]}
        return case if {"onboarding_approval", "public_notice"} <= kinds and case["deadlines"] else None

    return await wait_for(published, what="the approval and the public notice")


async def settle(stack: Stack, case_id: str) -> None:
    """Wait until the case's workflow has no activity and no workflow task in flight: a leap of the test server's
    clock while a workflow task runs (slowly, on a loaded machine) can time that task out in skipped time."""
    handle = stack.client.get_workflow_handle(case_id)
    for _ in range(300):
        raw = (await handle.describe()).raw_description
        if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
            return
        await asyncio.sleep(0.1)


async def past(stack: Stack, when: datetime | str, extra: timedelta = timedelta(hours=1),
               case_id: str | None = None) -> None:
    when = datetime.fromisoformat(when) if isinstance(when, str) else when
    if case_id is not None:
        await settle(stack, case_id)
    await leap(stack, when - await stack.clock.now() + extra)
    await stack.http.get("/healthz")


async def connected(stack: Stack, before_connection: Any = None) -> tuple[dict[str, str], str]:
    """A window walked to `connected`, with one failed connection check on the way (`before_connection(case_id)` is
    awaited just before the passing check is decided)."""
    http = stack.http
    org, case = await apply(stack)
    case_id = case["id"]
    notice = await to_notice(stack, case_id)
    await past(stack, next(d for d in notice["deadlines"] if d["name"] == "public_notice")["closes_at"],
               case_id=case_id)
    await case_status(http, org, case_id, {"adapting"})
    op = await login(http, "operator2")
    for passed in (False, True):
        task = await task_of(http, org, "window_onboarding.adaptation", case_id)
        r = await complete(http, org, task, "submit", data={"report": "已完成软硬件改造与数据接口对接"}, comment="")
        assert r.status_code == 200, r.text
        check = await task_of(http, op, "window_onboarding.connection_check", case_id)
        if passed and before_connection is not None:
            await before_connection(case_id)
        if not passed:  # the hub's task page renders its form
            browser = await page_login(stack, "operator2", "demo168")
            got = await browser.get(f"/tasks/{check['id']}")
            assert got.status_code == 200 and "接入验证报告" in got.text
            await browser.aclose()
        r = await complete(http, op, check, "approve" if passed else "reject",
                           data={"passed": passed, "report": "验证通过" if passed else "服务数据接口未联通"},
                           comment="同意" if passed else "接口未联通")
        assert r.status_code == 200, r.text
    await case_status(http, org, case_id, {"connected"})
    # One notification per step (issue 15): each adaptation step told the builder once, worded by the step.
    notes = [n for n in (await http.get("/api/notifications", headers=org, params={"limit": 200})).json()["items"]
             if n.get("case_id") == case_id and ("改造" in n["subject"] + n["body"] or "验证未通过" in n["subject"])]
    assert sorted(n["subject"] for n in notes) == ["轮到您办理：窗口平台软硬件改造"] * 2, [n["subject"] for n in notes]
    assert any("接入验证未通过：服务数据接口未联通" in n["body"] for n in notes)
    return org, case_id


class TestApplication:
    async def test_refusals_name_the_field_and_the_rule(self, stack: Stack) -> None:
        http = stack.http
        org, _ = await register_approved(http, "platform_org")
        data = await application(http, org)
        r = await http.post("/api/cases", headers=org, json={"type": "window_onboarding",
                                                              "data": {**data, "coverage": "galaxy"}})
        assert r.status_code == 422 and "coverage" in r.json()["detail"]
        bad = {**data, "materials": {**data["materials"], "security_measures": "f" * 32}}
        r = await http.post("/api/cases", headers=org, json={"type": "window_onboarding", "data": bad})
        assert r.status_code == 422 and "materials.security_measures" in r.json()["detail"]
        missing = {k: v for k, v in data.items() if k != "service_products"}
        r = await http.post("/api/cases", headers=org, json={"type": "window_onboarding", "data": missing})
        assert r.status_code == 422 and "service_products" in r.json()["detail"]
        ent, _ = await register_approved(http, "enterprise")
        r = await http.post("/api/cases", headers=ent, json={"type": "window_onboarding", "data": data})
        assert r.status_code == 403
        r = await http.post("/api/cases", headers=org, json={"type": "window_onboarding", "data": data})
        assert r.status_code == 201, r.text
        again = await http.post("/api/cases", headers=org, json={"type": "window_onboarding", "data": data})
        assert again.status_code == 409

    async def test_a_connected_window_cannot_apply_again(self, stack: Stack) -> None:
        http = stack.http
        org, _ = await register_approved(http, "platform_org")
        me = (await http.get("/api/me", headers=org)).json()
        now = await stack.clock.now()
        with Session(stack.engine) as s:  # a window connected before (its application is closed)
            s.add(Case(id=f"WO-old-{uuid.uuid4().hex[:6]}", type="window_onboarding", status="connected",
                       applicant_org_id=me["org"]["id"], created_at=now,
                       updated_at=now, closed_at=now, data={"platform_name": "旧窗口"}, result={}))
            s.commit()
        r = await http.post("/api/cases", headers=org, json={"type": "window_onboarding",
                                                              "data": await application(http, org)})
        assert r.status_code == 409 and "already connected" in r.json()["detail"]

    async def test_the_panel_refuses_below_the_pass_mark(self, stack: Stack) -> None:
        http = stack.http
        org, case = await apply(stack)
        op = await login(http, "operator1")
        r = await complete(http, op, await task_of(http, op, "window_onboarding.hub_review", case["id"]))
        assert r.status_code == 200
        for expert in (await case_of(stack, case["id"], op))["result"]["experts"]:
            h = await login(http, expert)
            r = await complete(http, h, await task_of(http, h, "window_onboarding.expert_assessment", case["id"]),
                               "reject", data={"score": 40, "opinion": "服务产品不足", "no_conflict": True}, comment="不足")
            assert r.status_code == 200
        done = await case_status(http, org, case["id"], {"rejected"})
        assert "专家评估未通过" in done["result"]["reason"]
        # the applicant sees the outcome and the reasons, never who assessed or their scores
        panel = done["result"]["expert_panel"]
        assert "scores" not in panel and panel["passed"] is False and "experts" not in done["result"]
        assessed = [t for t in done["tasks"] if t["type"] == "window_onboarding.expert_assessment"]
        assert assessed and all(t["assignee"] is None and t["completed_by"] is None and t["data"] == {}
                                for t in assessed)
        hub = await case_of(stack, case["id"], op)
        assert [s["score"] for s in hub["result"]["expert_panel"]["scores"]] == [40, 40, 40]  # the hub sees all


    async def test_an_objection_during_the_notice_is_investigated(self, stack: Stack) -> None:
        http = stack.http
        org, case = await apply(stack)
        notice = await to_notice(stack, case["id"])
        listed = (await http.get("/api/public/notices")).json()["items"]
        assert case["id"] in [n["case_id"] for n in listed]
        url = f"/api/cases/{case['id']}/objections"
        r = await http.post(url, json={"name": "", "contact": "", "reason": "场地不实"})
        assert r.status_code == 422  # anonymous objections are not accepted
        r = await http.post(url, json={"name": "李四", "contact": "13900000000", "reason": "服务场所面积不实"})
        assert r.status_code == 201, r.text
        dep = await login(http, "department2")
        review = await task_of(http, dep, "notice.objection_review", case["id"])
        mine = await case_of(stack, case["id"], org)  # the builder never sees who objected
        assert all("李四" not in (t["summary"] or "") for t in mine["tasks"])
        assert all("李四" not in (e["message"] or "") for e in mine["timeline"])
        r = await complete(http, dep, review, "dismiss", comment="经核实，场所面积属实")
        assert r.status_code == 200, r.text
        await past(stack, next(d for d in notice["deadlines"] if d["name"] == "public_notice")["closes_at"],
                   case_id=case["id"])
        await case_status(http, org, case["id"], {"adapting"})


class TestConnectedWindow:
    async def test_from_application_to_the_first_quarterly_data_then_withdrawal(self, stack: Stack) -> None:
        http = stack.http
        org, case_id = await connected(stack)
        case = await case_of(stack, case_id)
        assert {"onboarding_approval", "public_notice", "cooperation_agreement"} <= {d["kind"] for d in case["documents"]}
        assert case["result"]["reports"] == {} and case["result"]["connected_at"]
        listed = (await http.get("/api/public/windows")).json()  # public: no login
        entry = next(w for w in listed["items"] if w["case_id"] == case_id)
        assert entry["city"] == "yinchuan" and entry["coverage"] == "region" and entry["connected_at"]
        # The first quarterly data: leap until it opens (the year's summary may open first and is left unsent).
        for _ in range(8):
            r = await http.get("/api/tasks", params={"scope": "available", "type": "window_onboarding.service_data",
                                                      "case_id": case_id}, headers=org)
            if r.json()["items"]:
                break
            await settle(stack, case_id)
            await leap(stack, timedelta(days=31))
            await http.get("/healthz")
        data_task = await task_of(http, org, "window_onboarding.service_data", case_id)
        assert data_task["due_fixed"] is True and "季度服务数据" in data_task["title"]
        browser = await page_login(stack, USERNAMES[case_id])
        task_page = await browser.get(f"/tasks/{data_task['id']}")
        assert task_page.status_code == 200 and "报送内容" in task_page.text
        case_page = await browser.get(f"/cases/{case_id}")
        assert case_page.status_code == 200 and "申请退出" in case_page.text and "服务合作协议" in case_page.text
        await browser.aclose()
        r = await complete(http, org, data_task, "submit", data={"report": "本季度服务企业86家", "figures":
                                                                 {"smes_served": 86, "events": 4}}, comment="")
        assert r.status_code == 200, r.text
        year = data_task["title"][:4]

        async def counted() -> dict[str, Any] | None:
            reports = (await case_of(stack, case_id))["result"].get("reports", {})
            return reports if reports.get(year, {}).get("sent", 0) >= 1 else None

        reports = await wait_for(counted, what="the report counted")
        summaries = (await http.get("/api/tasks", params={"scope": "available", "case_id": case_id,
                                                           "type": "window_onboarding.service_summary"},
                                    headers=org)).json()["items"]
        # a summary left unsent past 31 December is carried into the next year's run as the same task, overdue
        assert len(summaries) <= 1
        if summaries:
            assert reports[summaries[0]["title"][:4]]["overdue"] >= 1
        r = await http.post(f"/api/windows/{case_id}/withdraw", headers=org, json={"reason": ""})
        assert r.status_code == 422
        other, _ = await register_approved(http, "platform_org")
        r = await http.post(f"/api/windows/{case_id}/withdraw", headers=other, json={"reason": "不干了"})
        assert r.status_code == 404
        r = await http.post(f"/api/windows/{case_id}/withdraw", headers=org, json={"reason": "单位业务调整"})
        assert r.status_code == 202, r.text
        done = await case_status(http, org, case_id, {"disconnected"})
        assert done["result"]["disconnection_ground"] == "withdrawn"

        async def drafted() -> bool:
            return "disconnection_notice" in {d["kind"] for d in (await case_of(stack, case_id))["documents"]}

        await wait_for(drafted, what="the disconnection notice")
        assert all(t["status"] != "open" for t in (await case_of(stack, case_id))["tasks"])
        listed = (await http.get("/api/public/windows")).json()
        assert case_id not in [w["case_id"] for w in listed["items"]]


class TestSettings:
    async def test_only_the_hub_sets_them_and_they_are_checked(self, stack: Stack) -> None:
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        r = await http.put("/api/admin/window-settings", headers=dep, json={"panel_size": 5})
        assert r.status_code == 403
        r = await http.post("/api/windows/WO-none/withdraw", headers=op, json={"reason": "x"})
        assert r.status_code == 403  # only a builder withdraws its own window
        r = await http.post("/api/windows/WO-none/agreements", headers=dep, json={"partner_case_id": "x", "scope": "y"})
        assert r.status_code == 403
        r = await http.put("/api/admin/window-settings", headers=op, json={"panel_size": 0})
        assert r.status_code == 422
        r = await http.put("/api/admin/window-settings", headers=op, json={"plan_due": [2, 30]})
        assert r.status_code == 422
        r = await http.put("/api/admin/window-settings", headers=op, json={"notice_working_days": 7})
        assert r.status_code == 200 and r.json()["notice_working_days"] == 7 and r.json()["panel_size"] == 3
        r = await http.put("/api/admin/window-settings", headers=op, json={"notice_working_days": 5})
        assert r.status_code == 200


class TestAgreements:
    async def test_two_windows_sign_and_the_agreement_ends_with_a_withdrawal(self, stack: Stack) -> None:
        http = stack.http
        (a_org, a), (b_org, b) = await connected(stack), await connected(stack)
        r = await http.post(f"/api/windows/{a}/agreements", headers=b_org, json={"partner_case_id": b, "scope": "x"})
        assert r.status_code == 404  # not b's window
        r = await http.post(f"/api/windows/{a}/agreements", headers=a_org, json={"partner_case_id": a, "scope": "x"})
        assert r.status_code == 422
        r = await http.post(f"/api/windows/{a}/agreements", headers=a_org,
                            json={"partner_case_id": b, "scope": "共享服务资源，互相推荐服务机构"})
        assert r.status_code == 201, r.text
        agreement = r.json()
        again = await http.post(f"/api/windows/{a}/agreements", headers=a_org, json={"partner_case_id": b, "scope": "y"})
        assert again.status_code == 409
        task = await task_of(http, b_org, "window_onboarding.agreement", b)
        assert "共享服务资源" in task["summary"]
        r = await complete(http, b_org, task, "accept", comment="")
        assert r.status_code == 200, r.text

        async def signed() -> list[dict[str, Any]] | None:
            items = (await http.get(f"/api/windows/{a}/agreements")).json()["items"]
            return items if items and items[0]["status"] == "accepted" and items[0]["document"] else None

        items = await wait_for(signed, what="the signed agreement")
        assert items[0]["id"] == agreement["id"] and items[0]["partner_case_id"] == b
        assert (await http.get(f"/api/windows/{b}/agreements")).json()["items"][0]["status"] == "accepted"
        browser = await page_login(stack, USERNAMES[a])
        page = (await browser.get("/apply/window")).text
        assert "已签订" in page and "共享服务资源" in page and "提议签订" in page  # listed, and the proposal form
        await browser.aclose()
        r = await http.post(f"/api/windows/{b}/withdraw", headers=b_org, json={"reason": "单位业务调整"})
        assert r.status_code == 202
        await case_status(http, b_org, b, {"disconnected"})

        async def ended() -> bool:
            return (await http.get(f"/api/windows/{a}/agreements")).json()["items"][0]["status"] == "ended"

        await wait_for(ended, what="the agreement to end with the withdrawal")

    async def test_a_proposal_made_as_the_window_connects_opens_in_its_first_year(self, stack: Stack) -> None:
        """Issue 12: a partner may propose as soon as the case row says connected, before the application run hands
        over to the first connected year; the proposal goes on with it (it was lost, and its task never opened).
        The signal is sent just before the connection, so it is always in the application run."""
        from workflows.window_onboarding import WindowOnboardingWorkflow
        from workflows.window_types import AgreementProposal

        http = stack.http
        _, a = await connected(stack)

        async def propose(b: str) -> None:
            with Session(stack.engine) as s:
                row = WindowAgreement(proposer_case_id=a, partner_case_id=b, scope="共享服务资源", proposed_by="t",
                                      proposed_at=await stack.clock.now())
                s.add(row)
                s.commit()
                assert row.id is not None
                proposal = AgreementProposal(agreement_id=row.id, proposer_case_id=a, proposer_name="甲窗口",
                                             scope=row.scope)
            await stack.client.get_workflow_handle(b).signal(WindowOnboardingWorkflow.propose_agreement, proposal)

        b_org, b = await connected(stack, before_connection=propose)
        task = await task_of(http, b_org, "window_onboarding.agreement", b)
        assert "共享服务资源" in task["summary"]
        assert (await complete(http, b_org, task, "accept", comment="")).status_code == 200

        async def signed() -> bool:
            items = (await http.get(f"/api/windows/{b}/agreements")).json()["items"]
            return bool(items) and items[0]["status"] == "accepted"

        await wait_for(signed, what="the agreement accepted in the first connected year")


class TestRevokedByTheAssessment:
    async def test_a_failed_window_is_disconnected_by_the_bureaus_revocation(self, stack: Stack) -> None:
        """The P4/P5 contract end to end: a connected window fails its annual assessment and the rectification; the
        bureau revokes it; the assessment signals `disconnect` and the window leaves the network."""
        from tests.api.test_assessment import cases_of, decide, open_campaign, scored

        http = stack.http
        org, case_id = await connected(stack)
        me = (await http.get("/api/me", headers=org)).json()
        # A year the schedule never opens by itself (it opens this year's in December, and the clock may be there).
        camp = await open_campaign(stack, "window", [me["org"]["id"]], year=2058)
        (assessment,) = cases_of(stack, camp["id"])
        task = await task_of(http, org, "assessment.self_report", assessment.id)
        r = await complete(http, org, task, "submit", data={"summary": "自评"}, comment="")
        assert r.status_code == 200, r.text
        await scored(stack, assessment.id, {"conditions": 50, "smes_served": 50, "public_events": 50,
                                            "satisfaction": 50, "data_reporting": 20})
        r = await complete(http, org, await task_of(http, org, "assessment.rectification", assessment.id), "submit",
                           data={"report": "整改"}, comment="")
        assert r.status_code == 200, r.text
        assert (await decide(stack, "operator1", "assessment.reassessment", assessment.id, "fail", "仍不足")).status_code \
            == 200
        r = await decide(stack, "department1", "assessment.revocation_decision", assessment.id, "revoke", "数据报送长期逾期")
        assert r.status_code == 200, r.text
        done = await case_status(http, org, case_id, {"disconnected"})
        assert done["result"]["disconnection_ground"] == "revoked"

        async def drafted() -> bool:
            return "disconnection_notice" in {d["kind"] for d in (await case_of(stack, case_id))["documents"]}

        await wait_for(drafted, what="the disconnection notice")
        listed = (await http.get("/api/public/windows")).json()
        assert case_id not in [w["case_id"] for w in listed["items"]]

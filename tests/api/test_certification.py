"""Certification through the API (P3): the call, the application check, recommendation by the own city only,
blind expert review, public notice with objections, the grant and the public register."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from db.models import Case, CertificationCall
from forms.certification import MATERIALS
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import case_status, complete, leap, login, register_approved, task_of, wait_for

pytestmark = pytest.mark.workflow

# Its cases leap the clock by days: a server of its own, so no other module's open cases wake (issue 12).
stack = own_stack_fixture()


def application(city: str = "yinchuan", **over: Any) -> dict[str, Any]:
    """A certification form that meets art. 6 and the information function of art. 7."""
    data: dict[str, Any] = {
        "platform_name": f"宁夏测试示范平台{uuid.uuid4().hex[:6]}", "city": city, "org_type": "enterprise",
        "mountain_area": False, "years_operating": 5, "total_assets_fen": 300_000_000,
        "smes_served_last_year": 120, "smes_served_prev_year": 100, "satisfaction_pct": 92,
        "service_orgs_aggregated": 4, "public_benefit_share_pct": 30, "staff_serving_smes": 25,
        "qualified_staff_share_pct": 80, "functions": {"information": {"smes_served_offline": 60, "events": 6}},
    }
    data.update(over)
    return data


async def ensure_call(stack: Stack) -> None:
    """An open call for the current year (tests share one clock, so the year moves with the 3-year test)."""
    http = stack.http
    if (await http.get("/api/certification/calls/current")).status_code == 200:
        return
    now = await stack.clock.now()
    dep = await login(http, "department1")
    year = (now + timedelta(hours=8)).year
    r = await http.post("/api/certification/calls", headers=dep,
                        json={"year": year, "deadline": f"{year}-12-31", "experts": 3})
    assert r.status_code == 201, r.text


async def materials(http: httpx.AsyncClient, h: dict[str, str], *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every material of 002 art. 11 uploaded by the applicant (less `skip`)."""
    out = {}
    for key in MATERIALS:
        if key in skip:
            continue
        r = await http.post("/api/uploads", headers=h, files={"file": (f"{key}.pdf", b"%PDF-1.4\n%%EOF\n",
                                                                        "application/pdf")})
        assert r.status_code == 201, r.text
        out[key] = r.json()["id"]
    return out


async def apply(stack: Stack, city: str = "yinchuan", **over: Any) -> tuple[dict[str, str], dict[str, Any]]:
    await ensure_call(stack)
    org, _ = await register_approved(stack.http, "platform_org", city=city)
    data = application(city, **over)
    data.setdefault("materials", await materials(stack.http, org))
    r = await stack.http.post("/api/cases", headers={**org, "Idempotency-Key": uuid.uuid4().hex},
                              json={"type": "certification", "data": data})
    assert r.status_code == 201, r.text
    return org, r.json()


async def walk_to_notice(stack: Stack, case_id: str, city: str = "yinchuan") -> dict[str, Any]:
    """Recommendation, precheck, three blind expert reviews, on-site inspection, decision: into the notice."""
    http = stack.http
    await walk_to_decision(stack, case_id, city)
    dep1 = await login(http, "department1")
    await publish_year_list(stack, case_id)
    await case_status(http, dep1, case_id, {"public_notice"})

    async def published() -> dict[str, Any] | None:
        case = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()
        kinds = {d["kind"] for d in case["documents"]}
        return case if "public_notice" in kinds and any(d["name"] == "public_notice" for d in case["deadlines"]) \
            else None

    return await wait_for(published, what="the public notice")


async def walk_to_decision(stack: Stack, case_id: str, city: str = "yinchuan") -> None:
    """Recommendation, precheck, three blind expert reviews, on-site inspection, the decision approves."""
    http = stack.http
    bureau = await login(http, f"city_{city}")
    r = await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case_id),
                       "recommend", data={"opinion": "运营规范，业绩突出", "scores": {"运营情况": 90, "服务业绩": 88}})
    assert r.status_code == 200, r.text
    dep1, dep2 = await login(http, "department1"), await login(http, "department2")
    r = await complete(http, dep1, await task_of(http, dep1, "certification.precheck", case_id))
    assert r.status_code == 200, r.text
    case = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()
    for n, expert in enumerate(case["result"]["experts"]):
        h = await login(http, expert)
        r = await complete(http, h, await task_of(http, h, "certification.expert_review", case_id),
                           data={"score": 80 + n, "opinion": "材料齐全", "no_conflict": True})
        assert r.status_code == 200, r.text
    r = await complete(http, dep1, await task_of(http, dep1, "certification.onsite_inspection", case_id),
                       data={"passed": True, "report": "场地设施齐全"})
    assert r.status_code == 200, r.text
    r = await complete(http, dep2, await task_of(http, dep2, "certification.decision", case_id))
    assert r.status_code == 200, r.text


async def publish_year_list(stack: Stack, case_id: str) -> None:
    """002 art. 12: an approved case waits for the year's 拟认定名单. Other cases of the year left in review by
    other tests would hold it: the department publishes the list with the candidates waiting now."""
    dep = await login(stack.http, "department1")
    case = await case_status(stack.http, dep, case_id, {"listed", "public_notice"})
    if case["status"] == "listed":
        r = await stack.http.post(f"/api/certification/years/{case['result']['call_year']}/list", headers=dep)
        assert r.status_code == 200, r.text


async def sleep_past(stack: Stack, closes_at: str, extra: timedelta = timedelta(hours=1)) -> None:
    await leap(stack, datetime.fromisoformat(closes_at) - await stack.clock.now() + extra)
    await stack.http.get("/healthz")


def deadline(case: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in case["deadlines"] if d["name"] == name)


async def granted(stack: Stack, city: str = "yinchuan") -> tuple[dict[str, str], str]:
    """A certification walked all the way to its title."""
    org, case = await apply(stack, city)
    notice = await walk_to_notice(stack, case["id"], city)
    await sleep_past(stack, deadline(notice, "public_notice")["closes_at"])
    await case_status(stack.http, org, case["id"], {"granted"})
    return org, case["id"]


class TestCall:
    async def test_call_open_and_listed(self, stack: Stack) -> None:
        await ensure_call(stack)
        r = await stack.http.get("/api/certification/calls/current")
        assert r.status_code == 200 and r.json()["open"] is True

    async def test_only_department_opens_a_call(self, stack: Stack) -> None:
        org, _ = await register_approved(stack.http, "platform_org")
        r = await stack.http.post("/api/certification/calls", headers=org, json={"year": 2090, "deadline": "2090-12-31"})
        assert r.status_code == 403

    async def test_the_call_sets_the_expiry_reminders_of_its_titles(self, stack: Stack) -> None:
        """002 art. 17: the holder is told before the title expires; the call says when (180 and 30 days by default)."""
        from activities.certification import _reminders

        dep = await login(stack.http, "department1")
        url = "/api/certification/calls"
        bad = await stack.http.post(url, headers=dep, json={"year": 2095, "deadline": "2095-12-31",
                                                            "expiry_reminder_days": [2000]})
        assert bad.status_code == 422 and "1 to 1095 days" in bad.json()["detail"]
        r = await stack.http.post(url, headers=dep, json={"year": 2095, "deadline": "2095-12-31",
                                                          "expiry_reminder_days": [45, 200]})
        assert r.status_code == 201 and r.json()["expiry_reminder_days"] == [200, 45], r.text
        now = await stack.clock.now()
        with Session(stack.engine) as s:
            s.add(Case(id="CT-2095-reminders", type="certification", status="public_notice", created_at=now,
                       updated_at=now, result={"call_year": 2095}))
            s.commit()
            assert _reminders(s, "CT-2095-reminders") == [200, 45]  # what the grant hands the title's workflow
            assert _reminders(s, "CT-none") == [180, 30]
            s.delete(s.get(Case, "CT-2095-reminders"))
            s.delete(s.exec(select(CertificationCall).where(CertificationCall.year == 2095)).one())
            s.commit()

    async def test_application_after_the_deadline_is_refused_with_the_reason(self, stack: Stack) -> None:
        org, _ = await register_approved(stack.http, "platform_org")
        now = await stack.clock.now()
        with Session(stack.engine) as s:
            s.add(CertificationCall(year=2100, deadline_at=now - timedelta(hours=1), opened_at=now - timedelta(days=30)))
            s.commit()
        try:
            r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": application()})
            assert r.status_code == 409 and "closed" in r.json()["detail"], r.text
            assert (await stack.http.get("/api/certification/calls/current")).status_code == 404
        finally:
            with Session(stack.engine) as s:
                s.delete(s.exec(select(CertificationCall).where(CertificationCall.year == 2100)).one())
                s.commit()


class TestApplication:
    async def test_ineligible_application_names_what_is_missing(self, stack: Stack) -> None:
        await ensure_call(stack)
        org, _ = await register_approved(stack.http, "platform_org")
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": application(
            staff_serving_smes=4, functions={"training": {"trainee_times": 100}})})
        assert r.status_code == 422, r.text
        assert "服务的人员不少于10人：4人" in r.json()["detail"] and "培训服务" in r.json()["detail"]

    async def test_mountain_area_relaxes_staff_and_the_check_is_shown_to_reviewers(self, stack: Stack) -> None:
        """002 art. 6: relaxed (山区市县, item (5)) to the call's 80 % of the figure: 9 staff of 10 pass, relaxed."""
        _, case = await apply(stack, "guyuan", mountain_area=True, staff_serving_smes=9)
        dep = await login(stack.http, "department1")
        detail = (await stack.http.get(f"/api/cases/{case['id']}", headers=dep)).json()
        eligibility = detail["result"]["eligibility"]
        assert eligibility["eligible"] is True and detail["result"]["relaxed_pct"] == 80
        assert any("9人" in s and "80%" in s for s in eligibility["relaxed_shortfalls"])
        staff = next(c for c in eligibility["conditions"] if c["code"] == "art6.5.staff")
        assert staff["passed"] is True and staff["relaxed"] is True and staff["meets_normal"] is False

    async def test_relaxed_condition_is_checked_not_waived(self, stack: Stack) -> None:
        """002 art. 6 "可适当放宽": a mountain platform with 6 staff (below 80 % of 10) does not qualify."""
        await ensure_call(stack)
        org, _ = await register_approved(stack.http, "platform_org", city="guyuan")
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": application(
            "guyuan", mountain_area=True, staff_serving_smes=6)})
        assert r.status_code == 422 and r.json()["code"] == "cannot_qualify", r.text
        assert "即不低于 8人" in r.json()["detail"]

    async def test_materials_of_article_11_are_required(self, stack: Stack) -> None:
        """002 art. 11(三): the special audit report of service income and expenditure is required unless last
        year's audit report covers it; every other material too; only the applicant's own uploads."""
        await ensure_call(stack)
        org, _ = await register_approved(stack.http, "platform_org")
        without = await materials(stack.http, org, skip=("service_audit_report",))
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": {
            **application(), "materials": without}})
        assert r.status_code == 422 and r.json()["code"] == "certification_materials_missing", r.text
        assert "service_audit_report" in r.json()["detail"]
        other, _ = await register_approved(stack.http, "platform_org")
        theirs = await materials(stack.http, other)
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": {
            **application(), "materials": {**without, "service_audit_report": theirs["service_audit_report"]}}})
        assert r.status_code == 422 and r.json()["code"] == "certification_material_unknown", r.text
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": {
            **application(), "materials": without, "audit_covers_service": True}})
        assert r.status_code == 201, r.text
        assert r.json()["policy_version"] == "" or r.json()["policy_version"] == "002-draft"


class TestScope:
    async def test_another_citys_bureau_sees_nothing(self, stack: Stack) -> None:
        _, case = await apply(stack, "wuzhong")
        own = await login(stack.http, "city_wuzhong")
        await task_of(stack.http, own, "certification.city_recommendation", case["id"])
        other = await login(stack.http, "city_zhongwei")
        assert (await stack.http.get(f"/api/cases/{case['id']}", headers=other)).status_code == 404
        listed = (await stack.http.get("/api/cases", params={"type": "certification"}, headers=other)).json()
        assert case["id"] not in [c["id"] for c in listed["items"]]
        for scope in ("available", "mine", "all"):
            tasks = (await stack.http.get("/api/tasks", params={"scope": scope, "case_id": case["id"]},
                                          headers=other)).json()
            assert tasks["items"] == []


class TestGrant:
    async def test_grant_path_documents_register_and_validity(self, stack: Stack) -> None:
        _, case_id = await granted(stack)
        dep = await login(stack.http, "department1")
        case = (await stack.http.get(f"/api/cases/{case_id}", headers=dep)).json()
        kinds = {d["kind"] for d in case["documents"]}
        assert {"recommendation_form", "public_notice", "certification_notice", "certificate"} <= kinds
        granted_on = datetime.fromisoformat(case["result"]["granted_on"]).date()
        assert case["valid_until"] == (granted_on.replace(year=granted_on.year + 3) - timedelta(days=1)).isoformat()
        assert {"public_notice", "validity"} <= {d["name"] for d in case["deadlines"]}
        notices = (await stack.http.get("/api/public/notices")).json()
        # 002 art. 12: the notice is the year's list (no case id); the case's view shows it.
        mine = next(d["id"] for d in case["documents"] if d["kind"] == "public_notice")
        assert mine in [n["id"] for n in notices["items"] if n["case_id"] is None]
        register = (await stack.http.get("/api/public/platforms", params={"q": case["applicant"]})).json()
        assert [p["valid_until"] for p in register["items"]] == [case["valid_until"]]
        scores = sorted(r["score"] for r in case["result"]["expert_reviews"])
        assert scores == [80, 81, 82]
        admin = await login(stack.http, "admin")
        stuck = (await stack.http.get("/api/admin/stuck", params={"idle_days": 1}, headers=admin)).json()
        assert case_id not in [c["id"] for c in stuck["idle_cases"]]  # a held title is not an idle case

    async def test_a_holder_may_apply_again_only_in_the_year_the_title_expires(self, stack: Stack) -> None:
        org, _ = await granted(stack)
        r = await stack.http.post("/api/cases", headers=org, json={"type": "certification", "data": application()})
        assert r.status_code == 409 and "apply again in the year" in r.json()["detail"], r.text


class TestBlindReview:
    async def test_an_expert_does_not_see_another_experts_score_before_all_have_scored(self, stack: Stack) -> None:
        http = stack.http
        _, case = await apply(stack)
        bureau, dep1 = await login(http, "city_yinchuan"), await login(http, "department1")
        await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case["id"]),
                       "recommend", data={"opinion": "推荐", "scores": {}})
        await complete(http, dep1, await task_of(http, dep1, "certification.precheck", case["id"]))
        experts = (await http.get(f"/api/cases/{case['id']}", headers=dep1)).json()["result"]["experts"]
        first, second = await login(http, experts[0]), await login(http, experts[1])
        task1 = await task_of(http, first, "certification.expert_review", case["id"])
        r = await complete(http, first, task1, data={"score": 55, "opinion": "SECRET-OPINION", "no_conflict": True})
        assert r.status_code == 200, r.text
        task2 = await task_of(http, second, "certification.expert_review", case["id"])
        assert (await http.get(f"/api/tasks/{task1['id']}", headers=second)).status_code == 404
        view = (await http.get(f"/api/cases/{case['id']}", headers=second)).text
        assert "SECRET-OPINION" not in view and task2["id"] in view
        assert "SECRET-OPINION" in (await http.get(f"/api/cases/{case['id']}", headers=dep1)).text
        # An expert who cannot act is replaced: the admin gives the task to an expert outside the panel.
        outsider = next(e for e in ("expert1", "expert2", "expert3", "expert4", "expert5") if e not in experts)
        admin = await login(http, "admin")
        r = await http.post(f"/api/admin/tasks/{task2['id']}/reassign", headers=admin, json={"username": outsider})
        assert r.status_code == 200 and r.json()["assignee"] == outsider, r.text
        assert (await http.get(f"/api/tasks/{task2['id']}", headers=second)).status_code == 404


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


__all__ = ["apply", "deadline", "granted", "httpx", "sleep_past", "walk_to_notice"]


class TestPanelResult:
    async def test_deciding_against_the_panel_needs_a_recorded_reason(self, stack: Stack) -> None:
        """002 art. 12: the experts' verdicts aggregate by rule (2 of 3 reject: the panel rejects), shown to the
        department; approving against it is refused without a reason (422, code) and recorded with one."""
        http = stack.http
        _, case = await apply(stack)
        case_id = case["id"]
        bureau, dep1, dep2 = (await login(http, "city_yinchuan"), await login(http, "department1"),
                              await login(http, "department2"))
        await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case_id),
                       "recommend", data={"opinion": "推荐", "scores": {}})
        await complete(http, dep1, await task_of(http, dep1, "certification.precheck", case_id))
        experts = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()["result"]["experts"]
        for expert, verdict in zip(experts, ["approve", "reject", "reject"], strict=True):
            h = await login(http, expert)
            r = await complete(http, h, await task_of(http, h, "certification.expert_review", case_id), verdict,
                               data={"score": 70, "opinion": "意见", "no_conflict": True})
            assert r.status_code == 200, r.text
        r = await complete(http, dep1, await task_of(http, dep1, "certification.onsite_inspection", case_id),
                           data={"passed": True, "report": "场地设施齐全"})
        assert r.status_code == 200, r.text
        result = (await http.get(f"/api/cases/{case_id}", headers=dep2)).json()["result"]
        assert result["panel_result"]["decision"] == "reject" and result["panel_result"]["approvals"] == 1
        task = await task_of(http, dep2, "certification.decision", case_id)
        r = await complete(http, dep2, task, "approve")
        assert r.status_code == 422 and r.json()["code"] == "panel_departure_reason_required", r.text
        r = await complete(http, dep2, task, "approve", data={"departure_reason": "实地考察表明服务业绩突出"})
        assert r.status_code == 200, r.text
        await publish_year_list(stack, case_id)
        await case_status(http, dep1, case_id, {"public_notice"})
        result = (await http.get(f"/api/cases/{case_id}", headers=dep2)).json()["result"]
        assert result["departs_from_panel"] is True and result["departure_reason"] == "实地考察表明服务业绩突出"


class TestExpertConveniences:
    async def test_conflict_declaration_and_the_decision_page_averages(self, stack: Stack) -> None:
        """Issue 15: an expert's page form refuses an undeclared conflict of interest; the declaration is recorded;
        the deciding official's page shows every score with the average and the trimmed average."""
        import re

        import httpx
        from sqlmodel import Session

        from db.models import Task

        http = stack.http
        _org, case = await apply(stack)
        bureau = await login(http, "city_yinchuan")
        await complete(http, bureau, await task_of(http, bureau, "certification.city_recommendation", case["id"]),
                       "recommend", data={"opinion": "运营规范", "scores": {"运营情况": 90}})
        dep1 = await login(http, "department1")
        await complete(http, dep1, await task_of(http, dep1, "certification.precheck", case["id"]))
        detail = (await http.get(f"/api/cases/{case['id']}", headers=dep1)).json()
        experts = detail["result"]["experts"]

        async def browser(username: str) -> httpx.AsyncClient:
            c = httpx.AsyncClient(transport=http._transport, base_url="http://flow168.test", timeout=60)
            token = re.search(r'name="csrf_token" value="([^"]+)"', (await c.get("/login")).text)[1]  # type: ignore[index]
            r = await c.post("/login", data={"csrf_token": token, "username": username, "password": "demo168"})
            assert r.status_code == 303
            return c

        first = experts[0]
        h = await login(http, first)
        task = await task_of(http, h, "certification.expert_review", case["id"])
        page_client = await browser(first)
        page = await page_client.get(f"/tasks/{task['id']}")
        assert "利益冲突" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        fields = {"csrf_token": token, "decision": "approve", "f.score": "70", "f.opinion": "材料齐全", "comment": "同意"}
        refused = await page_client.post(f"/tasks/{task['id']}/complete", data=fields)
        assert refused.status_code == 422 and "利益冲突" in refused.text
        done = await page_client.post(f"/tasks/{task['id']}/complete", data={**fields, "f.no_conflict": "on"})
        assert done.status_code == 303, done.text[:400]
        with Session(stack.engine) as s:
            row = s.get(Task, task["id"])
            assert row is not None and row.data.get("no_conflict") is True  # recorded with the score
        for n, expert in enumerate(experts[1:], start=1):
            eh = await login(http, expert)
            await complete(http, eh, await task_of(http, eh, "certification.expert_review", case["id"]),
                           data={"score": 80 + 10 * n, "opinion": "材料齐全", "no_conflict": True})
        onsite = await task_of(http, dep1, "certification.onsite_inspection", case["id"])
        await complete(http, dep1, onsite, data={"passed": True, "report": "现场核实"})
        dep2 = await login(http, "department2")
        decision = await task_of(http, dep2, "certification.decision", case["id"])
        decider = await browser("department2")
        text = (await decider.get(f"/tasks/{decision['id']}")).text
        scores = [70, *[80 + 10 * n for n in range(1, len(experts))]]
        average = round(sum(scores) / len(scores), 1)
        assert "专家评分" in text and f"data-average>{average}<" in text
        if len(scores) >= 3:
            trimmed = round(sum(sorted(scores)[1:-1]) / (len(scores) - 2), 1)
            assert f"data-trimmed>{trimmed}<" in text

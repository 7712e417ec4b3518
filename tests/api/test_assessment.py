"""Yearly assessments through the API (P5; 004 art. 11-13): indicator sets, campaigns, every outcome path.

Each test opens its campaigns in a year of its own (one campaign per year and kind) and names its subjects."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from sqlmodel import select

from db.engine import session_scope
from db.models import Case, Organization
from tests.conftest import Stack
from tests.helpers import case_status, complete, login, register_approved, task_of, wait_for
from tests.voucher.factories import get_org, signed_provider

pytestmark = pytest.mark.workflow
_years = itertools.count(2060)  # far from the years the schedule opens by itself (this year's, the next)
SPARE_YEAR = 2059  # never opened: refusals are checked against it


def next_year() -> int:
    return next(_years)


async def open_campaign(stack: Stack, kind: str, subjects: list[int | None] | None, *, user: str = "operator1",
                        year: int | None = None) -> dict[str, Any]:
    h = await login(stack.http, user)
    body: dict[str, Any] = {"year": year or next_year(), "kind": kind}
    if subjects is not None:
        body["subjects"] = subjects
    r = await stack.http.post("/api/assessment/campaigns", headers=h, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def cases_of(stack: Stack, campaign_id: int) -> list[Case]:
    with session_scope(stack.engine) as s:
        rows = [c for c in s.exec(select(Case).where(Case.type == "assessment")) if c.data.get("campaign_id") == campaign_id]
        for c in rows:
            s.expunge(c)
        return rows


async def partner(stack: Stack) -> tuple[dict[str, str], int, str]:
    """A signed provider: its headers, org id and credit code."""
    h, body = await signed_provider(stack, "credit")
    return h, get_org(stack, body["org"]["uscc"]).id or 0, body["org"]["uscc"]


async def partner_case(stack: Stack) -> tuple[dict[str, str], int, str, str]:
    h, org_id, uscc = await partner(stack)
    camp = await open_campaign(stack, "partner", [org_id])
    assert camp["cases"]["total"] == 1
    return h, org_id, uscc, cases_of(stack, camp["id"])[0].id


async def self_report(stack: Stack, h: dict[str, str], case_id: str) -> dict[str, Any]:
    task = await task_of(stack.http, h, "assessment.self_report", case_id)
    r = await complete(stack.http, h, task, "submit", data={"figures": {"smes_served": "服务企业120家"},
                                                            "summary": "全年服务情况良好"}, comment="")
    assert r.status_code == 200, r.text
    return task


async def scored(stack: Stack, case_id: str, scores: dict[str, float], *, user: str = "operator1") -> dict[str, Any]:
    h = await login(stack.http, user)
    r = await complete(stack.http, h, await task_of(stack.http, h, "assessment.scoring", case_id), "submit",
                       data={"scores": scores, "opinion": "服务数量不足" if min(scores.values()) < 60 else "良好"}, comment="")
    assert r.status_code == 200, r.text
    return r.json()


async def decide(stack: Stack, user: str, task_type: str, case_id: str, decision: str, comment: str = "",
                 data: dict[str, Any] | None = None) -> Any:
    h = await login(stack.http, user)
    return await complete(stack.http, h, await task_of(stack.http, h, task_type, case_id), decision, data=data,
                          comment=comment)


class TestIndicators:
    async def test_defaults_are_provisional_and_a_new_version_applies_afterwards(self, stack: Stack) -> None:
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        r = await http.get("/api/admin/assessment-indicators/operating_unit", headers=op)
        assert r.status_code == 200 and r.json()["provisional"] is True
        assert [i["key"] for i in r.json()["indicators"]] == ["operation", "performance", "fund_use"]
        _, org_id, _ = await partner(stack)
        before = await open_campaign(stack, "partner", [org_id])
        new = {"indicators": [{"key": "quantity", "name": "服务数量", "weight": 30},
                              {"key": "quality", "name": "服务质量", "weight": 30},
                              {"key": "satisfaction", "name": "企业满意度", "weight": 40}],
               "excellent_min": 85, "qualified_min": 65}
        r = await http.put("/api/admin/assessment-indicators/partner", headers=op, json=new)
        assert r.status_code == 200, r.text
        assert r.json()["provisional"] is False and r.json()["version"] >= 1 and r.json()["created_by"] == "operator1"
        after = await open_campaign(stack, "partner", [org_id])
        assert after["indicator_version"] == r.json()["version"] != before["indicator_version"]
        old_case, new_case = cases_of(stack, before["id"])[0], cases_of(stack, after["id"])[0]
        assert [i["key"] for i in old_case.data["indicators"]["indicators"]] == ["smes_served", "satisfaction"]
        assert new_case.data["indicators"]["excellent_min"] == 85
        # the running campaign keeps its version: the new keys are refused there, its own accepted
        h = await login(http, "operator1")
        for case in (old_case, new_case):
            prov = await login_org(stack, case.applicant_org_id)
            if prov is not None:
                await self_report(stack, prov, case.id)
        task = await task_of(http, h, "assessment.scoring", old_case.id)
        r = await complete(http, h, task, "submit", data={"scores": {"quantity": 90, "quality": 90, "satisfaction": 90}})
        assert r.status_code == 422 and "not indicators of this assessment" in r.json()["detail"]
        r = await complete(http, h, await task_of(http, h, "assessment.scoring", new_case.id), "submit",
                           data={"scores": {"quantity": 80, "quality": 80, "satisfaction": 95}})
        assert r.status_code == 200, r.text
        done = await case_status(http, h, new_case.id, {"support_review"})
        assert done["result"]["total"] == 86.0 and done["result"]["rating"] == "excellent"  # 85 is excellent here
        # restore the provisional defaults' keys for the other tests
        r = await http.put("/api/admin/assessment-indicators/partner", headers=op, json={"indicators": [
            {"key": "smes_served", "name": "服务中小企业数量和服务质量", "weight": 1},
            {"key": "satisfaction", "name": "企业满意度", "weight": 1}]})
        assert r.status_code == 200
        assert (await http.put("/api/admin/assessment-indicators/hub", headers=op, json=new)).status_code == 403
        assert (await http.put("/api/admin/assessment-indicators/hub", headers=dep, json=new)).status_code == 200
        bad = {**new, "excellent_min": 50}
        assert (await http.put("/api/admin/assessment-indicators/window", headers=op, json=bad)).status_code == 422
        assert (await http.put("/api/admin/assessment-indicators/other", headers=op, json=new)).status_code == 422
        prov, _, _ = await partner(stack)
        assert (await http.get("/api/admin/assessment-indicators/partner", headers=prov)).status_code == 403


async def login_org(stack: Stack, org_id: int | None) -> dict[str, str] | None:
    """Headers of a user of the organisation (the tests' registered providers have one)."""
    from db.models import User
    from tests.helpers import active_login

    with session_scope(stack.engine) as s:
        user = s.exec(select(User).where(User.org_id == org_id)).first()
        name = user.username if user else None
    return await active_login(stack.http, name) if name else None


class TestCampaigns:
    async def test_one_campaign_per_year_and_kind_and_who_may_open(self, stack: Stack) -> None:
        http = stack.http
        _, org_id, _ = await partner(stack)
        year = next_year()
        camp = await open_campaign(stack, "partner", [org_id], year=year)
        assert camp["opened_by"] == "operator1" and camp["year"] == year and camp["kind"] == "partner"
        op, dep = await login(http, "operator2"), await login(http, "department1")
        r = await http.post("/api/assessment/campaigns", headers=op, json={"year": year, "kind": "partner"})
        assert r.status_code == 409 and "one campaign per year and kind" in r.json()["detail"]
        assert len(cases_of(stack, camp["id"])) == 1  # the refused second campaign opened nothing
        r = await http.post("/api/assessment/campaigns", headers=dep, json={"year": SPARE_YEAR, "kind": "partner"})
        assert r.status_code == 403  # the hub assesses partners (004 art. 12)
        r = await http.post("/api/assessment/campaigns", headers=op, json={"year": year, "kind": "hub"})
        assert r.status_code == 403  # the bureau assesses the hub (art. 11)
        prov, _, _ = await partner(stack)
        r = await http.post("/api/assessment/campaigns", headers=prov, json={"year": SPARE_YEAR, "kind": "window"})
        assert r.status_code == 403
        r = await http.post("/api/assessment/campaigns", headers=op, json={"year": SPARE_YEAR, "kind": "platform"})
        assert r.status_code == 422
        unsigned, body = await register_approved(http, "provider")
        not_signed = get_org(stack, body["org"]["uscc"]).id
        r = await http.post("/api/assessment/campaigns", headers=op,
                            json={"year": SPARE_YEAR, "kind": "partner", "subjects": [not_signed]})
        assert r.status_code == 422 and "not current partner subjects" in r.json()["detail"]
        r = await http.get("/api/assessment/campaigns", headers=op, params={"year": year})
        assert r.status_code == 200
        (item,) = [i for i in r.json()["items"] if i["kind"] == "partner"]
        assert item["opened_by"] == "operator1" and item["cases"]["total"] == 1
        assert (await http.get("/api/assessment/campaigns", headers=prov)).status_code == 403
        assert (await http.get("/api/assessment/campaigns", headers=unsigned)).status_code == 403

    async def test_cases_are_not_opened_through_post_cases(self, stack: Stack) -> None:
        prov, _, _ = await partner(stack)
        r = await stack.http.post("/api/cases", headers={**prov, "Idempotency-Key": uuid.uuid4().hex},
                                  json={"type": "assessment", "data": {}})
        assert r.status_code in (403, 422)


class TestPartnerPaths:
    async def test_self_report_is_prefilled_and_scores_are_checked(self, stack: Stack) -> None:
        h, org_id, _ = await partner(stack)
        year, now = next_year(), await stack.clock.now()
        with session_scope(stack.engine) as s:  # two vouchers it settled that year (P1), one the year before
            for n, (day, fen, sat) in enumerate(((f"{year}-03-02", 300_000, "satisfied"), (f"{year}-11-30", 150_000, "basic"),
                                                 (f"{year - 1}-12-30", 99_900, "unsatisfied"))):
                s.add(Case(id=f"VC-{uuid.uuid4().hex[:10]}", type="voucher", status="settled", title=f"服务券{n}",
                           created_at=now, updated_at=now, result={"voucher": {
                               "provider_org_id": org_id, "settled_on": day, "settled_fen": fen, "satisfaction": sat}}))
        camp = await open_campaign(stack, "partner", [org_id], year=year)
        case_id = cases_of(stack, camp["id"])[0].id
        got = await wait_for(lambda: _prefilled(stack, h, case_id), what="the pre-filled figures")
        assert got == {"vouchers_settled": 2, "settled_fen": 450_000,
                       "satisfaction": {"satisfied": 1, "basic": 1, "unsatisfied": 0}}
        await self_report(stack, h, case_id)
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "assessment.scoring", case_id)
        for scores, words in (({"smes_served": 80}, "missing satisfaction"),
                              ({"smes_served": 80, "satisfaction": 120}, "less than or equal to 100"),
                              ({"smes_served": -5, "satisfaction": 80}, "greater than or equal to 0")):
            r = await complete(stack.http, op, task, "submit", data={"scores": scores})
            assert r.status_code == 422 and words in r.json()["detail"], r.text
        assert (await complete(stack.http, h, task, "submit", data={"scores": {}})).status_code == 404  # not theirs

    async def test_qualified_is_done(self, stack: Stack) -> None:
        h, _, _, case_id = await partner_case(stack)
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 70, "satisfaction": 80})
        done = await case_status(stack.http, h, case_id, {"qualified"})
        assert done["result"]["total"] == 75.0 and done["result"]["rating"] == "qualified" and done["closed_at"]
        assert "assessment_result" in {d["kind"] for d in done["documents"]}
        # the subject sees the result and the opinion, never who scored
        scoring = next(t for t in done["tasks"] if t["type"] == "assessment.scoring")
        assert scoring["completed_by"] is None and scoring["data"]["opinion"] == "良好"
        assert all(e["actor"] != "operator1" for e in done["timeline"])

    async def test_excellent_is_supported_by_the_bureau(self, stack: Stack) -> None:
        h, _, _, case_id = await partner_case(stack)
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 95, "satisfaction": 92})
        await case_status(stack.http, h, case_id, {"support_review"})
        r = await decide(stack, "department1", "assessment.support_decision", case_id, "approve", "同意优先支持")
        assert r.status_code == 200, r.text
        done = await case_status(stack.http, h, case_id, {"supported"})
        year = (await stack.http.get(f"/api/cases/{case_id}", headers=h)).json()["data"]["year"]
        pub = (await stack.http.get("/api/public/assessments", params={"year": year, "kind": "partner"})).json()
        (row,) = pub["items"]
        assert row["supported"] is True and row["rating"] == "excellent" and row["total"] == 93.5
        assert done["result"]["supported"] is True

    async def test_failed_rectified(self, stack: Stack) -> None:
        h, _, _, case_id = await partner_case(stack)
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 40, "satisfaction": 50})
        case = await case_status(stack.http, h, case_id, {"rectifying"})
        (deadline,) = [d for d in case["deadlines"] if d["name"] == "rectification"]
        task = await task_of(stack.http, h, "assessment.rectification", case_id)
        assert task["due_at"] == deadline["closes_at"] and task["due_working_days"] == 30
        assert "assessment_rectification_notice" in {d["kind"] for d in case["documents"]}
        r = await complete(stack.http, h, task, "submit", data={"report": "已增加服务人员，完善服务流程"}, comment="")
        assert r.status_code == 200, r.text
        r = await decide(stack, "operator2", "assessment.reassessment", case_id, "pass", "整改到位")
        assert r.status_code == 200, r.text
        done = await case_status(stack.http, h, case_id, {"rectified"})
        assert done["result"]["final_rating"] == "qualified"

    async def test_failed_twice_is_revoked_and_leaves_the_public_providers(self, stack: Stack) -> None:
        http = stack.http
        h, _, uscc, case_id = await partner_case(stack)
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 30, "satisfaction": 50})
        await case_status(http, h, case_id, {"rectifying"})
        r = await complete(http, h, await task_of(http, h, "assessment.rectification", case_id), "submit",
                           data={"report": "整改报告"}, comment="")
        assert r.status_code == 200, r.text
        r = await decide(stack, "operator1", "assessment.reassessment", case_id, "fail")
        assert r.status_code == 422  # a reason is required
        r = await decide(stack, "operator1", "assessment.reassessment", case_id, "fail", "整改后服务数量仍不足")
        assert r.status_code == 200, r.text
        await case_status(http, h, case_id, {"revocation_review"})
        r = await decide(stack, "department1", "assessment.revocation_decision", case_id, "revoke")
        assert r.status_code == 422 and "reason" in r.json()["detail"]
        name = get_org(stack, uscc).name
        listed = (await http.get("/api/public/providers", params={"q": name})).json()["items"]
        assert [p for p in listed if p["name"] == name]
        r = await decide(stack, "department1", "assessment.revocation_decision", case_id, "revoke", "整改后仍不合格")
        assert r.status_code == 200, r.text
        done = await case_status(http, h, case_id, {"revoked"})
        assert {"assessment_result", "assessment_rectification_notice", "assessment_revocation_decision"} <= {
            d["kind"] for d in done["documents"]}
        assert get_org(stack, uscc).signed is False
        listed = (await http.get("/api/public/providers", params={"q": name})).json()["items"]
        assert not [p for p in listed if p["name"] == name]
        year = done["data"]["year"]
        (row,) = (await http.get("/api/public/assessments", params={"year": year, "kind": "partner"})).json()["items"]
        assert row["revoked"] is True and row["rating"] == "failed" and row["final_rating"] == "failed"

        async def told() -> bool:  # the notice follows the status
            notes = (await http.get("/api/notifications", headers=h, params={"limit": 100})).json()["items"]
            return any("资格已撤销" in n["subject"] for n in notes)

        await wait_for(told, what="the provider to be told of the revocation")

    async def test_failed_twice_the_bureau_keeps(self, stack: Stack) -> None:
        h, _, uscc, case_id = await partner_case(stack)
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 30, "satisfaction": 20})
        await case_status(stack.http, h, case_id, {"rectifying"})
        r = await complete(stack.http, h, await task_of(stack.http, h, "assessment.rectification", case_id), "submit",
                           data={"report": "整改报告"}, comment="")
        assert r.status_code == 200
        assert (await decide(stack, "operator1", "assessment.reassessment", case_id, "fail", "仍不足")).status_code == 200
        r = await decide(stack, "department2", "assessment.revocation_decision", case_id, "keep", "情节轻微，保留资格")
        assert r.status_code == 200, r.text
        await case_status(stack.http, h, case_id, {"kept"})
        assert get_org(stack, uscc).signed is True


class TestOtherKinds:
    async def test_the_bureau_assesses_the_hub(self, stack: Stack) -> None:
        camp = await open_campaign(stack, "hub", None, user="department1")
        (case,) = cases_of(stack, camp["id"])
        assert case.applicant == "宁夏回族自治区中小企业服务中心"
        op = await login(stack.http, "operator1")
        r = await complete(stack.http, op, await task_of(stack.http, op, "assessment.self_report", case.id), "submit",
                           data={"figures": {}, "summary": "年度目标全部完成"}, comment="")
        assert r.status_code == 200, r.text
        h = await login(stack.http, "operator2")
        task = await task_of(stack.http, await login(stack.http, "department2"), "assessment.scoring", case.id)
        assert (await complete(stack.http, h, task, "submit", data={"scores": {}})).status_code == 404
        keys = [i["key"] for i in case.data["indicators"]["indicators"]]  # the bureau's current version
        await scored(stack, case.id, {k: 89 for k in keys}, user="department2")
        done = await case_status(stack.http, op, case.id, {"rated"})
        assert done["result"]["total"] == 89.0 and done["result"]["action"] == "record"  # 004 art. 11

    async def test_a_window_is_revoked(self, stack: Stack) -> None:
        """A connected window (P4's case row) fails twice: it is revoked (its onboarding case is signalled)."""
        h, body = await register_approved(stack.http, "platform_org")
        org_id = get_org(stack, body["org"]["uscc"]).id
        year = next_year()
        now = await stack.clock.now()
        with session_scope(stack.engine) as s:
            s.add(Case(id=f"WO-{uuid.uuid4().hex[:10]}", type="window_onboarding", status="connected",
                       title="窗口平台接入", applicant=body["org"]["name"], applicant_org_id=org_id, city="yinchuan",
                       data={"platform_name": "测试窗口平台"}, result={"reports": {str(year): {"sent": 3, "overdue": 1}}},
                       created_at=now, updated_at=now))
        camp = await open_campaign(stack, "window", [org_id], year=year)
        (case,) = cases_of(stack, camp["id"])
        assert case.applicant == "测试窗口平台"
        got = await wait_for(lambda: _prefilled(stack, h, case.id), what="the pre-filled figures")
        assert got == {"reports_sent": 3, "reports_overdue": 1}
        task = await task_of(stack.http, h, "assessment.self_report", case.id)
        # the form comes pre-filled: the figures P4 counted and one entry per indicator
        assert task["data"]["figures"]["reports_sent"] == 3 and task["data"]["figures"]["data_reporting"] == ""
        assert (await complete(stack.http, h, task, "submit", data={"summary": "自评"}, comment="")).status_code == 200
        op = await login(stack.http, "operator1")
        scoring = await task_of(stack.http, op, "assessment.scoring", case.id)
        assert scoring["data"] == {"scores": dict.fromkeys(["conditions", "smes_served", "public_events", "satisfaction",
                                                            "data_reporting"])}
        await scored(stack, case.id, {"conditions": 50, "smes_served": 50, "public_events": 50, "satisfaction": 50,
                                      "data_reporting": 20})
        r = await complete(stack.http, h, await task_of(stack.http, h, "assessment.rectification", case.id), "submit",
                           data={"report": "整改"}, comment="")
        assert r.status_code == 200
        assert (await decide(stack, "operator1", "assessment.reassessment", case.id, "fail", "仍不足")).status_code == 200
        r = await decide(stack, "department1", "assessment.revocation_decision", case.id, "revoke", "数据报送长期逾期")
        assert r.status_code == 200, r.text
        done = await case_status(stack.http, h, case.id, {"revoked"})
        assert done["result"]["revoked"] is True


    async def test_an_operating_unit_reports_with_its_own_account(self, stack: Stack) -> None:
        """The entrusted operating unit (运营机构, 004 art. 12) registers as its own account kind, is approved by the hub,
        and answers its self-report itself; a window platform's account never sees its task."""
        h, body = await register_approved(stack.http, "operating_unit")
        me = (await stack.http.get("/api/me", headers=h)).json()
        assert me["role"] == "operating_unit"
        org_id = get_org(stack, body["org"]["uscc"]).id
        camp = await open_campaign(stack, "operating_unit", None)
        ids = {c.applicant_org_id: c.id for c in cases_of(stack, camp["id"])}
        assert org_id in ids  # every registered operating unit is a default subject
        case_id = ids[org_id]
        other, _ = await register_approved(stack.http, "platform_org")
        r = await stack.http.get("/api/tasks", headers=other, params={"type": "assessment.self_report"})
        assert case_id not in {t["case_id"] for t in r.json()["items"]}
        assert (await stack.http.get(f"/api/cases/{case_id}", headers=other)).status_code in (403, 404)
        task = await self_report(stack, h, case_id)
        assert task["role"] == "operating_unit"
        case = next(c for c in cases_of(stack, camp["id"]) if c.id == case_id)
        await scored(stack, case_id, dict.fromkeys([i["key"] for i in case.data["indicators"]["indicators"]], 75))
        done = await case_status(stack.http, h, case_id, {"qualified"})
        assert done["result"]["rating"] == "qualified"  # 004 art. 13: it keeps its entrustment


async def _prefilled(stack: Stack, h: dict[str, str], case_id: str) -> Any:
    r = await stack.http.get(f"/api/cases/{case_id}", headers=h)
    return r.json()["result"].get("prefilled") if r.status_code == 200 else None


def _unused() -> Organization | None:  # keeps the import of Organization for type readers
    return None


class TestPages:
    async def test_campaign_pages_and_the_task_forms(self, stack: Stack) -> None:
        import re

        import httpx

        async def browser(username: str, password: str = "demo168") -> httpx.AsyncClient:
            c = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
            token = re.search(r'name="csrf_token" value="([^"]+)"', (await c.get("/login")).text)[1]  # type: ignore[index]
            r = await c.post("/login", data={"csrf_token": token, "username": username, "password": password})
            assert r.status_code == 303, r.text[:300]
            return c

        h, org_id, _ = await partner(stack)
        op = await browser("operator1")
        year = next_year()
        page = await op.get("/assessment", params={"year": year})
        assert page.status_code == 200 and "开展考核" in page.text and "考核指标" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        r = await op.post("/assessment/campaigns", data={"csrf_token": token, "year": str(year), "kind": "operating_unit"})
        assert r.status_code == 303
        page = await op.get("/assessment", params={"year": year})
        assert "运营机构" in page.text and "data-kind=\"operating_unit\"" in page.text
        r = await op.post("/assessment/campaigns", data={"csrf_token": token, "year": str(year), "kind": "operating_unit"})
        page = await op.get(r.headers["location"])
        assert "每年每类只开展一次" in page.text
        camp = await open_campaign(stack, "partner", [org_id], year=year)
        case_id = cases_of(stack, camp["id"])[0].id
        page = await op.get(f"/assessment/campaigns/{camp['id']}")
        assert page.status_code == 200 and "考核结果分布" in page.text and case_id in page.text
        assert (await op.get("/assessment/indicators/partner")).status_code == 200
        await self_report(stack, h, case_id)
        task = await task_of(stack.http, await login(stack.http, "operator1"), "assessment.scoring", case_id)
        page = await op.get(f"/tasks/{task['id']}")
        assert page.status_code == 200 and "smes_served" in page.text and "优秀≥90" in page.text
        assert (await op.get("/public/assessments", params={"year": year})).status_code == 200
        await op.aclose()


class TestBulletin:
    async def test_the_results_bulletin_once_every_subject_is_rated(self, stack: Stack) -> None:
        http = stack.http
        (h1, o1, _), (h2, o2, _) = await partner(stack), await partner(stack)
        camp = await open_campaign(stack, "partner", [o1, o2])
        op = await login(http, "operator1")
        url = f"/api/assessment/campaigns/{camp['id']}/bulletin"
        r = await http.post(url, headers=op)
        assert r.status_code == 409 and "not rated yet" in r.json()["detail"]
        by_org = {c.applicant_org_id: c.id for c in cases_of(stack, camp["id"])}
        for h, org, scores in ((h1, o1, {"smes_served": 95, "satisfaction": 91}),
                               (h2, o2, {"smes_served": 40, "satisfaction": 50})):
            await self_report(stack, h, by_org[org])
            await scored(stack, by_org[org], scores)
        await case_status(http, h2, by_org[o2], {"rectifying"})
        await case_status(http, h1, by_org[o1], {"support_review"})
        assert (await http.post(url, headers=h1)).status_code == 403
        r = await http.post(url, headers=op)
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["title"].endswith("绩效考核结果的通报") and doc["doc_number"].startswith("宁中小服发")
        assert (await http.post(url, headers=op)).json()["id"] == doc["id"]  # drafted once
        detail = (await http.get(f"/api/assessment/campaigns/{camp['id']}", headers=op)).json()
        assert detail["documents"][0]["id"] == doc["id"]
        assert detail["cases"]["ratings"] == {"excellent": 1, "qualified": 0, "failed": 1}
        assert (await http.get(doc["url"], headers=op)).status_code == 200


class TestScope:
    async def test_settings_and_cases_by_role_and_scope(self, stack: Stack) -> None:
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        other, _, _ = await partner(stack)
        r = await http.get("/api/admin/assessment-settings", headers=op)
        assert r.status_code == 200 and r.json()["schedule_kinds"] == ["window", "partner"]
        assert r.json()["schedule_month"] == 12 and r.json()["rectification_working_days"] == 30
        assert (await http.get("/api/admin/assessment-settings", headers=other)).status_code == 403
        assert (await http.put("/api/admin/assessment-settings", headers=dep, json={})).status_code == 403
        bad = {"schedule_kinds": ["platform"], "schedule_month": 12, "rectification_working_days": 30}
        assert (await http.put("/api/admin/assessment-settings", headers=op, json=bad)).status_code == 422
        h, _, _, case_id = await partner_case(stack)
        assert (await http.get(f"/api/cases/{case_id}", headers=h)).status_code == 200
        assert (await http.get(f"/api/cases/{case_id}", headers=other)).status_code == 404  # another partner's
        task = await task_of(http, h, "assessment.self_report", case_id)
        r = await complete(http, other, task, "submit", data={"summary": "冒名自评"}, comment="")
        assert r.status_code == 404
        mine = (await http.get("/api/tasks", headers=other, params={"type": "assessment.self_report",
                                                                    "case_id": case_id})).json()
        assert mine["items"] == []


class TestOneNoticePerStep:
    """Issue 15: the subject was told twice when its self-report opened (the assessment's own notice and the task's
    轮到您办理): one notification per step, worded by the step; a non-applicant subject (the hub) still told once."""

    @staticmethod
    async def notes(stack: Stack, h: dict[str, str], case_id: str) -> list[dict[str, Any]]:
        items = (await stack.http.get("/api/notifications", headers=h, params={"limit": 200})).json()["items"]
        return [n for n in items if n.get("case_id") == case_id]

    async def test_the_partner_is_told_once_per_step(self, stack: Stack) -> None:
        h, _, _, case_id = await partner_case(stack)
        await task_of(stack.http, h, "assessment.self_report", case_id)
        notes = await wait_for(lambda: self.notes(stack, h, case_id), what="the self-report notice")
        assert len(notes) == 1, [n["subject"] for n in notes]
        assert notes[0]["subject"].startswith("轮到您办理：") and "自评" in notes[0]["subject"]
        assert "系统已知的数据已预填" in notes[0]["body"]
        await self_report(stack, h, case_id)
        await scored(stack, case_id, {"smes_served": 30, "satisfaction": 20})
        await task_of(stack.http, h, "assessment.rectification", case_id)
        subjects = [n["subject"] for n in await self.notes(stack, h, case_id)]
        assert len([s for s in subjects if "整改" in s]) == 1, subjects
        (rectify,) = [n for n in await self.notes(stack, h, case_id) if "整改" in n["subject"]]
        assert rectify["subject"].startswith("轮到您办理：") and "前完成整改并提交整改报告" in rectify["body"]
        assert len([s for s in subjects if "结果" in s]) == 1  # the result notice is a notice of its own

    async def test_the_hub_assessed_by_the_bureau_is_told_once(self, stack: Stack) -> None:
        camp = await open_campaign(stack, "hub", None, user="department1")
        (case,) = cases_of(stack, camp["id"])
        op = await login(stack.http, "operator1")
        await task_of(stack.http, op, "assessment.self_report", case.id)
        notes = await wait_for(lambda: self.notes(stack, op, case.id), what="the hub's self-report notice")
        assert [n["subject"] for n in notes] == [f"{case.data['year']}年度枢纽平台绩效考核：请填报自评"]

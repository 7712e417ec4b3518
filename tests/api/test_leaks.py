"""Who sees what and who may do what (issue 11): each finding of the attacker's read, with the rows it needs written
straight into the database (no workflow has to run for a view or a refusal), through the API and the pages.

- blind review on the HTML task page and in the case view (other experts' names and work, the panel's entries);
- a panel cannot be shrunk (a named expert task is not released to the pool; one expert, one seat);
- an objector's name and contact reach only the officials who handle objections;
- the applicant never learns its experts (result.experts, the task rows, result.expert_reviews, the timeline);
- the winning provider sees its own bid and the award, its own materials, never the enterprise's or a competitor's;
- unpublished demands, uploads of another case, NaN/Infinity, control characters, published documents."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from db import audit
from db.engine import session_scope
from db.models import Bid, Case, Deadline, Document, Organization, Task, Upload, User
from db.seed import DEMO_PASSWORD
from tests.api.test_window_pages import page_login
from tests.conftest import Stack
from tests.helpers import login, register_approved
from tests.voucher.factories import signed_provider, upload

pytestmark = pytest.mark.workflow

OBJECTOR, CONTACT = "异议人王小明", "13912345678"
SECRET = "SECRET-OPINION-OF-THE-FIRST-EXPERT"


def _now() -> datetime:
    return datetime.now(UTC)


def _org(stack: Stack, body: dict[str, Any]) -> Organization:
    with session_scope(stack.engine) as s:
        org = s.exec(select(Organization).where(Organization.uscc == body["org"]["uscc"])).one()
        s.expunge(org)
        return org


def _task(case_id: str, step: str, type: str, role: str, **fields: Any) -> Task:
    now = _now()
    return Task(id=f"{case_id}.{step}.1", case_id=case_id, type=type, title=fields.pop("title", "任务"), role=role,
                decisions=fields.pop("decisions", ["approve", "reject"]), opened_at=now, due_at=now + timedelta(days=7),
                **fields)


async def _certification_case(stack: Stack) -> tuple[dict[str, str], str]:
    """A certification case in its expert panel: expert1 has scored (blind), expert2 holds a named seat, seat 3 is
    open in the pool; an objection is under investigation. Returns the applicant's headers and the case id."""
    org_h, body = await register_approved(stack.http, "platform_org")
    org = _org(stack, body)
    case_id = f"CT-LEAK-{uuid.uuid4().hex[:8]}"
    now = _now()
    with session_scope(stack.engine) as s:
        s.add(Case(id=case_id, type="certification", status="in_review", title="示范平台认定申请：泄露测试",
                   applicant=org.name, applicant_org_id=org.id, city="yinchuan", data={"platform_name": "泄露测试平台"},
                   result={"experts": ["expert1", "expert2", "expert3"],
                           "expert_reviews": [{"expert": "expert1", "decision": "approve", "score": 55,
                                               "opinion": SECRET}]},
                   created_at=now, updated_at=now))
        s.flush()
        s.add(_task(case_id, "expert_review_1", "certification.expert_review", "expert", assignee="expert1",
                    status="completed", completed_by="expert1", completed_at=now, decision="approve", comment=SECRET,
                    data={"score": 55, "opinion": SECRET}, form="certification_expert_review"))
        s.add(_task(case_id, "expert_review_2", "certification.expert_review", "expert", assignee="expert2",
                    status="claimed", form="certification_expert_review"))
        s.add(_task(case_id, "expert_review_3", "certification.expert_review", "expert", status="open",
                    form="certification_expert_review"))
        s.add(_task(case_id, "objection_review", "notice.objection_review", "department", title="公示异议调查核实",
                    summary=f"异议人：{OBJECTOR}（{CONTACT}）；异议理由：数据不实", decisions=["uphold", "dismiss"],
                    form="objection_review"))
        for step in ("expert_review_1", "expert_review_2", "expert_review_3", "objection_review"):
            audit.record(s, action="task_opened", at=now, case_id=case_id, task_id=f"{case_id}.{step}.1",
                         message="待办「任务」已生成")
        audit.record(s, action="task_completed", at=now, actor="expert1", case_id=case_id,
                     task_id=f"{case_id}.expert_review_1.1", message=f"「示范平台专家评审」：同意 {SECRET}",
                     after={"data": {"score": 55}})
        audit.record(s, action="task_completed", at=now, actor="operator1", case_id=case_id, task_id=None,
                     message="operator1 recorded something", after={"who": "operator1"})
    return org_h, case_id


class TestBlindReview:
    async def test_the_task_page_and_the_case_view_hide_the_other_experts(self, stack: Stack) -> None:
        _, case_id = await _certification_case(stack)
        c = await page_login(stack, "expert2", DEMO_PASSWORD)
        page = await c.get(f"/tasks/{case_id}.expert_review_2.1")
        assert page.status_code == 200, page.text
        assert SECRET not in page.text and "expert1" not in page.text and "expert3" not in page.text
        case_page = await c.get(f"/cases/{case_id}")
        assert case_page.status_code == 200 and SECRET not in case_page.text and "expert1" not in case_page.text
        await c.aclose()
        view = (await stack.http.get(f"/api/cases/{case_id}", headers=await login(stack.http, "expert2"))).json()
        assert SECRET not in json.dumps(view, ensure_ascii=False) and "expert1" not in json.dumps(view)
        assert view["result"]["experts"] == ["expert2"] and view["result"]["expert_reviews"] == []
        # The expert who scored sees their own work, and officials see the whole panel.
        own = (await stack.http.get(f"/api/cases/{case_id}", headers=await login(stack.http, "expert1"))).json()
        assert own["result"]["expert_reviews"][0]["opinion"] == SECRET and "expert2" not in json.dumps(own)
        dep = (await stack.http.get(f"/api/cases/{case_id}", headers=await login(stack.http, "department1"))).json()
        assert dep["result"]["experts"] == ["expert1", "expert2", "expert3"] and SECRET in json.dumps(dep)


class TestPanelSize:
    async def test_a_named_expert_cannot_release_the_seat(self, stack: Stack) -> None:
        _, case_id = await _certification_case(stack)
        h = await login(stack.http, "expert2")
        r = await stack.http.post(f"/api/tasks/{case_id}.expert_review_2.1/unclaim", headers=h)
        assert r.status_code == 409 and r.json()["code"] == "named_task_not_released", r.text
        with session_scope(stack.engine) as s:
            assert s.get(Task, f"{case_id}.expert_review_2.1").assignee == "expert2"  # type: ignore[union-attr]
        # A task taken from the pool may still be given back.
        h4 = await login(stack.http, "expert4")
        assert (await stack.http.post(f"/api/tasks/{case_id}.expert_review_3.1/claim", headers=h4)).status_code == 200
        r = await stack.http.post(f"/api/tasks/{case_id}.expert_review_3.1/unclaim", headers=h4)
        assert r.status_code == 200, r.text

    async def test_an_expert_who_scored_cannot_take_another_seat(self, stack: Stack) -> None:
        _, case_id = await _certification_case(stack)
        h = await login(stack.http, "expert1")
        r = await stack.http.post(f"/api/tasks/{case_id}.expert_review_3.1/claim", headers=h)
        assert r.status_code == 409 and r.json()["code"] == "panel_seat_taken", r.text
        r = await stack.http.post(f"/api/tasks/{case_id}.expert_review_3.1/complete", headers=h,
                                  json={"decision": "approve", "data": {"score": 99}})
        assert r.status_code == 409 and r.json()["code"] == "panel_seat_taken", r.text
        admin = await login(stack.http, "admin")
        r = await stack.http.post(f"/api/admin/tasks/{case_id}.expert_review_2.1/reassign", headers=admin,
                                  json={"username": "expert1"})
        assert r.status_code == 409 and r.json()["code"] == "panel_seat_taken", r.text


class TestPartiesDoNotLearnWho:
    async def test_the_applicant_sees_neither_its_experts_nor_the_objector(self, stack: Stack) -> None:
        org_h, case_id = await _certification_case(stack)
        view = (await stack.http.get(f"/api/cases/{case_id}", headers=org_h)).json()
        text = json.dumps(view, ensure_ascii=False)
        for name in ("expert1", "expert2", "expert3", OBJECTOR, CONTACT, "operator1"):
            assert name not in text, name
        assert "experts" not in view["result"]
        assert view["result"]["expert_reviews"] == [{"decision": "approve", "score": 55, "opinion": SECRET}]  # reasons
        objection = next(t for t in view["tasks"] if t["type"] == "notice.objection_review")
        assert objection["summary"] == "公示异议调查核实"

    async def test_only_the_handling_officials_see_the_objector(self, stack: Stack) -> None:
        _, case_id = await _certification_case(stack)
        for who, sees in (("city_yinchuan", False), ("expert2", False), ("department1", True), ("operator1", True)):
            view = await stack.http.get(f"/api/cases/{case_id}", headers=await login(stack.http, who))
            assert view.status_code == 200, (who, view.text)
            assert (CONTACT in view.text and OBJECTOR in view.text) is sees, who


async def _voucher_case(stack: Stack) -> dict[str, Any]:
    """A voucher case the provider won: the enterprise's five materials, a competitor's bid, the provider's own
    delivery proof. Returns the headers and ids the tests need."""
    ent, ent_body = await register_approved(stack.http, "enterprise")
    prov, prov_body = await signed_provider(stack, "credit")
    _, rival_body = await signed_provider(stack, "credit")
    ent_org, prov_org, rival_org = _org(stack, ent_body), _org(stack, prov_body), _org(stack, rival_body)
    private = await upload(stack, ent, "财务报表.pdf")
    proof = await upload(stack, prov, "项目完成证明.pdf")
    case_id = f"VC-LEAK-{uuid.uuid4().hex[:8]}"
    now = _now()
    with session_scope(stack.engine) as s:
        s.add(Case(id=case_id, type="voucher", status="in_service", title="服务券需求：泄露测试", applicant=ent_org.name,
                   applicant_org_id=ent_org.id, city="yinchuan",
                   data={"category": "credit", "title": "信用评价", "budget_fen": 600_000},
                   result={"voucher": {"bid_amount_fen": 600_000, "contract_amount_fen": 600_000, "amount_fen": 300_000,
                                       "provider_name": prov_org.name}},
                   created_at=now, updated_at=now))
        s.flush()
        own = Bid(case_id=case_id, provider_org_id=prov_org.id or 0, provider_name=prov_org.name, amount_fen=600_000,
                  status="chosen", created_at=now)
        other = Bid(case_id=case_id, provider_org_id=rival_org.id or 0, provider_name=rival_org.name,
                    amount_fen=777_777, status="not_chosen", created_at=now)
        s.add(own)
        s.add(other)
        s.flush()
        for b in (own, other):
            audit.record(s, action="bid", at=now, actor="someone", case_id=case_id,
                         message=f"{b.provider_name}报价{b.amount_fen / 100:.2f}元", after={"bid_id": b.id})
        s.add(_task(case_id, "apply", "voucher.apply", "enterprise", org_id=ent_org.id, status="completed",
                    decisions=["submit"], data={"contract_amount_fen": 600_000,
                                                "materials": {"financial_statements": private}}))
        s.add(_task(case_id, "delivery", "voucher.delivery", "provider", org_id=prov_org.id, status="completed",
                    decisions=["submit"], data={"completion_proof": proof, "paid_fen": 300_000}))
        for uid in (private, proof):
            row = s.get(Upload, uid)
            assert row is not None
            row.case_id = case_id
    return {"case_id": case_id, "ent": ent, "prov": prov, "rival_name": rival_org.name, "private": private,
            "proof": proof}


class TestTheWinningProvider:
    async def test_sees_its_bid_and_materials_not_the_enterprises_nor_a_competitors(self, stack: Stack) -> None:
        v = await _voucher_case(stack)
        http = stack.http
        for url in (f"/api/cases/{v['case_id']}", f"/api/voucher/contracts/{v['case_id']}"):
            r = await http.get(url, headers=v["prov"])
            assert r.status_code == 200, r.text
            text = r.text
            assert "7777.77" not in text and v["rival_name"] not in text and v["private"] not in text, url
            assert [m["id"] for m in r.json()["materials"]] == [v["proof"]]
        assert (await http.get(f"/api/uploads/{v['private']}", headers=v["prov"])).status_code == 404
        assert (await http.get(f"/api/uploads/{v['proof']}", headers=v["prov"])).status_code == 200
        # The enterprise and the officials still see everything.
        ent = (await http.get(f"/api/cases/{v['case_id']}", headers=v["ent"])).json()
        assert {m["id"] for m in ent["materials"]} == {v["private"], v["proof"]} and "7777.77" in json.dumps(ent)
        op = await login(http, "operator1")
        assert (await http.get(f"/api/uploads/{v['private']}", headers=op)).status_code == 200

    async def test_the_contract_page_shows_no_private_material(self, stack: Stack) -> None:
        v = await _voucher_case(stack)
        with session_scope(stack.engine) as s:
            prov = s.exec(select(User).where(User.org_id == s.exec(select(Bid.provider_org_id).where(
                Bid.case_id == v["case_id"], Bid.status == "chosen")).one())).first()
            assert prov is not None
            username = prov.username
        c = await page_login(stack, username)
        page = await c.get(f"/voucher/contracts/{v['case_id']}")
        assert page.status_code == 200, page.text
        assert "财务报表.pdf" not in page.text and "7777.77" not in page.text
        await c.aclose()


class TestSmallerFindings:
    async def test_a_signed_provider_cannot_read_an_unpublished_demand(self, stack: Stack) -> None:
        _, ent_body = await register_approved(stack.http, "enterprise")
        prov, _ = await signed_provider(stack, "credit")
        org = _org(stack, ent_body)
        case_id = f"VC-LEAK-{uuid.uuid4().hex[:8]}"
        with session_scope(stack.engine) as s:
            s.add(Case(id=case_id, type="voucher", status="in_review", title="服务券需求：未发布", applicant=org.name,
                       applicant_org_id=org.id, city="yinchuan",
                       data={"category": "credit", "title": "未发布的需求", "budget_fen": 500_000},
                       created_at=_now(), updated_at=_now()))
        r = await stack.http.get(f"/api/voucher/demands/{case_id}", headers=prov)
        assert r.status_code == 404 and r.json()["code"] == "demand_not_open", r.text
        with session_scope(stack.engine) as s:
            s.add(Deadline(case_id=case_id, name="bidding", event_at=_now(), closes_at=_now() + timedelta(days=5)))
            s.get(Case, case_id).status = "bidding"  # type: ignore[union-attr]
        assert (await stack.http.get(f"/api/voucher/demands/{case_id}", headers=prov)).status_code == 200

    async def test_an_upload_of_another_case_is_not_moved(self, stack: Stack) -> None:
        org_h, case_id = await _certification_case(stack)
        files = {k: await upload(stack, org_h) for k in ("application_form", "service_capability",
                                                          "security_measures")}
        with session_scope(stack.engine) as s:
            s.get(Upload, files["application_form"]).case_id = case_id  # type: ignore[union-attr]
        data = {"platform_name": "吴忠市窗口服务平台", "city": "yinchuan", "coverage": "industry", "coverage_detail": "枸杞",
                "service_products": [{"name": "技术咨询", "description": "工艺"}], "staff": 8, "premises_sqm": 150,
                "materials": files}
        r = await stack.http.post("/api/cases", headers=org_h, json={"type": "window_onboarding", "data": data})
        assert r.status_code == 422 and r.json()["code"] == "upload_of_other_case", r.text
        with session_scope(stack.engine) as s:
            assert s.get(Upload, files["application_form"]).case_id == case_id  # type: ignore[union-attr]

    async def test_nan_and_infinity_are_refused_in_score_maps(self, stack: Stack) -> None:
        _, case_id = await _certification_case(stack)
        with session_scope(stack.engine) as s:
            s.add(_task(case_id, "city_recommendation", "certification.city_recommendation", "city_bureau",
                        city="yinchuan", decisions=["recommend", "decline"], form="certification_recommendation"))
        h = await login(stack.http, "city_yinchuan")
        for bad in ("NaN", "Infinity", "-Infinity"):
            body = '{"decision": "recommend", "data": {"opinion": "推荐", "scores": {"运营情况": ' + bad + '}}}'
            r = await stack.http.post(f"/api/tasks/{case_id}.city_recommendation.1/complete", content=body,
                                      headers={**h, "Content-Type": "application/json"})
            assert r.status_code == 422, (bad, r.text)

    async def test_nan_is_refused_anywhere_in_a_form(self, stack: Stack) -> None:
        prov, body = await register_approved(stack.http, "provider")
        org = _org(stack, body)
        case_id = f"AS-LEAK-{uuid.uuid4().hex[:8]}"
        with session_scope(stack.engine) as s:
            s.add(Case(id=case_id, type="assessment", status="self_report", title="考核", applicant=org.name,
                       applicant_org_id=org.id, city="yinchuan", data={}, created_at=_now(), updated_at=_now()))
            s.flush()
            s.add(_task(case_id, "self_report", "assessment.self_report", "provider", org_id=org.id,
                        decisions=["submit"], form="assessment_self_report"))
        body_text = '{"decision": "submit", "data": {"summary": "总结", "figures": {"served": NaN}}}'
        r = await stack.http.post(f"/api/tasks/{case_id}.self_report.1/complete", content=body_text,
                                  headers={**prov, "Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["code"] == "not_a_finite_number", r.text

    async def test_control_characters_leave_a_name(self, stack: Stack) -> None:
        body = {"kind": "enterprise", "username": f"ctl_{uuid.uuid4().hex[:8]}", "password": "demo168demo",
                "org": {"name": "宁夏\x0b控制\x01字符有限公司", "uscc": __import__("tests.helpers").helpers.new_uscc(),
                        "city": "yinchuan", "size": "small", "employees": 30, "revenue_fen": 800_000_000,
                        "industry": "software"}}
        r = await stack.http.post("/api/register", json=body)
        assert r.status_code == 201, r.text
        with session_scope(stack.engine) as s:
            org = s.exec(select(Organization).where(Organization.uscc == body["org"]["uscc"])).one()
            assert org.name == "宁夏控制字符有限公司"

    async def test_a_published_certification_document_may_be_downloaded_by_anyone(self, stack: Stack,
                                                                                  tmp_path: Path) -> None:
        path = tmp_path / "notice.docx"
        path.write_bytes(b"PK\x03\x04 a docx")
        doc_id = secrets.token_hex(16)
        with session_scope(stack.engine) as s:
            s.add(Document(id=doc_id, key=f"leak.{doc_id}", kind="certification_notice", title="关于认定示范平台的通知",
                           filename="notice.docx", path=str(path), sha256="0" * 64, size=path.stat().st_size,
                           layout_version="gbt9704-2012/1", created_at=_now()))
        listed = (await stack.http.get("/api/public/certification/documents")).json()["items"]
        assert doc_id in {d["id"] for d in listed}
        async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test") as anon:
            r = await anon.get(f"/api/documents/{doc_id}")
        assert r.status_code == 200, r.text

"""Signed provider admission end to end through the API (P2; seed 003 art. 4, 8; seed 000 四)."""

from __future__ import annotations

import io
import re
import uuid

import docx
import pytest

from tests.conftest import Stack
from tests.helpers import case_status, complete, login, register_approved, task_of, wait_for

pytestmark = pytest.mark.pg

APPLICATION = {"categories": ["credit", "legal"], "service_items": [{"name": "信用评价", "price_fen": 300000}],
               "description": "信用服务"}


async def licence(stack: Stack, h: dict[str, str]) -> str:
    r = await stack.http.post("/api/uploads", headers=h, files={"file": ("执业许可证.pdf", b"%PDF-1.4\n%%EOF\n",
                                                                         "application/pdf")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def submit(stack: Stack, h: dict[str, str], data: dict | None = None, key: str | None = None) -> dict:
    """Apply; legal services need the practice licence (000 四), uploaded here."""
    data = dict(data or APPLICATION)
    if "legal" in data["categories"] and "licences" not in data:
        data["licences"] = [await licence(stack, h)]
    r = await stack.http.post("/api/cases", json={"type": "provider_admission", "data": data},
                              headers={**h, "Idempotency-Key": key or uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


async def panel(stack: Stack, case_id: str, verdicts: tuple[str, ...] | None = None) -> list[str]:
    """The blind panel of 000 四 (as many named experts as the operator set; all approve unless `verdicts`) decides;
    returns the experts."""
    http = stack.http
    op = await login(http, "operator1")

    async def named() -> list[str] | None:
        return (await http.get(f"/api/cases/{case_id}", headers=op)).json()["result"].get("experts")

    experts = await wait_for(named, what="the panel")
    verdicts = verdicts or ("approve",) * len(experts)
    assert len(experts) == len(verdicts)
    for expert, verdict in zip(experts, verdicts, strict=True):
        h = await login(http, expert)
        r = await complete(http, h, await task_of(http, h, "provider_admission.expert_review", case_id), verdict,
                           data={"score": 88, "opinion": "服务能力较强", "no_conflict": True})
        assert r.status_code == 200, r.text
    return experts


class TestAdmission:
    async def test_full_walk_files_the_provider_with_a_numbered_notice(self, stack: Stack) -> None:
        prov, body = await register_approved(stack.http, "provider")
        case = await submit(stack, prov)
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        t = await task_of(http, op, "provider_admission.operator_review", case["id"])
        assert (await complete(http, op, t)).status_code == 200
        experts = await panel(stack, case["id"])
        t = await task_of(http, dep, "provider_admission.department_filing", case["id"])
        assert (await complete(http, dep, t)).status_code == 200
        done = await case_status(http, prov, case["id"], {"filed"})
        assert [t["status"] for t in done["tasks"]] == ["completed"] * (2 + len(experts))
        assert done["policy_version"] == "003-2016"
        # The provider sees the outcome, never who reviewed (000 四 panel; privacy rule).
        assert not {"experts", "expert_reviews", "panel_result"} & set(done["result"])
        assert not any(e["actor"] in experts for e in done["timeline"])
        dep_view = (await http.get(f"/api/cases/{case['id']}", headers=dep)).json()
        assert dep_view["result"]["panel_result"]["decision"] == "approve"
        r = await http.get("/api/public/providers", params={"q": body["org"]["name"]})
        assert [p["categories"] for p in r.json()["items"]] == [["credit", "legal"]]
        # issue 15: the list names the provider's contact and its filed service items with prices
        (listed,) = r.json()["items"]
        assert listed["service_items"] == [{"name": si["name"], "price_fen": si["price_fen"]}
                                           for si in APPLICATION["service_items"]]
        assert listed["contact"] and listed["contact"]["name"]
        page = (await http.get("/public/providers", params={"q": body["org"]["name"]})).text
        first = APPLICATION["service_items"][0]
        assert first["name"] in page and f"{first['price_fen'] // 100:,}" in page
        d = await http.get(f"/api/documents/{done['documents'][0]['id']}", headers=prov)
        assert d.status_code == 200 and d.content[:2] == b"PK"
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(d.content)).paragraphs)
        assert re.search(r"宁工信发〔20\d\d〕[1-9]\d*号", text) and body["org"]["name"] in text
        other, _ = await register_approved(http, "provider")
        assert (await http.get(f"/api/documents/{done['documents'][0]['id']}", headers=other)).status_code == 403
        assert (await http.get(f"/api/cases/{case['id']}", headers=other)).status_code == 404
        notes = (await http.get("/api/notifications", headers=prov)).json()["items"]
        assert any("已备案" in n["subject"] for n in notes)

    async def test_return_sends_it_back_and_resumes_at_the_same_step(self, stack: Stack) -> None:
        http = stack.http
        prov, _ = await register_approved(http, "provider")
        case = await submit(stack, prov)
        op = await login(http, "operator2")
        await complete(http, op, await task_of(http, op, "provider_admission.operator_review", case["id"]))
        await panel(stack, case["id"])
        dep = await login(http, "department1")
        t = await task_of(http, dep, "provider_admission.department_filing", case["id"])
        assert (await complete(http, dep, t, "return", comment="请补充服务项目价格依据")).status_code == 200
        await case_status(http, prov, case["id"], {"returned"})
        fix = await task_of(http, prov, "provider_admission.correction", case["id"])
        # Issue 15, patch "return-one-notice": the return is one message, with the reason and what to do
        items = (await http.get("/api/notifications", headers=prov, params={"limit": 200})).json()["items"]
        told = [n for n in items if n.get("case_id") == case["id"] and ("退回" in n["subject"] or "补正" in n["subject"])]
        assert len(told) == 1, [n["subject"] for n in told]
        assert "请补充服务项目价格依据" in told[0]["body"] and "重新提交" in told[0]["body"]
        bad = await complete(http, prov, fix, "submit", data={"categories": ["credit"], "service_items": []})
        assert bad.status_code == 422 and "data.service_items" in bad.json()["detail"]
        new = {**APPLICATION, "service_items": [{"name": "信用评价", "price_fen": 250000}]}
        assert (await complete(http, prov, fix, "submit", data=new)).status_code == 200
        t2 = await task_of(http, dep, "provider_admission.department_filing", case["id"])
        assert t2["id"].endswith("department_filing.2")
        detail = (await http.get(f"/api/cases/{case['id']}", headers=prov)).json()
        assert detail["status"] == "in_review" and detail["data"]["service_items"][0]["price_fen"] == 250000

    async def test_stale_and_repeated_completions_are_409_and_change_nothing(self, stack: Stack) -> None:
        http = stack.http
        prov, _ = await register_approved(http, "provider")
        case = await submit(stack, prov)
        op1, op2 = await login(http, "operator1"), await login(http, "operator2")
        t = await task_of(http, op1, "provider_admission.operator_review", case["id"])
        assert (await http.post(f"/api/tasks/{t['id']}/claim", headers=op1)).status_code == 200
        r = await complete(http, op2, t)
        assert r.status_code == 409 and "claimed by operator1" in r.json()["detail"]
        bad = await complete(http, op1, t, "approve_all")
        assert bad.status_code == 422 and "allowed" in bad.json()["detail"]
        assert (await complete(http, op1, t)).status_code == 200
        again = await complete(http, op1, t, "reject", comment="晚了")
        assert again.status_code == 409
        detail = (await http.get(f"/api/cases/{case['id']}", headers=op1)).json()
        assert [x["decision"] for x in detail["tasks"] if x["id"] == t["id"]] == ["approve"]

    async def test_idempotency_key_returns_the_same_case(self, stack: Stack) -> None:
        prov, _ = await register_approved(stack.http, "provider")
        key = uuid.uuid4().hex
        a, b = await submit(stack, prov, key=key), await submit(stack, prov, key=key)
        assert a["id"] == b["id"]
        r = await stack.http.post("/api/cases", json={"type": "provider_admission", "data": APPLICATION}, headers=prov)
        assert r.status_code == 409 and "already has an open" in r.json()["detail"]

    async def test_only_providers_apply_and_bad_data_names_the_field(self, stack: Stack) -> None:
        ent, _ = await register_approved(stack.http, "enterprise")
        r = await stack.http.post("/api/cases", json={"type": "provider_admission", "data": APPLICATION}, headers=ent)
        assert r.status_code == 403
        prov, _ = await register_approved(stack.http, "provider")
        r = await stack.http.post("/api/cases", json={"type": "provider_admission",
                                                      "data": {**APPLICATION, "categories": ["astrology"]}}, headers=prov)
        assert r.status_code == 422 and "data.categories" in r.json()["detail"]
        r = await stack.http.post("/api/cases", json={"type": "teleport", "data": {}}, headers=prov)
        assert r.status_code == 422



class TestEligibilityAndPanel:
    async def test_legal_services_need_the_practice_licence(self, stack: Stack) -> None:
        """000 四 "具有国家规定的执业许可资格": legal services are refused without the licence (422, code)."""
        prov, _ = await register_approved(stack.http, "provider")
        r = await stack.http.post("/api/cases", headers=prov, json={"type": "provider_admission", "data": APPLICATION})
        assert r.status_code == 422 and r.json()["code"] == "provider_not_eligible", r.text
        assert "律师事务所执业许可证" in r.json()["params"]["missing"]

    async def test_an_out_of_region_office_must_have_operated_one_year(self, stack: Stack) -> None:
        """000 四: 区外专业服务机构的独立办事机构…应依法经营1年（含）以上."""
        prov, _ = await register_approved(stack.http, "provider")
        today = (await stack.clock.now()).date()
        data = {"categories": ["credit"], "service_items": [{"name": "信用评价", "price_fen": 300000}],
                "basis": "out_of_region_office", "independent_legal_person": False, "pays_tax_in_ningxia": False,
                "office_since": today.replace(day=1).isoformat()}
        r = await stack.http.post("/api/cases", headers=prov, json={"type": "provider_admission", "data": data})
        assert r.status_code == 422 and "provider_office_too_new" in r.json()["detail"], r.text
        data["office_since"] = today.replace(year=today.year - 2).isoformat()
        await submit(stack, prov, data)

    async def test_filing_against_the_panel_needs_a_reason(self, stack: Stack) -> None:
        """000 四 综合审定 by a blind panel, aggregated like certification (a majority): the department files
        against a rejecting panel only with a recorded reason (422 code, then recorded)."""
        http = stack.http
        prov, _ = await register_approved(http, "provider")
        op = await login(http, "operator1")
        assert (await http.put("/api/admin/provider-admission-settings", headers=op, json={"experts": 3})).status_code == 200
        try:
            case = await submit(stack, prov, {"categories": ["credit"],
                                              "service_items": [{"name": "信用评价", "price_fen": 300000}]})
            await complete(http, op, await task_of(http, op, "provider_admission.operator_review", case["id"]))
            await panel(stack, case["id"], ("reject", "approve", "reject"))
        finally:  # the setting is the stack's: later tests get the default panel again
            await http.put("/api/admin/provider-admission-settings", headers=op, json={"experts": 1})
        dep = await login(http, "department1")
        t = await task_of(http, dep, "provider_admission.department_filing", case["id"])
        r = await complete(http, dep, t)
        assert r.status_code == 422 and r.json()["code"] == "panel_departure_reason_required", r.text
        r = await complete(http, dep, t, data={"departure_reason": "复核资质材料齐全"})
        assert r.status_code == 200, r.text
        await case_status(http, prov, case["id"], {"filed"})
        result = (await http.get(f"/api/cases/{case['id']}", headers=dep)).json()["result"]
        assert result["departs_from_panel"] is True and result["departure_reason"] == "复核资质材料齐全"

    async def test_the_panel_size_is_the_operators_setting(self, stack: Stack) -> None:
        """000 四 组织专家综合审定: the seed fixes no number; 1 (the public API's walk) unless the operator sets it (1-15)."""
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        assert (await http.get("/api/admin/provider-admission-settings", headers=op)).json()["experts"] == 1
        assert (await http.put("/api/admin/provider-admission-settings", headers=dep,
                               json={"experts": 2})).status_code == 403
        assert (await http.put("/api/admin/provider-admission-settings", headers=op,
                               json={"experts": 0})).status_code == 422
        r = await http.put("/api/admin/provider-admission-settings", headers=op, json={"experts": 3})
        assert r.status_code == 200 and r.json()["experts"] == 3
        r = await http.put("/api/admin/provider-admission-settings", headers=op, json={"experts": 1})
        assert r.status_code == 200 and r.json()["experts"] == 1

"""Signed provider admission end to end through the API (P2; seed 003 art. 4, 8; seed 000 四)."""

from __future__ import annotations

import io
import re
import uuid

import docx
import pytest

from tests.conftest import Stack
from tests.helpers import case_status, complete, login, register_approved, task_of

pytestmark = pytest.mark.pg

APPLICATION = {"categories": ["credit", "legal"], "service_items": [{"name": "信用评价", "price_fen": 300000}],
               "description": "信用服务"}


async def submit(stack: Stack, h: dict[str, str], data: dict | None = None, key: str | None = None) -> dict:
    r = await stack.http.post("/api/cases", json={"type": "provider_admission", "data": data or APPLICATION},
                              headers={**h, "Idempotency-Key": key or uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


class TestAdmission:
    async def test_full_walk_files_the_provider_with_a_numbered_notice(self, stack: Stack) -> None:
        prov, body = await register_approved(stack.http, "provider")
        case = await submit(stack, prov)
        http = stack.http
        op, dep = await login(http, "operator1"), await login(http, "department1")
        t = await task_of(http, op, "provider_admission.operator_review", case["id"])
        assert (await complete(http, op, t)).status_code == 200
        ex = await login(http, "expert3")
        t = await task_of(http, ex, "provider_admission.expert_review", case["id"])
        assert (await complete(http, ex, t, data={"score": 88, "opinion": "服务能力较强"})).status_code == 200
        t = await task_of(http, dep, "provider_admission.department_filing", case["id"])
        assert (await complete(http, dep, t)).status_code == 200
        done = await case_status(http, prov, case["id"], {"filed"})
        assert [t["status"] for t in done["tasks"]] == ["completed"] * 3
        assert any(e["action"] == "task_completed" and e["actor"] == "expert3" for e in done["timeline"])
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
        ex = await login(http, "expert1")
        t = await task_of(http, ex, "provider_admission.expert_review", case["id"])
        assert (await complete(http, ex, t, "return", comment="请补充服务项目价格依据")).status_code == 200
        await case_status(http, prov, case["id"], {"returned"})
        fix = await task_of(http, prov, "provider_admission.correction", case["id"])
        bad = await complete(http, prov, fix, "submit", data={"categories": ["credit"], "service_items": []})
        assert bad.status_code == 422 and "data.service_items" in bad.json()["detail"]
        new = {**APPLICATION, "service_items": [{"name": "信用评价", "price_fen": 250000}]}
        assert (await complete(http, prov, fix, "submit", data=new)).status_code == 200
        t2 = await task_of(http, ex, "provider_admission.expert_review", case["id"])
        assert t2["id"].endswith("expert_review.2")
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

"""Admin actions and every endpoint's role and scope checks."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import Session

from db.models import Task
from tests.conftest import Stack
from tests.helpers import complete, login, org_body, register_approved, task_of, wait_for

pytestmark = pytest.mark.pg

ADMIN_CALLS = [
    ("get", "/api/admin/stuck", None),
    ("post", "/api/admin/cases/X/retry", {"reason": "r"}),
    ("post", "/api/admin/cases/X/terminate", {"reason": "r"}),
    ("post", "/api/admin/tasks/X/reassign", {"username": "operator2"}),
    ("post", "/api/admin/tasks/X/extend", {"working_days": 1, "reason": "r"}),
    ("put", "/api/admin/calendar/2027", {"holidays": []}),
    ("post", "/api/admin/clock/advance", {"days": 1}),
    ("get", "/api/admin/steps", None),
]


class TestRoles:
    @pytest.mark.parametrize("user", ["operator1", "department1", "expert1", "city_yinchuan"])
    @pytest.mark.parametrize(("method", "url", "body"), ADMIN_CALLS)
    async def test_admin_endpoints_refuse_other_roles(self, stack: Stack, user: str, method: str, url: str,
                                                      body: dict | None) -> None:
        h = await login(stack.http, user)
        kw = {"json": body} if body is not None else {}
        r = await getattr(stack.http, method)(url, headers=h, **kw)
        assert r.status_code == 403, (url, r.text)

    @pytest.mark.parametrize(("method", "url"), [("get", "/api/tasks"), ("get", "/api/cases"), ("get", "/api/me"),
                                                 ("get", "/api/notifications"), ("post", "/api/tasks/X/claim")])
    async def test_anonymous_is_401(self, stack: Stack, method: str, url: str) -> None:
        assert (await getattr(stack.http, method)(url)).status_code == 401

    async def test_city_bureau_sees_only_its_city(self, stack: Stack) -> None:
        ent_a = await stack.http.post("/api/register", json=org_body("enterprise", city="guyuan"))
        ent_b = await stack.http.post("/api/register", json=org_body("enterprise", city="shizuishan"))
        case_a, case_b = ent_a.json()["case_id"], ent_b.json()["case_id"]
        guyuan, szs = await login(stack.http, "city_guyuan"), await login(stack.http, "city_shizuishan")
        listed = (await stack.http.get("/api/cases", headers=guyuan)).json()["items"]
        assert case_a in [c["id"] for c in listed] and case_b not in [c["id"] for c in listed]
        assert (await stack.http.get(f"/api/cases/{case_b}", headers=guyuan)).status_code == 404
        assert (await stack.http.get(f"/api/cases/{case_b}", headers=szs)).status_code == 200
        # A task scoped to a city is visible to that city's bureau only.
        now = await stack.clock.now()
        with Session(stack.engine) as s:
            s.add(Task(id=f"{case_a}.city_check.1", case_id=case_a, type="test.city_check", title="市局核查",
                       role="city_bureau", city="guyuan", decisions=["approve"], opened_at=now, due_at=now))
            s.commit()
        mine = (await stack.http.get("/api/tasks", params={"type": "test.city_check"}, headers=guyuan)).json()
        other = (await stack.http.get("/api/tasks", params={"type": "test.city_check"}, headers=szs)).json()
        assert mine["total"] == 1 and other["total"] == 0
        assert (await stack.http.post(f"/api/tasks/{case_a}.city_check.1/claim", headers=szs)).status_code == 404

    async def test_enterprise_sees_only_its_own_cases(self, stack: Stack) -> None:
        ent, _ = await register_approved(stack.http, "enterprise")
        assert (await stack.http.get("/api/cases", headers=ent)).json()["total"] == 1  # its registration
        assert (await stack.http.get("/api/tasks", headers=ent)).json()["total"] == 0


class TestAdminActions:
    async def test_reassign_to_a_person_of_the_right_role(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        admin, op2 = await login(stack.http, "admin"), await login(stack.http, "operator2")
        task = await task_of(stack.http, admin, "registration.review", r.json()["case_id"])
        bad = await stack.http.post(f"/api/admin/tasks/{task['id']}/reassign", headers=admin, json={"username": "expert1"})
        assert bad.status_code == 422 and "expert1" in bad.json()["detail"]
        ok = await stack.http.post(f"/api/admin/tasks/{task['id']}/reassign", headers=admin, json={"username": "operator2"})
        assert ok.status_code == 200 and ok.json()["assignee"] == "operator2"
        mine = (await stack.http.get("/api/tasks", params={"scope": "mine", "case_id": task["case_id"]}, headers=op2)).json()
        assert [t["id"] for t in mine["items"]] == [task["id"]]
        op1 = await login(stack.http, "operator1")
        assert (await complete(stack.http, op1, task)).status_code == 409
        assert (await complete(stack.http, op2, task)).status_code == 200
        detail = (await stack.http.get(f"/api/cases/{task['case_id']}", headers=admin)).json()
        assert any(e["action"] == "task_reassigned" and e["actor"] == "admin" for e in detail["timeline"])

    async def test_terminate_cancels_tasks_and_later_decisions_are_409(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        admin, op = await login(stack.http, "admin"), await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", case_id)
        assert (await stack.http.post(f"/api/admin/cases/{case_id}/terminate", headers=admin, json={})).status_code == 422
        r = await stack.http.post(f"/api/admin/cases/{case_id}/terminate", headers=admin, json={"reason": "重复注册"})
        assert r.status_code == 200 and r.json()["status"] == "terminated"
        assert (await complete(stack.http, op, task)).status_code == 409
        detail = (await stack.http.get(f"/api/cases/{case_id}", headers=admin)).json()
        assert detail["tasks"][0]["status"] == "cancelled" and "重复注册" in detail["timeline"][-1]["message"]

    async def test_retry_on_a_server_without_reset_is_409(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        admin = await login(stack.http, "admin")
        await task_of(stack.http, admin, "registration.review", r.json()["case_id"])
        r = await stack.http.post(f"/api/admin/cases/{r.json()['case_id']}/retry", headers=admin, json={"reason": "重试"})
        assert r.status_code == 409 and "reset" in r.json()["detail"]

    async def test_clock_advance_moves_the_one_clock(self, stack: Stack) -> None:
        admin = await login(stack.http, "admin")
        before = (await stack.http.get("/api/clock")).json()
        assert before["simulated"] is True
        r = await stack.http.post("/api/admin/clock/advance", headers=admin, json={"days": 2})
        assert r.status_code == 200
        assert r.json()["now"] > before["now"]
        assert (await stack.http.post("/api/admin/clock/advance", headers=admin, json={})).status_code == 422
        past = await stack.http.post("/api/admin/clock/advance", headers=admin, json={"until": "2020-01-01T00:00:00"})
        assert past.status_code == 422


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


class TestUploads:
    async def test_types_are_checked_by_content_and_reading_is_scoped(self, stack: Stack) -> None:
        prov, _ = await register_approved(stack.http, "provider")
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        r = await stack.http.post("/api/uploads", headers=prov, files={"file": ("营业执照.pdf", pdf, "application/pdf")})
        assert r.status_code == 201 and r.json()["content_type"] == "application/pdf" and len(r.json()["sha256"]) == 64
        exe = b"MZ\x90\x00evil"
        fake = await stack.http.post("/api/uploads", headers=prov, files={"file": ("x.pdf", exe, "application/pdf")})
        assert fake.status_code == 415
        d = await stack.http.post("/api/uploads", headers=prov, files={"file": ("a.docx", _docx(), "application/octet-stream")})
        assert d.status_code == 201 and d.json()["content_type"].endswith("wordprocessingml.document")
        uid = r.json()["id"]
        assert (await stack.http.get(f"/api/uploads/{uid}", headers=prov)).content == pdf
        other, _ = await register_approved(stack.http, "provider")
        assert (await stack.http.get(f"/api/uploads/{uid}", headers=other)).status_code == 404
        op = await login(stack.http, "operator1")
        assert (await stack.http.get(f"/api/uploads/{uid}", headers=op)).status_code == 404  # not yet part of a case
        data = {"categories": ["credit"], "service_items": [{"name": "信用修复", "price_fen": 100000}],
                "description": "信用修复", "materials": [uid]}
        case = await stack.http.post("/api/cases", headers=prov, json={"type": "provider_admission", "data": data})
        assert case.status_code == 201
        # Materials are linked when their id is named in the application data.
        detail = (await stack.http.get(f"/api/cases/{case.json()['id']}", headers=op)).json()
        assert [m["id"] for m in detail["materials"]] == [uid]
        assert (await stack.http.get(f"/api/uploads/{uid}", headers=op)).content == pdf

    async def test_size_limit_is_413(self, stack: Stack) -> None:
        prov, _ = await register_approved(stack.http, "provider")
        big = b"%PDF-1.4\n" + b"0" * (stack.settings.upload_max_bytes + 1)
        r = await stack.http.post("/api/uploads", headers=prov, files={"file": ("big.pdf", big, "application/pdf")})
        assert r.status_code == 413


class TestFixes:
    async def test_advancing_past_due_timers_does_not_deadlock_the_database(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        admin = await login(stack.http, "admin")
        task = await task_of(stack.http, admin, "registration.review", r.json()["case_id"])
        r = await stack.http.post("/api/admin/clock/advance", headers=admin, json={"days": 8})
        assert r.status_code == 200, r.text
        # Extending an overdue task counts the extra days from today: it is no longer overdue.
        ext = await stack.http.post(f"/api/admin/tasks/{task['id']}/extend", headers=admin,
                                    json={"working_days": 1, "reason": "补充材料"})
        assert ext.status_code == 200 and ext.json()["overdue"] is False
        notes = (await stack.http.get("/api/notifications", headers=await login(stack.http, "operator1"))).json()
        assert any("办理期限：" in n["body"] and "24:00" in n["body"] for n in notes["items"])

    async def test_experts_see_only_their_cases_and_review_blind(self, stack: Stack) -> None:
        prov, _ = await register_approved(stack.http, "provider")
        data = {"categories": ["credit"], "service_items": [{"name": "信用报告", "price_fen": 90000}]}
        case = (await stack.http.post("/api/cases", headers=prov, json={"type": "provider_admission", "data": data})).json()
        e1, e2 = await login(stack.http, "expert1"), await login(stack.http, "expert2")
        assert (await stack.http.get(f"/api/cases/{case['id']}", headers=e1)).status_code == 404  # no expert task yet
        op = await login(stack.http, "operator1")
        await complete(stack.http, op, await task_of(stack.http, op, "provider_admission.operator_review", case["id"]))
        # The blind panel of 000 四 is named (3 of the 5 experts): a named expert sees the case, another does not.
        async def named() -> list[str] | None:
            return (await stack.http.get(f"/api/cases/{case['id']}", headers=op)).json()["result"].get("experts")

        panel = await wait_for(named, what="the panel")
        inside, outside = panel[0], next(e for e in ("expert1", "expert2", "expert3", "expert4", "expert5")
                                         if e not in panel)
        e1, e2 = await login(stack.http, inside), await login(stack.http, outside)
        t = await task_of(stack.http, e1, "provider_admission.expert_review", case["id"])
        assert t["assignee"] == inside
        assert (await stack.http.get(f"/api/cases/{case['id']}", headers=e1)).status_code == 200
        assert (await stack.http.get(f"/api/cases/{case['id']}", headers=e2)).status_code == 404  # not on the panel
        assert case["id"] not in [c["id"] for c in (await stack.http.get("/api/cases", headers=e2)).json()["items"]]

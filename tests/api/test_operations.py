"""The operations console's API: cases found in bulk, batch actions with a result per case, audit, access."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.helpers import login, org_body, task_of

pytestmark = pytest.mark.pg


async def _registration(stack: Stack, city: str = "guyuan") -> str:
    r = await stack.http.post("/api/register", json=org_body("enterprise", city=city))
    return str(r.json()["case_id"])


class TestFind:
    async def test_filters_by_type_step_city_age_and_overdue(self, stack: Stack) -> None:
        a, b = await _registration(stack, "guyuan"), await _registration(stack, "wuzhong")
        admin = await login(stack.http, "admin")
        await task_of(stack.http, admin, "registration.review", a)
        await task_of(stack.http, admin, "registration.review", b)
        q = {"type": "registration", "step": "registration.review", "city": "guyuan"}
        found = (await stack.http.get("/api/admin/cases", params=q, headers=admin)).json()
        ids = [c["id"] for c in found["items"]]
        assert a in ids and b not in ids
        item = next(c for c in found["items"] if c["id"] == a)
        assert item["open_tasks"][0]["type"] == "registration.review" and item["age_days"] >= 0
        none = (await stack.http.get("/api/admin/cases", params={**q, "min_age_days": 3000}, headers=admin)).json()
        assert none["total"] == 0
        # not overdue yet; failing: nothing failing
        assert a not in [c["id"] for c in (await stack.http.get("/api/admin/cases", params={**q, "overdue": True},
                                                                  headers=admin)).json()["items"]]
        assert (await stack.http.get("/api/admin/cases", params={"failing": True, "city": "guyuan"},
                                     headers=admin)).json()["total"] == 0
        bad = await stack.http.get("/api/admin/cases", params={"min_age_days": -1}, headers=admin)
        assert bad.status_code == 422

    @pytest.mark.parametrize("user", ["operator1", "department1", "city_yinchuan", "expert1"])
    async def test_only_admins(self, stack: Stack, user: str) -> None:
        h = await login(stack.http, user)
        assert (await stack.http.get("/api/admin/cases", headers=h)).status_code == 403
        r = await stack.http.post("/api/admin/cases/batch", headers=h, json={"action": "retry", "case_ids": ["X"]})
        assert r.status_code == 403
        assert (await stack.http.get("/api/admin/workflow-problems", headers=h)).status_code == 403
        assert (await stack.http.get("/api/admin/cases/X/history", headers=h)).status_code == 403


class TestBatch:
    async def test_reassign_extend_and_terminate_with_a_result_per_case(self, stack: Stack) -> None:
        a, b = await _registration(stack), await _registration(stack)
        admin = await login(stack.http, "admin")
        ta = await task_of(stack.http, admin, "registration.review", a)
        await task_of(stack.http, admin, "registration.review", b)
        r = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                  json={"action": "reassign", "case_ids": [a, b, "nope"], "username": "operator2"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["succeeded"], out["failed"]) == (2, 1)
        assert out["results"][2] == {"case_id": "nope", "ok": False, "code": "case_not_found",
                                     "detail": "no case nope", "params": {"case_id": "nope"}}
        op2 = await login(stack.http, "operator2")
        mine = (await stack.http.get("/api/tasks", params={"scope": "mine", "case_id": a}, headers=op2)).json()
        assert [t["id"] for t in mine["items"]] == [ta["id"]]

        assert (await stack.http.post("/api/admin/cases/batch", headers=admin,
                                      json={"action": "extend", "case_ids": [a], "working_days": 2})).status_code == 422
        r = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                  json={"action": "extend", "case_ids": [a], "working_days": 2, "reason": "补材料"})
        assert r.json()["succeeded"] == 1
        task = (await stack.http.get(f"/api/tasks/{ta['id']}", headers=admin)).json()
        assert task["due_at"] > ta["due_at"]

        r = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                  json={"action": "terminate", "case_ids": [a, b], "reason": "重复注册"})
        assert r.json()["succeeded"] == 2
        again = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                      json={"action": "terminate", "case_ids": [a], "reason": "再次"})
        assert again.json()["results"][0]["code"] == "case_already_closed"
        detail = (await stack.http.get(f"/api/cases/{a}", headers=admin)).json()
        actions = [e["action"] for e in detail["timeline"]]
        assert actions.count("batch_action") == 4 and "terminated" in actions and "task_extended" in actions
        assert any("未执行" in e["message"] for e in detail["timeline"] if e["action"] == "batch_action")

    async def test_retry_and_move_back_refused_per_case_on_the_test_server(self, stack: Stack) -> None:
        a = await _registration(stack)
        admin = await login(stack.http, "admin")
        await task_of(stack.http, admin, "registration.review", a)
        r = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                  json={"action": "retry", "case_ids": [a], "reason": "重试"})
        assert r.json()["results"][0]["code"] == "reset_unsupported"
        r = await stack.http.post("/api/admin/cases/batch", headers=admin,
                                  json={"action": "move_back", "case_ids": [a], "reason": "退回",
                                        "step": "registration.nothing"})
        assert r.json()["results"][0]["code"] == "move_back_no_such_step"
        assert (await stack.http.post("/api/admin/cases/batch", headers=admin,
                                      json={"action": "move_back", "case_ids": [a], "reason": "x"})).status_code == 422
        assert (await stack.http.post("/api/admin/cases/batch", headers=admin,
                                      json={"action": "explode", "case_ids": [a]})).status_code == 422


class TestPages:
    async def test_console_filters_and_runs_a_batch_with_results(self, stack: Stack) -> None:
        from tests.api.test_window_pages import csrf_of, page_login

        a = await _registration(stack, "zhongwei")
        admin = await login(stack.http, "admin")
        await task_of(stack.http, admin, "registration.review", a)
        c = await page_login(stack, "admin", "demo168")
        page = await c.get("/admin/cases", params={"city": "zhongwei", "type": "registration"})
        assert page.status_code == 200 and f'value="{a}"' in page.text and "批量处理案件" in page.text
        r = await c.post("/admin/cases/batch?city=zhongwei", data={
            "csrf_token": csrf_of(page.text), "action": "extend", "case_ids": [a, "missing-case"], "working_days": "2",
            "reason": "材料补正"})
        assert r.status_code == 200, r.text
        assert "成功 1 件，未执行 1 件" in r.text and "没有" in r.text
        bad = await c.post("/admin/cases/batch", data={"csrf_token": csrf_of(page.text), "action": "terminate",
                                                         "case_ids": [a]})
        assert bad.status_code == 422 and "理由" in bad.text
        hist = await c.get(f"/admin/cases/{a}/history")
        assert hist.status_code == 200 and "流程引擎事件" in hist.text and "流程启动" in hist.text
        assert "材料补正" in hist.text  # the audited extension in the case's own timeline
        probs = await c.get("/admin/workflow-problems")
        assert probs.status_code == 200 and "流程代码故障" in probs.text
        case_page = await c.get(f"/cases/{a}")
        assert f"/admin/cases/{a}/history" in case_page.text
        op = await page_login(stack, "operator1", "demo168")
        assert (await op.get("/admin/cases")).status_code == 403
        assert f"/admin/cases/{a}/history" not in (await op.get(f"/cases/{a}")).text


class TestFailing:
    async def test_failing_filter_names_the_activity(self, stack: Stack) -> None:
        from datetime import UTC, datetime

        from sqlmodel import Session

        from db.models import ActivityFailure

        a = await _registration(stack, "wuzhong")
        with Session(stack.engine) as s:
            s.add(ActivityFailure(key=f"{a}:9", workflow_id=a, activity_type="notify", attempt=4,
                                  last_error="SMTPServerDisconnected: gone", last_at=datetime.now(UTC)))
            s.commit()
        admin = await login(stack.http, "admin")
        found = (await stack.http.get("/api/admin/cases", params={"failing": True}, headers=admin)).json()["items"]
        row = next(c for c in found if c["id"] == a)
        assert row["failing"][0]["activity"] == "notify" and "SMTP" in row["failing"][0]["last_error"]
        named = await stack.http.get("/api/admin/cases", params={"failing_activity": "notify"}, headers=admin)
        assert a in [c["id"] for c in named.json()["items"]]
        other = await stack.http.get("/api/admin/cases", params={"failing_activity": "draft_document"}, headers=admin)
        assert a not in [c["id"] for c in other.json()["items"]]
        with Session(stack.engine) as s:
            row_db = s.get(ActivityFailure, f"{a}:9")
            s.delete(row_db)
            s.commit()

"""On the Temporal dev server (it resets and describes pending workflow tasks): moving a case back to an earlier
step, a workflow-task failure surfaced with its case and error, and a case's engine history."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session
from temporalio import workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from db.models import Case
from tests.conftest import Stack
from tests.helpers import complete, login, register_approved, task_of, wait_for

pytestmark = pytest.mark.workflow


@workflow.defn(name="Flow168BrokenForTest")
class Broken:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("boom in workflow code")


async def _panel_open(http: Any, admin: dict[str, str], case_id: str) -> Any:
    """The expert panel's tasks are open (named to the experts, so they are in the experts' inboxes, not the admin's)."""

    async def look() -> Any:
        detail = (await http.get(f"/api/cases/{case_id}", headers=admin)).json()
        return [t for t in detail.get("tasks", []) if t["type"] == "provider_admission.expert_review"
                and t["status"] in ("open", "claimed")]

    return await wait_for(look, what=f"the expert panel of {case_id}")


class TestMoveBack:
    async def test_a_case_goes_back_to_the_operator_review(self, dev_stack: Stack) -> None:
        http = dev_stack.http
        prov, _ = await register_approved(http, "provider")
        data = {"categories": ["credit"], "service_items": [{"name": "信用报告", "price_fen": 90000}]}
        case = (await http.post("/api/cases", headers=prov, json={"type": "provider_admission", "data": data})).json()
        op, admin = await login(http, "operator1"), await login(http, "admin")
        first = await task_of(http, op, "provider_admission.operator_review", case["id"])
        assert (await complete(http, op, first)).status_code == 200
        await _panel_open(http, admin, case["id"])
        r = await http.post("/api/admin/cases/batch", headers=admin, json={
            "action": "move_back", "case_ids": [case["id"]], "step": "provider_admission.operator_review",
            "reason": "初审意见需补充"})
        assert r.status_code == 200 and r.json()["results"][0]["ok"], r.text
        again = await task_of(http, op, "provider_admission.operator_review", case["id"])
        assert again["id"] == first["id"] and again["status"] in ("open", "claimed")
        detail = (await http.get(f"/api/cases/{case['id']}", headers=admin)).json()
        assert not [t for t in detail["tasks"] if t["type"] == "provider_admission.expert_review"
                    and t["status"] in ("open", "claimed")]
        assert any(e["action"] == "moved_back" and "初审意见需补充" in e["message"] for e in detail["timeline"])
        # the case carries on from there
        assert (await complete(http, op, again)).status_code == 200
        await _panel_open(http, admin, case["id"])
        dev_stack.settings.temporal_ui_url = "http://temporal-ui.test"
        try:
            hist = (await http.get(f"/api/admin/cases/{case['id']}/history", headers=admin)).json()
        finally:
            dev_stack.settings.temporal_ui_url = None
        assert hist["temporal_ui"] == f"http://temporal-ui.test/namespaces/default/workflows/{case['id']}/history"
        assert hist["events"][0]["type"] == "WORKFLOW_EXECUTION_STARTED"
        assert any(e["detail"] == "open_task" for e in hist["events"])
        # since patch "local-activities" the other activities are local ones, named from their markers
        assert any(e["type"] == "LOCAL_ACTIVITY" and e["detail"] == "close_task" and e["label"] == "执行步骤"
                   for e in hist["events"])


class TestWorkflowProblems:
    async def test_a_failing_workflow_task_is_listed_with_its_error(self, dev_stack: Stack) -> None:
        case_id = f"broken-{uuid.uuid4().hex[:8]}"
        now = datetime.now(UTC)
        with Session(dev_stack.engine) as s:
            s.add(Case(id=case_id, type="registration", status="submitted", title="故障测试", created_at=now,
                       updated_at=now))
            s.commit()
        tq = f"broken-{uuid.uuid4()}"
        async with Worker(dev_stack.client, task_queue=tq, workflows=[Broken],
                          workflow_runner=UnsandboxedWorkflowRunner()):
            handle = await dev_stack.client.start_workflow("Flow168BrokenForTest", id=case_id, task_queue=tq)
            admin = await login(dev_stack.http, "admin")

            async def listed() -> dict | None:
                items = (await dev_stack.http.get("/api/admin/workflow-problems", headers=admin)).json()["items"]
                return next((p for p in items if p["case_id"] == case_id), None)

            found = await wait_for(listed, timeout=60, what="the broken workflow in the list")
            assert "boom in workflow code" in found["error"] and found["attempts"] >= 2
            assert found["cause"].startswith("WORKFLOW_TASK_FAILED")
            await handle.terminate("test over")
        await asyncio.sleep(0)
        with Session(dev_stack.engine) as s:
            row = s.get(Case, case_id)
            assert row is not None
            s.delete(row)
            s.commit()

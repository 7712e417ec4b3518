"""The shared human step under time skipping: reminder before the due time, escalation after it,
re-timing after an extension, and a stale decision refused by the Update validator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError

from db.models import Notification, Task, User
from tests.conftest import Stack
from tests.helpers import login, org_body, task_of
from workflows.types import DecisionInput

pytestmark = pytest.mark.workflow


def _notes(stack: Stack, task_id: str) -> list[tuple[str, str]]:
    with Session(stack.engine) as s:
        rows = s.exec(select(Notification, User).join(User, User.id == Notification.user_id)  # type: ignore[arg-type]
                      .where(Notification.task_id == task_id, Notification.channel == "inapp")).all()
        return sorted({(n.kind, u.role) for n, u in rows})


class TestHumanStep:
    async def test_reminder_then_escalation_then_extension(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", case_id)
        assert _notes(stack, task["id"]) == []
        # registration.review is due in 3 working days; the reminder goes out at 09:00 of the 2nd.
        await stack.env.sleep(timedelta(days=6))
        await stack.http.get("/healthz")
        notes = _notes(stack, task["id"])
        assert ("reminder", "operator") in notes
        assert ("escalation", "department") in notes and ("escalation", "operator") in notes
        overdue = await stack.http.get("/api/tasks", params={"overdue": "true", "case_id": case_id}, headers=op)
        assert overdue.json()["items"][0]["overdue"] is True
        admin = await login(stack.http, "admin")
        stuck = (await stack.http.get("/api/admin/stuck", headers=admin)).json()
        assert task["id"] in [t["id"] for t in stuck["overdue_tasks"]]
        r = await stack.http.post(f"/api/admin/tasks/{task['id']}/extend", headers=admin,
                                  json={"working_days": 10, "reason": "材料待核实"})
        assert r.status_code == 200 and r.json()["overdue"] is False
        with Session(stack.engine) as s:
            due_before = s.get(Task, task["id"]).due_at  # type: ignore[union-attr]
        await stack.env.sleep(due_before - await stack.clock.now() + timedelta(hours=1))
        await stack.http.get("/healthz")
        with Session(stack.engine) as s:
            keys = {n.key for n in s.exec(select(Notification).where(Notification.task_id == task["id"],
                                                                     Notification.kind == "escalation"))}
        assert len(keys) == 2, keys  # a second escalation, for the extended due time

    async def test_validator_refuses_unknown_task_and_decision(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", case_id)
        handle = stack.client.get_workflow_handle(case_id)
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await handle.execute_update("complete_task", DecisionInput(task_id=f"{case_id}.review.9", decision="approve",
                                                                       actor="operator1"), id="stale-1")
        assert "no longer open" in str(exc.value.cause)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("complete_task", DecisionInput(task_id=task["id"], decision="return",
                                                                       actor="operator1"), id="bad-decision")
        with Session(stack.engine) as s:
            assert s.get(Task, task["id"]).status == "open"  # type: ignore[union-attr]
        assert await handle.query("open_tasks") == [task["id"]]

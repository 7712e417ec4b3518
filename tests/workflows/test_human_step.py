"""The shared human step under time skipping: reminder before the due time, escalation after it,
re-timing after an extension, and a stale decision refused by the Update validator.

The module runs on its own time-skipping test server and database (`own_stack_fixture`): on the session's server
its leaps would fire every other test's open cases, and theirs would move its clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError

from db.models import Notification, Task, User
from tests.conftest import Stack, own_stack_fixture
from tests.helpers import leap, login, org_body, task_of, wait_for
from workflows.types import DecisionInput

pytestmark = pytest.mark.workflow

stack = own_stack_fixture()


def _notes(stack: Stack, task_id: str) -> list[tuple[str, str]]:
    with Session(stack.engine) as s:
        rows = s.exec(select(Notification, User).join(User, User.id == Notification.user_id)  # type: ignore[arg-type]
                      .where(Notification.task_id == task_id, Notification.channel == "inapp")).all()
        return sorted({(n.kind, u.role) for n, u in rows})


def _escalations(stack: Stack, task_id: str) -> set[str]:
    with Session(stack.engine) as s:
        return {n.key for n in s.exec(select(Notification).where(Notification.task_id == task_id,
                                                                  Notification.kind == "escalation"))}


class TestHumanStep:
    async def test_reminder_then_escalation_then_extension(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise"))
        case_id = r.json()["case_id"]
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", case_id)
        assert _notes(stack, task["id"]) == []
        # registration.review is due in 3 working days; the reminder goes out at 09:00 of the 2nd. Sleep to just
        # past the due time (not a fixed number of days: a holiday may lie in between), then wait for the
        # worker to have written the notifications (the leap fires the timers; the activities follow).
        await leap(stack, datetime.fromisoformat(task["due_at"]) - await stack.clock.now() + timedelta(hours=1))
        await stack.http.get("/healthz")
        want = {("reminder", "operator"), ("escalation", "department"), ("escalation", "operator")}

        async def notified() -> bool:
            return want <= set(_notes(stack, task["id"]))

        await wait_for(notified, what="the reminder and the escalation")
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
        await leap(stack, due_before - await stack.clock.now() + timedelta(hours=1))
        await stack.http.get("/healthz")
        # This task's escalations only (keyed by task and due time): one for the first due time, one for the
        # extended one, and no more.

        async def escalated_again() -> bool:
            return len(_escalations(stack, task["id"])) >= 2

        await wait_for(escalated_again, what="the second escalation")
        keys = _escalations(stack, task["id"])
        assert len(keys) == 2 and any(due_before.isoformat() in k for k in keys), keys

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

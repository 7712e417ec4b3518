"""The shared human step's timers on fake activities (tests/workflows/harness.py): the reminder before the due time,
the escalation after it, and a new escalation after an extension, in simulated days."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.workflows.harness import FakeActivities, Harness
from workflows.registration import RegistrationWorkflow
from workflows.types import CaseInput, DueChanged

pytestmark = pytest.mark.workflow


@pytest.fixture
def fakes() -> FakeActivities:
    return FakeActivities(due_days={"registration.review": 3})


def _timers(f: FakeActivities, case_id: str) -> list[tuple[str, list[str]]]:
    return [(i.kind, i.roles) for i in f.inputs("notify", case_id) if i.kind in ("reminder", "escalation")]


class TestHumanStepTimers:
    async def test_reminder_escalation_and_extension(self, harness: Harness) -> None:
        case_id = f"REG-FAST-{uuid.uuid4().hex[:8]}"
        await harness.start(RegistrationWorkflow.run, CaseInput(case_id=case_id, case_type="registration"), id=case_id)
        task = await harness.fakes.task("registration.review", case_id)
        assert task.due_at - task.opened_at == timedelta(days=3) and task.reminder_at == task.due_at - timedelta(days=1)
        await harness.env.sleep(timedelta(days=2, hours=1))  # past the reminder only
        f = harness.fakes
        await f.call("notify", case_id, lambda i: i.kind == "reminder")
        assert _timers(f, case_id) == [("reminder", ["operator"])]
        await harness.env.sleep(timedelta(days=1))  # past the due time: the supervisor hears too
        await f.call("notify", case_id, lambda i: i.kind == "escalation")
        assert _timers(f, case_id) == [("reminder", ["operator"]), ("escalation", ["operator", "department"])]
        now = await harness.env.get_current_time()
        await harness.handle(case_id).signal(RegistrationWorkflow.task_due_changed, DueChanged(
            task_id=task.id, due_at=now + timedelta(days=5), reminder_at=None))
        await harness.env.sleep(timedelta(days=6))
        await f.wait(lambda: len(_timers(f, case_id)) == 3, what="the escalation of the extended due time")
        keys = [i.key for i in f.inputs("notify", case_id) if i.kind == "escalation"]
        assert len(set(keys)) == 2  # keyed by the due time: one per due time, none repeated
        await harness.decide(task, "approve", "operator1")
        assert await harness.result(case_id) == "approved"

"""Operations: a failing activity shows up in the admin's stuck list; notifications are sent once per key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from temporalio import activity
from temporalio.worker import Worker

from activities.channels import MemoryChannel
from activities.failures import FailureRecorder
from activities.notify import NotifyActivities
from db.engine import session_scope
from db.models import User
from tests.conftest import Stack
from tests.helpers import login, wait_for
from workflows.registration import RegistrationWorkflow
from workflows.types import CaseInput, CaseStatusInput, NotifyInput

pytestmark = pytest.mark.workflow


@activity.defn(name="set_case_status")
def broken_set_case_status(inp: CaseStatusInput) -> None:
    raise RuntimeError("database unreachable (simulated)")


class TestStuck:
    async def test_an_activity_that_keeps_failing_is_listed_with_attempts_and_error(self, stack: Stack) -> None:
        queue = f"broken-{uuid.uuid4()}"
        case_id = f"REG-BROKEN-{uuid.uuid4().hex[:6]}"
        async with Worker(stack.client, task_queue=queue, workflows=[RegistrationWorkflow],
                          activities=[broken_set_case_status], interceptors=[FailureRecorder(stack.engine)],
                          activity_executor=__import__("concurrent.futures").futures.ThreadPoolExecutor(2)):
            handle = await stack.client.start_workflow(RegistrationWorkflow.run, CaseInput(
                case_id=case_id, case_type="registration"), id=case_id, task_queue=queue)
            admin = await login(stack.http, "admin")

            async def listed() -> dict | None:
                stuck = (await stack.http.get("/api/admin/stuck", headers=admin)).json()["failing_activities"]
                return next((f for f in stuck if f["workflow_id"] == case_id), None)

            failing = await wait_for(listed, timeout=60, what="the failing activity in the stuck list")
            assert failing["attempts"] >= 2 and "database unreachable" in failing["last_error"]
            assert failing["activity"] == "set_case_status"
            await handle.terminate(reason="test done")
            await asyncio.sleep(0)


class TestNotifications:
    def test_email_and_sms_go_out_once_per_key(self, stack: Stack) -> None:
        mail, sms = MemoryChannel(), MemoryChannel()
        with session_scope(stack.engine) as s:
            u = s.exec(__import__("sqlmodel").select(User).where(User.username == "department2")).one()
            u.email, u.phone = "dep2@example.gov.cn", "13800000000"
        acts = NotifyActivities(engine=stack.engine, mailer=mail, sms=sms)
        inp = NotifyInput(key=f"k-{uuid.uuid4()}", subject="【已超期】签约服务机构备案", body="请尽快办理",
                          usernames=["department2"], at=datetime.now(UTC))
        first = acts.notify(inp)
        again = acts.notify(inp)  # a retried activity
        assert first == again == 3  # in-app, e-mail, SMS
        assert [m["to"] for m in mail.sent] == ["dep2@example.gov.cn"]
        assert [m["to"] for m in sms.sent] == ["13800000000"]
        with session_scope(stack.engine) as s:
            u = s.exec(__import__("sqlmodel").select(User).where(User.username == "department2")).one()
            u.email, u.phone = None, None

"""The assessment workflow on its own, with fake activities (fast): the P4 contract (a revoked window's onboarding
workflow gets the `disconnect` signal), the rectification deadline reminding and escalating, a stale scoring asked
again. Its own time-skipping server, so its leap wakes no other test's cases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.worker import Worker

from rules.assessment import DEFAULT_SETS
from tests.conftest import time_skipping_server
from workflows.assessment import AssessmentWorkflow
from workflows.assessment_types import (
    DisconnectInput,
    Prepared,
    PrepareInput,
    RectificationDue,
    RectificationInput,
    RevokeSubjectInput,
)
from workflows.types import (
    CaseInput,
    CaseStatusInput,
    CloseTaskInput,
    DecisionInput,
    DocumentRef,
    DraftDocumentInput,
    NotifyInput,
    OpenTaskInput,
    ResultInput,
    TaskOpened,
)

pytestmark = pytest.mark.workflow


@workflow.defn(name="FakeWindowOnboarding", sandboxed=False)  # a test double: its module imports the stack
class FakeWindow:
    """Stands in for P4's WindowOnboardingWorkflow: a connected window that ends its life on `disconnect`."""

    def __init__(self) -> None:
        self.got: DisconnectInput | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.got is not None)
        assert self.got is not None
        return f"disconnected:{self.got.ground}:{self.got.reason}"

    @workflow.signal
    def disconnect(self, inp: DisconnectInput) -> None:
        self.got = inp


class Fakes:
    def __init__(self, window_case_id: str | None) -> None:
        self.window_case_id = window_case_id
        self.tasks: dict[str, OpenTaskInput] = {}
        self.statuses: list[str] = []
        self.docs: list[str] = []
        self.notes: list[NotifyInput] = []
        self.result: dict[str, Any] = {}
        self.revoked: list[RevokeSubjectInput] = []

    def activities(self) -> list[Any]:
        @activity.defn(name="assessment_prepare")
        def prepare(inp: PrepareInput) -> Prepared:
            return Prepared(year=2026, kind="window", subject_name="测试窗口平台", subject_org_id=7,
                            window_case_id=self.window_case_id, indicators=DEFAULT_SETS["window"].to_json(),
                            indicator_version=1, figures={"reports_sent": 2, "reports_overdue": 2})

        @activity.defn(name="open_task")
        def open_task(inp: OpenTaskInput) -> TaskOpened:
            self.tasks[inp.task_id] = inp
            due = inp.spec.due_at or inp.at + timedelta(days=10)
            return TaskOpened(task_id=inp.task_id, due_at=due, reminder_at=due - timedelta(days=2))

        @activity.defn(name="close_task")
        def close_task(inp: CloseTaskInput) -> None:
            pass

        @activity.defn(name="set_case_status")
        def set_case_status(inp: CaseStatusInput) -> None:
            self.statuses.append(inp.status)

        @activity.defn(name="notify")
        def notify(inp: NotifyInput) -> int:
            self.notes.append(inp)
            return 1

        @activity.defn(name="draft_document")
        def draft_document(inp: DraftDocumentInput) -> DocumentRef:
            self.docs.append(inp.kind)
            return DocumentRef(id=uuid.uuid4().hex, doc_number=None, sha256="0" * 64)

        @activity.defn(name="update_case_result")
        def update_case_result(inp: ResultInput) -> None:
            self.result.update(inp.result)

        @activity.defn(name="assessment_rectification_due")
        def rectification_due(inp: RectificationInput) -> RectificationDue:
            closes = inp.at + timedelta(days=42)
            return RectificationDue(closes_at=closes, due_on=(closes - timedelta(days=1)).date().isoformat())

        @activity.defn(name="assessment_revoke_subject")
        def revoke_subject(inp: RevokeSubjectInput) -> None:
            self.revoked.append(inp)

        return [prepare, open_task, close_task, set_case_status, notify, draft_document, update_case_result,
                rectification_due, revoke_subject]


async def _task(fakes: Fakes, step: str) -> str:
    for _ in range(600):
        for tid in fakes.tasks:
            if f".{step}." in tid and tid not in _done:
                return tid
        await asyncio.sleep(0.05)
    raise AssertionError(f"no task {step}")


_done: set[str] = set()


async def _decide(handle: Any, fakes: Fakes, step: str, decision: str, data: dict[str, Any] | None = None,
                  comment: str = "") -> str:
    tid = await _task(fakes, step)
    await handle.execute_update("complete_task", DecisionInput(task_id=tid, decision=decision, actor="someone",
                                                               comment=comment, data=data or {}), id=tid)
    _done.add(tid)
    return tid


async def test_a_failed_window_rectifies_in_vain_and_is_disconnected() -> None:
    async with time_skipping_server() as env:
        queue, window_id, case_id = f"tq-{uuid.uuid4()}", f"WO-{uuid.uuid4().hex[:8]}", f"AS-{uuid.uuid4().hex[:8]}"
        fakes = Fakes(window_id)
        async with Worker(env.client, task_queue=queue, workflows=[AssessmentWorkflow, FakeWindow],
                          activities=fakes.activities(), activity_executor=__import__("concurrent.futures").futures
                          .ThreadPoolExecutor(4)):
            window = await env.client.start_workflow(FakeWindow.run, id=window_id, task_queue=queue)
            handle = await env.client.start_workflow(AssessmentWorkflow.run, CaseInput(case_id=case_id,
                                                                                       case_type="assessment"),
                                                     id=case_id, task_queue=queue)
            await _decide(handle, fakes, "self_report", "submit", {"figures": {}, "summary": "自评"})
            # a scoring that slipped past the API's check (a stale client) is asked again, not crashed on
            await _decide(handle, fakes, "scoring", "submit", {"scores": {"conditions": 50}})
            await _decide(handle, fakes, "scoring", "submit", {"scores": dict.fromkeys(DEFAULT_SETS["window"].keys(), 40)})
            tid = await _task(fakes, "rectification")
            assert fakes.tasks[tid].spec.due_at is not None and fakes.result["rating"] == "failed"
            assert fakes.result["total"] == 40.0 and "scoring_error" in fakes.result
            # the subject lets the rectification deadline pass: reminded before, escalated after (as any step)
            now = await env.get_current_time()
            await env.sleep(fakes.tasks[tid].spec.due_at - now + timedelta(hours=1))  # type: ignore[operator]
            for _ in range(100):
                if {"reminder", "escalation"} <= {n.kind for n in fakes.notes if n.task_id == tid}:
                    break
                await asyncio.sleep(0.05)
            escalation = next(n for n in fakes.notes if n.task_id == tid and n.kind == "escalation")
            assert escalation.roles == ["platform_org", "operator"] and escalation.org_id == 7
            await _decide(handle, fakes, "rectification", "submit", {"report": "迟交的整改报告"})
            await _decide(handle, fakes, "reassessment", "fail", comment="仍不合格")
            await _decide(handle, fakes, "revocation_decision", "revoke", comment="数据报送长期逾期")
            assert await handle.result() == "revoked"
            assert await window.result() == "disconnected:revoked:数据报送长期逾期"
            assert fakes.docs == ["assessment_result", "assessment_rectification_notice",
                                  "assessment_revocation_decision"]
            assert fakes.statuses[-1] == "revoked" and fakes.revoked[0].kind == "window"
            assert isinstance(now, datetime)

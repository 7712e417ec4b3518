"""The connected window's life against fake activities registered under the real names (no database, no API): the
reports of a year counted sent and overdue across the yearly hand-over (continue-as-new), another window's agreement
accepted in the inbox, and the `disconnect` signal (P5's revocation). The application paths are on the fast harness
(test_fast_window_onboarding.py); these fakes compute the real report calendar, which the harness's do not.

Its own time-skipping test server (the life leaps months), so no other test's cases wake."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from rules.calendar import SHANGHAI
from rules.official_calendar import build_calendar
from rules.window import due_at, opens_at, reports_opening_in
from tests.conftest import time_skipping_server
from workflows.notice_types import (
    DecideObjectionInput,
    NoticePeriod,
    NoticeRef,
    OpenNoticeInput,
    RecordObjectionInput,
)
from workflows.types import (
    CancelTasksInput,
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
from workflows.window_onboarding import WindowOnboardingWorkflow
from workflows.window_types import (
    AgreementProposal,
    Connected,
    ConnectInput,
    DecideAgreementInput,
    DisconnectInput,
    EndAgreementsInput,
    PrepareWindowInput,
    ReportItem,
    ReportsInput,
    ReportsPlan,
    WindowPrepared,
    WindowRun,
    WindowSettings,
)

pytestmark = pytest.mark.workflow

CAL = build_calendar(years=range(2024, 2036), overrides={})


class Fakes:
    """Every activity the workflow calls, in memory."""

    def __init__(self, experts: int = 3) -> None:
        self.experts = [f"expert{i}" for i in range(1, experts + 1)]
        self.tasks: dict[str, OpenTaskInput] = {}
        self.closed: dict[str, CloseTaskInput] = {}
        self.statuses: list[str] = []
        self.result: dict[str, Any] = {}
        self.documents: list[str] = []
        self.notes: list[NotifyInput] = []
        self.cancelled = 0
        self.periods: dict[str, NoticePeriod] = {}
        self.plans: list[ReportsPlan] = []
        self.agreements: dict[int, str] = {}
        self.ended = 0

    def all(self) -> list[Any]:
        f = self

        @activity.defn(name="open_task")
        async def open_task(inp: OpenTaskInput) -> TaskOpened:
            f.tasks.setdefault(inp.task_id, inp)
            return TaskOpened(task_id=inp.task_id, due_at=inp.spec.due_at or inp.at + timedelta(days=14),
                              reminder_at=None)

        @activity.defn(name="close_task")
        async def close_task(inp: CloseTaskInput) -> None:
            f.closed[inp.task_id] = inp

        @activity.defn(name="set_case_status")
        async def set_case_status(inp: CaseStatusInput) -> None:
            f.statuses.append(inp.status)
            f.result.update(inp.result)

        @activity.defn(name="notify")
        async def notify(inp: NotifyInput) -> None:
            f.notes.append(inp)

        @activity.defn(name="draft_document")
        async def draft_document(inp: DraftDocumentInput) -> DocumentRef:
            if inp.kind not in f.documents:
                f.documents.append(inp.kind)
            return DocumentRef(id=uuid.uuid4().hex, doc_number=None, sha256="0" * 64)

        @activity.defn(name="update_case_result")
        async def update_case_result(inp: ResultInput) -> None:
            f.result.update(inp.result)

        @activity.defn(name="cancel_tasks")
        async def cancel_tasks(inp: CancelTasksInput) -> None:
            f.cancelled += 1

        @activity.defn(name="open_public_notice")
        async def open_public_notice(inp: OpenNoticeInput) -> NoticePeriod:
            day = inp.at.astimezone(SHANGHAI).date()
            closes = CAL.closes_at(event=inp.at, working_days=inp.working_days)
            period = NoticePeriod(name=inp.name, starts_on=day + timedelta(days=1),
                                  ends_on=(closes.astimezone(SHANGHAI) - timedelta(microseconds=1)).date(),
                                  closes_at=closes, confirmed=True)
            return f.periods.setdefault(inp.case_id, period)

        @activity.defn(name="public_notice_period")
        async def public_notice_period(inp: NoticeRef) -> NoticePeriod:
            return f.periods[inp.case_id]

        @activity.defn(name="close_public_notice")
        async def close_public_notice(inp: NoticeRef) -> None:
            return None

        @activity.defn(name="record_objection")
        async def record_objection(inp: RecordObjectionInput) -> int:
            return 1

        @activity.defn(name="decide_objection")
        async def decide_objection(inp: DecideObjectionInput) -> None:
            return None

        @activity.defn(name="prepare_window_onboarding")
        async def prepare(inp: PrepareWindowInput) -> WindowPrepared:
            return WindowPrepared(experts=f.experts, platform_name="银川市中小企业窗口服务平台", settings=WindowSettings())

        @activity.defn(name="connect_window")
        async def connect(inp: ConnectInput) -> Connected:
            return Connected(connected_at=inp.at, connected_on=inp.at.astimezone(SHANGHAI).date())

        @activity.defn(name="window_reports")
        async def reports(inp: ReportsInput) -> ReportsPlan:
            plan = ReportsPlan(reports=[
                ReportItem(kind=r.kind, year=r.year, period=r.period, step=r.step, title=r.title,
                           opens_at=opens_at(r.opens_on), due_at=due_at(r.due_on))
                for r in reports_opening_in(inp.year, connected_on=inp.connected_on, calendar=CAL)])
            f.plans.append(plan)
            return plan

        @activity.defn(name="decide_window_agreement")
        async def decide_agreement(inp: DecideAgreementInput) -> None:
            f.agreements[inp.agreement_id] = inp.decision if inp.document_id or inp.decision != "accept" else "?"

        @activity.defn(name="end_window_agreements")
        async def end_agreements(inp: EndAgreementsInput) -> None:
            f.ended += 1

        return [decide_agreement, end_agreements, open_task, close_task, set_case_status, notify, draft_document,
                update_case_result, cancel_tasks,
                open_public_notice, public_notice_period, close_public_notice, record_objection, decide_objection,
                prepare, connect, reports]


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[Client]:
    async with time_skipping_server() as env:
        yield env.client


class Run:
    """A workflow under test with its fakes and a worker on a task queue of its own."""

    def __init__(self, client: Client, fakes: Fakes) -> None:
        self.client, self.fakes = client, fakes
        self.case_id = f"WO-test-{uuid.uuid4().hex[:8]}"
        self.queue = f"tq-{uuid.uuid4()}"
        self.handle: WorkflowHandle[Any, Any] | None = None

    async def start(self) -> None:
        self.handle = await self.client.start_workflow(
            WindowOnboardingWorkflow.run, WindowRun(case_id=self.case_id, case_type="window_onboarding",  # type: ignore[arg-type]
                                                    applicant_username="builder1", applicant_org_id=7, city="yinchuan"),
            id=self.case_id, task_queue=self.queue)

    async def task(self, step: str, *, exclude: set[str] = frozenset()) -> str:  # type: ignore[assignment]
        """The id of the open task of `step` (waits for it)."""
        for _ in range(600):
            for tid in self.fakes.tasks:
                if f".{step}." in tid and tid not in self.fakes.closed and tid not in exclude:
                    return tid
            await asyncio.sleep(0.05)
        raise AssertionError(f"no open task {step}; have {list(self.fakes.tasks)}")

    async def decide(self, step: str, decision: str, actor: str = "someone", comment: str = "",
                     **data: Any) -> str:
        tid = await self.task(step)
        assert self.handle is not None
        await self.handle.execute_update("complete_task", DecisionInput(task_id=tid, decision=decision, actor=actor,
                                                                       comment=comment, data=data), id=tid)
        return tid

    async def status(self, want: str) -> None:
        for _ in range(600):
            if self.fakes.statuses and self.fakes.statuses[-1] == want:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"status {want} never came; have {self.fakes.statuses}")

    async def until(self, fn: Any, what: str) -> None:
        for _ in range(600):
            if fn():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    async def panel(self, *scores: tuple[int, str]) -> None:
        for i, (score, decision) in enumerate(scores, start=1):
            await self.decide(f"expert_assessment_{i}", decision, actor=f"expert{i}", score=score, opinion="意见")

    async def to_notice(self) -> None:
        await self.decide("hub_review", "approve", actor="operator1")
        await self.panel((80, "approve"), (70, "approve"), (50, "reject"))
        await self.decide("bureau_approval", "approve", actor="department1")
        await self.status("public_notice")
        # the status is written before the notice opens: wait for its period too (a race seen once under load)
        await self.until(lambda: self.case_id in self.fakes.periods, "the notice period")


async def sleep(client: Client, delta: timedelta) -> None:
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.testservice.v1 import SleepRequest

    seconds = int(delta.total_seconds())
    await client.test_service.unlock_time_skipping_with_sleep(SleepRequest(duration=Duration(seconds=seconds)),
                                                              timeout=timedelta(minutes=3))


async def now_of(client: Client) -> datetime:
    from google.protobuf.empty_pb2 import Empty

    got = await client.test_service.get_current_time(Empty())
    return got.time.ToDatetime(tzinfo=UTC)


@pytest.fixture
async def run(client: Client) -> AsyncIterator[Run]:
    fakes = Fakes()
    r = Run(client, fakes)
    async with Worker(client, task_queue=r.queue, workflows=[WindowOnboardingWorkflow], activities=fakes.all()):
        await r.start()
        yield r
        # A run left open would keep a workflow task pending on a queue nobody polls: the test server would then
        # never skip time again for the next test.
        assert r.handle is not None
        desc = await r.handle.describe()
        if desc.status is not None and desc.status.name == "RUNNING":
            await r.handle.terminate("test over")


class TestConnectedLife:
    async def test_reports_counted_across_the_year_then_disconnect(self, run: Run, client: Client) -> None:
        await run.to_notice()
        await sleep(client, run.fakes.periods[run.case_id].closes_at - await now_of(client) + timedelta(minutes=1))
        await run.decide("adaptation", "submit", actor="builder1", report="改造完成")
        await run.decide("connection_check", "approve", actor="operator1", passed=True, report="通过")
        await run.status("connected")
        await run.until(lambda: run.fakes.plans, "the first year's plan")
        first_year = run.fakes.plans[0].reports
        # Walk through two calendar years of reports: the first sent in time, the second let run overdue.
        sent = overdue = 0
        handled: set[str] = set()
        for year_plan in range(2):
            await run.until(lambda n=year_plan: len(run.fakes.plans) > n, f"plan {year_plan}")
            for item in run.fakes.plans[year_plan].reports[:2]:
                if item.step in handled:
                    continue
                handled.add(item.step)
                now = await now_of(client)
                if item.opens_at > now:
                    await sleep(client, item.opens_at - now + timedelta(minutes=5))
                tid = await run.task(item.step)
                assert run.fakes.tasks[tid].spec.due_at == item.due_at
                if len(handled) % 2 == 0:  # let this one run past its due time first
                    await sleep(client, item.due_at - await now_of(client) + timedelta(hours=1))
                    overdue += 1
                    key = str(item.year)
                    await run.until(lambda k=key: run.fakes.result.get("reports", {}).get(k, {}).get("overdue", 0)
                                    >= 1, "the overdue count")
                await run.decide(item.step, "submit", actor="builder1", report="报送")
                sent += 1
                await run.until(lambda s=sent: sum(v["sent"] for v in run.fakes.result["reports"].values()) >= s,
                                "the sent count")
            if year_plan == 0:
                # to the year's end: the run hands over to the next year's (continue-as-new)
                end = datetime(first_year[0].opens_at.year + 1, 1, 1, tzinfo=SHANGHAI)
                await sleep(client, end - await now_of(client) + timedelta(hours=2))
        counts = run.fakes.result["reports"]
        assert sum(v["sent"] for v in counts.values()) == sent and sum(v["overdue"] for v in counts.values()) >= overdue
        assert len(run.fakes.plans) >= 2
        assert run.handle is not None
        # another window proposes a cooperation agreement: a task in this window's inbox; accepted, it is drafted
        await run.handle.signal("propose_agreement", AgreementProposal(agreement_id=41, proposer_case_id="WO-other",
                                                                       proposer_name="吴忠窗口", scope="共享服务资源"))
        tid = await run.task("agreement_41")
        assert "吴忠窗口" in run.fakes.tasks[tid].spec.summary
        await run.decide("agreement_41", "accept", actor="builder1")
        await run.until(lambda: run.fakes.agreements.get(41) == "accept", "the agreement recorded")
        assert "mutual_agreement" in run.fakes.documents
        await run.handle.signal("disconnect", DisconnectInput(reason="考核不合格，整改后仍未达到要求", actor="department1",
                                                              ground="revoked"))
        await run.status("disconnected")
        assert "disconnection_notice" in run.fakes.documents
        assert run.fakes.result["disconnection_ground"] == "revoked" and run.fakes.ended == 1
        assert await run.handle.result() == "disconnected"

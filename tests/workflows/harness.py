"""A fast workflow test harness: the real workflows on a time-skipping server, their activities replaced by fakes
registered under the real activity names (as temporalio's samples mock activities), so a process's paths run in
seconds without HTTP or a database.

`FakeActivities` records every call (name and typed input) and keeps an in-memory task table: `open_task` opens a
row with a simple due time (N calendar days, not working days), `close_task` and `cancel_tasks` close it. A test
waits for a task of a type to be opened and decides it with the real `complete_task` Update (the task id as Update
id), exactly as the API does. Every other fake returns a default that a test may replace (`fakes.returns(...)`).
A new process adds its own activities with `fakes.add(...)` before the worker starts: its test module overrides the
`fakes` fixture (tests/workflows/conftest.py) with one that adds them. An activity without a fake fails the workflow
at once (non-retryable) and the waiting test says which name is missing.

Time: the server's clock runs in real time except while a test waits on `Harness.result` or calls `env.sleep`; then
it jumps to the next timer of any running workflow. So a test ends the side workflows it does not test (`end`), and
the harness terminates every workflow of a test when it ends, only once each is idle (see `_state`).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from processes import registry
from rules.calendar import SHANGHAI
from workflows import certification_types as ct
from workflows import notice_types as nt
from workflows import types as t
from workflows import voucher_types as vt
from workflows.human import CaseWorkflow

WAIT = 15.0  # seconds a test waits for a task or a call before it fails with what happened instead
DEFAULT_DUE_DAYS = 5


@dataclass
class Call:
    """One activity call as the workflow made it."""

    name: str
    input: Any
    workflow_id: str


@dataclass
class FakeTask:
    """A row of the in-memory task table."""

    id: str
    case_id: str
    spec: t.StepSpec
    excluded_users: list[str]
    opened_at: datetime
    due_at: datetime
    reminder_at: datetime | None
    status: str = "open"  # open | completed | cancelled
    decision: str | None = None
    actor: str | None = None

    @property
    def type(self) -> str:
        return self.spec.type


@dataclass
class _Fake:
    input_type: type
    result: Any  # a value, or a callable taking the input and returning the value (or an awaitable of it)


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


@dataclass
class FakeActivities:
    """Fakes of every activity of flow168, recording their calls; see the module's docstring."""

    due_days: dict[str, int] = field(default_factory=dict)  # task type -> days from opening (DEFAULT_DUE_DAYS)
    calls: list[Call] = field(default_factory=list)
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # activity names the workflows called without a fake

    def __post_init__(self) -> None:
        self._fakes: dict[str, _Fake] = {}
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._periods: dict[tuple[str, str], nt.NoticePeriod] = {}
        self._add_defaults()

    # --- configuring ----------------------------------------------------------------------------------

    def add(self, name: str, input_type: type, result: Any = None) -> None:
        """Fake the activity `name` (its input is decoded as `input_type`); `result` as in `returns`."""
        self._fakes[name] = _Fake(input_type, result)

    def returns(self, name: str, result: Any) -> None:
        """What the fake `name` returns from now on: a value, or `fn(input)` computing it per call (an async `fn`
        may wait for the test, holding the activity in flight)."""
        self._fakes[name].result = result

    def activities(self) -> list[Callable[..., Any]]:
        """The fakes as activities, each registered under its real name, and one for names without a fake."""
        return [self._activity(name, fake.input_type) for name, fake in self._fakes.items()] + [self._missing]

    # --- reading what happened -------------------------------------------------------------------------

    def inputs(self, name: str, case_id: str | None = None) -> list[Any]:
        """The inputs of every call of `name` (of one case's workflow, if given), in order."""
        return [c.input for c in self.calls if c.name == name and (case_id is None or c.workflow_id == case_id)]

    def names(self, case_id: str | None = None) -> list[str]:
        return [c.name for c in self.calls if case_id is None or c.workflow_id == case_id]

    def statuses(self, case_id: str) -> list[str]:
        """The statuses the workflow projected, in order: by `set_case_status`, or with the step that opens in it
        (`open_task`'s status, patch "status-with-step")."""
        out = []
        for c in self.calls:
            if c.workflow_id != case_id:
                continue
            if c.name == t.SET_CASE_STATUS:
                out.append(c.input.status)
            elif c.name == t.OPEN_TASK and c.input.status is not None:
                out.append(c.input.status.status)
        return out

    def drafted(self, case_id: str) -> list[str]:
        """The kinds of document drafted for the case, in order."""
        return [i.kind for i in self.inputs(t.DRAFT_DOCUMENT, case_id)]

    def notified(self, case_id: str) -> list[str]:
        """The kinds of notification sent about the case, in order."""
        return [i.kind for i in self.inputs(t.NOTIFY, case_id)]

    def open_tasks(self, task_type: str | None = None, case_id: str | None = None) -> list[FakeTask]:
        return [x for x in self.tasks.values() if x.status == "open" and (task_type is None or x.type == task_type)
                and (case_id is None or x.case_id == case_id)]

    async def wait(self, predicate: Callable[[], Any], *, what: str, timeout: float = WAIT) -> Any:
        """Wait until `predicate()` is truthy (checked after each activity call) and return its value."""
        async with self._changed:
            try:
                value = await asyncio.wait_for(self._changed.wait_for(lambda: self.missing or predicate()), timeout)
            except TimeoutError:
                raise AssertionError(f"timed out waiting for {what}; calls: {self.names()}; "
                                     f"open tasks: {[x.id for x in self.open_tasks()]}") from None
        if self.missing:
            raise AssertionError(f"the workflow called activities that have no fake: {self.missing}")
        return value

    async def task(self, task_type: str, case_id: str | None = None, *, timeout: float = WAIT) -> FakeTask:
        """The open task of `task_type`, once it is opened."""
        found = await self.wait(lambda: self.open_tasks(task_type, case_id), what=f"an open {task_type} task",
                                timeout=timeout)
        return found[0]

    async def tasks_of(self, task_type: str, count: int, case_id: str | None = None) -> list[FakeTask]:
        """`count` open tasks of `task_type` (parallel steps), once all are opened."""
        return await self.wait(lambda: (lambda f: f if len(f) >= count else None)(self.open_tasks(task_type, case_id)),
                               what=f"{count} open {task_type} tasks")

    async def call(self, name: str, case_id: str | None = None, where: Callable[[Any], bool] = lambda _: True) -> Any:
        """The input of the first call of `name` matching `where`, once it is made."""
        return await self.wait(lambda: next((i for i in self.inputs(name, case_id) if where(i)), None),
                               what=f"a call of {name}")

    # --- the activities ----------------------------------------------------------------------------------

    def _activity(self, name: str, input_type: type) -> Callable[..., Any]:
        async def fake(inp: Any) -> Any:
            return await self._record(name, inp)

        fake.__annotations__ = {"inp": input_type, "return": Any}
        fake.__name__ = f"fake_{name}"
        return activity.defn(name=name)(fake)

    async def _record(self, name: str, inp: Any) -> Any:
        result = self._fakes[name].result
        value = result(inp) if callable(result) else result
        async with self._changed:
            self.calls.append(Call(name, inp, activity.info().workflow_id or ""))
            self._changed.notify_all()
        if inspect.isawaitable(value):  # a fake that waits for the test (to hold an activity in flight)
            value = await value
        return value

    @activity.defn(dynamic=True)
    async def _missing(self, args: Sequence[RawValue]) -> None:
        name = activity.info().activity_type
        async with self._changed:
            self.missing.append(name)
            self._changed.notify_all()
        raise ApplicationError(f"no fake for the activity {name!r}: add one with FakeActivities.add",
                               type="NoFake", non_retryable=True)

    # --- default fakes -------------------------------------------------------------------------------------

    def _add_defaults(self) -> None:
        add = self.add
        add(t.OPEN_TASK, t.OpenTaskInput, self._open_task)
        add(t.CLOSE_TASK, t.CloseTaskInput, self._close_task)
        add(t.CANCEL_TASKS, t.CancelTasksInput, self._cancel_tasks)
        add(t.NOTIFY, t.NotifyInput, 1)
        add(t.SET_CASE_STATUS, t.CaseStatusInput)
        add(t.DECIDE_ACCOUNT, t.AccountDecisionInput)
        add(t.DRAFT_DOCUMENT, t.DraftDocumentInput,
            lambda i: t.DocumentRef(id=f"doc-{i.key}", doc_number=f"宁工信〔{i.at.year}〕{next(self._ids)}号", sha256="0" * 64))
        add(t.FILE_PROVIDER, t.FileProviderInput)
        add(t.SET_DEADLINE, t.SetDeadlineInput)
        add(t.UPDATE_RESULT, t.ResultInput)
        add(nt.OPEN_NOTICE, nt.OpenNoticeInput, self._open_notice)
        add(nt.NOTICE_PERIOD, nt.NoticeRef, lambda i: self._periods[(i.case_id, i.name)])
        add(nt.CLOSE_NOTICE, nt.NoticeRef)
        add(nt.RECORD_OBJECTION, nt.RecordObjectionInput, lambda i: next(self._ids))
        add(nt.DECIDE_OBJECTION, nt.DecideObjectionInput)
        add(ct.PREPARE_CERTIFICATION, ct.PrepareInput,
            ct.Prepared(experts=["expert1", "expert2", "expert3"], platform_name="测试示范平台", applicant="宁夏测试有限公司"))
        add(ct.GRANT_CERTIFICATION, ct.GrantInput, self._grant)
        # The year's list: a case alone in its batch is its own list (published at once).
        add(ct.JOIN_LIST, ct.ListInput,
            lambda i: ct.ListState(year=2026, published=True, case_ids=[i.case_id] if i.candidate else []))
        add(ct.DRAFT_BATCH_DOCUMENT, ct.BatchDocInput, lambda i: ct.BatchDoc(id=f"batch-{i.kind}", doc_number=None))
        add(vt.VOUCHER_START, vt.VoucherStartInput,
            vt.VoucherStarted(policy="2017", policy_title="宁非公经发〔2017〕101号", bidding_working_days=5,
                              expiry_reminder_days=[30, 7], supervision_fee_bp=300))
        add(vt.OPEN_BIDDING, vt.BiddingInput, lambda i: vt.BiddingOpened(closes_at=i.at + timedelta(days=7)))
        add(vt.CLOSE_BIDDING, vt.BiddingInput, vt.BidsClosed(bid_ids=[1]))
        add(vt.CHOOSE_BID, vt.ChooseBidInput,
            vt.ChosenBid(ok=True, provider_org_id=7, provider_name="测试服务机构", amount_fen=1_000_000))
        add(vt.RESERVE_FUND, vt.ApplyInput,
            lambda i: vt.FundResult(state="reserved", amount_fen=i.contract_amount_fen // 2, year=i.at.year))
        after = {"release": "released", "lapse": "released", "void": "void", "settle": "settled"}
        add(vt.FUND_OP, vt.FundOpInput, lambda i: vt.FundResult(state=after.get(i.op, "reserved")))
        add(vt.ISSUE_VOUCHER, vt.IssueInput,
            lambda i: vt.IssuedVoucher(voucher_no="NXV-TEST-0001", valid_until=(i.at + timedelta(days=180)).date(),
                                       amount_fen=500_000))
        add(vt.PROJECT_VOUCHER, vt.VoucherProjection)
        add(vt.VOID_CASE, vt.VoidCaseInput)
        add(vt.CONFIRM_CATEGORY, vt.ConfirmCategoryInput)
        add(vt.NEXT_REPORT_AT, vt.StatisticsDraftInput, lambda i: vt.NextReport(report_at=i.at + timedelta(days=31)))
        add(vt.DRAFT_STATISTICS, vt.StatisticsDraftInput, t.DocumentRef(id="stats", doc_number="统计", sha256="0" * 64))

    def _open_task(self, inp: t.OpenTaskInput) -> t.TaskOpened:
        row = self.tasks.get(inp.task_id)
        if row is None:  # like the real activity: idempotent on the task id
            due = inp.spec.due_at or inp.at + timedelta(days=self.due_days.get(inp.spec.type, DEFAULT_DUE_DAYS))
            row = FakeTask(id=inp.task_id, case_id=inp.case_id, spec=inp.spec, excluded_users=inp.excluded_users,
                           opened_at=inp.at, due_at=due, reminder_at=due - timedelta(days=1))
            self.tasks[row.id] = row
        return t.TaskOpened(task_id=row.id, due_at=row.due_at, reminder_at=row.reminder_at)

    def _close_task(self, inp: t.CloseTaskInput) -> None:
        row = self.tasks[inp.task_id]
        if row.status == "open":
            row.status, row.decision, row.actor = "completed", inp.decision, inp.actor

    def _cancel_tasks(self, inp: t.CancelTasksInput) -> None:
        for row in self.open_tasks(case_id=inp.case_id):
            row.status = "cancelled"

    def _open_notice(self, inp: nt.OpenNoticeInput) -> nt.NoticePeriod:
        """Calendar days stand in for working days: the period starts the next day and runs `working_days` + 2."""
        key = (inp.case_id, inp.name)
        if key not in self._periods:
            starts = inp.at.astimezone(SHANGHAI).date() + timedelta(days=1)
            ends = starts + timedelta(days=inp.working_days + 1)
            self._periods[key] = nt.NoticePeriod(name=inp.name, starts_on=starts, ends_on=ends,
                                                 closes_at=_end_of(ends), confirmed=True)
        return self._periods[key]

    @staticmethod
    def _grant(inp: ct.GrantInput) -> ct.Granted:
        granted_on = inp.at.astimezone(SHANGHAI).date()
        until = granted_on.replace(year=granted_on.year + 3) - timedelta(days=1)
        return ct.Granted(granted_on=granted_on, valid_until=until, expires_at=_end_of(until), reminder_days=[180, 30])


@dataclass
class Harness:
    """A worker running every workflow of flow168 against `fakes`, on a task queue of its own."""

    env: WorkflowEnvironment
    fakes: FakeActivities
    task_queue: str

    started: list[str] = field(default_factory=list)
    handles: dict[str, WorkflowHandle[Any, Any]] = field(default_factory=dict)

    async def start(self, run: Any, arg: BaseModel, *, id: str) -> WorkflowHandle[Any, Any]:
        """Start a workflow (e.g. `RegistrationWorkflow.run`) on the harness's queue, the case id as workflow id."""
        self.track(id)
        self.handles[id] = await self.env.client.start_workflow(run, arg, id=id, task_queue=self.task_queue)
        return self.handles[id]

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, Any]:
        """The workflow's handle: the one `start` returned (only its `result()` lets simulated time skip)."""
        return self.handles.get(workflow_id) or self.env.client.get_workflow_handle(workflow_id)

    def track(self, workflow_id: str) -> None:
        """Terminate this workflow when the test ends (one a workflow starts, such as a child with a fixed id, may
        not have called an activity yet)."""
        self.started.append(workflow_id)

    async def decide(self, task: FakeTask, decision: str, actor: str, *, comment: str = "",
                     data: dict[str, Any] | None = None) -> t.DecisionResult:
        """Complete `task` as the API does: the `complete_task` Update with the task id as Update id."""
        return await self.handle(task.case_id).execute_update(CaseWorkflow.complete_task, t.DecisionInput(
            task_id=task.id, decision=decision, actor=actor, comment=comment, data=data or {}), id=task.id)

    async def step(self, task_type: str, decision: str, actor: str, *, case_id: str | None = None,
                   comment: str = "", data: dict[str, Any] | None = None) -> FakeTask:
        """Wait for the open task of `task_type` and decide it; returns the task."""
        task = await self.fakes.task(task_type, case_id)
        await self.decide(task, decision, actor, comment=comment, data=data)
        return task

    async def result(self, workflow_id: str, *, timeout: float = WAIT) -> Any:
        """The workflow's result; while waiting for it, simulated time skips to each next timer."""
        return await asyncio.wait_for(self.handle(workflow_id).result(), timeout)

    async def idle(self, workflow_id: str, *, timeout: float = WAIT) -> None:
        """Wait until the workflow has no activity or workflow task in flight (it waits for a timer or a message).

        Send a signal after this when the workflow must already be waiting for it."""
        handle = self.env.client.get_workflow_handle(workflow_id)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (state := await _state(handle)) == "busy":
            if loop.time() > end:
                raise AssertionError(f"{workflow_id} is still busy after {timeout}s")
            await asyncio.sleep(0.02)
        assert state == "idle", f"{workflow_id} has ended"

    async def end(self, workflow_id: str) -> None:
        """Terminate a workflow once it is idle (see `_state`), e.g. a side workflow whose timers a test's time skip
        must not fire; a workflow that has ended or never started is left alone."""
        handle = self.env.client.get_workflow_handle(workflow_id)
        try:
            for _ in range(100):
                state = await _state(handle)
                if state == "idle":
                    await handle.terminate(reason="ended by the test harness")
                if state != "busy":
                    return
                await asyncio.sleep(0.02)
        except RPCError:
            pass  # it ended meanwhile, or never started

    async def _terminate_all(self) -> None:
        """End every workflow that ran on this queue (children included): a later test's leap must not wake them."""
        for wid in dict.fromkeys([*self.started, *(c.workflow_id for c in self.fakes.calls)]):
            await self.end(wid)


_BUSY = (EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)


async def _state(handle: WorkflowHandle[Any, Any]) -> str:
    """closed | busy (an activity or a workflow task in flight) | idle.

    Terminating a workflow with a task in flight leaks the time-skipping test server's lock (as sdk-java#1138), after
    which simulated time no longer skips for any later test. The test server leaves `pending_workflow_task` out of
    its description, so the history's last event tells."""
    described = await handle.describe()
    if described.status != WorkflowExecutionStatus.RUNNING:
        return "closed"
    if described.raw_description.pending_activities:
        return "busy"
    last = None
    async for event in handle.fetch_history_events():
        last = event
    return "busy" if last is None or last.event_type in _BUSY else "idle"


@asynccontextmanager
async def running_harness(env: WorkflowEnvironment, *, fakes: FakeActivities | None = None,
                          workflows: Iterable[type] | None = None) -> AsyncIterator[Harness]:
    """A worker on a uuid task queue with every registered process's workflows (or `workflows`) and the fakes."""
    fakes = fakes or FakeActivities()
    queue = f"fast-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=list(workflows or registry.workflows()),
                      activities=fakes.activities()):
        h = Harness(env, fakes, queue)
        try:
            yield h
        finally:
            await h._terminate_all()

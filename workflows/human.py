"""The shared human step: open a task row, wait for its decision Update, remind, escalate, close it.

Every process workflow subclasses `CaseWorkflow` and calls `self.human_step(spec)`; the Update
`complete_task` (id = task id) and its validator live here once, so stale or invalid decisions are
refused the same way in every process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.types import (
        CANCEL_TASKS,
        CLOSE_TASK,
        DRAFT_DOCUMENT,
        NOTIFY,
        OPEN_TASK,
        SET_CASE_STATUS,
        SET_DEADLINE,
        UPDATE_RESULT,
        CancelTasksInput,
        CaseInput,
        CaseStatusInput,
        CloseTaskInput,
        DecisionInput,
        DecisionResult,
        DocumentRef,
        DraftDocumentInput,
        DueChanged,
        NotifyInput,
        OpenTaskInput,
        ResultInput,
        SetDeadlineInput,
        StepSpec,
        TaskOpened,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), non_retryable_error_types=["RuleViolation"])

# Who hears about an overdue task besides its candidates.
SUPERVISOR = {
    "operator": "department",
    "expert": "department",
    "city_bureau": "department",
    "department": "admin",
    "enterprise": "operator",
    "provider": "operator",
    "platform_org": "operator",
}


@dataclass
class _Pending:
    spec: StepSpec
    due_at: datetime
    reminder_at: datetime | None
    reminded: bool = False
    escalated: bool = False
    changed: bool = False


# Issue 12: from this patch on, a case runs its activities as local activities (in the workflow task, on the worker
# that holds the case: no task queue, no extra workflow task per activity), except `open_task`, which stays a regular
# activity: an admin's move-back finds the step's reset point by its scheduled event and input (api/services/
# operations.py). Local activities are retried as regular ones (RETRY) and are idempotent like every activity.
LOCAL_ACTIVITIES = "local-activities"
# Issue 12: a step that opens with a new case status writes it in `open_task`'s transaction (one activity fewer).
STATUS_WITH_STEP = "status-with-step"
REGULAR_ACTIVITIES = frozenset({OPEN_TASK})


async def run_activity(name: str, arg: Any, result_type: type | None = None) -> Any:
    """Run one of flow168's activities with the project's timeout and retry policy."""
    if name not in REGULAR_ACTIVITIES and workflow.patched(LOCAL_ACTIVITIES):
        return await workflow.execute_local_activity(
            name, arg, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )
    return await workflow.execute_activity(
        name, arg, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
    )


class CaseWorkflow:
    """Base of every case workflow: the task Update, the due-time signal and the human-step helper."""

    def __init__(self) -> None:
        self.case: CaseInput | None = None
        self._pending: dict[str, _Pending] = {}
        self._closing: set[str] = set()
        self._decided: dict[str, DecisionInput] = {}
        self._actors: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self.status = "submitted"
        # Set when the case is being stopped (void, withdrawal, revocation; see `stop_parts`): a human step or a
        # `pause` then ends with CancelledError at its next wait. Only new, patched paths set it, so recorded
        # histories replay unchanged.
        self._stopping = False

    # --- messages -------------------------------------------------------------------------------

    @workflow.update
    async def complete_task(self, decision: DecisionInput) -> DecisionResult:
        """Close the task row, then hand the decision to the waiting step."""
        self._closing.add(decision.task_id)
        pending = self._pending[decision.task_id]
        await run_activity(
            CLOSE_TASK,
            CloseTaskInput(
                task_id=decision.task_id,
                case_id=self._case_id,
                decision=decision.decision,
                actor=decision.actor,
                comment=decision.comment,
                data=decision.data,
                update_case_data=pending.spec.step.endswith("correction"),
                at=workflow.now(),
            ),
        )
        self._decided[decision.task_id] = decision
        return DecisionResult(task_id=decision.task_id, decision=decision.decision, actor=decision.actor)

    @complete_task.validator
    def _validate_complete_task(self, decision: DecisionInput) -> None:
        pending = self._pending.get(decision.task_id)
        if pending is None or decision.task_id in self._closing:
            raise ApplicationError("this task is no longer open", type="StaleTask")
        if decision.decision not in pending.spec.decisions:
            allowed = ", ".join(pending.spec.decisions)
            raise ApplicationError(f"decision '{decision.decision}' is not allowed here; allowed: {allowed}",
                                   type="InvalidDecision")
        if decision.actor in self._excluded(pending.spec):
            raise ApplicationError("four-eyes rule: the first-line reviewer of this case may not also decide it",
                                   type="FourEyes")

    @workflow.signal
    def task_due_changed(self, change: DueChanged) -> None:
        """An admin extended the task or the calendar moved its due time."""
        pending = self._pending.get(change.task_id)
        if pending is not None:
            pending.due_at = change.due_at
            pending.reminder_at = change.reminder_at
            pending.reminded = change.reminder_at is None or (pending.reminded and change.reminder_at <= workflow.now())
            pending.escalated = pending.escalated and change.due_at <= workflow.now()
            pending.changed = True

    @workflow.query
    def open_tasks(self) -> list[str]:
        """Ids of the tasks this case is waiting on."""
        return [t for t in self._pending if t not in self._decided]

    @workflow.query
    def current_status(self) -> str:
        return self.status

    # --- helpers for subclasses ----------------------------------------------------------------

    @property
    def _case_id(self) -> str:
        assert self.case is not None
        return self.case.case_id

    def _excluded(self, spec: StepSpec) -> list[str]:
        return [self._actors[s] for s in spec.exclude_actors_of if s in self._actors]

    async def human_step(self, spec: StepSpec, *, status: tuple[str, str] | None = None) -> DecisionInput:
        """Open a task for `spec`, remind before and escalate after its due time, return the decision.

        `status` (status, message): the case's status as the step opens. Since patch "status-with-step" (issue 12) it
        is written by `open_task` in the task's transaction; a run started before the patch writes it first with
        `set_case_status`, as the caller did before."""
        if status is not None:
            self.status = status[0]
            if not workflow.patched(STATUS_WITH_STEP):
                await self.set_status(*status)
                status = None
        n = self._counters.get(spec.step, 0) + 1
        self._counters[spec.step] = n
        task_id = f"{self._case_id}.{spec.step}.{n}"
        if self._stopping:
            raise asyncio.CancelledError(f"{task_id}: the case is being stopped")
        # Pending before the row exists: a decision may arrive as soon as the row is committed, before this
        # workflow has seen the activity's result; the validator must already accept it.
        pending = _Pending(spec=spec, due_at=workflow.now(), reminder_at=None, reminded=True, escalated=True)
        self._pending[task_id] = pending
        opened: TaskOpened = await run_activity(
            OPEN_TASK,
            OpenTaskInput(task_id=task_id, case_id=self._case_id, spec=spec,
                          excluded_users=self._excluded(spec), at=workflow.now(),
                          status=None if status is None else CaseStatusInput(
                              case_id=self._case_id, status=status[0], message=status[1], at=workflow.now())),
            TaskOpened,
        )
        pending.due_at, pending.reminder_at = opened.due_at, opened.reminder_at
        pending.reminded, pending.escalated = opened.reminder_at is None, False
        while task_id not in self._decided:
            if self._stopping:
                raise asyncio.CancelledError(f"{task_id}: the case is being stopped")
            now = workflow.now()
            if not pending.reminded and pending.reminder_at is not None and now >= pending.reminder_at:
                pending.reminded = True
                await self._remind(task_id, pending, overdue=False)
                continue
            if not pending.escalated and now >= pending.due_at:
                pending.escalated = True
                await self._remind(task_id, pending, overdue=True)
                continue
            wake = None
            if not pending.reminded and pending.reminder_at is not None:
                wake = pending.reminder_at
            elif not pending.escalated:
                wake = pending.due_at
            pending.changed = False
            try:
                await workflow.wait_condition(
                    lambda: task_id in self._decided or pending.changed or self._stopping,
                    timeout=(wake - now) if wake is not None else None,
                )
            except TimeoutError:
                pass
        decision = self._decided[task_id]
        self._actors[spec.step] = decision.actor
        del self._pending[task_id]
        return decision

    async def pause(self, delay: timedelta) -> None:
        """Sleep (one timer, as workflow.sleep), ending early with CancelledError when the case is being stopped."""
        try:
            await workflow.wait_condition(lambda: self._stopping, timeout=delay)
        except TimeoutError:
            return
        raise asyncio.CancelledError("the case is being stopped")

    async def stop_parts(self, parts: list[asyncio.Task[Any]] | list[asyncio.Future[Any]]) -> None:
        """Stop running parts of the process cooperatively: each ends at its next human step or pause.

        Not with asyncio cancel at once: a cancel that reaches a part in the same activation as an activity's result
        is lost (the SDK hands over the result and the part runs on), and an activity cancelled before it started
        leaks the time-skipping test server's lock (temporalio/sdk-java#1138), after which simulated time no longer
        skips. A part still running after a minute (an activity retrying on and on) is cancelled after all."""
        self._stopping = True
        try:
            await workflow.wait_condition(lambda: all(p.done() for p in parts), timeout=timedelta(minutes=1))
        except TimeoutError:
            for p in parts:
                p.cancel()
            await workflow.wait_condition(lambda: all(p.done() for p in parts))

    async def review(self, spec: StepSpec, correction: StepSpec | None = None) -> DecisionInput:
        """A reviewer's step; `return` sends the case back to the applicant and resumes at the same step."""
        while True:
            decision = await self.human_step(spec)
            if decision.decision != "return" or correction is None:
                return decision
            await self.set_status("returned", f"退回修改：{decision.comment}")
            # Patched "return-one-notice" (issue 15): the return is the applicant's one message — with the reason
            # and what to do — and the correction step opens without a second 轮到您办理 (before: both).
            one_notice = workflow.patched("return-one-notice")
            await self.notify_applicant(
                f"{spec.title}：申请被退回修改",
                f"退回理由：{decision.comment.rstrip('。.')}。请在“我的办理”中按意见修改后重新提交（{correction.title}）。"
                if one_notice else decision.comment, kind="returned")
            await self.human_step(correction.model_copy(update={"quiet": True}) if one_notice else correction)
            await self.set_status("in_review", "申请人已提交修改")

    async def _remind(self, task_id: str, pending: _Pending, *, overdue: bool) -> None:
        spec = pending.spec
        roles = [spec.role] if spec.assignee is None else []
        usernames = [spec.assignee] if spec.assignee else []
        if overdue:
            roles.append(SUPERVISOR.get(spec.role, "admin"))
            subject = f"【已超期】{spec.title}"
        else:
            subject = f"【即将到期】{spec.title}"
        await run_activity(
            NOTIFY,
            NotifyInput(
                key=f"{task_id}.{'escalation' if overdue else 'reminder'}.{pending.due_at.isoformat()}",
                subject=subject,
                body=f"任务「{spec.title}」：{spec.summary}",
                due_at=pending.due_at,
                kind="escalation" if overdue else "reminder",
                case_id=self._case_id,
                task_id=task_id,
                usernames=usernames,
                roles=roles,
                city=spec.city,
                org_id=spec.org_id,
                at=workflow.now(),
            ),
        )

    async def set_status(self, status: str, message: str = "", *, closed: bool = False,
                         result: dict[str, Any] | None = None) -> None:
        """Project the case's status into the database (and its timeline)."""
        self.status = status
        await run_activity(
            SET_CASE_STATUS,
            CaseStatusInput(case_id=self._case_id, status=status, message=message, closed=closed,
                            result=result or {}, at=workflow.now()),
        )

    async def notify_applicant(self, subject: str, body: str = "", *, kind: str = "info") -> None:
        """Tell the applicant (in-app, and e-mail/SMS where configured)."""
        assert self.case is not None
        await run_activity(
            NOTIFY,
            NotifyInput(
                key=f"{self._case_id}.applicant.{kind}.{sum(self._counters.values())}.{self.status}",
                subject=subject,
                body=body,
                kind=kind,
                case_id=self._case_id,
                usernames=[self.case.applicant_username] if self.case.applicant_username else [],
                at=workflow.now(),
            ),
        )

    async def draft(self, kind: str, *, params: dict[str, Any] | None = None, issuer: str = "department",
                    key: str | None = None) -> DocumentRef:
        """Draft one of the case's documents (key: case id + `key` or the kind, so a retry returns the same one)."""
        return await run_activity(DRAFT_DOCUMENT, DraftDocumentInput(
            key=f"{self._case_id}.{key or kind}", case_id=self._case_id, kind=kind, issuer=issuer,
            params=params or {}, at=workflow.now()), DocumentRef)

    async def update_result(self, result: dict[str, Any], message: str = "") -> None:
        """Merge figures into the case's result (and say so in its timeline)."""
        await run_activity(UPDATE_RESULT, ResultInput(case_id=self._case_id, result=result, message=message,
                                                      at=workflow.now()))

    async def set_deadline(self, name: str, closes_at: datetime, *, open: bool = True) -> None:
        """A named deadline of the case fixed by a rule (end of year, end of validity…)."""
        await run_activity(SET_DEADLINE, SetDeadlineInput(case_id=self._case_id, name=name, closes_at=closes_at,
                                                          at=workflow.now(), open=open))

    async def cancel_open_tasks(self, reason: str) -> None:
        """Cancel every open task of the case (it ended or was decided elsewhere)."""
        await run_activity(CANCEL_TASKS, CancelTasksInput(case_id=self._case_id, reason=reason, at=workflow.now()))

    async def close_case(self, status: str, message: str, *, result: dict[str, Any] | None = None,
                         cancel_reason: str | None = None, tell: tuple[str, str] | None = None,
                         kind: str = "result") -> str:
        """End the case: cancel its open tasks (when a reason is given), set the closing status, tell the applicant
        (`tell` = subject, body), and let in-flight Update handlers finish. Returns the status."""
        if cancel_reason is not None:
            await self.cancel_open_tasks(cancel_reason)
        await self.set_status(status, message, closed=True, result=result)
        if tell is not None:
            await self.notify_applicant(tell[0], tell[1], kind=kind)
        await self.finish()
        return self.status

    async def finish(self) -> None:
        """Let in-flight Update handlers finish before the workflow returns."""
        await workflow.wait_condition(workflow.all_handlers_finished)

    # --- a long life (a title's validity, a window's membership): parts, a watch, a hand-over ---------------------

    async def watch_parts(self, parts: Sequence[asyncio.Task[Any] | None], wake: Callable[[], bool], *,
                          until: datetime | None = None) -> None:
        """Wait while the life's parts run: until `wake()` holds, a part fails, or `until` passes (one timer). A part
        that failed fails the run here (its error is raised), so a bug in one yearly cycle is not silently lost."""
        running = [p for p in parts if p is not None]

        def failed(p: asyncio.Task[Any]) -> bool:
            return p.done() and not p.cancelled() and p.exception() is not None

        try:
            await workflow.wait_condition(
                lambda: wake() or any(failed(p) for p in running),
                timeout=None if until is None else until - workflow.now())
        except TimeoutError:
            pass
        for p in running:
            if failed(p):
                raise p.exception()  # type: ignore[misc]

    async def hand_over(self, next_run: Callable[[], Awaitable[Any]], *, ended: Callable[[], bool]) -> None:
        """Go on in a fresh run (continue-as-new, so a life of years keeps a short history) once every Update handler
        has finished, with the input `next_run` builds. Returns without handing over if `ended()` became true while
        the handlers finished (the case was revoked or withdrawn meanwhile): the caller then ends the case."""
        await self.finish()
        if ended():
            return
        workflow.continue_as_new(await next_run())

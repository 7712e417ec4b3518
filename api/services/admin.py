"""Administration: stuck work, retry/terminate a case, reassign/extend a task, the calendar, the simulated clock and
the steps' due times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import in_thread, require
from api.errors import ApiError, Conflict, Invalid, NotFound
from api.services.tasks import check_panel_seat
from api.views import case_json, iso, task_json
from api.workflows import signal_deadline, signal_due
from db import audit, users
from db import tasks as task_repo
from db.calendar import YEARS, due_times, fixed_due_times, load_calendar
from db.models import ActivityFailure, CalendarYear, Case, Deadline, StepConfig, Task, User
from db.tasks import cancel_open_tasks
from processes.registry import spec_of
from processes.spec import resolve
from rules.calendar import SHANGHAI, end_of_day_utc
from rules.errors import RuleViolation
from rules.official_calendar import schedule_from_entry
from workflows.notice_types import DeadlineChanged
from workflows.types import DueChanged


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Reassign(BaseModel):
    username: str


class Extend(BaseModel):
    working_days: int = Field(ge=1, le=60)
    reason: str = Field(min_length=1, max_length=2000)


class CalendarEntry(BaseModel):
    holidays: list[date]
    makeup_workdays: list[date] = Field(default_factory=list)


class Advance(BaseModel):
    days: float | None = Field(default=None, gt=0, le=3660)
    until: datetime | None = None


class StepTiming(BaseModel):
    due_working_days: int = Field(ge=1, le=365)
    reminder_working_days_before: int = Field(default=1, ge=0, le=30)


def stuck(session: Session, user: User, *, now: datetime, idle_days: int) -> dict[str, Any]:
    """Overdue tasks, activities that keep failing, and open cases without progress for `idle_days` days."""
    require(user, "admin")
    days = idle_days
    failing = session.exec(select(ActivityFailure).where(ActivityFailure.attempt >= 2)
                           .order_by(col(ActivityFailure.last_at).desc())).all()
    idle = session.exec(select(Case).where(col(Case.closed_at).is_(None), Case.updated_at < now - timedelta(days=days))
                        .order_by(col(Case.updated_at)).limit(200)).all()
    return {
        "overdue_tasks": [task_json(t, now=now, with_form=False) for t in task_repo.overdue(session, now=now)],
        "failing_activities": [{"workflow_id": f.workflow_id, "case_id": f.workflow_id, "activity": f.activity_type,
                                "attempts": f.attempt, "last_error": f.last_error, "last_at": iso(f.last_at)}
                               for f in failing],
        "idle_cases": [{**case_json(c), "idle_days": (now - c.updated_at).days} for c in idle],
        "idle_days": days,
    }


def admin_case(session: Session, user: User, case_id: str) -> Case:
    """The case an admin acts on (404 if there is none)."""
    require(user, "admin")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found", params={"case_id": case_id})
    return case


def _open_case(session: Session, user: User, case_id: str) -> Case:
    case = admin_case(session, user, case_id)
    if case.closed_at is not None:
        raise Conflict(f"case {case_id} is already closed ({case.status})", code="case_already_closed",
                       params={"case_id": case_id, "case_status": case.status})
    return case


async def terminate(session: Session, client: Client, user: User, case_id: str, body: Reason,
                    *, now: datetime) -> Case:
    """Stop a case's process for good, with a reason; its open tasks are cancelled. The database work runs in the
    thread pool, before and after the engine's termination (issue 12)."""
    case = await in_thread(session, _open_case, session, user, case_id)
    try:
        await client.get_workflow_handle(case_id).terminate(reason=body.reason)
    except RPCError as exc:
        # Only a process that is gone (finished, or never started) lets the case be closed here; any other error
        # leaves it running, so the case is not marked terminated while its workflow runs on.
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise ApiError(f"the engine did not terminate the case's process ({exc.message}); nothing was changed",
                           code="engine_unavailable", status=503) from None
    tell = await in_thread(session, _terminated, session, user, case, body, now=now)
    if tell is not None:
        await tell(client)
    return case


def _terminated(session: Session, user: User, case: Case, body: Reason,
                *, now: datetime) -> Callable[[Client], Awaitable[None]] | None:
    """`terminate`'s writes, with what the process gives back (`on_terminate`, in the same transaction); returns the
    engine calls the process makes after the commit, if any."""
    before = case.status
    case.status, case.closed_at, case.updated_at = "terminated", now, now
    cancel_open_tasks(session, case_id=case.id, reason=f"管理员终止：{body.reason}", at=now, actor=user.username)
    audit.record(session, action="terminated", at=now, actor=user.username, case_id=case.id,
                 message=f"管理员终止案件：{body.reason}", before={"status": before}, after={"status": "terminated"})
    spec = spec_of(case.type)
    if spec is not None and spec.on_terminate:  # what the process holds is given back (a voucher's fund)
        return resolve(spec.on_terminate)(session, case, now=now)
    return None


async def retry(session: Session, client: Client, user: User, case_id: str, body: Reason | None,
                *, now: datetime) -> dict[str, Any]:
    """Re-run a case's process from its last completed workflow task (a failing activity starts over at once)."""
    await in_thread(session, admin_case, session, user, case_id)

    async def reset() -> Any:
        handle = client.get_workflow_handle(case_id)
        last_task_done = None
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                last_task_done = event.event_id
        if last_task_done is None:
            raise Conflict("this case's process has not run a step yet; nothing to retry", code="nothing_to_retry")
        desc = await handle.describe()
        try:
            return await client.workflow_service.reset_workflow_execution(ResetWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=case_id, run_id=desc.run_id),
                reason=(body.reason if body else "admin retry"), workflow_task_finish_event_id=last_task_done,
                request_id=f"retry-{case_id}-{now.timestamp()}"))
        except RPCError as exc:
            if exc.status == RPCStatusCode.UNIMPLEMENTED:
                raise Conflict("this Temporal server cannot reset workflows (the time-skipping test server of "
                               "CLOCK=simulated); failing activities still retry on their own",
                               code="reset_unsupported") from None
            raise

    resp = await reset()  # the database is released while Temporal is called
    await in_thread(session, _retried, session, user, case_id, body, resp.run_id, now=now)
    return {"case_id": case_id, "run_id": resp.run_id}


def _retried(session: Session, user: User, case_id: str, body: Reason | None, run_id: str, *, now: datetime) -> None:
    session.execute(ActivityFailure.__table__.delete().where(ActivityFailure.workflow_id == case_id))  # type: ignore[attr-defined]
    audit.record(session, action="retried", at=now, actor=user.username, case_id=case_id,
                 message=f"管理员重试流程：{body.reason if body else ''}".strip("："), after={"run_id": run_id})


def eligible_assignees(session: Session, task: Task) -> list[dict[str, str]]:
    """Who a task may be reassigned to (the rule `reassign` applies): active, of the task's role and scope, not an
    admin, not excluded by the four-eyes rule, not its current holder; for a pick list instead of a typed name."""
    rows = session.exec(select(User).where(User.status == "active", User.role == task.role)
                        .order_by(col(User.username))).all()
    return [{"username": u.username, "name": u.display_name or u.username}
            for u in rows if u.role != "admin" and u.username not in task.excluded_users
            and u.username != task.assignee and task_repo.can_see(u, task, as_new_assignee=True)]


def eligible_for(session: Session, task_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """eligible_assignees of several tasks (the admin page's overdue list)."""
    out: dict[str, list[dict[str, str]]] = {}
    for tid in task_ids:
        task = session.get(Task, tid)
        out[tid] = eligible_assignees(session, task) if task is not None else []
    return out


def reassign(session: Session, user: User, task_id: str, body: Reassign, *, now: datetime) -> Task:
    """Give a task to a named person of the right role and scope."""
    require(user, "admin")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", code="task_not_found", params={"task_id": task_id})
    if task.status not in task_repo.OPEN_STATES:
        raise Conflict(f"this task is already {task.status}", code="task_not_open",
                       params={"task_status": task.status})
    target = users.by_username(session, body.username)
    if target is None or target.status != "active":
        raise Invalid(f"username: no active user '{body.username}'", code="no_active_user",
                      params={"username": body.username})
    if not task_repo.can_see(target, task, as_new_assignee=True) or target.role == "admin":
        raise Invalid(f"username: {body.username} ({target.role}) may not act on a {task.role} task of this scope",
                      code="assignee_out_of_scope",
                      params={"username": body.username, "user_role": target.role, "task_role": task.role})
    if target.username in task.excluded_users:
        raise Invalid(f"username: four-eyes rule: {body.username} made the first-line review of this case",
                      code="four_eyes_assignee", params={"username": body.username})
    check_panel_seat(session, task, target)  # one expert, one seat of a panel
    before = {"assignee": task.assignee, "status": task.status}
    task.assignee, task.status = target.username, "claimed"
    audit.record(session, action="task_reassigned", at=now, actor=user.username, case_id=task.case_id, task_id=task.id,
                 message=f"「{task.title}」改派给{target.username}", before=before,
                 after={"assignee": target.username, "status": "claimed"})
    return task


def _retime(session: Session, task: Task) -> DueChanged:
    """The task's due and reminder times under the calendar in force. A fixed due time (`due_fixed`, e.g. an annual
    report due by the end of February) stays where it is; only its reminder and working-day count follow the
    calendar. Otherwise the due time is counted from the opening in `due_working_days`."""
    cal = load_calendar(session)
    remind = session.get(StepConfig, task.type)
    remind_before = remind.reminder_working_days_before if remind else 1
    if task.due_fixed:
        due, reminder, confirmed, days = fixed_due_times(cal, at=task.opened_at, due=task.due_at,
                                                         remind_before=remind_before)
        task.due_working_days = days
    else:
        due, reminder, confirmed = due_times(cal, at=task.opened_at, working_days=task.due_working_days,
                                             remind_before=remind_before)
    task.due_at, task.reminder_at, task.due_confirmed = due, reminder, confirmed
    return DueChanged(task_id=task.id, due_at=due, reminder_at=reminder)


async def extend(session: Session, client: Client, user: User, task_id: str, body: Extend,
                 *, now: datetime) -> Task:
    """Give a task more working days, with a reason; the workflow re-times its reminder and escalation. The database
    work runs in the thread pool (issue 12)."""
    task, change = await in_thread(session, _extended, session, user, task_id, body, now=now)
    await signal_due(client, case_id=task.case_id, change=change)
    return task


def _extended(session: Session, user: User, task_id: str, body: Extend, *, now: datetime) -> tuple[Task, DueChanged]:
    """`extend`'s database part: the task with its new due time, and the change the workflow is told."""
    require(user, "admin")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", code="task_not_found", params={"task_id": task_id})
    if task.status not in task_repo.OPEN_STATES:
        raise Conflict(f"this task is already {task.status}", code="task_not_open",
                       params={"task_status": task.status})
    before = {"due_at": iso(task.due_at), "due_working_days": task.due_working_days}
    if task.due_fixed:
        # A fixed due date moves by the extra working days counted from that date (from today once it has passed);
        # the new date is fixed in turn, so a calendar entry keeps it.
        cal = load_calendar(session)
        last_day = (max(task.due_at, now).astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
        task.due_at = end_of_day_utc(cal.add_working_days(event_day=last_day, working_days=body.working_days))
    elif task.due_at < now:
        # An overdue task gets its extra working days counted from today, not from its old due day.
        cal = load_calendar(session)
        elapsed = cal.working_days_between(start=task.opened_at.astimezone(SHANGHAI).date(),
                                           end=now.astimezone(SHANGHAI).date())
        task.due_working_days = elapsed + body.working_days
    else:
        task.due_working_days += body.working_days
    change = _retime(session, task)
    audit.record(session, action="task_extended", at=now, actor=user.username, case_id=task.case_id, task_id=task.id,
                 message=f"「{task.title}」延期{body.working_days}个工作日：{body.reason}", before=before,
                 after={"due_at": iso(task.due_at), "due_working_days": task.due_working_days})
    return task, change


async def put_calendar(session: Session, client: Client, user: User, year: int, body: CalendarEntry,
                       *, now: datetime) -> dict[str, Any]:
    """Enter a year's official schedule; open deadlines that touch that year are recomputed. The database work runs
    in the thread pool; the cases are told after the commit (issue 12)."""
    changes, moved = await in_thread(session, _calendar_entered, session, user, year, body, now=now)
    for case_id, change in changes:
        await signal_due(client, case_id=case_id, change=change)
    for case_id, deadline in moved:  # a public notice's close moved: its workflow re-times the close and the objection check
        await signal_deadline(client, case_id=case_id, change=deadline)
    return {"year": year, "confirmed": True, "recomputed_tasks": len(changes)}


def _calendar_entered(session: Session, user: User, year: int, body: CalendarEntry, *,
                      now: datetime) -> tuple[list[tuple[str, DueChanged]], list[tuple[str, DeadlineChanged]]]:
    """`put_calendar`'s database part: the year's entry, the re-timed tasks and the deadlines whose close moved."""
    require(user, "admin")
    if year not in YEARS:
        raise Invalid(f"year: flow168 keeps calendars for {YEARS.start}-{YEARS.stop - 1}",
                      code="calendar_year_out_of_range", params={"first": YEARS.start, "last": YEARS.stop - 1})
    try:
        schedule_from_entry(year=year, holidays=body.holidays, makeup_workdays=body.makeup_workdays)
    except (RuleViolation, ValueError) as exc:
        raise Invalid(getattr(exc, "message", str(exc)),
                      code=getattr(exc, "code", "invalid_calendar_entry")) from None
    row = session.get(CalendarYear, year) or CalendarYear(year=year, entered_at=now)
    before = {"holidays": row.holidays, "makeup_workdays": row.makeup_workdays}
    row.holidays = sorted(d.isoformat() for d in body.holidays)
    row.makeup_workdays = sorted(d.isoformat() for d in body.makeup_workdays)
    row.entered_by, row.entered_at = user.username, now
    session.add(row)
    audit.record(session, action="calendar_entered", at=now, actor=user.username, message=f"录入{year}年节假日安排",
                 before=before, after={"holidays": row.holidays, "makeup_workdays": row.makeup_workdays})
    session.flush()
    periods = {d.id: d.closes_at for d in session.exec(select(Deadline).where(Deadline.open == True))}  # noqa: E712
    changes = recompute_deadlines(session, year=year)
    moved = [(d.case_id, DeadlineChanged(name=d.name, closes_at=d.closes_at))
             for d in session.exec(select(Deadline).where(col(Deadline.id).in_(list(periods))))
             if d.closes_at != periods[d.id]]
    return changes, moved


def recompute_deadlines(session: Session, *, year: int) -> list[tuple[str, DueChanged]]:
    """Re-time open tasks and deadlines whose period touches `year`."""
    def touches(start: datetime, end: datetime) -> bool:
        return start.astimezone(SHANGHAI).year <= year <= end.astimezone(SHANGHAI).year + 1

    changes = []
    for task in session.exec(select(Task).where(col(Task.status).in_(task_repo.OPEN_STATES))):
        if touches(task.opened_at, task.due_at):
            old = (task.due_at, task.reminder_at)
            change = _retime(session, task)
            if (change.due_at, change.reminder_at) != old:
                changes.append((task.case_id, change))
    cal = load_calendar(session)
    for d in session.exec(select(Deadline).where(Deadline.open == True, col(Deadline.working_days).is_not(None))):  # noqa: E712
        if touches(d.event_at, d.closes_at):
            d.closes_at = cal.closes_at(event=d.event_at, working_days=d.working_days or 1)
            d.confirmed = cal.confirmed_between(start=d.event_at.astimezone(SHANGHAI).date(),
                                                end=d.closes_at.astimezone(SHANGHAI).date() - timedelta(days=1))
    return changes


async def advance(clock: Any, user: User, body: Advance) -> dict[str, Any]:
    """Move simulated time forward (training, demos, black-box tests); refused on the real clock."""
    require(user, "admin")
    if not clock.simulated:
        raise Conflict("the clock is real; time can only be advanced when flow168 runs with CLOCK=simulated", code="clock_real")
    now = await clock.now()
    if body.until is not None:
        until = body.until if body.until.tzinfo else body.until.replace(tzinfo=SHANGHAI)
        delta = until - now
    elif body.days is not None:
        delta = timedelta(days=body.days)
    else:
        raise Invalid("give 'days' or 'until'", code="advance_missing")
    if delta <= timedelta(0):
        raise Invalid(f"until: {body.until} is not after the current time {now.isoformat()}",
                      code="advance_not_after")
    try:
        new_now = await clock.advance(delta)
    except RPCError as exc:
        raise ApiError(f"the simulated clock did not finish moving ({exc.message}); some timers may have fired. "
                       "Read GET /api/clock and advance again if needed", code="clock_advance_incomplete", status=503) from None
    return {"now": new_now.isoformat(), "advanced_seconds": int(delta.total_seconds()), "simulated": True}


def list_steps(session: Session, user: User) -> dict[str, Any]:
    from db.steps import default_due_days, step_timing

    require(user, "admin")
    types = sorted(set(default_due_days()) | {r.type for r in session.exec(select(StepConfig))})
    items = []
    for t in types:
        due, remind = step_timing(session, t)
        items.append({"type": t, "due_working_days": due, "reminder_working_days_before": remind})
    return {"items": items, "total": len(items)}


def put_step(session: Session, user: User, task_type: str, body: StepTiming, *, now: datetime) -> dict[str, Any]:
    """Set a step's due time in working days (applies to tasks opened from now on)."""
    require(user, "admin")
    row = session.get(StepConfig, task_type) or StepConfig(type=task_type, due_working_days=body.due_working_days)
    row.due_working_days, row.reminder_working_days_before = body.due_working_days, body.reminder_working_days_before
    session.add(row)
    audit.record(session, action="step_config", at=now, actor=user.username, message=f"设置{task_type}办理时限",
                 after=body.model_dump())
    return {"type": task_type, **body.model_dump()}

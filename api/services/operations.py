"""The operations console: stuck cases found in bulk and acted on as one batch (reassign, extend, retry, terminate,
move back to an earlier step), each case with its own result and audit entry; workflow-task failures surfaced with
the case and the error; a case's engine history as a timeline.

The single-case actions are api/services/admin.py's (terminate, retry, reassign, extend): this module only selects
and loops. Moving a case back is a Temporal reset to the workflow task that opened the named step, allowed only
when nothing after that point touched anything but the task rows, the case status, notifications and the case's
result (no money, no documents, no public notice, no child workflow); otherwise it is refused with the reason."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import Session, col, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import (
    EventType,
    ResetReapplyExcludeType,
    ResetReapplyType,
    WorkflowExecutionStatus,
    WorkflowTaskFailedCause,
)
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import in_thread, require
from api.errors import ApiError, Conflict, Invalid
from api.services import admin as admin_service
from api.views import case_json, event_json, iso
from db import audit
from db import tasks as task_repo
from db.models import ActivityFailure, Case, Task, TimelineEvent, User
from processes.registry import specs

MAX_CASES = 500
# What a moved-back stretch of history may contain: activities whose effects are the task rows, the case's status and
# result, and notifications (re-running them is harmless); anything else (money, documents, notices) refuses.
SAFE_TO_REDO = {"open_task", "close_task", "set_case_status", "notify", "update_case_result", "cancel_tasks"}


class CaseFilter(BaseModel):
    type: str | None = None
    status: str | None = None
    step: str | None = None  # a task type the case has open
    city: str | None = None
    min_age_days: int | None = Field(default=None, ge=0, le=3650)
    overdue: bool = False
    failing: bool = False
    failing_activity: str | None = None  # only cases where this activity keeps failing
    open_only: bool = True


class BatchAction(BaseModel):
    action: Literal["reassign", "extend", "retry", "terminate", "move_back"]
    case_ids: list[str] = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    username: str | None = Field(default=None, max_length=100)  # reassign
    working_days: int | None = Field(default=None, ge=1, le=60)  # extend
    step: str | None = Field(default=None, max_length=200)  # reassign/extend: only this task type; move_back: target


def find_cases(session: Session, user: User, f: CaseFilter, *, now: datetime) -> dict[str, Any]:
    """Cases matching every given filter, oldest first, each with its open tasks and its failures."""
    require(user, "admin")
    stmt = select(Case)
    if f.open_only:
        stmt = stmt.where(col(Case.closed_at).is_(None))
    if f.type:
        stmt = stmt.where(Case.type == f.type)
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    if f.city:
        stmt = stmt.where(Case.city == f.city)
    if f.min_age_days is not None:
        stmt = stmt.where(Case.created_at <= now - timedelta(days=f.min_age_days))
    cases = list(session.exec(stmt.order_by(col(Case.created_at)).limit(5000)))
    ids = [c.id for c in cases]
    tasks: dict[str, list[Task]] = {}
    failures: dict[str, list[ActivityFailure]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for t in session.exec(select(Task).where(col(Task.case_id).in_(chunk), col(Task.status).in_(task_repo.OPEN_STATES))):
            tasks.setdefault(t.case_id, []).append(t)
        for a in session.exec(select(ActivityFailure).where(col(ActivityFailure.workflow_id).in_(chunk))):
            failures.setdefault(a.workflow_id, []).append(a)
    items = []
    for c in cases:
        open_tasks = tasks.get(c.id, [])
        if f.step and not any(t.type == f.step for t in open_tasks):
            continue
        overdue = [t for t in open_tasks if t.due_at < now]
        if f.overdue and not overdue:
            continue
        failing = [a for a in failures.get(c.id, []) if a.attempt >= 2]
        if (f.failing or f.failing_activity) and not failing:
            continue
        if f.failing_activity and not any(a.activity_type == f.failing_activity for a in failing):
            continue
        items.append({**case_json(c), "age_days": (now - c.created_at).days,
                      "open_tasks": [{"id": t.id, "type": t.type, "title": t.title, "assignee": t.assignee,
                                      "due_at": iso(t.due_at), "overdue": t.due_at < now} for t in open_tasks],
                      "overdue": bool(overdue),
                      "failing": [{"activity": a.activity_type, "attempts": a.attempt, "last_error": a.last_error,
                                   "last_at": iso(a.last_at)} for a in failing]})
        if len(items) >= MAX_CASES:
            break
    return {"items": items, "total": len(items), "limited": len(items) >= MAX_CASES}


def _steps_of(session: Session, case_id: str, step: str | None) -> list[Task]:
    stmt = select(Task).where(Task.case_id == case_id, col(Task.status).in_(task_repo.OPEN_STATES))
    tasks = [t for t in session.exec(stmt) if step is None or t.type == step]
    if not tasks:
        raise Conflict(f"case {case_id} has no open task{' of type ' + step if step else ''}", code="case_no_open_task",
                       params={"case_id": case_id})
    return tasks


async def batch(session: Session, client: Client, user: User, body: BatchAction, *, now: datetime) -> dict[str, Any]:
    """Run one action on every selected case; each case succeeds or fails on its own (a failure leaves that case as it
    was); every attempt is in the case's audit trail."""
    require(user, "admin")
    if body.action in ("extend", "terminate", "move_back") and not (body.reason or "").strip():
        raise Invalid("reason: this action needs a reason", code="batch_reason_required")
    if body.action == "reassign" and not body.username:
        raise Invalid("username: name the person to give the tasks to", code="batch_username_required")
    if body.action == "extend" and body.working_days is None:
        raise Invalid("working_days: give the extra working days", code="batch_days_required")
    if body.action == "move_back" and not body.step:
        raise Invalid("step: name the earlier step to move back to", code="batch_step_required")
    results = []
    reason = (body.reason or "").strip()
    for case_id in dict.fromkeys(body.case_ids):
        # Each step of `_one` commits its own database work in the thread pool, or rolls it back (issue 12).
        try:
            detail = await _one(session, client, user, body, case_id, reason, now=now)
            results.append({"case_id": case_id, "ok": True, "detail": detail})
            outcome = "成功"
        except ApiError as exc:
            results.append({"case_id": case_id, "ok": False, "code": exc.code, "detail": exc.detail,
                            "params": exc.params})
            outcome = f"未执行（{exc.code}）"
        except RPCError as exc:  # the engine refused this case (e.g. its run is gone); the others go on
            results.append({"case_id": case_id, "ok": False, "code": "engine_refused",
                            "detail": f"the engine refused: {exc.message}", "params": {}})
            outcome = "未执行（engine_refused）"
        await in_thread(session, _batch_audited, session, user, body.action, case_id, outcome, reason,
                        ok=results[-1]["ok"], now=now)
    ok = sum(1 for r in results if r["ok"])
    return {"action": body.action, "results": results, "succeeded": ok, "failed": len(results) - ok}


def _batch_audited(session: Session, user: User, action: str, case_id: str, outcome: str, reason: str, *, ok: bool,
                   now: datetime) -> None:
    if session.get(Case, case_id) is not None:
        audit.record(session, action="batch_action", at=now, actor=user.username, case_id=case_id,
                     message=f"批量操作「{ACTION_ZH[action]}」{outcome}" + (f"：{reason}" if reason else ""),
                     after={"action": action, "ok": ok})


ACTION_ZH = {"reassign": "改派", "extend": "延期", "retry": "重试", "terminate": "终止", "move_back": "退回到前序步骤"}


async def _one(session: Session, client: Client, user: User, body: BatchAction, case_id: str, reason: str,
               *, now: datetime) -> str:
    case = await in_thread(session, admin_service.admin_case, session, user, case_id)
    if body.action == "terminate":
        await admin_service.terminate(session, client, user, case_id, admin_service.Reason(reason=reason), now=now)
        return "terminated"
    if body.action == "retry":
        out = await admin_service.retry(session, client, user, case_id,
                                        admin_service.Reason(reason=reason) if reason else None, now=now)
        return f"run {out['run_id']}"
    if body.action == "move_back":
        return await move_back(session, client, user, case_id, step=body.step or "", reason=reason, now=now)
    if case.closed_at is not None:
        raise Conflict(f"case {case_id} is already closed ({case.status})", code="case_already_closed",
                       params={"case_id": case_id, "case_status": case.status})
    if body.action == "reassign":  # one transaction: a refused task leaves the case's other tasks as they were
        return await in_thread(session, _reassigned, session, user, body, case_id, now=now)
    done = []
    for t in await in_thread(session, _steps_of, session, case_id, body.step):
        await admin_service.extend(session, client, user, t.id, admin_service.Extend(
            working_days=body.working_days or 1, reason=reason), now=now)
        done.append(t.id)
    return ", ".join(done)


def _reassigned(session: Session, user: User, body: BatchAction, case_id: str, *, now: datetime) -> str:
    done = []
    for t in _steps_of(session, case_id, body.step):
        admin_service.reassign(session, user, t.id, admin_service.Reassign(username=body.username or ""), now=now)
        done.append(t.id)
    return ", ".join(done)


# --- moving a case back to an earlier step ----------------------------------------------------------------------


def _payload_json(payloads: Any) -> list[Any]:
    out = []
    for p in payloads.payloads:
        try:
            out.append(json.loads(p.data))
        except ValueError:
            out.append(None)
    return out


LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the marker Temporal's SDK records for a local activity


def local_activity(e: Any) -> tuple[str, str] | None:
    """A local activity's (type, failure message) from its marker event, or None for any other event. A case runs
    its activities as local ones since patch "local-activities" (workflows/human.py): no scheduled event, a marker."""
    if e.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    m = e.marker_recorded_event_attributes
    if m.marker_name != LOCAL_ACTIVITY_MARKER:
        return None
    data = _payload_json(m.details["data"]) if "data" in m.details else []
    kind = str(data[0].get("activity_type", "")) if data and isinstance(data[0], dict) else ""
    return kind, m.failure.message if m.HasField("failure") else ""


async def _reset_point(client: Client, case_id: str, step: str) -> tuple[int, str, list[str]]:
    """The workflow task that last opened `step`, the run id, and the activities scheduled after it."""
    handle = client.get_workflow_handle(case_id)
    events = [e async for e in handle.fetch_history_events()]
    point = None
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = e.activity_task_scheduled_event_attributes
            if a.activity_type.name == "open_task":
                args = _payload_json(a.input)
                spec = (args[0] or {}).get("spec", {}) if args and isinstance(args[0], dict) else {}
                if spec.get("type") == step:
                    point = (e.event_id, a.workflow_task_completed_event_id)
    if point is None:
        raise Conflict(f"case {case_id} never reached the step {step}", code="move_back_no_such_step",
                       params={"case_id": case_id, "step": step})
    later = []
    for e in events:
        if e.event_id <= point[0]:
            continue
        local = local_activity(e)
        if local is not None:
            later.append(local[0])
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            later.append(e.activity_task_scheduled_event_attributes.activity_type.name)
        elif e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            later.append("child_workflow")
        elif e.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            later.append("signal_external")
    desc = await handle.describe()
    return point[1], desc.run_id, later


async def move_back(session: Session, client: Client, user: User, case_id: str, *, step: str, reason: str,
                    now: datetime) -> str:
    """Reset the case's workflow to the workflow task that opened `step`: the step's task opens again (fresh due
    time), later tasks are cancelled, the case's status is what it was when the step opened. The database work runs
    in the thread pool, before and after the reset (issue 12)."""
    case, target = await in_thread(session, _move_back_target, session, user, case_id, step)
    try:
        wft, run_id, later = await _reset_point(client, case_id, step)
    except RPCError as exc:
        raise Conflict(f"the engine has no history for case {case_id}: {exc.message}", code="move_back_no_history",
                       params={"case_id": case_id}) from None
    safe = SAFE_TO_REDO.union(*(spec.redo_safe for spec in specs().values()))
    unsafe = sorted({a for a in later if a not in safe})
    if unsafe:
        raise Conflict(f"case {case_id} cannot move back to {step}: after it the process ran {', '.join(unsafe)}, "
                       "whose effects a reset would repeat", code="move_back_unsafe",
                       params={"case_id": case_id, "step": step, "activities": ", ".join(unsafe)})
    try:
        resp = await client.workflow_service.reset_workflow_execution(ResetWorkflowExecutionRequest(
            namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=case_id, run_id=run_id),
            reason=f"move back to {step}: {reason}", workflow_task_finish_event_id=wft,
            request_id=f"move-back-{case_id}-{step}-{now.timestamp()}",
            # The decisions and due-time signals after the step belong to the undone stretch: not replayed.
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
            reset_reapply_exclude_types=[ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
                                         ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE]))
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNIMPLEMENTED:
            raise Conflict("this Temporal server cannot reset workflows (the time-skipping test server of "
                           "CLOCK=simulated)", code="reset_unsupported") from None
        raise Conflict(f"the engine refused to move case {case_id} back: {exc.message}", code="move_back_refused",
                       params={"case_id": case_id}) from None
    await in_thread(session, _moved_back, session, user, case, target, step=step, reason=reason, run_id=resp.run_id,
                    now=now)
    return f"run {resp.run_id}"


def _move_back_target(session: Session, user: User, case_id: str, step: str) -> tuple[Case, Task]:
    """The case and its step's last task (409 if the case never reached the step)."""
    case = admin_service.admin_case(session, user, case_id)
    target = session.exec(select(Task).where(Task.case_id == case_id, Task.type == step)
                          .order_by(col(Task.opened_at).desc())).first()
    if target is None:
        raise Conflict(f"case {case_id} never reached the step {step}", code="move_back_no_such_step",
                       params={"case_id": case_id, "step": step})
    return case, target


def _moved_back(session: Session, user: User, case: Case, target: Task, *, step: str, reason: str, run_id: str,
                now: datetime) -> None:
    """`move_back`'s writes after the reset."""
    case_id = case.id
    # The step and everything opened since are set aside under a new id (kept for the record); the re-run opens the
    # step's task again under its usual id.
    later_tasks = list(session.exec(select(Task).where(Task.case_id == case_id, Task.opened_at >= target.opened_at)))
    n = 1 + len(list(session.exec(select(TimelineEvent).where(TimelineEvent.case_id == case_id,
                                                               TimelineEvent.action == "moved_back"))))
    for t in later_tasks:
        status = "cancelled" if t.status in task_repo.OPEN_STATES else t.status
        session.execute(update(Task).where(col(Task.id) == t.id).values(id=f"{t.id}.undone{n}", status=status))
    restored = session.exec(select(TimelineEvent).where(TimelineEvent.case_id == case_id, TimelineEvent.action == "status",
                                                        TimelineEvent.at <= target.opened_at)
                            .order_by(col(TimelineEvent.id).desc())).first()
    before = case.status
    session.refresh(case)
    if restored is not None:
        case.status = str(restored.after.get("status", case.status))
    case.closed_at, case.updated_at = None, now
    session.execute(ActivityFailure.__table__.delete().where(ActivityFailure.workflow_id == case_id))  # type: ignore[attr-defined]
    audit.record(session, action="moved_back", at=now, actor=user.username, case_id=case_id,
                 message=f"管理员将案件退回到「{target.title}」：{reason}", before={"status": before},
                 after={"status": case.status, "step": step, "run_id": run_id})


# --- workflow-task failures -----------------------------------------------------------------------------------


async def _problem(client: Client, case: Case) -> dict[str, Any] | None:
    handle = client.get_workflow_handle(case.id)
    try:
        desc = await handle.describe()
    except RPCError:
        return None
    raw = desc.raw_description
    pending = raw.pending_workflow_task if raw.HasField("pending_workflow_task") else None
    ended = desc.status is not None and desc.status not in (WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
                                                             WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
                                                             WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
    attempts = pending.attempt if pending is not None else 0
    if attempts < 2 and not ended:
        return None
    cause, message, at = "", "", None
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            a = e.workflow_task_failed_event_attributes
            cause, message, at = "WORKFLOW_TASK_FAILED", a.failure.message, e.event_time.ToDatetime()
            cause = f"WORKFLOW_TASK_FAILED: {WorkflowTaskFailedCause.Name(a.cause)}" if a.cause else cause
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            a2 = e.workflow_execution_failed_event_attributes
            cause, message, at = "WORKFLOW_EXECUTION_FAILED", a2.failure.message, e.event_time.ToDatetime()
    if not message and not ended:
        return None
    return {"case_id": case.id, "case_type": case.type, "case_status": case.status, "title": case.title,
            "attempts": attempts, "engine_status": desc.status.name if desc.status else "",
            "cause": cause, "error": message[:2000], "at": at.isoformat() + "Z" if at else None}


async def workflow_problems(session: Session, client: Client, user: User, *, limit: int = 300) -> dict[str, Any]:
    """Open cases whose workflow task keeps failing (non-determinism after a deploy, a bug raising in workflow code)
    or whose workflow failed while the case is still open: asked of the engine (describe: the pending workflow
    task's attempt; the history's last failure)."""
    require(user, "admin")
    cases = await in_thread(session, _open_cases, session, limit)
    gate = asyncio.Semaphore(16)

    async def one(c: Case) -> dict[str, Any] | None:
        async with gate:
            return await _problem(client, c)

    found = [p for p in await asyncio.gather(*(one(c) for c in cases)) if p]
    return {"items": found, "total": len(found), "checked": len(cases)}


def _open_cases(session: Session, limit: int) -> list[Case]:
    return list(session.exec(select(Case).where(col(Case.closed_at).is_(None)).order_by(col(Case.updated_at).desc())
                             .limit(limit)))


# --- the engine's history of a case ---------------------------------------------------------------------------

_LABELS = {
    "WORKFLOW_EXECUTION_STARTED": "流程启动", "WORKFLOW_EXECUTION_COMPLETED": "流程结束",
    "WORKFLOW_EXECUTION_FAILED": "流程失败", "WORKFLOW_EXECUTION_TERMINATED": "流程被终止",
    "WORKFLOW_TASK_FAILED": "流程代码执行失败", "ACTIVITY_TASK_SCHEDULED": "安排步骤",
    "ACTIVITY_TASK_FAILED": "步骤失败", "ACTIVITY_TASK_TIMED_OUT": "步骤超时", "TIMER_STARTED": "设置定时器",
    "TIMER_FIRED": "定时器触发", "WORKFLOW_EXECUTION_SIGNALED": "收到信号",
    "WORKFLOW_EXECUTION_UPDATE_ACCEPTED": "收到办理结果", "WORKFLOW_EXECUTION_UPDATE_COMPLETED": "办理结果已处理",
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED": "启动子流程", "WORKFLOW_EXECUTION_CONTINUED_AS_NEW": "流程续期",
    "LOCAL_ACTIVITY": "执行步骤", "LOCAL_ACTIVITY_FAILED": "步骤失败",
}


def _span(d: timedelta) -> str:
    """A timer's length in Chinese: 3天4小时35分."""
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = (f"{days}天" if days else "") + (f"{hours}小时" if hours else "") + (f"{mins}分" if mins else "")
    return text or f"{int(d.total_seconds())}秒"


async def engine_history(session: Session, client: Client, user: User, case_id: str,
                         *, ui_base: str | None) -> dict[str, Any]:
    """The workflow's history condensed to what a person reads (no workflow-task bookkeeping), with the link to the
    same history in the Temporal UI."""
    require(user, "admin")
    case = await in_thread(session, admin_service.admin_case, session, user, case_id)
    events = []
    error = ""
    try:
        async for e in client.get_workflow_handle(case_id).fetch_history_events():
            name = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
            local = local_activity(e)
            if local is not None:
                name = "LOCAL_ACTIVITY_FAILED" if local[1] else "LOCAL_ACTIVITY"
            if name not in _LABELS:
                continue
            what = ""
            if local is not None:
                what = f"{local[0]}: {local[1]}" if local[1] else local[0]
            elif name == "ACTIVITY_TASK_SCHEDULED":
                what = e.activity_task_scheduled_event_attributes.activity_type.name
            elif name == "ACTIVITY_TASK_FAILED":
                what = e.activity_task_failed_event_attributes.failure.message
            elif name == "WORKFLOW_TASK_FAILED":
                what = e.workflow_task_failed_event_attributes.failure.message
            elif name == "WORKFLOW_EXECUTION_SIGNALED":
                what = e.workflow_execution_signaled_event_attributes.signal_name
            elif name == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
                what = e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            elif name == "WORKFLOW_EXECUTION_TERMINATED":
                what = e.workflow_execution_terminated_event_attributes.reason
            elif name == "TIMER_STARTED":
                what = _span(e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta())
            events.append({"id": e.event_id, "at": e.event_time.ToDatetime().isoformat() + "Z", "type": name,
                           "label": _LABELS[name], "detail": what[:500],
                           "problem": name in ("WORKFLOW_TASK_FAILED", "ACTIVITY_TASK_FAILED", "WORKFLOW_EXECUTION_FAILED",
                                               "ACTIVITY_TASK_TIMED_OUT", "LOCAL_ACTIVITY_FAILED")})
    except RPCError as exc:  # no run (a case from before the engine's retention) or the engine is unreachable
        if exc.status != RPCStatusCode.NOT_FOUND:
            error = exc.message
    ui = f"{ui_base.rstrip('/')}/namespaces/{client.namespace}/workflows/{case_id}/history" if ui_base else None
    timeline = await in_thread(session, _timeline, session, case_id)
    return {"case": case_json(case), "events": events, "timeline": timeline, "temporal_ui": ui, "engine_error": error}


def _timeline(session: Session, case_id: str) -> list[dict[str, Any]]:
    return [event_json(e) for e in audit.timeline(session, case_id)]

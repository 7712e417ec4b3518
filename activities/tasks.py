"""Task rows and the case projection: the activities behind the shared human step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam, select, update
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.cases import write_status
from activities.definition import defn
from activities.notify import NotifyActivities
from db import audit
from db.calendar import due_times, fixed_due_times, load_calendar
from db.cases import APPLICANTS
from db.engine import CONFLICT_INSERTS, reader, session_scope
from db.models import Case, Task
from db.steps import step_timing
from processes.registry import spec_of
from workflows.types import (
    CloseTaskInput,
    NotifyInput,
    OpenTaskInput,
    StepSpec,
    TaskOpened,
)


@dataclass
class TaskActivities:
    """Opens and closes task rows and keeps the case row in step with the workflow."""

    engine: Engine
    # Tells the applicant when a step becomes its own (in-app, e-mail, SMS through the notify outbox), issue 15.
    notifier: NotifyActivities | None = None

    @defn(name="open_task")
    def open_task(self, inp: OpenTaskInput) -> TaskOpened:
        """Insert the task row once (its id is workflow id + step), with its due and reminder times."""
        # The step's times depend on its settings and the working-day calendar: read and computed before the write
        # lock, in a read-only transaction (a setting changed meanwhile counts as changed just after; issue 12: they
        # were two queries and the calendar's arithmetic inside every task's turn at the lock).
        with session_scope(reader(self.engine)) as r:
            days, remind_before = step_timing(r, inp.spec.type)
            if inp.spec.due_at is not None:
                due, reminder, confirmed, days = fixed_due_times(load_calendar(r), at=inp.at, due=inp.spec.due_at,
                                                                 remind_before=remind_before)
            else:
                due, reminder, confirmed = due_times(load_calendar(r), at=inp.at, working_days=days,
                                                     remind_before=remind_before)
            # The case's title (set when the case is created), and whom the step's own notice would reach.
            title = r.execute(_CASE_TITLE, {"case_id": inp.case_id}).scalar_one_or_none()
            people = None
            if self.notifier is not None:
                ahead = _your_turn(_opening(inp), None, at=inp.at, spec=inp.spec)
                people = self.notifier.recipients(r, ahead) if ahead is not None else None
        if title is None:
            raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
        # The row as it opens, built before the lock too (issue 12, fourteenth round: inside the turn there is one
        # INSERT … ON CONFLICT DO NOTHING instead of an ORM lookup and flush).
        spec = inp.spec
        row = {"id": inp.task_id, "case_id": inp.case_id, "type": spec.type, "title": spec.title,
               "summary": spec.summary or title, "role": spec.role, "city": spec.city, "org_id": spec.org_id,
               "assignee": spec.assignee, "status": "claimed" if spec.assignee else "open", "decisions": spec.decisions,
               "form": spec.form, "excluded_users": inp.excluded_users, "opened_at": inp.at, "due_working_days": days,
               "due_at": due, "reminder_at": reminder, "due_confirmed": confirmed, "due_fixed": spec.due_at is not None,
               "data": dict(spec.prefill)}
        insert = _task_insert(self.engine.dialect.name)
        with session_scope(self.engine) as s:
            if inp.status is not None:  # the case's status as the step opens, in the same transaction (a retry: no-op)
                write_status(s, inp.status)
            opened_now = s.execute(insert, row).first() is not None
            task: Task | _Opened | None = _Opened(**{k: row[k] for k in _Opened.__slots__}) if opened_now \
                else s.get(Task, inp.task_id)
            assert task is not None  # inserted now, or by an earlier attempt of this activity
            if opened_now:
                s.execute(_TOUCH_CASE, {"case_id": inp.case_id, "at": inp.at})
                audit.record(s, action="task_opened", at=inp.at, case_id=inp.case_id, task_id=inp.task_id,
                             message=f"待办「{spec.title}」已生成", after={"role": spec.role, "due_at": due.isoformat()},
                             key=f"{inp.task_id}.opened")
            opened = TaskOpened(task_id=task.id, due_at=task.due_at, reminder_at=task.reminder_at)
            tell = _your_turn(task, title, at=inp.at, spec=inp.spec)
            audience = people if tell is not None and _same_audience(tell, inp) else None
            if tell is not None and self.notifier is not None:
                # In the same transaction (one fewer turn at the write lock), keyed by the task: a retry of this
                # activity sends nothing twice.
                self.notifier.write(s, tell, audience)
        if tell is not None and self.notifier is not None:
            self.notifier.deliver(tell, audience)
        return opened

    @defn(name="close_task")
    def close_task(self, inp: CloseTaskInput) -> None:
        """Mark the task completed with its decision; a correction also replaces the case's data."""
        if not (inp.update_case_data and inp.data):
            # Most steps (issue 12, fourteenth round): what the closing needs is read before the write lock, and the
            # turn is one UPDATE of the task on the condition that it is still as read, the case's time and the
            # event. A task claimed or released in between goes the way below.
            with session_scope(reader(self.engine)) as r:
                was = r.execute(_TASK_BEFORE, {"task_id": inp.task_id}).first()
            if was is None or was.status == "completed":
                return
            with session_scope(self.engine) as s:
                closed = s.execute(_CLOSE, {
                    "t_id": inp.task_id, "was_status": was.status, "was_assignee": was.assignee,
                    "v_decision": inp.decision, "v_comment": inp.comment, "v_data": inp.data, "v_at": inp.at,
                    "v_by": inp.actor, "v_assignee": was.assignee or inp.actor}).rowcount
                if closed == 1:
                    s.execute(_TOUCH_CASE, {"case_id": inp.case_id, "at": inp.at})
                    _record_closed(s, inp, title=was.title, before={"status": was.status, "assignee": was.assignee})
                    return
        with session_scope(self.engine) as s:
            task = s.get(Task, inp.task_id)
            if task is None or task.status == "completed":
                return
            before = {"status": task.status, "assignee": task.assignee}
            task.status, task.decision, task.comment, task.data = "completed", inp.decision, inp.comment, inp.data
            task.completed_at, task.completed_by, task.assignee = inp.at, inp.actor, task.assignee or inp.actor
            case = s.get(Case, inp.case_id) if inp.update_case_data and inp.data else None
            if case is None:  # most steps: only the case's time moves, by one UPDATE (no case row loaded)
                s.execute(_TOUCH_CASE, {"case_id": inp.case_id, "at": inp.at})
            else:
                case.updated_at = inp.at
                before["data"] = case.data
                merged = {**case.data, **inp.data}
                if isinstance(case.data.get("materials"), dict) and isinstance(inp.data.get("materials"), dict):
                    # A correction replaces the uploads it names; those it leaves out stay with the case.
                    merged["materials"] = {**case.data["materials"], **inp.data["materials"]}
                case.data = merged
                spec = spec_of(case.type)
                derive = spec.derived if spec else None
                if derive is not None:
                    case.result = {**case.result, **derive(case.data, case.result)}
            _record_closed(s, inp, title=task.title, before=before)


def _record_closed(s: Session, inp: CloseTaskInput, *, title: str, before: dict[str, Any]) -> None:
    audit.record(s, action="task_completed", at=inp.at, actor=inp.actor, case_id=inp.case_id, task_id=inp.task_id,
                 message=f"「{title}」：{_label(inp.decision)} {inp.comment}".strip(), before=before,
                 after={"status": "completed", "decision": inp.decision, "data": inp.data}, key=f"{inp.task_id}.completed")


_TASKS = Task.__table__  # type: ignore[attr-defined]
_TASK_BEFORE = select(_TASKS.c.status, _TASKS.c.assignee, _TASKS.c.title).where(_TASKS.c.id == bindparam("task_id"))
# Closes the task only if it is still as read before the lock (status and assignee).
_CLOSE = update(_TASKS).where(
    _TASKS.c.id == bindparam("t_id"), _TASKS.c.status == bindparam("was_status"),
    _TASKS.c.assignee.is_not_distinct_from(bindparam("was_assignee")),
).values(status="completed", decision=bindparam("v_decision"), comment=bindparam("v_comment"), data=bindparam("v_data"),
         completed_at=bindparam("v_at"), completed_by=bindparam("v_by"), assignee=bindparam("v_assignee"))


@cache
def _task_insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (id) DO NOTHING RETURNING id for a task row, built once."""
    return CONFLICT_INSERTS[dialect](_TASKS).on_conflict_do_nothing(index_elements=["id"]).returning(_TASKS.c.id)


_CASES = Case.__table__  # type: ignore[attr-defined]
_CASE_TITLE = select(_CASES.c.title).where(_CASES.c.id == bindparam("case_id"))
_TOUCH_CASE = update(_CASES).where(_CASES.c.id == bindparam("case_id")).values(updated_at=bindparam("at"))

_LABELS = {"approve": "同意", "reject": "不同意", "return": "退回修改", "submit": "提交", "recommend": "推荐",
           "decline": "不推荐", "uphold": "异议成立", "dismiss": "异议不成立"}


@dataclass(slots=True)
class _Opened:
    """The task row as it opens (issue 12, fifteenth round: not a `Task` model, whose validation cost more than the
    INSERT it describes)."""

    id: str
    case_id: str
    title: str
    role: str
    org_id: int | None
    status: str
    due_at: datetime | None = None
    reminder_at: datetime | None = None


def _your_turn(task: Task | _Opened, case_title: str | None, *, at: datetime,
               spec: StepSpec | None = None) -> NotifyInput | None:
    """The one message of a step that opens (issue 15): an applicant's step is now its own (bidding closed, a return
    for correction, a self-report, …), worded by the step's `notice` when the workflow gives one; another role's
    step only when the workflow gives a notice (e.g. the hub's own self-report when the bureau assesses it)."""
    if task.status not in ("open", "claimed") or (spec is not None and spec.quiet):
        return None
    applicant = task.role in APPLICANTS and task.org_id is not None
    notice, subject = (spec.notice, spec.notice_subject) if spec is not None else ("", "")
    if not applicant and not notice:
        return None
    what = case_title if case_title is not None else task.case_id
    return NotifyInput(key=f"{task.id}.your_turn",
                       subject=f"轮到您办理：{task.title}" if applicant else subject or task.title,
                       body=notice or f"{what}（案件 {task.case_id}）需要您办理，请登录168平台在“我的办理”中办理",
                       kind="your_turn", case_id=task.case_id, task_id=task.id, roles=[task.role], org_id=task.org_id,
                       due_at=task.due_at, at=at)


def _opening(inp: OpenTaskInput) -> _Opened:
    """The task row as it would open (what decides whom its notice reaches), without its times."""
    spec = inp.spec
    return _Opened(id=inp.task_id, case_id=inp.case_id, title=spec.title, role=spec.role, org_id=spec.org_id,
                   status="claimed" if spec.assignee else "open")


def _same_audience(tell: NotifyInput, inp: OpenTaskInput) -> bool:
    """Whether the notice goes to the audience read before the lock (the step's role and organisation)."""
    return (tell.roles == [inp.spec.role] and tell.org_id == inp.spec.org_id and not tell.usernames
            and tell.city is None)


def _label(decision: str) -> str:
    return _LABELS.get(decision, decision)

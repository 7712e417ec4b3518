"""The inbox: list, claim, unclaim and complete tasks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from api.deps import NowDep, SessionDep, UserDep, page
from api.errors import Conflict, Invalid, NotFound, validation_detail
from api.routes_cases import attach_uploads
from api.views import task_json
from api.workflows import decide
from db import audit
from db import tasks as task_repo
from db.models import Case, Task, User
from forms.registry import form_model
from forms.review import ReviewForm
from processes.registry import by_task_type, needs_reason
from workflows.types import DecisionInput

router = APIRouter(prefix="/api")


class Completion(BaseModel):
    decision: str
    comment: str = Field(default="", max_length=5000)
    data: dict[str, Any] = Field(default_factory=dict)


def load_task(session: Session, user: User, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None or not task_repo.can_see(user, task):
        raise NotFound(f"no task {task_id} in your inbox", code="task_not_in_inbox", params={"task_id": task_id})
    return task


@router.get("/tasks")
async def list_tasks(session: SessionDep, user: UserDep, now: NowDep, scope: str = "available",
                     type: str | None = None, case_id: str | None = None, overdue: bool | None = None,
                     status: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """The caller's tasks: `available` (open to their role and scope) or `mine` (claimed by them), soonest due first."""
    if scope not in ("available", "mine", "all"):
        raise Invalid("scope must be 'available', 'mine' or 'all'", code="bad_scope")
    rows, total = task_repo.inbox(session, user, scope=scope, now=now, task_type=type, case_id=case_id,
                                  overdue=overdue, status=status, limit=max(1, min(limit, 200)), offset=max(0, offset))
    return page([task_json(t, now=now) for t in rows], total)


@router.get("/tasks/{task_id}")
async def get_task(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    return task_json(load_task(session, user, task_id), now=now)


def _check_open(task: Task, user: User) -> None:
    if task.status in ("completed", "cancelled"):
        raise Conflict(f"this task is already {task.status}", code="task_not_open",
                       params={"task_status": task.status})
    if task.status == "claimed" and task.assignee not in (None, user.username):
        raise Conflict(f"this task is claimed by {task.assignee}", code="task_claimed_by_other",
                       params={"assignee": task.assignee})
    if user.username in task.excluded_users:
        raise Conflict("four-eyes rule: you made the first-line review of this case and may not also decide it",
                       code="four_eyes")


@router.post("/tasks/{task_id}/claim")
async def claim(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Take a task so no one else works on it."""
    task = load_task(session, user, task_id)
    _check_open(task, user)
    if task.assignee != user.username or task.status != "claimed":
        before = {"status": task.status, "assignee": task.assignee}
        task.status, task.assignee = "claimed", user.username
        audit.record(session, action="task_claimed", at=now, actor=user.username, case_id=task.case_id,
                     task_id=task.id, message=f"{user.username}认领「{task.title}」", before=before,
                     after={"status": "claimed", "assignee": user.username})
    return task_json(task, now=now)


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Give a claimed task back to the pool."""
    task = load_task(session, user, task_id)
    if task.status != "claimed" or (task.assignee != user.username and user.role != "admin"):
        raise Conflict("only a task you have claimed can be released", code="not_your_claim")
    task.status, task.assignee = "open", None
    audit.record(session, action="task_unclaimed", at=now, actor=user.username, case_id=task.case_id, task_id=task.id,
                 message=f"{user.username}释放「{task.title}」", before={"status": "claimed"}, after={"status": "open"})
    return task_json(task, now=now)


@router.post("/tasks/{task_id}/complete")
async def complete(task_id: str, body: Completion, request: Request, session: SessionDep, user: UserDep,
                   now: NowDep) -> dict[str, Any]:
    """Decide a task: the form is validated here, the case's workflow refuses a stale decision (409)."""
    task = load_task(session, user, task_id)
    _check_open(task, user)
    if body.decision not in task.decisions:
        raise Invalid(f"decision '{body.decision}' is not allowed here; allowed: {', '.join(task.decisions)}",
                      code="decision_not_allowed", params={"decision": body.decision, "allowed": task.decisions})
    if body.decision in needs_reason(task.type) and not body.comment.strip():
        raise Invalid("comment: a reason is required for this decision", code="reason_required")
    form = form_model(task.form)
    try:
        data = form.model_validate(body.data).model_dump(mode="json", exclude_unset=form is ReviewForm)
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "data"), code="validation_failed") from None
    spec = by_task_type(task.type)
    # The process's own check of the validated data (e.g. a corrected application by the rules of submission).
    check = spec.check(task.type) if spec else None
    if check is not None:
        case = session.get(Case, task.case_id)
        if case is None:
            raise NotFound(f"no case {task.case_id}", code="case_not_found", params={"case_id": task.case_id})
        check(session, user=user, task=task, case=case, data=data, now=now)
    attach_uploads(session, user, task.case_id, data)
    session.commit()  # nothing of ours changes before the workflow accepts the decision
    result = await decide(
        request.app.state.temporal,
        case_id=task.case_id,
        decision=DecisionInput(task_id=task.id, decision=body.decision, actor=user.username, comment=body.comment,
                               data=data),
    )
    session.expire_all()
    refreshed = session.get(Task, task.id)
    return {"task": task_json(refreshed or task, now=now), "decision": result.decision}

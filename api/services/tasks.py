"""Tasks: claim, release and decide (the form here, the stale or disallowed decision refused by the workflow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session
from temporalio.client import Client

from api.errors import Conflict, Invalid, NotFound, validation_detail
from api.workflows import committed, decide
from db import audit
from db import cases as case_repo
from db import tasks as task_repo
from db.models import Case, Task, User
from forms.registry import form_model
from forms.review import ReviewForm
from processes.registry import by_task_type, needs_reason
from workflows.types import DecisionInput


def load(session: Session, user: User, task_id: str) -> Task:
    """The task if it is in `user`'s inbox (role and scope), else 404."""
    task = session.get(Task, task_id)
    if task is None or not task_repo.can_see(user, task):
        raise NotFound(f"no task {task_id} in your inbox", code="task_not_in_inbox", params={"task_id": task_id})
    return task


def check_open(task: Task, user: User) -> None:
    """Refuse acting on a task that is done, claimed by another, or barred by the four-eyes rule."""
    if task.status in ("completed", "cancelled"):
        raise Conflict(f"this task is already {task.status}", code="task_not_open",
                       params={"task_status": task.status})
    if task.status == "claimed" and task.assignee not in (None, user.username):
        raise Conflict(f"this task is claimed by {task.assignee}", code="task_claimed_by_other",
                       params={"assignee": task.assignee})
    if user.username in task.excluded_users:
        raise Conflict("four-eyes rule: you made the first-line review of this case and may not also decide it",
                       code="four_eyes")


def claim(session: Session, user: User, task_id: str, *, now: datetime) -> Task:
    """Take a task so no one else works on it."""
    task = load(session, user, task_id)
    check_open(task, user)
    if task.assignee != user.username or task.status != "claimed":
        before = {"status": task.status, "assignee": task.assignee}
        task.status, task.assignee = "claimed", user.username
        audit.record(session, action="task_claimed", at=now, actor=user.username, case_id=task.case_id,
                     task_id=task.id, message=f"{user.username}认领「{task.title}」", before=before,
                     after={"status": "claimed", "assignee": user.username})
    return task


def unclaim(session: Session, user: User, task_id: str, *, now: datetime) -> Task:
    """Give a claimed task back to the pool."""
    task = load(session, user, task_id)
    if task.status != "claimed" or (task.assignee != user.username and user.role != "admin"):
        raise Conflict("only a task you have claimed can be released", code="not_your_claim")
    task.status, task.assignee = "open", None
    audit.record(session, action="task_unclaimed", at=now, actor=user.username, case_id=task.case_id, task_id=task.id,
                 message=f"{user.username}释放「{task.title}」", before={"status": "claimed"}, after={"status": "open"})
    return task


async def complete(session: Session, client: Client, user: User, task_id: str, *, decision: str, comment: str,
                   data: dict[str, Any], now: datetime) -> tuple[Task, str]:
    """Decide a task: role, scope, claim, the form (422 naming the field) and the process's own check here; the
    case's workflow refuses a stale or disallowed decision (409/422). Returns the task as it is now and the decision."""
    task = load(session, user, task_id)
    check_open(task, user)
    if decision not in task.decisions:
        raise Invalid(f"decision '{decision}' is not allowed here; allowed: {', '.join(task.decisions)}",
                      code="decision_not_allowed", params={"decision": decision, "allowed": task.decisions})
    if decision in needs_reason(task.type) and not comment.strip():
        raise Invalid("comment: a reason is required for this decision", code="reason_required")
    form = form_model(task.form)
    try:
        clean = form.model_validate(data).model_dump(mode="json", exclude_unset=form is ReviewForm)
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "data"), code="validation_failed") from None
    spec = by_task_type(task.type)
    # The process's own check of the validated data (e.g. a corrected application by the rules of submission).
    check = spec.check(task.type) if spec else None
    if check is not None:
        case = session.get(Case, task.case_id)
        if case is None:
            raise NotFound(f"no case {task.case_id}", code="case_not_found", params={"case_id": task.case_id})
        check(session, user=user, task=task, case=case, data=clean, now=now, decision=decision)
    case_repo.attach_uploads(session, user, task.case_id, clean)
    # Nothing of ours changes before the workflow accepts the decision.
    result = await committed(session, lambda: decide(client, case_id=task.case_id, decision=DecisionInput(
        task_id=task.id, decision=decision, actor=user.username, comment=comment, data=clean)))
    session.expire_all()
    return session.get(Task, task_id) or task, result.decision

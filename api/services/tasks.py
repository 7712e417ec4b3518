"""Tasks: claim, release and decide (the form here, the stale or disallowed decision refused by the workflow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.deps import in_thread
from api.errors import Conflict, Invalid, NotFound, validation_detail
from api.services.cases import refuse_foreign_uploads, refuse_non_finite
from api.workflows import decide
from db import audit
from db import cases as case_repo
from db import tasks as task_repo
from db.engine import reader
from db.models import Case, Task, TimelineEvent, User
from forms.registry import form_model
from forms.review import ReviewForm
from forms.text import clean_text
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


def _step_of(task: Task) -> str:
    """The workflow step a task belongs to (its id is case id + step + n): a panel's seats are different steps."""
    return task.id.removeprefix(f"{task.case_id}.").rsplit(".", 1)[0]


def check_panel_seat(session: Session, task: Task, user: User) -> None:
    """A panel keeps its size: an expert who holds or did another seat of the same panel (a sibling expert task of
    the case, same task type, another step) may not take this one too."""
    if task.role != "expert" or user.role != "expert":
        return
    for other in task_repo.for_case(session, task.case_id):
        if other.id != task.id and other.role == "expert" and other.type == task.type \
                and _step_of(other) != _step_of(task) and other.status != "cancelled" \
                and user.username in (other.assignee, other.completed_by):
            raise Conflict("you already sit on this case's expert panel; one expert takes one seat",
                           code="panel_seat_taken", params={"task_id": other.id})


def _named(session: Session, task: Task) -> bool:
    """Whether the task's assignee was named (by the workflow when it opened the task, or by an admin's reassignment)
    rather than having claimed it from the pool: the last assignment in its timeline is not the assignee's own claim."""
    last = session.exec(select(TimelineEvent).where(
        TimelineEvent.task_id == task.id,
        col(TimelineEvent.action).in_(("task_claimed", "task_reassigned", "task_unclaimed")))
        .order_by(col(TimelineEvent.id).desc())).first()
    return last is None or last.action != "task_claimed" or last.actor != task.assignee


def claim(session: Session, user: User, task_id: str, *, now: datetime) -> Task:
    """Take a task so no one else works on it."""
    task = load(session, user, task_id)
    check_open(task, user)
    check_panel_seat(session, task, user)
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
    if user.role != "admin" and _named(session, task):
        # A named expert (or anyone an admin gave the task to) cannot shrink the panel by handing the seat back to
        # the pool; an admin reassigns it instead.
        raise Conflict("this task was assigned to you by name; ask an administrator to reassign it",
                       code="named_task_not_released")
    task.status, task.assignee = "open", None
    audit.record(session, action="task_unclaimed", at=now, actor=user.username, case_id=task.case_id, task_id=task.id,
                 message=f"{user.username}释放「{task.title}」", before={"status": "claimed"}, after={"status": "open"})
    return task


def prepare_completion(session: Session, user: User, task_id: str, *, decision: str, comment: str,
                       data: dict[str, Any], now: datetime) -> tuple[Task, DecisionInput]:
    """The checks of a decision before the engine sees it (the database part of `complete`, run in a thread): role,
    scope, claim, the form (422 naming the field) and the process's own check. Returns the task and the Update's input."""
    task = load(session, user, task_id)
    check_open(task, user)
    check_panel_seat(session, task, user)
    comment = clean_text(comment)
    if decision not in task.decisions:
        raise Invalid(f"decision '{decision}' is not allowed here; allowed: {', '.join(task.decisions)}",
                      code="decision_not_allowed", params={"decision": decision, "allowed": task.decisions})
    if decision in needs_reason(task.type) and not comment.strip():
        raise Invalid("comment: a reason is required for this decision", code="reason_required")
    refuse_non_finite(data)  # before the form: a JSON dump would quietly turn NaN into null
    form = form_model(task.form)
    try:
        clean = clean_text(form.model_validate(data).model_dump(mode="json", exclude_unset=form is ReviewForm))
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
    return task, DecisionInput(task_id=task.id, decision=decision, actor=user.username, comment=comment, data=clean)


def link_uploads(session: Session, user: User, case_id: str, data: dict[str, Any]) -> None:
    """Link the caller's uploads named in a decision's data to the case, under the write lock; an upload that belongs
    to another case refuses the decision (422 `upload_of_other_case`; the write is rolled back, nothing is linked)."""
    case_repo.attach_uploads(session, user, case_id, data)
    refuse_foreign_uploads(session, user, case_id, data)


def reload(session: Session, task: Task) -> Task:
    """The task as it is after the decision, read without SQLite's write lock (a read-only session; issue 12)."""
    with Session(reader(session.get_bind()), expire_on_commit=False) as read:
        found = read.get(Task, task.id)
        read.commit()
    return found or task


async def complete(session: Session, client: Client, user: User, task_id: str, *, decision: str, comment: str,
                   data: dict[str, Any], now: datetime) -> tuple[Task, str]:
    """Decide a task: the checks of `prepare_completion` here, the case's workflow refuses a stale or disallowed
    decision (409/422). Returns the task as it is now and the decision. The database work runs in the thread pool."""
    # The checks only read, so they run in a read-only session, without a turn at SQLite's write lock (issue 12). The
    # uploads the data names are then linked to the case in a short write of their own, which refuses an upload of
    # another case under the lock (then nothing is linked and the decision is refused).
    checks = Session(reader(session.get_bind()), expire_on_commit=False)
    try:
        task, inp = await in_thread(checks, prepare_completion, checks, user, task_id, decision=decision,
                                    comment=comment, data=data, now=now)
    finally:
        checks.close()
    if case_repo.upload_ids(inp.data):
        await in_thread(session, link_uploads, session, user, task.case_id, inp.data)
    # Nothing of ours changes before the workflow accepts the decision (in_thread committed the uploads' links, so
    # the workflow's activities see them and no transaction is open while the engine answers).
    result = await decide(client, case_id=task.case_id, decision=inp)
    return await in_thread(session, reload, session, task), result.decision

"""Task rows: opened and closed by workflow activities, listed and claimed through the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from db import audit
from db.cases import APPLICANTS
from db.models import Task, User

OPEN_STATES = ("open", "claimed")
APPLICANT_ROLES = APPLICANTS  # db.cases: every organisation account kind, the operating unit included


def visible_to(user: User) -> list[Any]:
    """SQL conditions for the tasks a user's role and scope let them see."""
    if user.role == "admin":
        return [col(Task.status).in_(OPEN_STATES)]
    conds: list[Any] = [Task.role == user.role]
    if user.role == "city_bureau":
        conds.append(Task.city == user.city)
    if user.role in APPLICANT_ROLES:
        conds.append(Task.org_id == user.org_id)
    if user.role == "expert":
        conds.append(or_(col(Task.assignee).is_(None), Task.assignee == user.username))
    return conds


def can_see(user: User, task: Task, *, as_new_assignee: bool = False) -> bool:
    """The same rule as `visible_to`, for one loaded task (or for the person it is about to be given to)."""
    if user.role == "admin":
        return True
    if task.role != user.role:
        return False
    if user.role == "city_bureau" and task.city != user.city:
        return False
    if user.role == "expert" and task.assignee not in (None, user.username) and not as_new_assignee:
        return False
    return not (user.role in APPLICANT_ROLES and task.org_id != user.org_id)


def types_for(session: Session, user: User) -> set[str]:
    """The task types of the tasks the user's role and scope let them see (the inbox's filter offers only these)."""
    return set(session.exec(select(Task.type).where(*visible_to(user)).distinct()).all())


def inbox(
    session: Session,
    user: User,
    *,
    scope: str,
    now: datetime,
    task_type: str | None = None,
    case_id: str | None = None,
    overdue: bool | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Task], int]:
    """The user's inbox page, soonest due first, and the total count."""
    conds = visible_to(user)
    if scope == "mine":
        conds.append(Task.assignee == user.username)
        conds.append(col(Task.status).in_(OPEN_STATES))
    elif scope == "available":
        conds.append(Task.status == "open")
        conds.append(or_(col(Task.assignee).is_(None), Task.assignee == user.username))
    elif scope == "all" and status:
        conds.append(Task.status == status)
    else:
        conds.append(col(Task.status).in_(OPEN_STATES))
    if task_type:
        conds.append(Task.type == task_type)
    if case_id:
        conds.append(Task.case_id == case_id)
    if overdue is True:
        conds.append(Task.due_at < now)
    elif overdue is False:
        conds.append(Task.due_at >= now)
    total = session.exec(select(func.count()).select_from(Task).where(*conds)).one()
    stmt = select(Task).where(*conds).order_by(col(Task.due_at), col(Task.id)).offset(offset).limit(limit)
    return session.exec(stmt).all(), int(total)


def for_case(session: Session, case_id: str) -> Sequence[Task]:
    """All tasks of a case, in the order they were opened."""
    return session.exec(select(Task).where(Task.case_id == case_id).order_by(col(Task.opened_at), col(Task.id))).all()


def overdue(session: Session, *, now: datetime, limit: int = 200) -> Sequence[Task]:
    """Open tasks past their due time, most overdue first."""
    stmt = (
        select(Task)
        .where(col(Task.status).in_(OPEN_STATES), Task.due_at < now)
        .order_by(col(Task.due_at))
        .limit(limit)
    )
    return session.exec(stmt).all()


def open_for_case(session: Session, case_id: str) -> Sequence[Task]:
    return session.exec(select(Task).where(Task.case_id == case_id, col(Task.status).in_(OPEN_STATES))).all()


def cancel_open_tasks(s: Any, *, case_id: str, reason: str, at: datetime, actor: str = "system") -> int:
    """Cancel a case's open tasks; returns how many."""
    n = 0
    for task in open_for_case(s, case_id):
        task.status, task.comment, task.completed_at = "cancelled", reason, at
        audit.record(s, action="task_cancelled", at=at, actor=actor, case_id=case_id, task_id=task.id,
                     message=f"「{task.title}」已取消：{reason}", before={"status": "open"}, after={"status": "cancelled"})
        n += 1
    return n

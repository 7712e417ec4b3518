"""The inbox: list, claim, unclaim and complete tasks (HTTP over api/services/tasks.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import Limit, NowDep, Offset, SessionDep, UserDep, in_thread, page
from api.errors import Invalid
from api.services import tasks as service
from api.views import task_json
from db import tasks as task_repo

router = APIRouter(prefix="/api")


class Completion(BaseModel):
    decision: str
    comment: str = Field(default="", max_length=5000)
    data: dict[str, Any] = Field(default_factory=dict)


@router.get("/tasks")
async def list_tasks(session: SessionDep, user: UserDep, now: NowDep, scope: str = "available",
                     type: str | None = None, case_id: str | None = None, overdue: bool | None = None,
                     status: str | None = None, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """The caller's tasks: `available` (open to their role and scope) or `mine` (claimed by them), soonest due first."""
    if scope not in ("available", "mine", "all"):
        raise Invalid("scope must be 'available', 'mine' or 'all'", code="bad_scope")
    rows, total = await in_thread(session, task_repo.inbox, session, user, scope=scope, now=now, task_type=type,
                                  case_id=case_id, overdue=overdue, status=status, limit=max(1, min(limit, 200)),
                                  offset=max(0, offset))
    return page([task_json(t, now=now) for t in rows], total)


@router.get("/tasks/{task_id}")
async def get_task(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    return task_json(await in_thread(session, service.load, session, user, task_id), now=now)


@router.post("/tasks/{task_id}/claim")
async def claim(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Take a task so no one else works on it."""
    return task_json(await in_thread(session, service.claim, session, user, task_id, now=now), now=now)


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(task_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Give a claimed task back to the pool."""
    return task_json(await in_thread(session, service.unclaim, session, user, task_id, now=now), now=now)


@router.post("/tasks/{task_id}/complete")
async def complete(task_id: str, body: Completion, request: Request, session: SessionDep, user: UserDep,
                   now: NowDep) -> dict[str, Any]:
    """Decide a task: the form is validated here, the case's workflow refuses a stale decision (409)."""
    task, decision = await service.complete(session, request.app.state.temporal, user, task_id,
                                            decision=body.decision, comment=body.comment, data=body.data, now=now)
    return {"task": task_json(task, now=now), "decision": decision}

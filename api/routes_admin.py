"""Admin: stuck cases, retry/terminate, reassign/extend, calendar, clock, step timings (HTTP over
api/services/admin.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import NowDep, SessionDep, UserDep, Year
from api.services import admin as service
from api.services.admin import Advance, CalendarEntry, Extend, Reason, Reassign, StepTiming, recompute_deadlines
from api.views import case_json, task_json

router = APIRouter(prefix="/api/admin")
__all__ = ["Advance", "CalendarEntry", "Extend", "Reason", "Reassign", "StepTiming", "recompute_deadlines", "router"]


@router.get("/stuck")
def stuck(session: SessionDep, user: UserDep, now: NowDep, request: Request,
                idle_days: Annotated[int | None, Query(ge=1, le=3650)] = None) -> dict[str, Any]:
    """Overdue tasks, activities that keep failing, and open cases without progress for N days."""
    return service.stuck(session, user, now=now, idle_days=idle_days or request.app.state.settings.idle_case_days)


@router.post("/cases/{case_id}/terminate")
async def terminate(case_id: str, body: Reason, request: Request, session: SessionDep, user: UserDep,
                    now: NowDep) -> dict[str, Any]:
    """Stop a case's process for good, with a reason; its open tasks are cancelled."""
    return case_json(await service.terminate(session, request.app.state.temporal, user, case_id, body, now=now))


@router.post("/cases/{case_id}/retry")
async def retry(case_id: str, body: Reason | None, request: Request, session: SessionDep, user: UserDep,
                now: NowDep) -> dict[str, Any]:
    """Re-run a case's process from its last completed workflow task (a failing activity starts over at once)."""
    return await service.retry(session, request.app.state.temporal, user, case_id, body, now=now)


@router.post("/tasks/{task_id}/reassign")
def reassign(task_id: str, body: Reassign, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Give a task to a named person of the right role and scope."""
    return task_json(service.reassign(session, user, task_id, body, now=now), now=now)


@router.post("/tasks/{task_id}/extend")
async def extend(task_id: str, body: Extend, request: Request, session: SessionDep, user: UserDep,
                 now: NowDep) -> dict[str, Any]:
    """Give a task more working days, with a reason; the workflow re-times its reminder and escalation."""
    task = await service.extend(session, request.app.state.temporal, user, task_id, body, now=now)
    return task_json(task, now=now)


@router.put("/calendar/{year}")
async def put_calendar(year: Year, body: CalendarEntry, request: Request, session: SessionDep, user: UserDep,
                       now: NowDep) -> dict[str, Any]:
    """Enter a year's official schedule; open deadlines that touch that year are recomputed."""
    return await service.put_calendar(session, request.app.state.temporal, user, year, body, now=now)


@router.post("/clock/advance")
async def advance(body: Advance, request: Request, user: UserDep) -> dict[str, Any]:
    """Move simulated time forward (training, demos, black-box tests); refused on the real clock."""
    return await service.advance(request.app.state.clock, user, body)


@router.get("/steps")
def list_steps(session: SessionDep, user: UserDep) -> dict[str, Any]:
    return service.list_steps(session, user)


@router.put("/steps/{task_type}")
def put_step(task_type: str, body: StepTiming, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """Set a step's due time in working days (applies to tasks opened from now on)."""
    return service.put_step(session, user, task_type, body, now=now)

"""The operations console's API (admins): cases found in bulk, batch actions, workflow-task failures, a case's
engine history (HTTP over api/services/operations.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import NowDep, SessionDep, UserDep
from api.services import operations as service
from api.services.operations import BatchAction, CaseFilter

router = APIRouter(prefix="/api/admin")


@router.get("/cases")
def find_cases(session: SessionDep, user: UserDep, now: NowDep,
                     f: Annotated[CaseFilter, Query()]) -> dict[str, Any]:
    """Cases by type, status, open step, city, age (days since filing), overdue task, failing activity."""
    return service.find_cases(session, user, f, now=now)


@router.post("/cases/batch")
async def batch(body: BatchAction, request: Request, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """One action on many cases (reassign, extend, retry, terminate, move_back); a result per case; all audited."""
    return await service.batch(session, request.app.state.temporal, user, body, now=now)


@router.get("/workflow-problems")
async def workflow_problems(request: Request, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """Open cases whose workflow task keeps failing or whose workflow failed, with the engine's error."""
    return await service.workflow_problems(session, request.app.state.temporal, user)


@router.get("/cases/{case_id}/history")
async def history(case_id: str, request: Request, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The case's workflow history as a timeline, with the link to the Temporal UI."""
    return await service.engine_history(session, request.app.state.temporal, user, case_id,
                                        ui_base=request.app.state.settings.temporal_ui_base)

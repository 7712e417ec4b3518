"""Cases: submit, list, read (HTTP over api/services/cases.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from api.deps import Limit, NowDep, Offset, SessionDep, UserDep, page
from api.services import cases as service
from api.views import case_json

router = APIRouter(prefix="/api")


class CaseCreate(BaseModel):
    type: str
    data: dict[str, Any] = {}


def engine_of(request: Request) -> service.Engine:
    st = request.app.state
    return service.Engine(client=st.temporal, task_queue=st.settings.task_queue,
                                  partitions=st.settings.task_queue_partitions)


@router.post("/cases", status_code=201)
async def create_case(body: CaseCreate, request: Request, session: SessionDep, user: UserDep, now: NowDep,
                      idempotency_key: str | None = Header(default=None)) -> dict[str, Any]:
    """Submit an application; the same Idempotency-Key returns the case created first."""
    case = await service.submit(session, engine_of(request), user, case_type=body.type, data=body.data, now=now,
                                idempotency_key=idempotency_key)
    return case_json(case)


@router.get("/cases")
def list_cases(session: SessionDep, user: UserDep, type: str | None = None, status: str | None = None,
                     city: str | None = None, q: str | None = None, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Cases the caller may see, newest first."""
    rows, total = service.listing(session, user, type=type, status=status, city=city, q=q, limit=limit, offset=offset)
    return page([case_json(c) for c in rows], total)


@router.get("/cases/{case_id}")
def get_case(case_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """One case with its timeline, tasks, documents, deadlines and materials."""
    return service.view(session, user, case_id, now=now)

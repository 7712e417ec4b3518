"""Certification-specific endpoints (P3): the yearly call, objections during a public notice, revocation (HTTP over
api/services/certification.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse

from api import throttle
from api.deps import NowDep, SessionDep, UserDep, in_thread
from api.services import certification as service
from api.services.certification import (
    PUBLISHED_KINDS,
    Objection,
    Revoke,
    call_json,
    check_application,
    check_correction,
)
from api.throttle import client_address
from forms.certification import CallForm

router = APIRouter(prefix="/api")
__all__ = ["PUBLISHED_KINDS", "Objection", "Revoke", "call_json", "check_application", "check_correction", "router"]


@router.post("/certification/calls", status_code=201)
def open_call(body: CallForm, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """The department opens a year's call for applications; it closes at 24:00 of the deadline day (002 art. 14)."""
    return call_json(service.open_call(session, user, body, now=now), now=now)


@router.get("/certification/calls")
def list_calls(session: SessionDep, now: NowDep) -> dict[str, Any]:
    """Every year's call, newest first (public: applicants read it before logging in)."""
    return service.list_calls(session, now=now)


@router.get("/certification/calls/current")
def current_call(session: SessionDep, now: NowDep) -> dict[str, Any]:
    """The call open now, or 404 with when the last one closed."""
    return call_json(service.current_call(session, now=now), now=now)


@router.get("/public/certification/documents")
def published_documents(session: SessionDep, kind: str | None = None, q: str | None = None) -> dict[str, Any]:
    """Certification notices, revocation decisions and assessment results, newest first (anyone may read them)."""
    return service.published_documents(session, kind=kind, q=q)


@router.post("/cases/{case_id}/objections", status_code=201)
async def objection(case_id: str, body: Objection, request: Request, session: SessionDep, now: NowDep,
                    idempotency_key: str | None = Header(default=None)) -> dict[str, Any]:
    """Anyone may object, in their real name, while a public notice runs (002 art. 12); so many an hour per address."""
    await in_thread(session, throttle.limit, session, "objection", client_address(request), now=now, window_s=3600,
                    max_count=request.app.state.settings.objections_per_address_per_hour)
    return await service.objection(session, request.app.state.temporal, case_id, body, now=now,
                                   idempotency_key=idempotency_key)


@router.post("/cases/{case_id}/revoke")
async def revoke(case_id: str, body: Revoke, request: Request, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The department revokes a granted title with a reason (002 art. 17); the decision is drafted."""
    return await service.revoke(session, request.app.state.temporal, user, case_id, body)


@router.get("/certification/years/{year}")
def year_batch(year: int, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """A year's batch (002 art. 10, 12, 13): its cases, the 拟认定名单 and what it waits for, the year's documents."""
    return service.year_view(session, user, year, now=now)


@router.post("/certification/years/{year}/list")
async def publish_list(year: int, request: Request, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """The department publishes the year's 拟认定名单 once no case of the year is in review (002 art. 12)."""
    return await service.publish_list(session, request.app.state.temporal, user, year, now=now)


@router.get("/certification/years/{year}/documents/{doc_id}")
def year_document(year: int, doc_id: str, session: SessionDep, user: UserDep) -> FileResponse:
    """A yearly document: a city's summary report for the department and that city's bureau, the notices for staff."""
    d = service.year_document(session, user, year, doc_id)
    return FileResponse(d.path, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        filename=d.filename)

"""Public pages' data, the calendar, the clock, notifications, health and metrics."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func
from sqlmodel import col, select

from api import metrics as app_metrics
from api.deps import Limit, NowDep, Offset, RowId, SessionDep, UserDep, Year, optional_user, require
from api.errors import ApiError, Invalid
from api.services import datacentre
from api.services import public as service
from db.calendar import load_calendar
from db.models import Case, Task
from rules.calendar import SHANGHAI, CalendarUnavailable

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _may_scrape(request: Request, session: SessionDep) -> None:
    """/metrics is not public: the scraper sends `Authorization: Bearer <METRICS_TOKEN>`; an admin may read it too."""
    token = request.app.state.settings.metrics_token
    sent = request.headers.get("authorization", "")
    if token and sent.lower().startswith("bearer ") and secrets.compare_digest(sent[7:].strip(), token):
        return
    user = optional_user(request, session)
    if user is None:
        raise ApiError("metrics need the METRICS_TOKEN bearer token or an admin's login", code="login_required",
                       status=401)
    require(user, "admin")


@router.get("/metrics", dependencies=[Depends(_may_scrape)])
def metrics(session: SessionDep, now: NowDep) -> Response:
    """Prometheus text: open and overdue tasks, cases by type and status (METRICS_TOKEN bearer, or an admin)."""
    reg = CollectorRegistry()
    open_tasks = Gauge("flow168_open_tasks", "Open or claimed tasks", registry=reg)
    overdue = Gauge("flow168_overdue_tasks", "Open tasks past their due time", registry=reg)
    cases = Gauge("flow168_cases", "Cases by type and status", ["type", "status"], registry=reg)
    open_states = col(Task.status).in_(("open", "claimed"))
    open_tasks.set(session.exec(select(func.count()).select_from(Task).where(open_states)).one())
    overdue.set(session.exec(select(func.count()).select_from(Task).where(open_states, Task.due_at < now)).one())
    for t, s, n in session.exec(select(Case.type, Case.status, func.count()).group_by(Case.type, Case.status)):
        cases.labels(t, s).set(n)
    datacentre.metrics_figures(session, reg, now=now)  # task completions, fund remaining
    return Response(generate_latest(reg) + generate_latest(app_metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/clock")
async def clock(request: Request) -> dict[str, Any]:
    c = request.app.state.clock
    return {"now": (await c.now()).isoformat(), "simulated": bool(c.simulated), "timezone": "Asia/Shanghai"}


def _parse_from(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(12, 0), tzinfo=SHANGHAI)
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"from: '{value}' is not a date (YYYY-MM-DD) or an ISO datetime", code="bad_date",
                      params={"value": value}) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)


@router.get("/api/calendar/deadline")
def deadline(session: SessionDep, working_days: int, request: Request) -> dict[str, Any]:
    """When a period of N working days that starts with an event on `from` closes (Civil Code art. 201, 203)."""
    raw = request.query_params.get("from")
    if not raw:
        raise Invalid("from: required (the day of the event, YYYY-MM-DD)", code="date_required")
    if not 1 <= working_days <= 3650:
        raise Invalid("working_days: must be between 1 and 3650", code="working_days_out_of_range")
    event = _parse_from(raw)
    cal = load_calendar(session)
    try:
        closes = cal.closes_at(event=event, working_days=working_days)
    except CalendarUnavailable as exc:
        raise Invalid(exc.message, code=exc.code, params={"year": exc.year}) from None
    start = event.astimezone(SHANGHAI).date()
    last = closes.astimezone(SHANGHAI).date()
    return {"from": start.isoformat(), "working_days": working_days, "closes_at": closes.isoformat(),
            "closes_at_local": closes.astimezone(SHANGHAI).isoformat(),
            "confirmed": cal.confirmed_between(start=start, end=last)}


@router.get("/api/calendar/{year}")
def calendar_year(year: Year, session: SessionDep) -> dict[str, Any]:
    """Every day of a year: working day or not, and why; `confirmed` is false for a year not yet published."""
    return service.calendar_year(session, year)


@router.get("/api/public/providers")
def public_providers(session: SessionDep, q: str | None = None, category: str | None = None,
                           city: str | None = None, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """The signed service providers (seed 000 四), searchable by name."""
    return service.providers(session, q=q, category=category, city=city, limit=limit, offset=offset)


@router.get("/api/public/notices")
def public_notices(session: SessionDep, q: str | None = None) -> dict[str, Any]:
    """Published public notices (公示)."""
    return service.notices(session, q=q)


@router.get("/api/public/platforms")
def public_platforms(session: SessionDep, q: str | None = None) -> dict[str, Any]:
    """The register of certified demonstration platforms (seed 002 art. 15)."""
    return service.platforms(session, q=q)


@router.get("/api/notifications")
def notifications(session: SessionDep, user: UserDep, unread: bool = False, limit: Limit = 50) -> dict[str, Any]:
    """The caller's in-app messages, newest first."""
    return service.notifications(session, user, unread=unread, limit=limit)


@router.post("/api/notifications/{nid}/read")
def mark_read(nid: RowId, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    return service.mark_read(session, user, nid, now=now)

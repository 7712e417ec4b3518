"""Endpoints of the yearly assessments (P5; seed 004 art. 11-13, 001 三(五)2-3): campaigns, indicator sets,
settings, public results (HTTP over api/services/assessment.py, which also holds the spec's hooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from api.deps import NowDep, RowId, SessionDep, UserDep, YearQuery
from api.routes_cases import engine_of
from api.services import assessment as service
from forms.assessment import CampaignForm, IndicatorSetForm, SettingsForm

router = APIRouter(prefix="/api")


@router.post("/assessment/campaigns", status_code=201)
async def open_campaign(body: CampaignForm, request: Request, session: SessionDep, user: UserDep,
                        now: NowDep) -> dict[str, Any]:
    """Open a year's campaign of a kind: one `assessment` case per subject (default: every current subject)."""
    return await service.open_campaign(session, engine_of(request), user, body, now=now)


@router.get("/assessment/campaigns")
def list_campaigns(session: SessionDep, user: UserDep, year: YearQuery = None) -> dict[str, Any]:
    """The campaigns (of a year), with their cases per status and rating."""
    return service.list_campaigns(session, user, year=year)


@router.get("/assessment/campaigns/{campaign_id}")
def get_campaign(campaign_id: RowId, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """One campaign with every subject's case: status, total, rating, supported, revoked."""
    return service.get_campaign(session, user, campaign_id)


@router.get("/assessment/campaigns/{campaign_id}/bulletin.docx")
def bulletin_file(campaign_id: RowId, session: SessionDep) -> FileResponse:
    """The published results bulletin (a 通报 of results anyone may read, like GET /api/public/assessments)."""
    doc = service.bulletin_document(session, campaign_id)
    return FileResponse(doc.path, filename=doc.filename,
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@router.post("/assessment/campaigns/{campaign_id}/bulletin", status_code=201)
def draft_bulletin(campaign_id: RowId, request: Request, session: SessionDep, user: UserDep,
                         now: NowDep) -> dict[str, Any]:
    """Draft the campaign's results bulletin (考核结果通报) once every subject is rated (a second call returns it)."""
    return service.draft_bulletin(session, user, campaign_id, now=now,
                                  documents_dir=Path(request.app.state.settings.data_dir) / "documents")


@router.get("/admin/assessment-indicators/{kind}")
def get_indicators(kind: str, session: SessionDep, user: UserDep) -> dict[str, Any]:
    return service.get_indicators(session, user, kind)


@router.put("/admin/assessment-indicators/{kind}")
def put_indicators(kind: str, body: IndicatorSetForm, session: SessionDep, user: UserDep,
                         now: NowDep) -> dict[str, Any]:
    """A new version of the kind's indicator set; campaigns opened afterwards use it, running ones keep theirs."""
    return service.put_indicators(session, user, kind, body, now=now)


@router.get("/admin/assessment-settings")
def get_settings(session: SessionDep, user: UserDep) -> dict[str, Any]:
    return service.get_settings(session, user)


@router.put("/admin/assessment-settings")
def put_settings(body: SettingsForm, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """When the schedule opens campaigns and of which kinds; the rectification period (004 art. 13 sets none)."""
    return service.put_settings(session, user, body, now=now)


@router.get("/public/assessments")
def public_results(session: SessionDep, year: YearQuery = None, kind: str | None = None) -> dict[str, Any]:
    """Rated subjects: subject, total, rating, supported, revoked (anyone may read them; never who scored)."""
    return service.public_results(session, year=year, kind=kind)

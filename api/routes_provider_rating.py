"""The providers' star rating's own endpoint (HTTP over api/services/provider_rating.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import NowDep, SessionDep, UserDep
from api.routes_cases import engine_of
from api.services import provider_rating as service
from api.views import case_json
from forms.provider_rating import RatingCaseForm

router = APIRouter(prefix="/api")


@router.post("/provider-ratings", status_code=201)
async def open_rating(body: RatingCaseForm, request: Request, session: SessionDep, user: UserDep,
                      now: NowDep) -> dict[str, Any]:
    """The operator opens a year's rating of the signed providers (003 art. 11(2))."""
    return case_json(await service.open_rating(session, engine_of(request), user, body, now=now))

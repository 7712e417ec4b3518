"""Provider admission's own endpoints (HTTP over api/services/provider_admission.py): the panel setting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import NowDep, SessionDep, UserDep
from api.services import provider_admission as service

router = APIRouter(prefix="/api")


@router.get("/admin/provider-admission-settings")
def get_settings(session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The size of the blind expert panel of admission (000 四 组织专家综合审定; 3 unless set)."""
    return service.get_settings(session, user)


@router.put("/admin/provider-admission-settings")
def put_settings(body: dict[str, Any], session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    return service.put_settings(session, user, body, now=now)

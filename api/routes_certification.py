"""Certification-specific endpoints (P3): objections during a public notice, revocation of a title."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, UserDep, require
from api.errors import Conflict, NotFound
from db.models import Case

router = APIRouter(prefix="/api")


class Objection(BaseModel):
    name: str
    contact: str
    reason: str


class Revoke(BaseModel):
    reason: str


@router.post("/cases/{case_id}/objections")
async def objection(case_id: str, body: Objection, session: SessionDep) -> dict[str, Any]:
    """Anyone may object while a public notice runs."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    raise Conflict("this case is not in a public notice period; objections are accepted only during one")


@router.post("/cases/{case_id}/revoke")
async def revoke(case_id: str, body: Revoke, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """The department revokes a granted title."""
    require(user, "department")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    raise Conflict(f"a {case.type} case in status {case.status} holds no title that could be revoked")

"""Voucher-specific endpoints (P1): bids on a demand."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep, UserDep, require
from api.errors import Conflict, NotFound
from db.models import Case

router = APIRouter(prefix="/api")


class Bid(BaseModel):
    amount_fen: int
    plan: str = ""


@router.post("/cases/{case_id}/bids")
async def bid(case_id: str, body: Bid, session: SessionDep, user: UserDep) -> dict[str, Any]:
    """Providers bid on a voucher demand while bidding is open."""
    require(user, "provider")
    case = session.get(Case, case_id)
    if case is None or case.type != "voucher":
        raise NotFound(f"no voucher demand {case_id}")
    raise Conflict("bidding is not open on this case")

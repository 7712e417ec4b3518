"""Window-platform onboarding's own endpoints (P4): the public window list, the builder's withdrawal, agreements, the
settings (HTTP over api/services/window.py, which also holds the spec's hooks)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import Limit, NowDep, Offset, SessionDep, UserDep
from api.services import window as service
from api.services.window import Withdraw
from forms.window_onboarding import AgreementProposalForm

router = APIRouter(prefix="/api")
__all__ = ["Withdraw", "router"]


@router.get("/public/windows")
def public_windows(session: SessionDep, q: str | None = None, city: str | None = None, limit: Limit = 50,
                         offset: Offset = 0) -> dict[str, Any]:
    """The connected window platforms (name, city, coverage, connected since); anyone may read it."""
    return service.public_windows(session, q=q, city=city, limit=limit, offset=offset)


@router.post("/windows/{case_id}/withdraw", status_code=202)
async def withdraw(case_id: str, body: Withdraw, request: Request, session: SessionDep, user: UserDep,
                   now: NowDep) -> dict[str, Any]:
    """The builder takes its connected window out of the network; the disconnection notice is drafted."""
    return await service.withdraw(session, request.app.state.temporal, user, case_id, body, now=now)


@router.post("/windows/{case_id}/agreements", status_code=201)
async def propose_agreement(case_id: str, body: AgreementProposalForm, request: Request, session: SessionDep,
                            user: UserDep, now: NowDep) -> dict[str, Any]:
    """One connected window proposes a cooperation agreement to another (004 art. 9(6)); the other answers in its
    inbox (task `window_onboarding.agreement`), and an accepted agreement is drafted and listed on both."""
    return await service.propose_agreement(session, request.app.state.temporal, user, case_id, body, now=now)


@router.get("/windows/{case_id}/agreements")
def list_agreements(case_id: str, session: SessionDep) -> dict[str, Any]:
    """A window's agreements with other windows (public, like the window list)."""
    return service.list_agreements(session, case_id)


@router.get("/admin/window-settings")
def get_settings(session: SessionDep, user: UserDep) -> dict[str, Any]:
    return service.get_settings(session, user)


@router.put("/admin/window-settings")
def put_settings(body: dict[str, Any], session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """The hub's settings: panel size and pass mark, notice days, report dates (the seed fixes none of them).
    New applications take the settings in force when they start; report dates apply from the next year's plan."""
    return service.put_settings(session, user, body, now=now)

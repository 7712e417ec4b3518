"""Login, registration and the current user (HTTP over api/services/auth.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api import throttle
from api.deps import NowDep, SessionDep, UserDep, in_thread
from api.routes_cases import engine_of
from api.security import issue_token
from api.services import auth as service
from api.throttle import client_address
from db import users
from forms.registration import RegistrationForm

router = APIRouter(prefix="/api")


class Credentials(BaseModel):
    username: str
    password: str


@router.post("/auth/token")
async def token(body: Credentials, request: Request, session: SessionDep, now: NowDep) -> dict[str, str]:
    """Exchange a username and password for a bearer token."""
    st = request.app.state.settings
    # Argon2 and the login's SQL in the thread pool, off the event loop (issue 12).
    user = await in_thread(session, service.authenticate, session, username=body.username, password=body.password,
                           now=now, window_s=st.login_window_seconds, max_failures=st.login_max_failures,
                           client=client_address(request), max_per_address=st.login_max_failures_per_address,
                           max_per_account=st.login_max_failures_per_account)
    return {"access_token": issue_token(request.app.state.secret, user.id), "token_type": "bearer"}  # type: ignore[arg-type]


@router.get("/me")
def me(user: UserDep, session: SessionDep) -> dict[str, Any]:
    org = users.org(session, user.org_id)
    return {"username": user.username, "role": user.role, "roles": [user.role], "city": user.city,
            "display_name": user.display_name, "org": {"id": org.id, "name": org.name, "kind": org.kind} if org else None}


@router.post("/register", status_code=201)
async def register(body: RegistrationForm, request: Request, session: SessionDep, now: NowDep) -> dict[str, Any]:
    """Register an enterprise, provider or platform organisation; it waits for registration.review."""
    await in_thread(session, throttle.limit, session, "register", client_address(request), now=now, window_s=3600,
                    max_count=request.app.state.settings.registrations_per_address_per_hour)
    return await service.register(session, engine_of(request), body, now=now)

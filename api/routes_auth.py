"""Login, registration and the current user."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlmodel import select

from api.deps import NowDep, SessionDep, UserDep
from api.errors import ApiError, Conflict
from api.security import clear_failures, hash_password, issue_token, record_failure, throttled, verify_password
from api.workflows import committed, start_case
from db import audit, users
from db.models import Case, Organization, User
from forms.registration import RegistrationForm
from processes.registration import SPEC as REGISTRATION
from rules.size_class import INDUSTRIES

router = APIRouter(prefix="/api")


class Credentials(BaseModel):
    username: str
    password: str


def authenticate(session: Any, request: Request, *, username: str, password: str, now: Any) -> User:
    """Check a login; 401 for wrong credentials, 403 for an account not (yet) active, 429 when throttled."""
    st = request.app.state.settings
    if throttled(session, username=username, now=now, window_s=st.login_window_seconds,
                 max_failures=st.login_max_failures):
        raise ApiError("too many failed logins for this account; wait 15 minutes and try again",
                       code="too_many_logins", status=429)
    user = users.by_username(session, username)
    if user is None or not verify_password(password, user.password_hash):
        record_failure(session, username=username, now=now)
        session.commit()
        raise ApiError("wrong username or password", code="wrong_credentials", status=401)
    if user.status == "pending":
        raise ApiError("this account is waiting for the operator's registration review and cannot log in yet",
                       code="registration_pending", status=403)
    if user.status == "rejected":
        raise ApiError(f"this registration was rejected: {user.status_reason}", code="registration_rejected",
                       params={"reason": user.status_reason}, status=403)
    if user.status != "active":
        raise ApiError(f"this account is {user.status}", code="account_disabled",
                       params={"account_status": user.status}, status=403)
    clear_failures(session, username=username)
    return user


@router.post("/auth/token")
async def token(body: Credentials, request: Request, session: SessionDep, now: NowDep) -> dict[str, str]:
    """Exchange a username and password for a bearer token."""
    user = authenticate(session, request, username=body.username, password=body.password, now=now)
    return {"access_token": issue_token(request.app.state.secret, user.id), "token_type": "bearer"}  # type: ignore[arg-type]


@router.get("/me")
async def me(user: UserDep, session: SessionDep) -> dict[str, Any]:
    org = users.org(session, user.org_id)
    return {"username": user.username, "role": user.role, "roles": [user.role], "city": user.city,
            "display_name": user.display_name, "org": {"id": org.id, "name": org.name, "kind": org.kind} if org else None}


async def register_account(request: Request, session: Any, form: RegistrationForm, now: Any) -> dict[str, Any]:
    """Create the organisation, a pending user and the registration case, then start its review."""
    if users.by_username(session, form.username) is not None:
        raise Conflict(f"the username '{form.username}' is taken", code="username_taken",
                       params={"username": form.username})
    if session.exec(select(Organization).where(Organization.uscc == form.org.uscc)).first() is not None:
        raise Conflict("an organisation with this unified social credit code is already registered",
                       code="uscc_taken")
    o = form.org
    org = Organization(kind=form.kind, name=o.name, uscc=o.uscc, city=o.city, size=o.size, employees=o.employees,
                       revenue_fen=o.revenue_fen, industry=o.industry, categories=o.categories, created_at=now)
    session.add(org)
    session.flush()
    user = User(username=form.username, password_hash=hash_password(form.password), role=form.kind, org_id=org.id,
                display_name=o.name, email=o.email, phone=o.phone, status="pending", created_at=now)
    session.add(user)
    session.flush()
    case = Case(id=f"{REGISTRATION.prefix}-{now:%Y}-{secrets.token_hex(5)}", type="registration", status="submitted",
                title=f"注册审核：{o.name}（{form.username}，{INDUSTRIES[o.industry]}）", applicant=o.name,
                applicant_user_id=user.id, applicant_org_id=org.id, city=o.city,
                data={"kind": form.kind, "username": form.username, "org": o.model_dump(exclude={"email", "phone"})},
                created_at=now, updated_at=now)
    session.add(case)
    audit.record(session, action="registered", at=now, actor=form.username, case_id=case.id,
                 message=f"{o.name}提交注册申请", after={"kind": form.kind})
    st = request.app.state
    await committed(session, lambda: start_case(st.temporal, st.settings.task_queue, case, user))
    return {"username": user.username, "status": "pending", "case_id": case.id,
            "detail": "registered; the account can log in once an operator approves it"}


@router.post("/register", status_code=201)
async def register(body: RegistrationForm, request: Request, session: SessionDep, now: NowDep) -> dict[str, Any]:
    """Register an enterprise, provider or platform organisation; it waits for registration.review."""
    return await register_account(request, session, body, now)

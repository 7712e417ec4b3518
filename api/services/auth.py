"""Accounts: the login check (throttled) and the registration of an organisation with its review case."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from api import throttle
from api.deps import in_thread
from api.errors import ApiError, Conflict, Invalid
from api.security import hash_password, verify_password
from api.services.cases import Engine
from api.workflows import start_case
from db import audit, users
from db.models import Case, Organization, User
from forms.registration import RegistrationForm
from processes.registration import SPEC as REGISTRATION
from rules.calendar import SHANGHAI
from rules.registration import RegistrationRuleError, check_enterprise


def authenticate(session: Session, *, username: str, password: str, now: datetime, window_s: int,
                 max_failures: int, client: str = "unknown", max_per_address: int = 30,
                 max_per_account: int = 100) -> User:
    """Check a login; 401 for wrong credentials, 403 for an account not (yet) active, 429 when throttled.

    Every attempt is counted first, atomically (api/throttle.py), against the account from this address
    (`max_failures`), this address (`max_per_address`) and the account from everywhere (`max_per_account`); a
    login with the right password takes its attempt back (even for an account not yet active). A stranger elsewhere
    cannot lock the owner out with wrong guesses."""
    counts = {what: throttle.hit(session, what, who, now=now, window_s=window_s)
              for what, who in (("login", f"{username}@{client}"), ("login-address", client), ("login-account", username))}
    throttle.sweep(session, now=now)
    session.commit()
    if counts["login"] > max_failures or counts["login-address"] > max_per_address \
            or counts["login-account"] > max_per_account:
        raise ApiError("too many failed logins for this account; wait 15 minutes and try again",
                       code="too_many_logins", status=429)
    user = users.by_username(session, username)
    if user is None or not verify_password(password, user.password_hash):
        raise ApiError("wrong username or password", code="wrong_credentials", status=401)
    # The password was right: not a guess, whatever the account's state (a pending account polls until approved).
    throttle.forgive(session, "login", f"{username}@{client}", now=now, window_s=window_s, reset=True)
    throttle.forgive(session, "login-address", client, now=now, window_s=window_s)
    throttle.forgive(session, "login-account", username, now=now, window_s=window_s)
    session.commit()
    if user.status == "pending":
        raise ApiError("this account is waiting for the operator's registration review and cannot log in yet",
                       code="registration_pending", status=403)
    if user.status == "rejected":
        raise ApiError(f"this registration was rejected: {user.status_reason}", code="registration_rejected",
                       params={"reason": user.status_reason}, status=403)
    if user.status != "active":
        raise ApiError(f"this account is {user.status}", code="account_disabled",
                       params={"account_status": user.status}, status=403)
    return user


async def register(session: Session, engine: Engine, form: RegistrationForm, *, now: datetime) -> dict[str, Any]:
    """Create the organisation, a pending user and the registration case, then start its review."""
    password_hash = await asyncio.to_thread(hash_password, form.password)  # Argon2 off the event loop
    case, user = await in_thread(session, _registered, session, form, password_hash, now=now)
    await start_case(engine.client, engine.case_queue(case.id), case, user)
    return {"username": user.username, "status": "pending", "case_id": case.id,
            "detail": "registered; the account can log in once an operator approves it"}


def _registered(session: Session, form: RegistrationForm, password_hash: str, *, now: datetime) -> tuple[Case, User]:
    """`register`'s database part (the thread pool, issue 12): the checks, the organisation, the pending user and
    the registration case with its audit entry."""
    if users.by_username(session, form.username) is not None:
        raise Conflict(f"the username '{form.username}' is taken", code="username_taken",
                       params={"username": form.username})
    if session.exec(select(Organization).where(Organization.uscc == form.org.uscc)).first() is not None:
        raise Conflict("an organisation with this unified social credit code is already registered",
                       code="uscc_taken")
    o = form.org
    if form.kind == "enterprise":
        try:  # 003 art. 5: registered in Ningxia, an independent legal person
            check_enterprise(uscc=o.uscc, independent_legal_person=o.independent_legal_person)
        except RegistrationRuleError as exc:
            if exc.code == "not_registered_in_ningxia":
                raise Invalid(exc.message, code="not_registered_in_ningxia", params={"region": o.uscc[2:8]}) from None
            raise Invalid(exc.message, code="not_independent_legal_person") from None
    org = Organization(kind=form.kind, name=o.name, uscc=o.uscc, city=o.city, size=o.size, employees=o.employees,
                       revenue_fen=o.revenue_fen, industry=o.industry, categories=o.categories, created_at=now,
                       independent_legal_person=o.independent_legal_person, sector=o.sector)
    session.add(org)
    session.flush()
    user = User(username=form.username, password_hash=password_hash, role=form.kind, org_id=org.id,
                display_name=o.name, email=o.email, phone=o.phone, status="pending", created_at=now)
    session.add(user)
    session.flush()
    data = {"kind": form.kind, "username": form.username, "org": o.model_dump(exclude={"email", "phone"})}
    case = Case(id=f"{REGISTRATION.prefix}-{now:%Y}-{secrets.token_hex(5)}", type="registration", status="submitted",
                title=REGISTRATION.case_title(o.name, data, now.astimezone(SHANGHAI).date()), applicant=o.name,
                applicant_user_id=user.id, applicant_org_id=org.id, city=o.city, data=data,
                created_at=now, updated_at=now)
    session.add(case)
    audit.record(session, action="registered", at=now, actor=form.username, case_id=case.id,
                 message=f"{o.name}提交注册申请", after={"kind": form.kind})
    return case, user

"""Cases: submit, list, read."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.deps import NowDep, SessionDep, UserDep, page, require
from api.errors import Conflict, Forbidden, Invalid, NotFound, validation_detail
from api.views import case_detail, case_json
from api.workflows import start_case
from db import audit, users
from db.models import Case, Task, Upload, User
from processes.registry import spec_of, specs
from processes.spec import resolve

router = APIRouter(prefix="/api")

STAFF = ("operator", "department", "admin")


class CaseCreate(BaseModel):
    type: str
    data: dict[str, Any] = {}


def can_view(session: Session, user: User, case: Case) -> bool:
    """Role and scope: staff see all, a city bureau its city, an applicant its organisation, an expert its tasks."""
    if user.role in STAFF:
        return True
    if user.role == "city_bureau":
        return case.city == user.city
    if user.role in ("enterprise", "provider", "platform_org"):
        if case.applicant_org_id is not None and case.applicant_org_id == user.org_id:
            return True
        # A party with a step of its own in the case (e.g. the provider that delivers a voucher's service).
        return user.org_id is not None and session.exec(
            select(Task.id).where(Task.case_id == case.id, Task.org_id == user.org_id)).first() is not None
    if user.role == "expert":
        return session.exec(select(Task.id).where(Task.case_id == case.id, expert_may_see(user))).first() is not None
    return False


def expert_may_see(user: User) -> Any:
    """An expert sees the cases of expert tasks that are theirs (assigned or decided) or still open to anyone."""
    return (Task.role == "expert") & (
        (Task.assignee == user.username)
        | (Task.completed_by == user.username)
        | ((Task.status == "open") & col(Task.assignee).is_(None))
    )


def load_case(session: Session, user: User, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None or not can_view(session, user, case):
        raise NotFound(f"no case {case_id} that you may see", code="case_not_visible", params={"case_id": case_id})
    return case


def attach_uploads(session: Session, user: User, case_id: str, data: Any) -> None:
    """Link the caller's uploads named anywhere in the data to the case (so its reviewers may read them)."""
    ids: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str) and len(v) == 32:
            ids.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(data)
    if ids:
        for up in session.exec(select(Upload).where(col(Upload.id).in_(ids), Upload.owner_user_id == user.id)):
            up.case_id = case_id


@router.post("/cases", status_code=201)
async def create_case(body: CaseCreate, request: Request, session: SessionDep, user: UserDep, now: NowDep,
                      idempotency_key: str | None = Header(default=None)) -> dict[str, Any]:
    """Submit an application; the same Idempotency-Key returns the case created first."""
    spec = spec_of(body.type)
    if spec is None or not spec.applicant_roles or spec.case_form is None:
        open_types = ", ".join(t for t, sp in specs().items() if sp.applicant_roles)
        raise Invalid(f"unknown case type '{body.type}'; expected one of {open_types}",
                      code="unknown_case_type", params={"case_type": body.type})
    form = spec.case_form
    require(user, *spec.applicant_roles)
    st = request.app.state
    if idempotency_key:
        prior = session.exec(select(Case).where(Case.applicant_user_id == user.id,
                                                Case.idempotency_key == idempotency_key)).first()
        if prior is not None:
            session.commit()
            await start_case(st.temporal, st.settings.task_queue, prior, user)
            return case_json(prior)
    try:
        data = form.model_validate(body.data).model_dump()
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "data"), code="validation_failed") from None
    org = users.org(session, user.org_id)
    if org is None:
        raise Forbidden("your account has no organisation to apply for", code="no_organisation")
    if org.blacklisted:
        raise Forbidden(f"{org.name} is recorded as bad credit and may not apply: {org.blacklist_reason}",
                        code="bad_credit", params={"org": org.name, "reason": org.blacklist_reason})
    running = session.exec(select(Case).where(Case.type == body.type, Case.applicant_org_id == org.id,
                                              col(Case.closed_at).is_(None))).first()
    if running is not None and not spec.many_open:
        raise Conflict(f"{org.name} already has an open {body.type} case ({running.id}); finish or withdraw it first",
                       code="already_open_case",
                       params={"org": org.name, "case_type": body.type, "case_id": running.id})
    result = resolve(spec.create_check)(session, user=user, org=org, data=data, now=now) if spec.create_check else {}
    case = Case(id=f"{spec.prefix}-{now:%Y}-{secrets.token_hex(5)}", type=body.type, status="submitted",
                title=f"{spec.title}：{org.name}", applicant=org.name,
                applicant_user_id=user.id, applicant_org_id=org.id, city=org.city, policy_version="",
                data=data, idempotency_key=idempotency_key, created_at=now, updated_at=now)
    case.result = result
    session.add(case)
    session.flush()
    attach_uploads(session, user, case.id, data)
    audit.record(session, action="submitted", at=now, actor=user.username, case_id=case.id,
                 message=f"{org.name}提交{spec.title}", after={"data": data})
    session.commit()
    await start_case(st.temporal, st.settings.task_queue, case, user)
    return case_json(case)


@router.get("/cases")
async def list_cases(session: SessionDep, user: UserDep, type: str | None = None, status: str | None = None,
                     city: str | None = None, q: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Cases the caller may see, newest first."""
    conds: list[Any] = []
    if user.role == "city_bureau":
        conds.append(Case.city == user.city)
    elif user.role in ("enterprise", "provider", "platform_org"):
        conds.append(Case.applicant_org_id == user.org_id)
    elif user.role == "expert":
        conds.append(col(Case.id).in_(select(Task.case_id).where(expert_may_see(user))))
    for field, value in ((Case.type, type), (Case.status, status), (Case.city, city)):
        if value:
            conds.append(field == value)
    if q:
        conds.append(col(Case.title).contains(q))
    limit = max(1, min(limit, 200))
    total = session.exec(select(func.count()).select_from(Case).where(*conds)).one()
    rows = session.exec(select(Case).where(*conds).order_by(col(Case.created_at).desc()).offset(offset).limit(limit))
    return page([case_json(c) for c in rows], int(total))


@router.get("/cases/{case_id}")
async def get_case(case_id: str, session: SessionDep, user: UserDep, now: NowDep) -> dict[str, Any]:
    """One case with its timeline, tasks, documents, deadlines and materials."""
    case = load_case(session, user, case_id)
    detail = case_detail(session, case, now=now, viewer=user)
    spec = spec_of(case.type)
    return resolve(spec.redact)(session, user, case, detail) if spec and spec.redact else detail

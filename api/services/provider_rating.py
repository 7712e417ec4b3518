"""The providers' star rating (003 art. 11(2)): the operator opens a year's rating; its proposal's changes are
checked before the workflow sees them."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from api.deps import in_thread, require
from api.errors import Conflict, Invalid
from api.services.cases import Engine
from api.views import iso
from api.workflows import start_case
from db import audit
from db.models import Case, Task, User
from forms.provider_rating import RatingCaseForm
from rules.provider_rating import ADJUSTMENT_ZH


async def open_rating(session: Session, engine: Engine, user: User, body: RatingCaseForm, *,
                      now: datetime) -> Case:
    """The operator opens the year's rating (one at a time per year; a rejected one may be opened again). The
    database work runs in the thread pool, the workflow starts after the commit (issue 12)."""
    case = await in_thread(session, _rating_opened, session, user, body, now=now)
    await start_case(engine.client, engine.case_queue(case.id), case, user)
    return case


def _rating_opened(session: Session, user: User, body: RatingCaseForm, *, now: datetime) -> Case:
    require(user, "operator")
    for case in session.exec(select(Case).where(Case.type == "provider_rating", col(Case.status) != "rejected")):
        if case.data.get("year") == body.year:
            raise Conflict(f"the rating of {body.year} exists already ({case.id})", code="rating_year_open",
                           params={"year": body.year, "case_id": case.id})
    case = Case(id=f"PR-{body.year}-{secrets.token_hex(4)}", type="provider_rating", status="submitted",
                title=f"{body.year}年度签约服务机构评级排名和动态调整", applicant="自治区中小企业服务中心",
                applicant_user_id=user.id, policy_version="003-2016", data=body.model_dump(), created_at=now,
                updated_at=now)
    session.add(case)
    session.flush()
    audit.record(session, action="submitted", at=now, actor=user.username, case_id=case.id,
                 message=f"开展{body.year}年度签约服务机构评级排名（003 第十一条（二））")
    return case


def check_proposal(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
                   decision: str = "") -> None:
    """Each change names a provider of the proposal, a valid adjustment, stars 1-5 or none, and its reason (422)."""
    known = {str(d["org_id"]) for d in case.result.get("proposal", [])}
    for org_id, change in (data.get("changes") or {}).items():
        if org_id not in known:
            raise Invalid(f"data.changes.{org_id}: no such provider in the proposal", code="rating_invalid",
                          params={"reason": f"服务机构{org_id}不在拟定名单中"})
        stars = change.get("stars")
        if change.get("adjustment") not in ADJUSTMENT_ZH or not (
                stars is None or (isinstance(stars, int) and not isinstance(stars, bool) and 1 <= stars <= 5)):
            raise Invalid(f"data.changes.{org_id}: stars 1-5 or null, adjustment one of {', '.join(ADJUSTMENT_ZH)}",
                          code="rating_invalid", params={"reason": "星级为1-5或不评星，动态调整须为规定选项"})
        if not str(change.get("reason") or "").strip():
            raise Invalid(f"data.changes.{org_id}.reason: a change needs its reason", code="rating_reason_required")


STATUS_ZH = {"submitted": "已开展", "in_review": "拟定中", "returned": "退回修改", "public_notice": "公示中",
             "published": "已公布", "rejected": "未通过"}


def ratings(session: Session) -> list[dict[str, Any]]:
    """Every year's rating, newest first."""
    rows = session.exec(select(Case).where(Case.type == "provider_rating").order_by(col(Case.created_at).desc()))
    return [{"id": c.id, "year": c.data.get("year"), "status": c.status, "status_label": STATUS_ZH.get(c.status, c.status),
             "created_at": iso(c.created_at)} for c in rows]

"""Cases: submit, list, view (with the viewer's redaction)."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.deps import in_thread, require
from api.errors import Conflict, Forbidden, Invalid, NotFound, validation_detail
from api.views import case_detail
from api.workflows import start_case
from db import audit, users
from db import cases as case_repo
from db.models import Case, Organization, User
from forms.text import clean_text
from processes.registry import spec_of, specs
from processes.spec import resolve
from rules.calendar import SHANGHAI
from rules.scoring import summarise
from settings import case_queue


@dataclass(frozen=True)
class Engine:
    """Where case workflows run: the Temporal client and the task queue (with its partitions, if any)."""

    client: Client
    task_queue: str
    partitions: int = 0

    def case_queue(self, case_id: str) -> str:
        """The task queue a new case starts on (settings.Settings.task_queue_partitions)."""
        return case_queue(self.task_queue, self.partitions, case_id)


def load(session: Session, user: User, case_id: str) -> Case:
    """The case if `user` may see it, else 404 (the same answer whether it exists or not)."""
    case = case_repo.visible(session, user, case_id)
    if case is None:
        raise NotFound(f"no case {case_id} that you may see", code="case_not_visible", params={"case_id": case_id})
    return case


def refuse_non_finite(data: Any, where: str = "data") -> None:
    """NaN and Infinity are not numbers a form may carry (JSON has none; the database's JSON refuses them): 422."""
    if isinstance(data, float) and not math.isfinite(data):
        raise Invalid(f"{where}: {data!r} is not a finite number", code="not_a_finite_number", params={"field": where})
    if isinstance(data, dict):
        for k, v in data.items():
            refuse_non_finite(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            refuse_non_finite(v, f"{where}.{i}")


def refuse_foreign_uploads(session: Session, user: User, case_id: str | None, data: dict[str, Any]) -> None:
    """An upload already filed with another case is not silently moved to this one: 422 naming it."""
    foreign = case_repo.foreign_uploads(session, user, case_id, data)
    if foreign:
        raise Invalid(f"data: upload {foreign[0]} belongs to another case; upload the file again for this one",
                      code="upload_of_other_case", params={"upload_id": foreign[0]})


def view(session: Session, user: User, case_id: str, *, now: datetime) -> dict[str, Any]:
    """One case as `user` may see it: its data, timeline, tasks, documents, deadlines and materials, blind where the
    process requires it (the shared expert rule in `case_detail`, then the process's own `redact`)."""
    case = load(session, user, case_id)
    detail = case_detail(session, case, now=now, viewer=user)
    spec = spec_of(case.type)
    return resolve(spec.redact)(session, user, case, detail) if spec and spec.redact else detail


def listing(session: Session, user: User, *, type: str | None = None, status: str | None = None,
            city: str | None = None, q: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
    """Cases the caller may see, newest first, with the total."""
    conds: list[Any] = case_repo.visible_to(user)
    for field, value in ((Case.type, type), (Case.status, status), (Case.city, city)):
        if value:
            conds.append(field == value)
    if q:
        # the title, the applicant's name, the case id, or the applicant organisation's credit code (统一社会信用代码)
        q = q.strip()
        by_code = select(Organization.id).where(col(Organization.uscc).contains(q.upper()))
        conds.append(or_(col(Case.title).contains(q), col(Case.applicant).contains(q), col(Case.id).contains(q),
                         col(Case.applicant_org_id).in_(by_code)))
    limit = max(1, min(limit, 200))
    total = session.exec(select(func.count()).select_from(Case).where(*conds)).one()
    rows = session.exec(select(Case).where(*conds).order_by(col(Case.created_at).desc()).offset(max(0, offset))
                        .limit(limit))
    return list(rows), int(total)


async def submit(session: Session, engine: Engine, user: User, *, case_type: str, data: dict[str, Any],
                 now: datetime, idempotency_key: str | None = None) -> Case:
    """Submit an application: the process's form and checks, the case row, then its workflow (after the commit).
    The same Idempotency-Key returns the case created first. The database work runs in the thread pool (issue 12)."""
    case = await in_thread(session, _submitted, session, user, case_type=case_type, data=data, now=now,
                           idempotency_key=idempotency_key)
    await start_case(engine.client, engine.case_queue(case.id), case, user)
    return case


def _submitted(session: Session, user: User, *, case_type: str, data: dict[str, Any], now: datetime,
               idempotency_key: str | None) -> Case:
    """`submit`'s database part: the case created first with this Idempotency-Key, or a new one written with its
    uploads and audit entry."""
    spec = spec_of(case_type)
    if spec is None or not spec.applicant_roles or spec.case_form is None:
        open_types = ", ".join(t for t, sp in specs().items() if sp.applicant_roles)
        raise Invalid(f"unknown case type '{case_type}'; expected one of {open_types}",
                      code="unknown_case_type", params={"case_type": case_type})
    require(user, *spec.applicant_roles)
    if idempotency_key:
        prior = session.exec(select(Case).where(Case.applicant_user_id == user.id,
                                                Case.idempotency_key == idempotency_key)).first()
        if prior is not None:
            return prior
    refuse_non_finite(data)
    try:
        clean = clean_text(spec.case_form.model_validate(data).model_dump())
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "data"), code="validation_failed") from None
    org = users.org(session, user.org_id)
    if org is None:
        raise Forbidden("your account has no organisation to apply for", code="no_organisation")
    if org.blacklisted:
        raise Forbidden(f"{org.name} is recorded as bad credit and may not apply: {org.blacklist_reason}",
                        code="bad_credit", params={"org": org.name, "reason": org.blacklist_reason})
    running = session.exec(select(Case).where(Case.type == case_type, Case.applicant_org_id == org.id,
                                              col(Case.closed_at).is_(None))).first()
    if running is not None and not spec.many_open:
        raise Conflict(f"{org.name} already has an open {case_type} case ({running.id}); finish or withdraw it first",
                       code="already_open_case",
                       params={"org": org.name, "case_type": case_type, "case_id": running.id})
    refuse_foreign_uploads(session, user, None, clean)
    result = resolve(spec.create_check)(session, user=user, org=org, data=clean, now=now) if spec.create_check else {}
    case = Case(id=f"{spec.prefix}-{now:%Y}-{secrets.token_hex(5)}", type=case_type, status="submitted",
                title=spec.case_title(org.name, clean, now.astimezone(SHANGHAI).date()), applicant=org.name,
                applicant_user_id=user.id, applicant_org_id=org.id, city=org.city, policy_version="",
                data=clean, idempotency_key=idempotency_key, created_at=now, updated_at=now)
    case.result = result
    session.add(case)
    session.flush()
    case_repo.attach_uploads(session, user, case.id, clean)
    audit.record(session, action="submitted", at=now, actor=user.username, case_id=case.id,
                 message=f"{org.name}提交{spec.title}", after={"data": clean})
    return case


def expert_scores(case: dict[str, Any] | None) -> dict[str, Any] | None:
    """The experts' scores of a case (certification's expert reviews, a window's panel) with their average and the
    average without the highest and lowest, for the deciding official's page; None when there are none."""
    if not case:
        return None
    result = case.get("result") or {}
    rows = result.get("expert_reviews") or (result.get("expert_panel") or {}).get("scores") or []
    scored = [(str(r.get("expert", "")), int(r["score"])) for r in rows
              if isinstance(r, dict) and isinstance(r.get("score"), int | float)]
    if not scored:
        return None
    summary = summarise([score for _, score in scored])
    return {"scores": [{"expert": e, "score": sc} for e, sc in scored], "average": summary.average,
            "trimmed_average": summary.trimmed_average, "highest": summary.highest, "lowest": summary.lowest}

"""Certification (P3): the yearly call, the checks of an application and of its correction, objections during a
public notice, revocation of a title."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session
from temporalio.client import Client

from api.deps import page, require
from api.errors import ApiError, Conflict, Invalid, NotFound
from api.services import objections
from api.views import document_json, iso
from api.workflows import case_update, committed
from db import audit, deadlines
from db import certification as repo
from db.models import Case, CertificationCall, Organization, Task, Upload, User
from db.models import Objection as ObjectionRow
from forms.certification import MATERIALS, CallForm, eligibility, materials_missing
from processes.certification import SPEC as CERTIFICATION
from rules import panel
from rules.calendar import SHANGHAI
from rules.calendar import end_of_day_utc as end_of
from rules.certification import DEFAULT_RELAXED_PCT, expiry_reminder_days
from rules.policies import policy_for
from workflows.certification import CertificationWorkflow
from workflows.certification_types import RevokeInput, RevokeResult
from workflows.notice_types import ObjectionFiled, ObjectionInput
from workflows.public_notice import NoticeWorkflow

# Published results of certification (002 art. 13, 17, 19): the grant, revocations, yearly assessment results.
PUBLISHED_KINDS = CERTIFICATION.public_documents


class Objection(BaseModel):
    name: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=5000)
    evidence: list[str] = Field(default_factory=list, max_length=10)  # upload ids (public uploads)


class Revoke(BaseModel):
    reason: str = Field(default="", max_length=5000)


def call_json(call: CertificationCall, *, now: datetime) -> dict[str, Any]:
    return {"id": call.id, "year": call.year, "title": call.title, "deadline_at": iso(call.deadline_at),
            "deadline": (call.deadline_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date().isoformat(),
            "experts": call.experts, "open": call.opened_at <= now < call.deadline_at,
            "expiry_reminder_days": list(expiry_reminder_days(call.expiry_reminder_days)),
            "relaxed_pct": call.relaxed_pct, "opened_by": call.opened_by, "opened_at": iso(call.opened_at)}


def open_call(session: Session, user: User, body: CallForm, *, now: datetime) -> CertificationCall:
    """The department opens a year's call for applications; it closes at 24:00 of the deadline day (002 art. 14)."""
    require(user, "department")
    if repo.call_of_year(session, body.year) is not None:
        raise Conflict(f"the call of {body.year} is already open; one call a year (002 art. 14)",
                       code="call_already_open", params={"year": body.year})
    closes = end_of(body.deadline)
    if closes <= now:
        raise Invalid(f"deadline: {body.deadline} has already passed", code="deadline_passed")
    call = CertificationCall(year=body.year, title=body.title or f"{body.year}年度自治区中小企业公共服务示范平台申报",
                             deadline_at=closes, experts=body.experts, expiry_reminder_days=body.expiry_reminder_days,
                             relaxed_pct=body.relaxed_pct, opened_by=user.username, opened_at=now)
    session.add(call)
    session.flush()
    audit.record(session, action="call_opened", at=now, actor=user.username,
                 message=f"发布{body.year}年度示范平台申报通知，截止{body.deadline}", after=body.model_dump(mode="json"))
    return call


def list_calls(session: Session, *, now: datetime) -> dict[str, Any]:
    """Every year's call, newest first (public: applicants read it before logging in)."""
    calls = repo.all_calls(session)
    return page([call_json(c, now=now) for c in calls], len(calls))


def current_call(session: Session, *, now: datetime) -> CertificationCall:
    """The call open now, or 404 with when the last one closed."""
    call = repo.latest_call(session, now=now)
    if call is None or now >= call.deadline_at:
        raise _no_call(NotFound, call)
    return call


def published_documents(session: Session, *, kind: str | None = None, q: str | None = None) -> dict[str, Any]:
    """Certification notices, revocation decisions and assessment results, newest first (anyone may read them)."""
    if kind is not None and kind not in PUBLISHED_KINDS:
        raise Invalid(f"kind: expected one of {', '.join(PUBLISHED_KINDS)}", code="unknown_notice_kind")
    rows = repo.published_documents(session, kinds=[kind] if kind else list(PUBLISHED_KINDS), q=q)
    return page([{**document_json(d), "case_id": d.case_id} for d in rows], len(rows))


def _no_call(kind: type[ApiError], call: CertificationCall | None) -> ApiError:
    if call is None:
        return kind("no call for demonstration-platform applications has been opened; wait for the department's call",
                    code="no_open_call")
    return kind(f"the call of {call.year} closed at {call.deadline_at.astimezone(SHANGHAI).isoformat()}; "
                "applications are no longer accepted", code="call_closed", params={"year": call.year})


def check_application(session: Session, *, user: User, org: Organization, data: dict[str, Any],
                      now: datetime) -> dict[str, Any]:
    """Before a certification case is created: an open call, the applicant's own city, eligibility (422)."""
    call = repo.latest_call(session, now=now)
    if call is None or now >= call.deadline_at:
        raise _no_call(Conflict, call)
    held = repo.titles_of(session, org_id=org.id)
    for title in held:
        until = title.result.get("valid_until", "")
        if until[:4] != str((now + timedelta(hours=8)).year):
            raise Conflict(f"{org.name} holds the title until {until} ({title.id}); it may apply again in the year "
                           "the title expires (002 art. 17)", code="title_held",
                           params={"org": org.name, "until": until, "title_id": title.id})
    if data.get("city") != org.city:
        raise Invalid(f"data.city: the platform must apply in its own city ({org.city}), not {data.get('city')}",
                      code="wrong_city", params={"city": org.city})
    relaxed = call.relaxed_pct if call.relaxed_pct is not None else DEFAULT_RELAXED_PCT
    checked = _eligible(data, "the application", relaxed_pct=relaxed)
    _materials(session, user, data)
    return {"eligibility": checked, "call_year": call.year, "relaxed_pct": relaxed,
            "policy_version": policy_for("certification").code}


def _materials(session: Session, user: User, data: dict[str, Any]) -> None:
    """002 art. 11: every material uploaded by the applicant, incl. (三) the special audit report of service income
    and expenditure unless last year's audit report covers it (422 naming what is missing)."""
    missing = materials_missing(data)
    if missing:
        names = "、".join(MATERIALS[k] for k in missing)
        raise Invalid(f"data.materials: missing {', '.join(missing)} (002 art. 11)", code="certification_materials_missing",
                      params={"missing": names})
    for key, upload_id in (data.get("materials") or {}).items():
        up = session.get(Upload, upload_id)
        if up is None or up.owner_user_id != user.id:
            raise Invalid(f"data.materials.{key}: no upload {upload_id} of yours; upload the file first "
                          "(POST /api/uploads)", code="certification_material_unknown",
                          params={"material": MATERIALS.get(key, key)})


def _eligible(data: dict[str, Any], what: str, code: str = "cannot_qualify",
              relaxed_pct: int = DEFAULT_RELAXED_PCT) -> dict[str, Any]:
    """Art. 6 and 7 condition by condition; 422 naming every condition that is not met."""
    result = eligibility(data, relaxed_pct)
    if not result["eligible"]:
        missing = "；".join(result["missing"])
        raise Invalid(f"{what} cannot qualify (002 art. 6-7): " + missing, code=code, params={"missing": missing})
    return result


def check_correction(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any],
                     now: datetime, decision: str = "") -> None:
    """A corrected application (task `certification.correction`) is checked again by the rules of submission: it
    stays in the city it was recommended by and must still qualify (002 art. 6-7); refused with a 422 before the
    workflow sees it. The case's eligibility is recomputed from the corrected data when the task closes."""
    if case.type != "certification":
        return
    if data.get("city") != case.city:
        raise Invalid(f"data.city: the platform must apply in its own city ({case.city}), not {data.get('city')}",
                      code="correction_wrong_city", params={"city": case.city})
    _eligible(data, "the corrected application", code="correction_cannot_qualify",
              relaxed_pct=int(case.result.get("relaxed_pct", DEFAULT_RELAXED_PCT)))


def check_decision(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
                   decision: str = "") -> None:
    """The department's decision (task `certification.decision`) against the experts' panel result needs its reason
    (002 art. 12: the list is fixed "根据专家评审和实地考察情况"; the panel's result is rules.panel's majority)."""
    result = case.result.get("panel_result") or {}
    if panel.needs_departure_reason(result.get("decision"), decision, str(data.get("departure_reason") or "")):
        raise Invalid("data.departure_reason: the decision goes against the experts' panel result "
                      f"({result.get('decision')}); record the reason", code="panel_departure_reason_required",
                      params={"panel": "同意" if result.get("decision") == "approve" else "不同意"})


async def _update(session: Session, client: Client, case_id: str, update: Any, arg: Any, result_type: type,
                  update_id: str) -> Any:
    return await committed(session, lambda: case_update(client, case_id=case_id, update=update, arg=arg,
                                                         result_type=result_type, update_id=update_id))


async def objection(session: Session, client: Client, case_id: str, body: Objection, *, now: datetime,
                    idempotency_key: str | None = None) -> dict[str, Any]:
    """Anyone may object, in their real name, while a public notice runs (002 art. 12)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found", params={"case_id": case_id})
    if not body.name.strip() or not body.contact.strip():
        raise Invalid("anonymous objections are not accepted: give your real name and a contact",
                      code="anonymous_objection")
    if not body.reason.strip():
        raise Invalid("reason: give the reason of the objection", code="objection_reason_required")
    notice = deadlines.deadline(session, case_id, "public_notice")
    if notice is None:
        raise Conflict("this case is not in a public notice period; objections are accepted only during one",
                       code="not_in_notice")
    if now >= notice.closes_at:
        raise Conflict(f"the public notice closed at {notice.closes_at.astimezone(SHANGHAI).isoformat()}; "
                       "objections filed after the close are not accepted", code="notice_closed")
    key = f"{case_id}.objection.{idempotency_key or uuid.uuid4().hex}"
    filed = await _update(session, client, case_id, NoticeWorkflow.file_objection,
                          ObjectionInput(name=body.name, contact=body.contact, reason=body.reason, key=key),
                          ObjectionFiled, key)
    if filed is None:
        raise Conflict("this case's public notice has ended; objections are no longer accepted",
                       code="notice_closed")
    row = session.get(ObjectionRow, filed.objection_id)
    receipt = None
    if row is not None:
        if body.evidence:
            objections.attach_evidence(session, row, body.evidence)
        receipt = objections.receipt_no(filed.objection_id, row.filed_at)
    return {"objection_id": filed.objection_id, "case_id": case_id, "status": "received",
            "notice_closes_at": iso(filed.closes_at), "receipt": receipt}


async def revoke(session: Session, client: Client, user: User, case_id: str, body: Revoke) -> dict[str, Any]:
    """The department revokes a granted title with a reason (002 art. 17); the decision is drafted."""
    require(user, "department")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found", params={"case_id": case_id})
    if not body.reason.strip():
        raise Invalid("reason: a revocation needs its reason", code="revocation_reason_required")
    if case.type != "certification" or case.status != "granted":
        raise Conflict(f"a {case.type} case in status {case.status} holds no title that could be revoked",
                       code="no_title")
    done = await _update(session, client, case_id, CertificationWorkflow.revoke,
                         RevokeInput(reason=body.reason, actor=user.username), RevokeResult, f"{case_id}.revoke")
    if done is None:
        raise Conflict("this case's process has ended; there is no title to revoke", code="no_title_case_ended")
    session.expire_all()
    case = session.get(Case, case_id)
    assert case is not None
    return {"case_id": case_id, "status": done.status, "reason": body.reason}

"""Certification (P3): the yearly call, the checks of an application and of its correction, objections during a
public notice, revocation of a title."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session
from temporalio.client import Client

from api.deps import in_thread, page, require
from api.errors import ApiError, Conflict, Invalid, NotFound
from api.services import objections
from api.views import document_json, iso
from api.workflows import case_signal, case_update
from db import audit, deadlines
from db import certification as repo
from db.models import Case, CertificationCall, Document, Organization, Task, Upload, User
from db.models import Objection as ObjectionRow
from forms.certification import MATERIALS, CallForm, eligibility, materials_missing
from processes.certification import SPEC as CERTIFICATION
from rules import certification_lists as lists
from rules import panel
from rules.calendar import SHANGHAI
from rules.calendar import end_of_day_utc as end_of
from rules.certification import DEFAULT_RELAXED_PCT, expiry_reminder_days
from rules.certification_lists import batch_key
from rules.cities import CITIES
from rules.policies import policy_for
from workflows.certification import CertificationWorkflow
from workflows.certification_types import ListPublished, RevokeInput, RevokeResult
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


async def objection(session: Session, client: Client, case_id: str, body: Objection, *, now: datetime,
                    idempotency_key: str | None = None) -> dict[str, Any]:
    """Anyone may object, in their real name, while a public notice runs (002 art. 12). The database work runs in
    the thread pool, before and after the notice's Update (issue 12)."""
    await in_thread(session, _objectable, session, case_id, body, now=now)
    key = f"{case_id}.objection.{idempotency_key or uuid.uuid4().hex}"
    filed = await case_update(client, case_id=case_id, update=NoticeWorkflow.file_objection,
                              arg=ObjectionInput(name=body.name, contact=body.contact, reason=body.reason, key=key),
                              result_type=ObjectionFiled, update_id=key)
    if filed is None:
        raise Conflict("this case's public notice has ended; objections are no longer accepted",
                       code="notice_closed")
    receipt = await in_thread(session, _filed, session, filed, body)
    return {"objection_id": filed.objection_id, "case_id": case_id, "status": "received",
            "notice_closes_at": iso(filed.closes_at), "receipt": receipt}


def _objectable(session: Session, case_id: str, body: Objection, *, now: datetime) -> None:
    """`objection`'s checks: the case, a real name and a reason, a public notice that runs."""
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


def _filed(session: Session, filed: ObjectionFiled, body: Objection) -> str | None:
    """The objection the workflow recorded: its evidence attached, its receipt number."""
    row = session.get(ObjectionRow, filed.objection_id)
    if row is None:
        return None
    if body.evidence:
        objections.attach_evidence(session, row, body.evidence)
    return objections.receipt_no(filed.objection_id, row.filed_at)


async def revoke(session: Session, client: Client, user: User, case_id: str, body: Revoke) -> dict[str, Any]:
    """The department revokes a granted title with a reason (002 art. 17); the decision is drafted. The database
    work runs in the thread pool (issue 12)."""
    await in_thread(session, _revocable, session, user, case_id, body)
    done = await case_update(client, case_id=case_id, update=CertificationWorkflow.revoke,
                             arg=RevokeInput(reason=body.reason, actor=user.username), result_type=RevokeResult,
                             update_id=f"{case_id}.revoke")
    if done is None:
        raise Conflict("this case's process has ended; there is no title to revoke", code="no_title_case_ended")
    return {"case_id": case_id, "status": done.status, "reason": body.reason}


def _revocable(session: Session, user: User, case_id: str, body: Revoke) -> None:
    require(user, "department")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found", params={"case_id": case_id})
    if not body.reason.strip():
        raise Invalid("reason: a revocation needs its reason", code="revocation_reason_required")
    if case.type != "certification" or case.status != "granted":
        raise Conflict(f"a {case.type} case in status {case.status} holds no title that could be revoked",
                       code="no_title")


# --- the year's lists (002 art. 10, 12, 13) ------------------------------------------------------------------------

STAFF = ("department", "city_bureau", "operator", "admin")


def _batch_states(cases: list[Case]) -> list[lists.BatchCase]:
    return [lists.BatchCase(c.id, c.status, c.closed_at is not None) for c in cases]


def _city_summaries(docs: list[Document], city: str | None = None) -> list[dict[str, Any]]:
    """The newest summary report of each city (it is redrawn as the city recommends more platforms)."""
    latest: dict[str, tuple[int, Document]] = {}
    for d in docs:
        parts = d.key.split(".")  # certification.<year>.city_summary.<city>.<n>
        if d.kind != "city_summary" or len(parts) != 5 or (city is not None and parts[3] != city):
            continue
        n = int(parts[4]) if parts[4].isdigit() else 0
        if parts[3] not in latest or n > latest[parts[3]][0]:
            latest[parts[3]] = (n, d)
    return [{**document_json(d), "city": c, "city_name": CITIES.get(c, c), "platforms": n,
             "url": f"/api/certification/years/{d.key.split('.')[1]}/documents/{d.id}"}
            for c, (n, d) in sorted(latest.items())]


def year_view(session: Session, user: User, year: int, *, now: datetime) -> dict[str, Any]:
    """A year's batch (002 art. 12-14): its cases, whether the 拟认定名单 is out and what it waits for, the year's
    notice, certification notice and the cities' summary reports. A city bureau sees its own city's part."""
    require(user, "department", "city_bureau", "operator", "admin")
    call = repo.call_of_year(session, year)
    if call is None:
        raise NotFound(f"no call of {year}", code="call_not_found", params={"year": year})
    city = user.city if user.role == "city_bureau" else None
    cases = repo.batch_cases(session, year)
    rounds = [list(r) for r in (call.list_case_ids or [])]
    listed = {i for r in rounds for i in r}
    states = [b for b in _batch_states(cases) if b.case_id not in listed]
    docs = repo.batch_documents(session, year)
    notices = [d for d in docs if d.kind == "public_notice"]
    granted = [d for d in docs if d.kind == "certification_notice"]
    shown = [c for c in cases if city is None or c.city == city]
    return {
        "year": year, "call": call_json(call, now=now),
        "list_published_at": iso(call.list_published_at) if call.list_published_at else None,
        "rounds": rounds,
        "list_ready": lists.list_ready(states),  # the last case decided: it publishes by itself
        "candidates": lists.candidates(states),  # waiting for the list (the department may publish it now)
        "pending": [c.id for c in shown if c.id in lists.pending(states)],
        "cases": [{"case_id": c.id, "title": c.title, "platform_name": c.data.get("platform_name") or c.applicant,
                   "applicant": c.applicant, "city": c.city, "city_name": CITIES.get(c.city or "", c.city or ""),
                   "status": c.status, "status_label": CERTIFICATION.statuses.get(c.status, c.status),
                   "listed": c.id in listed or c.status == lists.LISTED} for c in shown],
        # The year's list notice and certification notice (a supplementary round's after them, 002 art. 12-13).
        "public_notices": [document_json(d) for d in notices],
        "certification_notices": [document_json(d) for d in granted],
        "city_summaries": _city_summaries(docs, city),
    }


async def publish_list(session: Session, client: Client, user: User, year: int, *, now: datetime) -> dict[str, Any]:
    """The department publishes the year's 拟认定名单 (002 art. 12: it fixes the list) with the candidates waiting
    now, without waiting for the cases still in review (they come in a supplementary list when decided; the list is
    published by itself when the year's last case is decided). Idempotent: with no new candidate it tells the
    listed cases again (a lost signal); 409 when nothing is or was listed. The database work runs in the thread pool;
    the listed cases are told after the commit (issue 12)."""
    for message, waiting in await in_thread(session, _list_published, session, user, year, now=now):
        for case_id in waiting:
            await case_signal(client, case_id=case_id, signal=CertificationWorkflow.list_published, arg=message)
    return await in_thread(session, year_view, session, user, year, now=now)


def _list_published(session: Session, user: User, year: int, *,
                    now: datetime) -> list[tuple[ListPublished, list[str]]]:
    """`publish_list`'s database part: the new round of the list, if any; per round its message and the cases of the
    round still listed (those are told)."""
    require(user, "department")
    call = repo.call_of_year(session, year)
    if call is None:
        raise NotFound(f"no call of {year}", code="call_not_found", params={"year": year})
    rounds = [list(r) for r in (call.list_case_ids or [])]
    done = {i for r in rounds for i in r}
    states = [b for b in _batch_states(repo.batch_cases(session, year)) if b.case_id not in done]
    fresh = lists.candidates(states)
    if fresh:
        rounds.append(fresh)
        call.list_case_ids, call.list_published_at = rounds, call.list_published_at or now
        audit.record(session, action="certification_list", at=now, actor=user.username,
                     message=f"{year}年度示范平台拟认定名单公示（{len(fresh)}家）",
                     after={"year": year, "round": len(rounds), "case_ids": fresh, "pending": lists.pending(states)},
                     key=f"certification.{year}.list.{len(rounds)}")
    elif not rounds:
        raise Conflict(f"no platform of {year} waits for the list", code="certification_list_empty",
                       params={"year": year})
    out = []
    for listed in rounds:
        waiting = []
        for case_id in listed:
            case = session.get(Case, case_id)
            if case is not None and case.status == lists.LISTED:
                waiting.append(case_id)
        out.append((ListPublished(year=year, case_ids=listed), waiting))
    return out


def year_document(session: Session, user: User, year: int, doc_id: str) -> Document:
    """A yearly document of certification: the list notices for anyone, a city's summary report for the
    department and that city's bureau (404 otherwise)."""
    d = session.get(Document, doc_id)
    missing = NotFound(f"no document {doc_id} of {year}", code="document_not_found", params={"document_id": doc_id})
    if d is None or not d.key.startswith(f"certification.{year}."):
        raise missing
    if d.kind == "city_summary":
        require(user, "department", "city_bureau", "operator", "admin")
        if user.role == "city_bureau" and d.key.split(".")[3:4] != [user.city]:
            raise missing
    return d


def case_view(session: Session, user: User, case: Case, detail: dict[str, Any]) -> dict[str, Any]:
    """The case's own view with the year's documents that concern it: the 拟认定名单 notice once the case is on it,
    the certification notice once it names it, and (for staff) its city's summary report (002 art. 10, 12, 13)."""
    year = case.result.get("call_year")
    call = repo.call_of_year(session, int(year)) if year else None
    if call is None:
        return detail
    docs = {d.key: d for d in repo.batch_documents(session, call.year)}
    extra: list[dict[str, Any]] = []
    for n, listed in enumerate(call.list_case_ids or [], start=1):
        if case.id not in listed:
            continue
        kinds = ["public_notice"] + (["certification_notice"] if case.status in lists.DECIDED else [])
        extra += [document_json(docs[k]) for k in (batch_key(call.year, kind, n) for kind in kinds) if k in docs]
    if user.role in STAFF and case.city:
        extra += [{k: v for k, v in s.items() if k not in ("city", "city_name", "platforms")}
                  for s in _city_summaries(list(docs.values()), case.city)]
    have = {d["id"] for d in detail.get("documents", [])}
    return {**detail, "documents": [*detail.get("documents", []), *(d for d in extra if d["id"] not in have)]}


def list_notice_targets(session: Session, doc_id: str, *, now: datetime) -> list[dict[str, Any]]:
    """The platforms of a year's 拟认定名单 notice whose own notice period is still open (each takes objections
    separately, 002 art. 12); none for any other document."""
    d = session.get(Document, doc_id)
    parts = d.key.split(".") if d is not None else []
    if d is None or d.kind != "public_notice" or len(parts) not in (3, 4) or parts[0] != "certification":
        return []
    call = repo.call_of_year(session, int(parts[1])) if parts[1].isdigit() else None
    n = int(parts[3][1:]) if len(parts) == 4 and parts[3][1:].isdigit() else 1
    rounds = (call.list_case_ids or []) if call is not None else []
    targets = []
    for case_id in rounds[n - 1] if 0 < n <= len(rounds) else []:
        case = session.get(Case, case_id)
        notice = deadlines.deadline(session, case_id, "public_notice")
        if case is not None and notice is not None and now < notice.closes_at:
            targets.append({"case_id": case_id, "name": case.data.get("platform_name") or case.applicant,
                            "closes_at": notice.closes_at})
    return targets

"""The yearly assessments (P5; seed 004 art. 11-13, 001 三(五)2-3): campaigns, the results bulletin, indicator sets,
settings, public results; the spec's hooks: the scoring check and the subject's view of its case."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.documents import store_document
from api.deps import in_thread, page, require
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.services.cases import Engine
from api.views import document_json, iso
from db import assessment as repo
from db import documents as doc_repo
from db.models import AssessmentCampaign, AssessmentIndicatorVersion, Case, Document, Task, User
from documents import content_assessment as content
from forms.assessment import CampaignForm, IndicatorSetForm, SettingsForm
from rules.assessment import KIND_LABELS, KINDS, AssessmentError, check_scores, indicator_set
from rules.calendar import SHANGHAI
from workflows.assessment import AssessmentWorkflow
from workflows.assessment import indicator_set as stored_set
from workflows.types import CaseInput
from workflows.yearly import end_of

STAFF = ("operator", "department", "admin")
START_CONCURRENCY = 32


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}", code="unknown_assessment_kind",
                      params={"kind": kind})
    return kind


def require_assessor(user: User, kind: str) -> None:
    """The hub (operator) runs the assessments of windows, partners and the operating unit; the bureau (department)
    that of the hub (004 art. 11-12)."""
    require(user, "department" if kind == "hub" else "operator")


def campaign_json(s: Session, camp: AssessmentCampaign) -> dict[str, Any]:
    version = s.get(AssessmentIndicatorVersion, camp.indicator_version_id)
    cases = repo.campaign_cases(s, camp.id or 0)
    ratings: dict[str, int] = {"excellent": 0, "qualified": 0, "failed": 0}
    for c in cases:
        if c.result.get("rating") in ratings:
            ratings[c.result["rating"]] += 1
    by_status: dict[str, int] = {}
    for c in cases:
        by_status[c.status] = by_status.get(c.status, 0) + 1
    return {"id": camp.id, "year": camp.year, "kind": camp.kind, "kind_label": KIND_LABELS[camp.kind],
            "opened_by": camp.opened_by, "opened_at": iso(camp.opened_at), "self_report_due": iso(camp.self_report_due),
            "indicator_version": version.version if version else None,
            "cases": {"total": len(cases), "by_status": by_status,
                      "closed": sum(1 for c in cases if c.closed_at is not None), "ratings": ratings}}


async def start_cases(client: Client, queue_of: Callable[[str], str], cases: list[Case]) -> None:
    """Start each subject's workflow (id = case id); a second start is a no-op, a finished case is never rerun."""
    gate = asyncio.Semaphore(START_CONCURRENCY)

    async def one(case: Case) -> None:
        async with gate:
            try:
                await client.start_workflow(
                    AssessmentWorkflow.run, CaseInput(case_id=case.id, case_type="assessment",
                                                      applicant_org_id=case.applicant_org_id, city=case.city),
                    id=case.id, task_queue=queue_of(case.id), id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
            except WorkflowAlreadyStartedError:
                pass

    await asyncio.gather(*(one(c) for c in cases))


async def open_campaign(session: Session, engine: Engine, user: User, body: CampaignForm,
                        *, now: datetime) -> dict[str, Any]:
    """Open a year's campaign of a kind: one `assessment` case per subject (default: every current subject). The
    database work runs in the thread pool, the workflows start after the commit (issue 12)."""
    camp, cases = await in_thread(session, _campaign_opened, session, user, body, now=now)
    await start_cases(engine.client, engine.case_queue, cases)
    return await in_thread(session, campaign_json, session, camp)


def _campaign_opened(session: Session, user: User, body: CampaignForm, *,
                     now: datetime) -> tuple[AssessmentCampaign, list[Case]]:
    kind = _kind(body.kind)
    require_assessor(user, kind)
    due: datetime | None = None
    if body.self_report_due is not None:
        due = end_of(body.self_report_due)
        if due <= now:
            raise Invalid(f"self_report_due: {body.self_report_due} has already passed", code="self_report_due_passed")
    try:
        camp, cases = repo.open_campaign(session, year=body.year, kind=kind, opened_by=user.username, at=now,
                                         self_report_due=due, org_ids=body.subjects)
        session.flush()
    except repo.CampaignExists as exc:
        raise Conflict(f"{exc}; one campaign per year and kind", code="campaign_exists",
                       params={"year": body.year, "kind": kind}) from None
    except repo.NotASubject as exc:
        raise Invalid(str(exc), code="not_a_subject", params={"kind": kind}) from None
    except IntegrityError:
        session.rollback()
        raise Conflict(f"the {kind} assessment of {body.year} is already open; one campaign per year and kind",
                       code="campaign_exists", params={"year": body.year, "kind": kind}) from None
    return camp, cases


def list_campaigns(session: Session, user: User, *, year: int | None = None) -> dict[str, Any]:
    """The campaigns (of a year), with their cases per status and rating."""
    require(user, *STAFF[:2])
    rows = repo.campaigns(session, year)
    return page([campaign_json(session, c) for c in rows], len(rows))


def _campaign(session: Session, campaign_id: int) -> AssessmentCampaign:
    camp = session.get(AssessmentCampaign, campaign_id)
    if camp is None:
        raise NotFound(f"no assessment campaign {campaign_id}", code="campaign_not_found",
                       params={"campaign_id": campaign_id})
    return camp


def get_campaign(session: Session, user: User, campaign_id: int) -> dict[str, Any]:
    """One campaign with every subject's case: status, total, rating, supported, revoked."""
    require(user, *STAFF[:2])
    camp = _campaign(session, campaign_id)
    out = campaign_json(session, camp)
    out["subjects"] = [{"case_id": c.id, "subject": c.applicant, "status": c.status, "total": c.result.get("total"),
                        "rating": c.result.get("rating"), "supported": bool(c.result.get("supported")),
                        "revoked": bool(c.result.get("revoked"))} for c in repo.campaign_cases(session, camp.id or 0)]
    out["documents"] = [bulletin_json(camp, d) for d in [doc_repo.by_key(session, _bulletin_key(camp))] if d is not None]
    return out


def bulletin_json(camp: AssessmentCampaign, d: Document) -> dict[str, Any]:
    return {**document_json(d), "url": f"/api/assessment/campaigns/{camp.id}/bulletin.docx"}


def bulletin_document(session: Session, campaign_id: int) -> Document:
    """The published results bulletin (a 通报 of results anyone may read, like GET /api/public/assessments)."""
    camp = _campaign(session, campaign_id)
    doc = doc_repo.by_key(session, _bulletin_key(camp))
    if doc is None:
        raise NotFound(f"the results bulletin of campaign {campaign_id} has not been drafted", code="bulletin_not_drafted")
    return doc


def _bulletin_key(camp: AssessmentCampaign) -> str:
    return f"assessment-bulletin.{camp.year}.{camp.kind}"


def draft_bulletin(session: Session, user: User, campaign_id: int, *, documents_dir: Path,
                   now: datetime) -> dict[str, Any]:
    """Draft the campaign's results bulletin (考核结果通报) once every subject is rated (a second call returns it)."""
    camp = _campaign(session, campaign_id)
    require_assessor(user, camp.kind)
    existing = doc_repo.by_key(session, _bulletin_key(camp))
    if existing is not None:
        return bulletin_json(camp, existing)
    cases = repo.campaign_cases(session, camp.id or 0)
    unrated = [c for c in cases if c.result.get("rating") is None]
    if not cases or unrated:
        raise Conflict(f"{len(unrated)} of {len(cases)} subjects are not rated yet; the bulletin lists every result",
                       code="campaign_not_rated", params={"unrated": len(unrated), "total": len(cases)})
    version = session.get(AssessmentIndicatorVersion, camp.indicator_version_id)
    assert version is not None
    day = now.astimezone(SHANGHAI).date()
    doc = content.results_bulletin(
        number=1, year=day.year, issued_on=day, assessment_year=camp.year, kind=camp.kind,
        rows=[content.ResultRow(name=c.applicant, total=c.result.get("total"), rating=c.result["rating"],
                                supported=bool(c.result.get("supported")), revoked=bool(c.result.get("revoked")),
                                rectifying=c.status in ("rectifying", "reassessment", "revocation_review"))
              for c in sorted(cases, key=lambda c: -(c.result.get("total") or 0))],
        indicators=[(str(i["name"]), float(i["weight"])) for i in version.indicators],
        excellent_min=version.excellent_min, qualified_min=version.qualified_min)
    ref = store_document(session, documents_dir, doc, key=_bulletin_key(camp), kind="assessment_bulletin", case_id=None,
                         at=now)
    row = session.get(Document, ref.id)
    assert row is not None
    return bulletin_json(camp, row)


# --- indicator sets and settings (001 三(五)2: the hub writes its assessment methods) -------------------------------


def indicators_json(session: Session, kind: str) -> dict[str, Any]:
    version, ind = repo.current_set(session, kind)
    row = repo.latest_version(session, kind)
    return {**ind.to_json(), "version": version, "kind_label": KIND_LABELS[kind],
            "created_by": row.created_by if row else None, "created_at": iso(row.created_at) if row else None}


def get_indicators(session: Session, user: User, kind: str) -> dict[str, Any]:
    require(user, *STAFF[:2])
    return indicators_json(session, _kind(kind))


def put_indicators(session: Session, user: User, kind: str, body: IndicatorSetForm, *, now: datetime) -> dict[str, Any]:
    """A new version of the kind's indicator set; campaigns opened afterwards use it, running ones keep theirs."""
    require_assessor(user, _kind(kind))
    try:
        ind = indicator_set(kind, body.model_dump())
    except AssessmentError as exc:
        raise Invalid(exc.message, code=exc.code) from None
    repo.save_set(session, ind, by=user.username, at=now)
    return indicators_json(session, kind)


def settings_json(session: Session) -> dict[str, Any]:
    st = repo.settings(session)
    return {"schedule_kinds": st.schedule_kinds, "schedule_month": st.schedule_month,
            "rectification_working_days": st.rectification_working_days, "updated_by": st.updated_by or None}


def get_settings(session: Session, user: User) -> dict[str, Any]:
    require(user, *STAFF[:2])
    return settings_json(session)


def put_settings(session: Session, user: User, body: SettingsForm, *, now: datetime) -> dict[str, Any]:
    """When the schedule opens campaigns and of which kinds; the rectification period (004 art. 13 sets none)."""
    require(user, "operator")
    bad = [k for k in body.schedule_kinds if k not in KINDS]
    if bad:
        raise Invalid(f"schedule_kinds: unknown kinds {', '.join(bad)}", code="unknown_assessment_kind",
                      params={"kind": ", ".join(bad)})
    repo.save_settings(session, schedule_kinds=body.schedule_kinds, schedule_month=body.schedule_month,
                       rectification_working_days=body.rectification_working_days, by=user.username, at=now)
    return settings_json(session)


# --- public results (004 art. 13: 考核结果作为动态管理、有序进退…的重要依据) -----------------------------------------


def public_results(session: Session, *, year: int | None = None, kind: str | None = None) -> dict[str, Any]:
    """Rated subjects: subject, total, rating, supported, revoked (anyone may read them; never who scored)."""
    if kind is not None:
        _kind(kind)
    rows = repo.results(session, year=year, kind=kind)
    return page([{k: r[k] for k in ("subject", "kind", "year", "total", "rating", "final_rating", "supported",
                                    "revoked")} for r in rows], len(rows))


# --- hooks of the shared case and task services ------------------------------------------------------------------


def check_scoring(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
                  decision: str = "") -> None:
    """Every indicator of the campaign's version scored 0-100, none other (422)."""
    try:
        check_scores(stored_set(case.data["kind"], case.data["indicators"]), data.get("scores"))
    except AssessmentError as exc:
        raise Invalid(exc.message, code=exc.code) from None


def check_subject(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
                  decision: str = "") -> None:
    """A subject reports for its own organisation only (the inbox already scopes it; defence in depth)."""
    if user.role != "admin" and task.org_id is not None and task.org_id != user.org_id:
        raise Forbidden("this assessment is another organisation's", code="not_your_assessment")


def redact_case(session: Session, user: User, case: Case, out: dict[str, Any]) -> dict[str, Any]:
    """The subject sees its results and the reasons, never who scored, reassessed or decided."""
    if user.role in STAFF or case.type != "assessment":
        return out
    own = {t["id"] for t in out.get("tasks", []) if t["role"] == user.role}
    for t in out.get("tasks", []):
        if t["id"] not in own:
            t.update(assignee=None, completed_by=None)
    for e in out.get("timeline", []):
        if e.get("task_id") not in own:
            e["actor"] = "system"
    return out

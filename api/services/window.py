"""Window-platform onboarding (P4): the public window list, the builder's withdrawal, cooperation agreements, the hub's
settings; and the spec's hooks: the check before an application is created and the case view for applicants and
experts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session
from temporalio.client import Client

from api.deps import in_thread, page, require
from api.errors import Conflict, Invalid, NotFound, validation_detail
from api.views import iso
from api.workflows import case_signal
from db import audit
from db import window as repo
from db.cases import APPLICANTS
from db.models import Case, Organization, Upload, User, WindowAgreement
from forms.window_onboarding import MATERIALS, AgreementProposalForm
from rules.cities import CITIES
from rules.errors import RuleViolation
from rules.window import COVERAGE_LABELS, ReportSettings, WindowError, check_can_apply, check_panel_settings
from workflows.window_onboarding import WindowOnboardingWorkflow
from workflows.window_types import AgreementProposal, DisconnectInput, WindowSettings

APPLICANT_ROLES = APPLICANTS


class Withdraw(BaseModel):
    reason: str = Field(default="", max_length=5000)


def window_json(case: Case) -> dict[str, Any]:
    """A connected window as the public list shows it."""
    city = str(case.data.get("city", ""))
    return {"case_id": case.id, "name": case.data.get("platform_name", case.applicant), "builder": case.applicant,
            "city": city, "city_name": CITIES.get(city, city), "coverage": case.data.get("coverage"),
            "coverage_label": COVERAGE_LABELS.get(str(case.data.get("coverage")), ""),
            "coverage_detail": case.data.get("coverage_detail", ""), "connected_at": case.result.get("connected_at")}


def public_windows(session: Session, *, q: str | None = None, city: str | None = None, limit: int = 50,
                   offset: int = 0) -> dict[str, Any]:
    """The connected window platforms (name, city, coverage, connected since); anyone may read it."""
    if city is not None and city not in CITIES:
        raise Invalid(f"city: unknown {city!r}; expected one of {', '.join(CITIES)}", code="window_unknown_city")
    rows = repo.connected_windows(session, q=q, city=city)
    limit = max(1, min(limit, 200))
    return page([window_json(c) for c in rows[offset:offset + limit]], len(rows))


async def withdraw(session: Session, client: Client, user: User, case_id: str, body: Withdraw,
                   *, now: datetime) -> dict[str, Any]:
    """The builder takes its connected window out of the network; the disconnection notice is drafted. The checks
    and the audit entry run in the thread pool, the signal after the commit (issue 12)."""
    case = await in_thread(session, _withdrawal_requested, session, user, case_id, body, now=now)
    sent = await case_signal(client, case_id=case_id, signal=WindowOnboardingWorkflow.disconnect,
                             arg=DisconnectInput(reason=body.reason.strip(), actor=user.username, ground="withdrawn"))
    if not sent:
        raise Conflict("this window's process has ended", code="window_process_ended")
    return {"case_id": case_id, "status": case.status, "disconnecting": True}


def _withdrawal_requested(session: Session, user: User, case_id: str, body: Withdraw, *, now: datetime) -> Case:
    require(user, "platform_org")
    case = session.get(Case, case_id)
    if case is None or case.type != repo.TYPE or case.applicant_org_id != user.org_id:
        raise NotFound(f"no window platform {case_id} of your organisation", code="window_not_yours",
                       params={"case_id": case_id})
    if not body.reason.strip():
        raise Invalid("reason: a withdrawal needs its reason", code="window_withdraw_reason")
    if case.status != "connected":
        raise Conflict(f"only a connected window can withdraw from the network (status {case.status})",
                       code="window_not_connected", params={"case_status": case.status})
    audit.record(session, action="withdraw_requested", at=now, actor=user.username, case_id=case.id,
                 message=f"建设单位申请退出平台网络：{body.reason}", key=f"{case.id}.withdraw")
    return case


def agreement_json(session: Session, row: WindowAgreement) -> dict[str, Any]:
    names = {}
    for cid in (row.proposer_case_id, row.partner_case_id):
        c = session.get(Case, cid)
        names[cid] = str(c.data.get("platform_name", c.applicant)) if c is not None else cid
    return {"id": row.id, "proposer_case_id": row.proposer_case_id, "proposer": names[row.proposer_case_id],
            "partner_case_id": row.partner_case_id, "partner": names[row.partner_case_id], "scope": row.scope,
            "status": row.status, "proposed_at": iso(row.proposed_at), "decided_at": iso(row.decided_at),
            "comment": row.comment, "document": f"/api/documents/{row.document_id}" if row.document_id else None}


async def propose_agreement(session: Session, client: Client, user: User, case_id: str, body: AgreementProposalForm,
                            *, now: datetime) -> dict[str, Any]:
    """One connected window proposes a cooperation agreement to another (004 art. 9(6)); the other answers in its
    inbox (task `window_onboarding.agreement`), and an accepted agreement is drafted and listed on both. The
    database work runs in the thread pool, the signal after the commit (issue 12)."""
    partner_id, proposal, out = await in_thread(session, _agreement_proposed, session, user, case_id, body, now=now)
    sent = await case_signal(client, case_id=partner_id, signal=WindowOnboardingWorkflow.propose_agreement,
                             arg=proposal)
    if not sent:
        raise Conflict("the partner window's process has ended", code="window_process_ended")
    return out


def _agreement_proposed(session: Session, user: User, case_id: str, body: AgreementProposalForm, *,
                        now: datetime) -> tuple[str, AgreementProposal, dict[str, Any]]:
    """`propose_agreement`'s database part: the checks, the agreement row and its audit entry; returns the partner's
    case id, the proposal it is told and the agreement as answered."""
    require(user, "platform_org")
    case = session.get(Case, case_id)
    if case is None or case.type != repo.TYPE or case.applicant_org_id != user.org_id:
        raise NotFound(f"no window platform {case_id} of your organisation", code="window_not_yours",
                       params={"case_id": case_id})
    partner = session.get(Case, body.partner_case_id)
    if case.status != "connected":
        raise Conflict(f"only a connected window may propose an agreement (status {case.status})",
                       code="window_not_connected", params={"case_status": case.status})
    if partner is None or partner.type != repo.TYPE or partner.status != "connected":
        raise Invalid(f"partner_case_id: {body.partner_case_id} is not a connected window platform",
                      code="window_partner_not_connected", params={"case_id": body.partner_case_id})
    if partner.id == case.id or partner.applicant_org_id == case.applicant_org_id:
        raise Invalid("partner_case_id: a window cannot sign an agreement with itself", code="window_partner_self")
    live = repo.live_agreement(session, case.id, partner.id)
    if live is not None:
        raise Conflict(f"these two windows already have an agreement ({live.status}, id {live.id})",
                       code="window_agreement_exists")
    row = WindowAgreement(proposer_case_id=case.id, partner_case_id=partner.id, scope=body.scope.strip(),
                          proposed_by=user.username, proposed_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    audit.record(session, action="window_agreement", at=now, actor=user.username, case_id=case.id,
                 message=f"向{partner.data.get('platform_name', partner.applicant)}提议签订服务合作协议",
                 key=f"agreement.{row.id}.proposed")
    out = agreement_json(session, row)
    proposal = AgreementProposal(agreement_id=row.id, proposer_case_id=case.id,
                                 proposer_name=str(case.data.get("platform_name", case.applicant)), scope=row.scope)
    return partner.id, proposal, out


def list_agreements(session: Session, case_id: str) -> dict[str, Any]:
    """A window's agreements with other windows (public, like the window list)."""
    case = session.get(Case, case_id)
    if case is None or case.type != repo.TYPE:
        raise NotFound(f"no window platform {case_id}", code="window_not_found", params={"case_id": case_id})
    rows = repo.agreements_of(session, case_id)
    return page([agreement_json(session, r) for r in rows], len(rows))


def get_settings(session: Session, user: User) -> dict[str, Any]:
    require(user, "operator", "department", "admin")
    return repo.settings(session).model_dump()


def put_settings(session: Session, user: User, body: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The hub's settings: panel size and pass mark, notice days, report dates (the seed fixes none of them).
    New applications take the settings in force when they start; report dates apply from the next year's plan."""
    require(user, "operator", "admin")
    try:
        value = WindowSettings.model_validate({**repo.settings(session).model_dump(), **body})
        check_panel_settings(size=value.panel_size, pass_mean=value.pass_mean)
        ReportSettings(plan_opens=tuple(value.plan_opens), plan_due=tuple(value.plan_due),  # type: ignore[arg-type]
                       data_working_days=value.data_working_days, summary_opens=tuple(value.summary_opens),  # type: ignore[arg-type]
                       summary_due=tuple(value.summary_due))  # type: ignore[arg-type]
        if not 1 <= value.notice_working_days <= 30:
            raise WindowError("notice_working_days", "the public notice runs 1-30 working days")
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "body"), code="validation_failed") from None
    except (RuleViolation, TypeError) as exc:
        raise Invalid(str(exc), code="window_settings_invalid", params={"reason": str(exc)}) from None
    repo.save_settings(session, value, by=user.username, at=now)
    audit.record(session, action="window_settings", at=now, actor=user.username, message="修改窗口平台接入设置",
                 after=value.model_dump())
    return value.model_dump()


# --- the spec's hooks ---------------------------------------------------------------------------------------------


def check_application(session: Session, *, user: User, org: Organization, data: dict[str, Any],
                      now: datetime) -> dict[str, Any]:
    """Before an onboarding case is created: one open onboarding per builder, a connected window never again."""
    open_case, connected = repo.open_onboarding(session, org.id), repo.connected_of(session, org.id)
    try:
        check_can_apply(open_onboarding=open_case.id if open_case else None,
                        connected=connected.id if connected else None)
    except WindowError as exc:
        raise Conflict(f"{org.name}: {exc.message}", code=f"window_{exc.code}", params={"org": org.name}) from None
    for key, upload_id in (data.get("materials") or {}).items():
        up = session.get(Upload, upload_id)
        if up is None or up.owner_user_id != user.id:
            raise Invalid(f"data.materials.{key}: no upload {upload_id} of yours; upload the file first (POST /api/uploads)",
                          code="window_material_missing", params={"material": MATERIALS.get(key, key)})
    return {}


def redact_case(session: Session, user: User, case: Case, out: dict[str, Any]) -> dict[str, Any]:
    """The applicant sees outcomes and reasons, never who assessed or objected; an expert never the panel's names
    (the generic view already hides the other experts' scores while the panel runs)."""
    if user.role not in APPLICANT_ROLES and user.role != "expert":
        return out
    result = dict(out.get("result") or {})
    result.pop("experts", None)
    panel = result.get("expert_panel")
    if isinstance(panel, dict):
        result["expert_panel"] = {k: v for k, v in panel.items() if k != "scores"}
    out["result"] = result
    if user.role == "expert":
        return out
    hidden = {t["id"] for t in out.get("tasks", []) if t["role"] == "expert" or t["type"] == "notice.objection_review"}
    for t in out.get("tasks", []):
        if t["id"] in hidden:
            t.update(assignee=None, completed_by=None, comment=None, data={}, summary="")
    out["timeline"] = [e for e in out.get("timeline", []) if e.get("task_id") not in hidden]
    return out


"""Provider admission (P2): the eligibility check of 000 四 before a case is created, the department's filing
against the blind panel's result, the operator's panel setting, and what applicants and experts may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from api.deps import require
from api.errors import Invalid, validation_detail
from db import audit
from db.models import Case, Organization, ProviderAdmissionSetting, Task, Upload, User
from forms.provider_admission import PanelSettingsForm
from rules import panel
from rules import provider as rules
from rules.calendar import SHANGHAI
from rules.policies import policy_for


def check_application(session: Session, *, user: User, org: Organization, data: dict[str, Any],
                      now: datetime) -> dict[str, Any]:
    """Before an admission case is created: the eligibility of 000 四 (registered and paying tax in Ningxia as a legal
    person or licensed body, or an out-of-region provider's Ningxia office operating ≥ 1 year; a practice licence for
    the categories that need one), 422 naming every unmet condition; the licence must be the applicant's upload."""
    licences = [str(x) for x in data.get("licences") or []]
    for licence in licences:
        up = session.get(Upload, licence)
        if up is None or up.owner_user_id != user.id:
            raise Invalid(f"data.licences: no upload {licence} of yours; upload the file first "
                          "(POST /api/uploads)", code="provider_licence_unknown")
    since = data.get("office_since")
    facts = rules.ProviderFacts(
        basis=str(data.get("basis") or ""), uscc=org.uscc or "",
        independent_legal_person=bool(data.get("independent_legal_person")),
        pays_tax_in_ningxia=bool(data.get("pays_tax_in_ningxia")), has_practice_licence=bool(licences),
        office_since=since if since is None or not isinstance(since, str) else datetime.fromisoformat(since).date(),
        categories=list(data.get("categories") or []))
    found = rules.problems(facts, today=now.astimezone(SHANGHAI).date())
    if found:
        said = "；".join(m for _, m in found)
        raise Invalid(f"{org.name} cannot be a signed provider (000 四): {', '.join(c for c, _ in found)}",
                      code="provider_not_eligible", params={"missing": said})
    return {"eligibility_basis": facts.basis, "policy_version": policy_for("provider_admission").code}


def check_filing(session: Session, *, user: User, task: Task, case: Case, data: dict[str, Any], now: datetime,
                 decision: str = "") -> None:
    """The department's filing against the blind panel's result needs its reason (000 四 组织专家综合审定; 003 art. 8)."""
    result = case.result.get("panel_result") or {}
    if panel.needs_departure_reason(result.get("decision"), decision, str(data.get("departure_reason") or "")):
        raise Invalid("data.departure_reason: the filing goes against the expert panel's result "
                      f"({result.get('decision')}); record the reason", code="panel_departure_reason_required",
                      params={"panel": "同意" if result.get("decision") == "approve" else "不同意"})


def redact_case(session: Session, user: User, case: Case, out: dict[str, Any]) -> dict[str, Any]:
    """The applicant sees outcomes and reasons, never who reviewed; an expert never the panel's names, verdicts or
    result (the shared rule api.views.others_expert_work already blanks the other experts' tasks)."""
    if user.role not in ("provider", "expert"):
        return out
    result = {k: v for k, v in (out.get("result") or {}).items()
              if k not in ("experts", "expert_reviews", "panel_result")}
    out = {**out, "result": result}
    if user.role == "provider":  # nor who sat on the panel: its tasks and timeline entries lose their names
        panel_tasks = {t["id"] for t in out.get("tasks", []) if t.get("role") == "expert"}
        out["tasks"] = [{**t, "assignee": None, "completed_by": None} if t["id"] in panel_tasks else t
                        for t in out.get("tasks", [])]
        out["timeline"] = [{**e, "actor": "专家组"} if e.get("task_id") in panel_tasks or e.get("action") == "experts"
                           else e for e in out.get("timeline", [])]
    return out


def get_settings(session: Session, user: User) -> dict[str, Any]:
    require(user, "operator", "department", "admin")
    row = session.get(ProviderAdmissionSetting, 1)
    return {"experts": row.experts if row else PanelSettingsForm().experts,
            "updated_by": row.updated_by if row else None}


def put_settings(session: Session, user: User, body: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The operator sets the size of the blind panel (003 art. 8: the operating unit 组织专家综合审定); new cases take it
    when their panel is named."""
    require(user, "operator", "admin")
    try:
        value = PanelSettingsForm.model_validate(body)
    except ValidationError as exc:
        raise Invalid(validation_detail(exc, "body"), code="validation_failed") from None
    row = session.get(ProviderAdmissionSetting, 1)
    before = {"experts": row.experts} if row else None
    if row is None:
        row = ProviderAdmissionSetting(id=1)
        session.add(row)
    row.experts, row.updated_by, row.updated_at = value.experts, user.username, now
    audit.record(session, action="provider_admission_settings", at=now, actor=user.username,
                 message=f"签约服务机构综合审定专家人数设为{value.experts}名", before=before, after=value.model_dump())
    return {"experts": row.experts, "updated_by": row.updated_by}

"""Document builders of window-platform onboarding: gather a case's data for the pure content builders, and the
process's worker parts (its activities and builders) for the worker."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from db.models import Case, WindowAgreement
from documents import content_window as content
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.cities import CITIES
from workflows.types import DraftDocumentInput
from workflows.window_types import WindowSettings

CONTACT = ("自治区中小企业服务中心", "0951-96168")
AGREEMENT_YEARS = 3  # the seed gives the agreement no term; renewed with the annual assessment (art. 13)


def _day(inp: DraftDocumentInput) -> date:
    return inp.at.astimezone(SHANGHAI).date()


def _name(case: Case) -> str:
    return str(case.data.get("platform_name") or case.applicant)


def _row(case: Case) -> tuple[str, str, str, str]:
    coverage = f"{content.COVERAGE_ZH.get(case.data.get('coverage', ''), '')}：{case.data.get('coverage_detail', '')}"
    return (_name(case), case.applicant, CITIES.get(case.data.get("city", ""), case.data.get("city", "")), coverage)


def onboarding_approval(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    day = _day(inp)
    return content.onboarding_approval(number=1, year=day.year, issued_on=day, platform_name=_name(case),
                                       applicant_org=case.applicant)


def public_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    return content.window_public_notice(
        number=1, year=day.year, issued_on=day, windows=[_row(case)], starts_on=date.fromisoformat(p["starts_on"]),
        ends_on=date.fromisoformat(p["ends_on"]), working_days=p.get("working_days"), contact_name=CONTACT[0],
        contact_phone=CONTACT[1])


def cooperation_agreement(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p = inp.params
    on = date.fromisoformat(p["connected_on"]) if p.get("connected_on") else _day(inp)
    value = WindowSettings.model_validate(case.result.get("settings") or {})
    until = date(on.year + AGREEMENT_YEARS, on.month, on.day if (on.month, on.day) != (2, 29) else 28)
    return content.cooperation_agreement(
        agreement_no=f"宁窗口协议{case.id}", platform_name=_name(case), platform_org=case.applicant, signed_on=on,
        valid_from=on, valid_until=until,
        plan_due=f"每年{value.plan_due[0]}月{value.plan_due[1]}日前",
        data_due=f"每季度结束后第{value.data_working_days}个工作日前",
        summary_due=f"每年{value.summary_due[0]}月{value.summary_due[1]}日前")


def disconnection_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    connected = case.result.get("connected_at")
    return content.disconnection_notice(
        number=1, year=day.year, issued_on=day, platform_name=_name(case), platform_org=case.applicant,
        reason=str(p.get("reason") or "未说明"), ground="revoked" if p.get("ground") == "revoked" else "withdrawn",
        connected_on=datetime.fromisoformat(connected).astimezone(SHANGHAI).date() if connected else None)


def mutual_agreement(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    row = s.get(WindowAgreement, int(inp.params["agreement_id"]))
    proposer = s.get(Case, row.proposer_case_id) if row is not None else None
    if row is None or proposer is None:
        raise ValueError(f"no agreement {inp.params.get('agreement_id')}")
    return content.mutual_agreement(agreement_no=f"宁窗口互签{row.id}", first=(_name(proposer), proposer.applicant),
                                    second=(_name(case), case.applicant), signed_on=_day(inp), scope=row.scope)


WINDOW_BUILDERS = {
    "onboarding_approval": onboarding_approval,
    "public_notice": public_notice,
    "cooperation_agreement": cooperation_agreement,
    "disconnection_notice": disconnection_notice,
    "mutual_agreement": mutual_agreement,
}


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    """Window onboarding's activities (panel, connection, report plan) and its document builders."""
    from activities.window_onboarding import WindowActivities

    acts = WindowActivities(engine=ctx.engine)
    return WorkerParts(activities=[acts.prepare, acts.connect, acts.reports,
                                                  acts.decide_agreement, acts.end_agreements], builders=dict(WINDOW_BUILDERS))

"""Document builders of certification: gather a case's data for the pure content builders (documents/content)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlmodel import Session, select

from db import certification as cert_repo
from db import documents as doc_repo
from db.models import Case, Document
from documents import content
from documents.content_platform import city_summary_report
from documents.model import CERTIFICATE_SERIES, format_certificate_no
from processes.spec import WorkerContext, WorkerParts
from rules.calendar import SHANGHAI
from rules.certification_lists import batch_key
from rules.cities import CITIES
from rules.policies import PolicyError, policy, policy_for
from workflows.types import DraftDocumentInput

CONTACT = ("企业服务处", "0951-6038381")


def _basis(case: Case) -> str:
    """The version of the rules the case runs under, as its documents cite it (a draft says 征求意见稿)."""
    try:
        return policy(case.policy_version).citation()
    except PolicyError:  # a case started before versions were recorded runs under the one seed 002
        return policy_for("certification").citation()


def _day(inp: DraftDocumentInput) -> date:
    return inp.at.astimezone(SHANGHAI).date()


def _name(case: Case) -> str:
    return str(case.data.get("platform_name") or case.applicant)


def _city(case: Case) -> str:
    return CITIES.get(case.city or "", case.city or "")


def recommendation_form(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p = inp.params
    scores = {str(k): float(v) for k, v in (p.get("scores") or {}).items()}
    return content.recommendation_form(platform_name=_name(case), applicant_org=case.applicant, city=case.city or "",
                                       recommended=bool(p.get("recommended")), opinion=str(p.get("opinion") or "无"),
                                       scores=scores, filled_on=_day(inp))


def public_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    return content.public_notice(
        number=1, year=day.year, issued_on=day, subject=f"{day.year}年度自治区中小企业公共服务示范平台拟认定名单",
        basis=_basis(case), procedure="经市工信局推荐、专家评审和实地考察", headers=["平台名称", "运营单位", "所在地区"],
        rows=[[_name(case), case.applicant, _city(case)]], starts_on=date.fromisoformat(p["starts_on"]),
        ends_on=date.fromisoformat(p["ends_on"]), working_days=p.get("working_days"),
        contact_name=CONTACT[0], contact_phone=CONTACT[1])


def certification_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    return content.certification_notice(
        number=1, year=day.year, issued_on=day, platforms=[(_name(case), case.applicant, _city(case))],
        notice_starts_on=date.fromisoformat(p["notice_starts_on"]), notice_ends_on=date.fromisoformat(p["notice_ends_on"]),
        valid_from=date.fromisoformat(p["valid_from"]), valid_until=date.fromisoformat(p["valid_until"]),
        rules_title=_basis(case))


def certificate(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    """The serial 宁示范〔year〕第N号 is taken from the per-year counter inside the drafting transaction (atomic
    upsert; rolled back with it, so no gaps; a retried draft returns the stored document and takes none)."""
    p, day = inp.params, _day(inp)
    number = doc_repo.next_number(s, issuer_code=CERTIFICATE_SERIES, year=day.year)
    return content.certificate(certificate_no=format_certificate_no(year=day.year, number=number),
                               platform_name=_name(case),
                               operator_org=case.applicant, valid_from=date.fromisoformat(p["valid_from"]),
                               valid_until=date.fromisoformat(p["valid_until"]), issued_on=_day(inp))


def revocation_decision(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    notice = s.exec(select(Document).where(Document.case_id == case.id,
                                           Document.kind == "certification_notice")).first() or _yearly_notice(s, case)
    return content.revocation_decision(
        number=1, year=day.year, issued_on=day, platform_name=_name(case), operator_org=case.applicant,
        reason=str(p.get("reason") or "违法违规"), ground=p.get("ground", "violation"),
        certified_doc_number=notice.doc_number if notice else None, rules_title=_basis(case))


def _yearly_notice(s: Session, case: Case) -> Document | None:
    """The year's certification notice that named the case (002 art. 13), if it was certified in a yearly list."""
    year = case.result.get("call_year")
    call = cert_repo.call_of_year(s, int(year)) if year else None
    for n, listed in enumerate((call.list_case_ids or []) if call is not None else [], start=1):
        if case.id in listed:
            return doc_repo.by_key(s, batch_key(call.year, "certification_notice", n))  # type: ignore[union-attr]
    return None


def assessment_result_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    p, day = inp.params, _day(inp)
    return content.assessment_result_notice(
        number=1, year=day.year, issued_on=day, assessment_year=int(p["assessment_year"]),
        subject_kind="demonstration_platform", results=[(_name(case), str(p["rating"]))])


# --- the year's documents (002 art. 10, 12, 13): built from the batch, not from one case ---------------------------


def _mean_score(task: Any) -> str:
    scores = [float(v) for v in ((task.data or {}).get("scores") or {}).values()] if task is not None else []
    if not scores and task is not None and (task.data or {}).get("score") is not None:
        scores = [float(task.data["score"])]
    return f"{sum(scores) / len(scores):.1f}" if scores else "—"


def batch_public_notice(cases: list[Case], *, year: int, day: date, params: dict[str, Any]) -> Any:
    """The year's one 拟认定名单 notice listing every candidate (002 art. 12)."""
    basis = _basis(cases[0]) if cases else policy_for("certification").citation()
    return content.public_notice(
        number=1, year=day.year, issued_on=day, subject=f"{year}年度自治区中小企业公共服务示范平台拟认定名单",
        basis=basis, procedure="经各市工信局推荐、专家评审和实地考察", headers=["平台名称", "运营单位", "所在地区"],
        rows=[[_name(c), c.applicant, _city(c)] for c in cases], starts_on=date.fromisoformat(str(params["starts_on"])),
        ends_on=date.fromisoformat(str(params["ends_on"])), working_days=params.get("working_days"),  # type: ignore[arg-type]
        contact_name=CONTACT[0], contact_phone=CONTACT[1])


def batch_certification_notice(granted: list[Case], *, year: int, day: date, starts_on: date,
                               ends_on: date) -> Any:
    """The year's one certification notice listing every platform granted the title (002 art. 13)."""
    valid_from = min(date.fromisoformat(str(c.result.get("granted_on") or day.isoformat())) for c in granted)
    valid_until = min(date.fromisoformat(str(c.result.get("valid_until"))) for c in granted
                      if c.result.get("valid_until")) if any(c.result.get("valid_until") for c in granted) \
        else valid_from.replace(year=valid_from.year + 3)
    notice = content.certification_notice(
        number=1, year=day.year, issued_on=day, platforms=[(_name(c), c.applicant, _city(c)) for c in granted],
        notice_starts_on=starts_on, notice_ends_on=ends_on, valid_from=valid_from, valid_until=valid_until,
        rules_title=_basis(granted[0]))
    return dataclasses.replace(notice, title=f"关于认定{year}年度自治区中小企业公共服务示范平台的通知")


def batch_city_summary(recommended: list[tuple[Case, Any]], *, year: int, city: str, day: date) -> Any:
    """A city bureau's one summary report of the platforms it recommended in the year's call (002 art. 9-10)."""
    return city_summary_report(number=1, year=day.year, call_year=year, city=city, issued_on=day,
                               platforms=[(_name(c), c.applicant, _mean_score(t)) for c, t in recommended])


CERTIFICATION_BUILDERS = {
    "recommendation_form": recommendation_form,
    "public_notice": public_notice,
    "certification_notice": certification_notice,
    "certificate": certificate,
    "revocation_decision": revocation_decision,
    "assessment_result_notice": assessment_result_notice,
}


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    """Certification's activities (experts, the grant) and its document builders."""
    from activities.certification import CertificationActivities

    cert = CertificationActivities(engine=ctx.engine, store=ctx.documents_dir)
    return WorkerParts(activities=[cert.prepare_certification, cert.grant_certification,
                                   cert.join_certification_list, cert.draft_certification_batch_document],
                       builders=dict(CERTIFICATION_BUILDERS))

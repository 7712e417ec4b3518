"""Repositories of the yearly assessments (P5; 004 art. 11-13): indicator set versions, campaigns, subjects, the
figures the system already knows, published results, and the loss of a partner's signed status. They only flush."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import audit
from db.models import AssessmentCampaign, AssessmentIndicatorVersion, AssessmentSetting, Case, Organization
from documents.content_common import issuer_name
from rules.assessment import (
    DEFAULT_RECTIFICATION_WORKING_DAYS,
    DEFAULT_SETS,
    KIND_LABELS,
    Indicator,
    IndicatorSet,
    check_kind,
)
from rules.calendar import SHANGHAI

CASE_TYPE = "assessment"
PREFIX = "AS"
SCHEDULED_KINDS = ("window", "partner")


class CampaignExists(Exception):
    """A campaign of that year and kind is open already (one per year and kind)."""

    def __init__(self, campaign: AssessmentCampaign) -> None:
        super().__init__(f"the {campaign.kind} assessment of {campaign.year} is already open (by {campaign.opened_by})")
        self.campaign = campaign


class NotASubject(Exception):
    """An organisation named as a subject is not a current subject of the kind."""


@dataclass(frozen=True)
class Subject:
    """One organisation (or the hub) to assess."""

    org_id: int | None
    name: str
    city: str | None = None
    window_case_id: str | None = None


# --- settings and indicator sets -------------------------------------------------------------------------------


def settings(s: Session) -> AssessmentSetting:
    """The hub's settings (defaults when none were saved; not added to the session)."""
    row = s.get(AssessmentSetting, 1)
    if row is not None:
        return row
    return AssessmentSetting(id=1, schedule_kinds=list(SCHEDULED_KINDS), schedule_month=12,
                             rectification_working_days=DEFAULT_RECTIFICATION_WORKING_DAYS, updated_by="")


def save_settings(s: Session, *, schedule_kinds: list[str], schedule_month: int, rectification_working_days: int,
                  by: str, at: datetime) -> AssessmentSetting:
    row = s.get(AssessmentSetting, 1) or AssessmentSetting(id=1, updated_at=at)
    row.schedule_kinds, row.schedule_month = list(schedule_kinds), schedule_month
    row.rectification_working_days, row.updated_by, row.updated_at = rectification_working_days, by, at
    s.add(row)
    s.flush()
    return row


def latest_version(s: Session, kind: str) -> AssessmentIndicatorVersion | None:
    return s.exec(select(AssessmentIndicatorVersion).where(AssessmentIndicatorVersion.kind == kind)
                  .order_by(col(AssessmentIndicatorVersion.version).desc())).first()


def as_set(row: AssessmentIndicatorVersion) -> IndicatorSet:
    return IndicatorSet(kind=row.kind, indicators=tuple(Indicator(str(i["key"]), str(i["name"]), float(i["weight"]))
                                                        for i in row.indicators),
                        excellent_min=row.excellent_min, qualified_min=row.qualified_min, provisional=row.provisional)


def current_set(s: Session, kind: str) -> tuple[int, IndicatorSet]:
    """(version, set) a campaign opened now would use: the latest saved version, or the provisional defaults (0)."""
    check_kind(kind)
    row = latest_version(s, kind)
    return (row.version, as_set(row)) if row is not None else (0, DEFAULT_SETS[kind])


def save_set(s: Session, ind: IndicatorSet, *, by: str, at: datetime) -> AssessmentIndicatorVersion:
    """A new version of the kind's set; campaigns opened before keep theirs."""
    row = latest_version(s, ind.kind)
    new = AssessmentIndicatorVersion(kind=ind.kind, version=(row.version if row else 0) + 1,
                                     indicators=[{"key": i.key, "name": i.name, "weight": i.weight}
                                                 for i in ind.indicators],
                                     excellent_min=ind.excellent_min, qualified_min=ind.qualified_min,
                                     provisional=ind.provisional, created_by=by, created_at=at)
    s.add(new)
    s.flush()
    audit.record(s, action="assessment_indicators", at=at, actor=by,
                 message=f"{KIND_LABELS[ind.kind]}考核指标第{new.version}版", after=ind.to_json())
    return new


def version_for_campaign(s: Session, kind: str, *, at: datetime) -> AssessmentIndicatorVersion:
    """The latest version, or version 1 saved from the provisional defaults (a campaign names a row)."""
    row = latest_version(s, kind)
    return row if row is not None else save_set(s, DEFAULT_SETS[kind], by="system", at=at)


# --- subjects ------------------------------------------------------------------------------------------------------


def current_subjects(s: Session, kind: str) -> list[Subject]:
    """Every current subject of a kind: connected windows (P4), signed providers, registered operating units, the hub."""
    check_kind(kind)
    if kind == "window":
        rows = s.exec(select(Case).where(Case.type == "window_onboarding", Case.status == "connected")
                      .order_by(col(Case.created_at)))
        return [Subject(c.applicant_org_id, str(c.data.get("platform_name") or c.applicant), c.city, c.id) for c in rows]
    if kind == "partner":
        orgs = s.exec(select(Organization).where(Organization.kind == "provider", Organization.signed == True)  # noqa: E712
                      .order_by(col(Organization.id)))
        return [Subject(o.id, o.name, o.city) for o in orgs]
    if kind == "operating_unit":
        orgs = s.exec(select(Organization).where(Organization.kind == "operating_unit").order_by(col(Organization.id)))
        return [Subject(o.id, o.name, o.city) for o in orgs]
    return [Subject(None, issuer_name("operator"))]


def choose_subjects(s: Session, kind: str, org_ids: list[int] | None) -> list[Subject]:
    """The named organisations (each must be a current subject of the kind), or every current subject."""
    every = current_subjects(s, kind)
    if org_ids is None:
        return every
    by_org = {x.org_id: x for x in every}
    missing = [i for i in org_ids if i not in by_org]
    if missing:
        raise NotASubject(f"subjects: not current {kind} subjects: {', '.join(map(str, missing))}")
    return [by_org[i] for i in dict.fromkeys(org_ids)]


# --- campaigns -----------------------------------------------------------------------------------------------------


def campaign_of(s: Session, year: int, kind: str) -> AssessmentCampaign | None:
    return s.exec(select(AssessmentCampaign).where(AssessmentCampaign.year == year,
                                                   AssessmentCampaign.kind == kind)).first()


def campaigns(s: Session, year: int | None = None) -> list[AssessmentCampaign]:
    q = select(AssessmentCampaign)
    if year is not None:
        q = q.where(AssessmentCampaign.year == year)
    return list(s.exec(q.order_by(col(AssessmentCampaign.year).desc(), col(AssessmentCampaign.kind))))


def campaign_cases(s: Session, campaign_id: int) -> list[Case]:
    rows = s.exec(select(Case).where(Case.type == CASE_TYPE).order_by(col(Case.id)))
    return [c for c in rows if c.data.get("campaign_id") == campaign_id]


def progress(s: Session, campaign_id: int) -> dict[str, int]:
    """Cases of the campaign per status."""
    return dict(Counter(c.status for c in campaign_cases(s, campaign_id)))


def open_campaign(s: Session, *, year: int, kind: str, opened_by: str, at: datetime,
                  self_report_due: datetime | None = None, org_ids: list[int] | None = None) -> tuple[
                      AssessmentCampaign, list[Case]]:
    """Open a year's campaign of a kind with one case per subject, in the caller's transaction (it commits).

    Raises CampaignExists for a second campaign of the year and kind (the unique constraint backs this up when two
    openers race: the loser's transaction fails and opens nothing), NotASubject for an unknown subject."""
    check_kind(kind)
    prior = campaign_of(s, year, kind)
    if prior is not None:
        raise CampaignExists(prior)
    subjects = choose_subjects(s, kind, org_ids)
    version = version_for_campaign(s, kind, at=at)
    camp = AssessmentCampaign(year=year, kind=kind, indicator_version_id=version.id or 0, opened_by=opened_by,
                              opened_at=at, self_report_due=self_report_due)
    s.add(camp)
    s.flush()
    from processes.registry import spec_of  # the process declares its case titles (ProcessSpec.title_detail)

    spec = spec_of(CASE_TYPE)
    label = KIND_LABELS[kind]
    cases = []
    for subj in subjects:
        data = {"campaign_id": camp.id, "year": year, "kind": kind, "subject_name": subj.name,
                "subject_org_id": subj.org_id, "window_case_id": subj.window_case_id,
                "indicator_version": version.version, "indicators": as_set(version).to_json(),
                "self_report_due": self_report_due.isoformat() if self_report_due else None}
        title = spec.case_title(subj.name, data, at.astimezone(SHANGHAI).date()) if spec is not None \
            else f"{year}年度{label}绩效考核：{subj.name}"
        case = Case(id=f"{PREFIX}-{year}-{secrets.token_hex(5)}", type=CASE_TYPE, status="submitted",
                    title=title, applicant=subj.name, applicant_user_id=None,
                    applicant_org_id=subj.org_id, city=subj.city, policy_version=f"indicators-{kind}-v{version.version}",
                    data=data, result={}, created_at=at, updated_at=at)
        s.add(case)
        cases.append(case)
    s.flush()
    audit.record(s, action="assessment_campaign", at=at, actor=opened_by,
                 message=f"开展{year}年度{label}绩效考核，考核对象{len(cases)}个",
                 after={"year": year, "kind": kind, "cases": len(cases), "indicator_version": version.version},
                 key=f"assessment-campaign.{year}.{kind}")
    return camp, cases


# --- figures the system knows (pre-filled in the self-report) -------------------------------------------------------


def known_figures(s: Session, case: Case) -> dict[str, Any]:
    """For a window its reports sent and overdue in the year (P4's result["reports"]); for a partner its vouchers
    settled in the year, the amount and the enterprises' satisfaction ratings (P1)."""
    year, kind = int(case.data["year"]), case.data["kind"]
    if kind == "window" and case.data.get("window_case_id"):
        window = s.get(Case, case.data["window_case_id"])
        reports = (window.result.get("reports") or {}).get(str(year), {}) if window else {}
        return {"reports_sent": int(reports.get("sent", 0)), "reports_overdue": int(reports.get("overdue", 0))}
    if kind == "partner" and case.applicant_org_id is not None:
        settled, amount = 0, 0
        ratings: Counter[str] = Counter()
        for v in s.exec(select(Case).where(Case.type == "voucher", Case.status == "settled")):
            voucher = v.result.get("voucher", {})
            if voucher.get("provider_org_id") != case.applicant_org_id or str(voucher.get("settled_on", ""))[:4] != str(year):
                continue
            settled += 1
            amount += int(voucher.get("settled_fen") or voucher.get("amount_fen") or 0)
            if voucher.get("satisfaction"):
                ratings[str(voucher["satisfaction"])] += 1
        return {"vouchers_settled": settled, "settled_fen": amount,
                "satisfaction": {k: ratings.get(k, 0) for k in ("satisfied", "basic", "unsatisfied")}}
    return {}


# --- consequences --------------------------------------------------------------------------------------------------



# --- published results ---------------------------------------------------------------------------------------------


def results(s: Session, *, year: int | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Rated subjects: name, kind, year, total, rating, supported, revoked (public, 004 art. 13)."""
    out = []
    for c in s.exec(select(Case).where(Case.type == CASE_TYPE).order_by(col(Case.applicant))):
        if (year is not None and c.data.get("year") != year) or (kind is not None and c.data.get("kind") != kind):
            continue
        if c.result.get("rating") is None:
            continue
        out.append({"case_id": c.id, "subject": c.applicant, "kind": c.data.get("kind"), "year": c.data.get("year"),
                    "total": c.result.get("total"), "rating": c.result.get("rating"),
                    "final_rating": c.result.get("final_rating", c.result.get("rating")),
                    "supported": bool(c.result.get("supported")), "revoked": bool(c.result.get("revoked")),
                    "status": c.status})
    return out


def count_cases(s: Session) -> int:
    return int(s.exec(select(func.count()).select_from(Case).where(Case.type == CASE_TYPE)).one())

"""The yearly assessments' I/O (P5; 004 art. 11-13): prepare a subject's case, the rectification deadline, the
revocation of a partner's signed status, and the schedule's idempotent opener of a year's campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import assessment as repo
from db import audit, users
from db.calendar import load_calendar
from db.deadlines import upsert_deadline
from db.engine import session_scope
from db.models import Case
from rules.calendar import SHANGHAI
from workflows.assessment_types import (
    OpenedCampaigns,
    Opening,
    OpeningInput,
    OpenScheduledInput,
    Prepared,
    PrepareInput,
    RectificationDue,
    RectificationInput,
    RevokeSubjectInput,
    SubjectCase,
)


def _case(s: Any, case_id: str) -> Case:
    case = s.get(Case, case_id)
    if case is None:
        raise ApplicationError(f"case {case_id} does not exist", type="RuleViolation")
    return case


def opening_day(s: Any, *, year: int, month: int) -> date:
    """The first working day of the month (the schedule's day; a setting, December by default)."""
    return load_calendar(s).add_working_days(event_day=date(year, month, 1) - timedelta(days=1), working_days=1)


@dataclass
class AssessmentActivities:
    engine: Engine
    timer: bool = True  # the long-running schedule's timer opens the campaigns (simulated clock); else a Schedule

    @defn(name="assessment_prepare")
    def prepare(self, inp: PrepareInput) -> Prepared:
        """The campaign's indicator version and the figures the system knows, kept in the case's result once."""
        with session_scope(self.engine) as s:
            case = _case(s, inp.case_id)
            figures = case.result.get("prefilled")
            if figures is None:
                figures = repo.known_figures(s, case)
                case.result = {**case.result, "prefilled": figures}
                case.updated_at = inp.at
            d = case.data
            due = d.get("self_report_due")
            return Prepared(year=int(d["year"]), kind=str(d["kind"]), subject_name=str(d["subject_name"]),
                            subject_org_id=d.get("subject_org_id"), window_case_id=d.get("window_case_id"),
                            indicators=d["indicators"], indicator_version=int(d["indicator_version"]), figures=figures,
                            rectification_working_days=repo.settings(s).rectification_working_days,
                            self_report_due=datetime.fromisoformat(due) if due else None)

    @defn(name="assessment_rectification_due")
    def rectification_due(self, inp: RectificationInput) -> RectificationDue:
        """24:00 of the N-th working day after the notice (a retry keeps the first computation)."""
        with session_scope(self.engine) as s:
            row = repo_deadline(s, inp.case_id)
            if row is None:
                cal = load_calendar(s)
                closes = cal.closes_at(event=inp.at, working_days=inp.working_days)
                start = inp.at.astimezone(SHANGHAI).date()
                last = (closes.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
                row = upsert_deadline(s, case_id=inp.case_id, name="rectification", event_at=inp.at, closes_at=closes,
                                      working_days=inp.working_days, confirmed=cal.confirmed_between(start=start, end=last))
            last = (row.closes_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
            return RectificationDue(closes_at=row.closes_at, due_on=last.isoformat(), confirmed=row.confirmed)

    @defn(name="assessment_revoke_subject")
    def revoke_subject(self, inp: RevokeSubjectInput) -> None:
        """A partner loses its signed status (it leaves the public providers and can no longer bid)."""
        with session_scope(self.engine) as s:
            if inp.kind == "partner" and inp.org_id is not None:
                users.unsign_provider(s, inp.org_id, reason=inp.reason, at=inp.at, actor=inp.actor,
                                     key=f"{inp.case_id}.revoked.provider", case_id=inp.case_id)
            row = repo_deadline(s, inp.case_id)
            if row is not None:
                row.open = False

    @defn(name="assessment_opening_at")
    def opening_at(self, inp: OpeningInput) -> Opening:
        with session_scope(self.engine) as s:
            st = repo.settings(s)
            day = opening_day(s, year=inp.year, month=st.schedule_month)
            return Opening(opens_at=datetime.combine(day, time(9), tzinfo=SHANGHAI), kinds=list(st.schedule_kinds),
                           timer=self.timer)

    @defn(name="assessment_open_scheduled")
    def open_scheduled(self, inp: OpenScheduledInput) -> OpenedCampaigns:
        """Open the year's campaign of each kind unless it is open already (idempotent: a second firing, a retry or a
        race with the hub's own opening opens nothing twice); return the cases still to start."""
        out = OpenedCampaigns()
        for kind in inp.kinds:
            try:
                with session_scope(self.engine) as s:
                    repo.open_campaign(s, year=inp.year, kind=kind, opened_by="schedule", at=inp.at)
                out.opened.append(f"{inp.year}:{kind}")
            except (repo.CampaignExists, IntegrityError):
                pass
        with session_scope(self.engine) as s:
            for kind in inp.kinds:
                camp = repo.campaign_of(s, inp.year, kind)
                if camp is None:
                    continue
                for c in repo.campaign_cases(s, camp.id or 0):
                    # Never started (the workflow's first step moves it on): a crash between opening and starting,
                    # by this opener or by the hub's request. Starting twice is refused by Temporal, so it is safe.
                    if c.status == "submitted":
                        out.cases.append(SubjectCase(case_id=c.id, org_id=c.applicant_org_id, city=c.city))
            if out.opened:
                audit.record(s, action="assessment_schedule", at=inp.at, actor="schedule",
                             message=f"定时开展{inp.year}年度考核：{', '.join(out.opened)}",
                             key=f"assessment-schedule.{inp.year}.{'-'.join(out.opened)}")
        return out


def repo_deadline(s: Any, case_id: str) -> Any:
    from db.models import Deadline

    return s.exec(select(Deadline).where(Deadline.case_id == case_id, Deadline.name == "rectification")
                  .order_by(col(Deadline.id))).first()


def worker_parts(ctx: Any) -> Any:
    """The activities and document builders of the assessments (ProcessSpec.worker)."""
    from activities.assessment_documents import ASSESSMENT_BUILDERS
    from processes.spec import WorkerParts

    acts = AssessmentActivities(engine=ctx.engine, timer=bool(getattr(ctx.settings, "simulated", True)))
    return WorkerParts(activities=[acts.prepare, acts.rectification_due, acts.revoke_subject, acts.opening_at,
                                   acts.open_scheduled], builders=dict(ASSESSMENT_BUILDERS))




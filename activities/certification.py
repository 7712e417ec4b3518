"""Certification's I/O: experts for a case, the grant with its validity, named deadlines, result figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db import audit, deadlines
from db import certification as repo
from db.calendar import load_calendar
from db.engine import session_scope
from db.models import Case
from rules.calendar import SHANGHAI
from rules.calendar import end_of_day_utc as end_of
from rules.certification import expiry_reminder_days, valid_until
from rules.policies import policy_for
from workflows.certification_types import Granted, GrantInput, Prepared, PrepareInput

DEFAULT_EXPERTS = 3


@dataclass
class CertificationActivities:
    engine: Engine

    @activity.defn(name="prepare_certification")
    def prepare_certification(self, inp: PrepareInput) -> Prepared:
        """Name the experts once (the call's number, default 3), spread over the pool by the case id."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if not case.policy_version:  # the version the case runs under; its documents cite it
                case.policy_version = policy_for("certification").code
            experts = case.result.get("experts")
            if not experts:
                pool = repo.active_experts(s)
                year = case.result.get("call_year")
                call = repo.call_of_year(s, int(year)) if year else None
                n = min(call.experts if call else DEFAULT_EXPERTS, len(pool))
                if n == 0:
                    raise ApplicationError("there is no active expert to review the application", type="RuleViolation")
                start = sum(case.id.encode()) % len(pool)
                experts = [pool[(start + i) % len(pool)] for i in range(n)]
                case.result = {**case.result, "experts": experts}
                audit.record(s, action="experts", at=inp.at, case_id=case.id, message=f"指定评审专家{n}名",
                             key=f"{case.id}.experts")
            return Prepared(experts=list(experts), platform_name=case.data.get("platform_name", case.applicant),
                            applicant=case.applicant)

    @activity.defn(name="grant_certification")
    def grant_certification(self, inp: GrantInput) -> Granted:
        """The title runs 3 years from the grant (002 art. 17); kept as the case's `validity` deadline."""
        with session_scope(self.engine) as s:
            granted_on = inp.at.astimezone(SHANGHAI).date()
            row = deadlines.deadline(s, inp.case_id, "validity")
            if row is not None:  # a retry: the grant was recorded already
                granted_on = row.event_at.astimezone(SHANGHAI).date()
                return Granted(granted_on=granted_on, valid_until=valid_until(granted_on=granted_on),
                               expires_at=row.closes_at, reminder_days=_reminders(s, inp.case_id))
            until = valid_until(granted_on=granted_on)
            expires = end_of(until)
            cal = load_calendar(s)
            confirmed = all(cal.schedule(y).confirmed for y in range(granted_on.year, until.year + 1)
                            if _has(cal, y))
            deadlines.upsert_deadline(s, case_id=inp.case_id, name="validity", event_at=inp.at, closes_at=expires,
                                 working_days=None, confirmed=confirmed)
            return Granted(granted_on=granted_on, valid_until=until, expires_at=expires,
                           reminder_days=_reminders(s, inp.case_id))



def _has(cal: object, year: int) -> bool:
    try:
        cal.schedule(year)  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def _reminders(s: Session, case_id: str) -> list[int]:
    """The expiry reminder days of the call the case applied under (002 art. 17; 180 and 30 by default)."""
    case = s.get(Case, case_id)
    year = case.result.get("call_year") if case is not None else None
    call = repo.call_of_year(s, int(year)) if year else None
    return list(expiry_reminder_days(call.expiry_reminder_days if call else None))

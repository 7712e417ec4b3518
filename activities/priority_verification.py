"""Priority verification's I/O: the verified 专精特新 / credit rating written on the organisation (003 art. 11(3))."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db.engine import session_scope
from db.models import Case, Organization
from processes.spec import WorkerContext, WorkerParts
from workflows.priority_verification_types import PriorityRecordInput


@dataclass
class PriorityActivities:
    engine: Engine

    @defn(name="priority_record")
    def record(self, inp: PriorityRecordInput) -> None:
        """Set the organisation's verified flags from the declaration (or the operator's correction); idempotent."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None or case.applicant_org_id is None:
                raise ApplicationError(f"case {inp.case_id} has no applicant organisation", type="RuleViolation")
            org = s.get(Organization, case.applicant_org_id)
            assert org is not None
            specialized = bool(case.data.get("specialized")) if inp.specialized is None else inp.specialized
            rating = case.data.get("credit_rating") if inp.credit_rating is None else inp.credit_rating
            before = {"specialized": org.specialized, "credit_rating": org.credit_rating}
            org.specialized, org.credit_rating = specialized, rating or None
            org.priority_verified_by, org.priority_verified_at = inp.actor, inp.at
            audit.record(s, action="priority_verified", at=inp.at, actor=inp.actor, case_id=case.id,
                         message=f"运营单位核验优先申领资格：专精特新{'是' if specialized else '否'}，"
                                 f"信用评级{rating or '无'}", before=before,
                         after={"specialized": specialized, "credit_rating": rating}, key=f"{case.id}.verified")


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    acts = PriorityActivities(engine=ctx.engine)
    return WorkerParts(activities=[acts.record])

"""Registration's I/O (seed 000 五.1): the account is activated or refused after the operator's review."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit
from db.engine import session_scope
from db.models import Case, User
from processes.spec import WorkerContext, WorkerParts
from workflows.types import AccountDecisionInput


@dataclass
class RegistrationActivities:
    engine: Engine

    @defn(name="decide_account")
    def decide_account(self, inp: AccountDecisionInput) -> None:
        """Activate the registered account, or record why it was refused."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None or case.applicant_user_id is None:
                raise ApplicationError("registration case without an applicant", type="RuleViolation")
            user = s.get(User, case.applicant_user_id)
            assert user is not None
            target = "active" if inp.approved else "rejected"
            if user.status == target:
                return
            before = user.status
            user.status, user.status_reason = target, (None if inp.approved else inp.reason or "未说明理由")
            audit.record(s, action="account", at=inp.at, actor=inp.actor, case_id=case.id,
                         message="账户已启用" if inp.approved else f"账户未通过审核：{inp.reason}",
                         before={"status": before}, after={"status": target}, key=f"{case.id}.account")


def worker_parts(ctx: WorkerContext) -> WorkerParts:
    acts = RegistrationActivities(engine=ctx.engine)
    return WorkerParts(activities=[acts.decide_account])

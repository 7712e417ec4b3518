"""Task rows and the case projection: the activities behind the shared human step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db import audit
from db import tasks as task_repo
from db.calendar import due_times, fixed_due_times, load_calendar
from db.engine import session_scope
from db.models import Case, Organization, Task, User
from db.steps import step_timing
from forms.certification import eligibility
from rules.certification import CertificationError
from workflows.types import (
    AccountDecisionInput,
    CancelTasksInput,
    CaseStatusInput,
    CloseTaskInput,
    FileProviderInput,
    OpenTaskInput,
    TaskOpened,
)


def _certification_derived(data: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"eligibility": eligibility(data)}
    except (CertificationError, TypeError, ValueError):
        return {}  # not a well-formed application (the API validates corrections; a retry would not help)


# Figures the case's result derives from its data, recomputed when a correction replaces the data (the reviewers
# see the eligibility check of the corrected application, not of the first one).
DERIVED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"certification": _certification_derived}


@dataclass
class TaskActivities:
    """Opens and closes task rows and keeps the case row in step with the workflow."""

    engine: Engine

    @activity.defn(name="open_task")
    def open_task(self, inp: OpenTaskInput) -> TaskOpened:
        """Insert the task row once (its id is workflow id + step), with its due and reminder times."""
        with session_scope(self.engine) as s:
            task = s.get(Task, inp.task_id)
            if task is None:
                case = s.get(Case, inp.case_id)
                if case is None:
                    raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
                days, remind_before = step_timing(s, inp.spec.type)
                if inp.spec.due_at is not None:
                    due, reminder, confirmed, days = fixed_due_times(load_calendar(s), at=inp.at, due=inp.spec.due_at,
                                                                     remind_before=remind_before)
                else:
                    due, reminder, confirmed = due_times(load_calendar(s), at=inp.at, working_days=days,
                                                         remind_before=remind_before)
                spec = inp.spec
                task = Task(
                    id=inp.task_id, case_id=inp.case_id, type=spec.type, title=spec.title,
                    summary=spec.summary or case.title, role=spec.role,
                    city=spec.city, org_id=spec.org_id, assignee=spec.assignee,
                    status="claimed" if spec.assignee else "open", decisions=spec.decisions, form=spec.form,
                    excluded_users=inp.excluded_users, opened_at=inp.at, due_working_days=days, due_at=due,
                    reminder_at=reminder, due_confirmed=confirmed, due_fixed=inp.spec.due_at is not None,
                )
                s.add(task)
                case.updated_at = inp.at
                audit.record(s, action="task_opened", at=inp.at, case_id=inp.case_id, task_id=inp.task_id,
                             message=f"待办「{spec.title}」已生成", after={"role": spec.role, "due_at": due.isoformat()},
                             key=f"{inp.task_id}.opened")
            return TaskOpened(task_id=task.id, due_at=task.due_at, reminder_at=task.reminder_at)

    @activity.defn(name="close_task")
    def close_task(self, inp: CloseTaskInput) -> None:
        """Mark the task completed with its decision; a correction also replaces the case's data."""
        with session_scope(self.engine) as s:
            task = s.get(Task, inp.task_id)
            if task is None or task.status == "completed":
                return
            before = {"status": task.status, "assignee": task.assignee}
            task.status, task.decision, task.comment, task.data = "completed", inp.decision, inp.comment, inp.data
            task.completed_at, task.completed_by, task.assignee = inp.at, inp.actor, task.assignee or inp.actor
            case = s.get(Case, inp.case_id)
            if case is not None:
                case.updated_at = inp.at
                if inp.update_case_data and inp.data:
                    before["data"] = case.data
                    merged = {**case.data, **inp.data}
                    if isinstance(case.data.get("materials"), dict) and isinstance(inp.data.get("materials"), dict):
                        # A correction replaces the uploads it names; those it leaves out stay with the case.
                        merged["materials"] = {**case.data["materials"], **inp.data["materials"]}
                    case.data = merged
                    derive = DERIVED.get(case.type)
                    if derive is not None:
                        case.result = {**case.result, **derive(case.data)}
            audit.record(s, action="task_completed", at=inp.at, actor=inp.actor, case_id=inp.case_id,
                         task_id=inp.task_id, message=f"「{task.title}」：{_label(inp.decision)} {inp.comment}".strip(),
                         before=before, after={"status": "completed", "decision": inp.decision, "data": inp.data},
                         key=f"{inp.task_id}.completed")

    @activity.defn(name="set_case_status")
    def set_case_status(self, inp: CaseStatusInput) -> None:
        """Project the workflow's status into the case row and its timeline."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if case.status == inp.status and (not inp.closed or case.closed_at is not None):
                return
            before = case.status
            case.status, case.updated_at = inp.status, inp.at
            if inp.result:
                case.result = {**case.result, **inp.result}
            if inp.closed:
                case.closed_at = inp.at
            audit.record(s, action="status", at=inp.at, case_id=inp.case_id, message=inp.message or inp.status,
                         before={"status": before}, after={"status": inp.status},
                         key=f"{inp.case_id}.status.{before}.{inp.status}.{inp.at.isoformat()}")

    @activity.defn(name="cancel_tasks")
    def cancel_tasks(self, inp: CancelTasksInput) -> None:
        """Cancel every open task of a case (it was terminated or decided elsewhere)."""
        with session_scope(self.engine) as s:
            cancel_open_tasks(s, case_id=inp.case_id, reason=inp.reason, at=inp.at)

    @activity.defn(name="decide_account")
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

    @activity.defn(name="file_provider")
    def file_provider(self, inp: FileProviderInput) -> None:
        """List the provider as signed (seed 003 art. 8): its categories come from the admission case."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None or case.applicant_org_id is None:
                raise ApplicationError("admission case without an organisation", type="RuleViolation")
            org = s.get(Organization, case.applicant_org_id)
            assert org is not None
            if org.signed and org.signed_source == case.id:
                return
            before = {"signed": org.signed, "categories": org.categories}
            org.signed, org.signed_at, org.signed_source = True, inp.at, case.id
            org.categories = sorted(set(case.data.get("categories", [])))
            audit.record(s, action="provider_filed", at=inp.at, case_id=case.id, message=f"{org.name}列入签约服务机构名单",
                         before=before, after={"signed": True, "categories": org.categories},
                         key=f"{case.id}.filed")


def cancel_open_tasks(s: Any, *, case_id: str, reason: str, at: datetime, actor: str = "system") -> int:
    """Cancel a case's open tasks; returns how many."""
    n = 0
    for task in task_repo.open_for_case(s, case_id):
        task.status, task.comment, task.completed_at = "cancelled", reason, at
        audit.record(s, action="task_cancelled", at=at, actor=actor, case_id=case_id, task_id=task.id,
                     message=f"「{task.title}」已取消：{reason}", before={"status": "open"}, after={"status": "cancelled"})
        n += 1
    return n


_LABELS = {"approve": "同意", "reject": "不同意", "return": "退回修改", "submit": "提交", "recommend": "推荐",
           "decline": "不推荐", "uphold": "异议成立", "dismiss": "异议不成立"}


def _label(decision: str) -> str:
    return _LABELS.get(decision, decision)

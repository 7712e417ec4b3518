"""Generic case activities every process uses: status, cancelling open tasks, named deadlines, result figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, update
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit, deadlines
from db import tasks as task_repo
from db.calendar import load_calendar
from db.engine import session_scope
from db.models import Case
from rules.calendar import SHANGHAI
from workflows.types import CancelTasksInput, CaseStatusInput, ResultInput, SetDeadlineInput

_CASES = Case.__table__  # type: ignore[attr-defined]
_CASE_STATUS = select(_CASES.c.status, _CASES.c.closed_at, _CASES.c.result).where(_CASES.c.id == bindparam("case_id"))


@dataclass
class CaseActivities:
    """Keeps the case row, its open tasks and its named deadlines in step with the workflow."""

    engine: Engine

    @defn(name="set_case_status")
    def set_case_status(self, inp: CaseStatusInput) -> None:
        """Project the workflow's status into the case row and its timeline."""
        with session_scope(self.engine) as s:
            write_status(s, inp)

    @defn(name="cancel_tasks")
    def cancel_tasks(self, inp: CancelTasksInput) -> None:
        """Cancel every open task of a case (it was terminated or decided elsewhere)."""
        with session_scope(self.engine) as s:
            task_repo.cancel_open_tasks(s, case_id=inp.case_id, reason=inp.reason, at=inp.at)

    @defn(name="set_deadline")
    def set_deadline(self, inp: SetDeadlineInput) -> None:
        """A deadline fixed by a rule (end of year, end of February, end of validity)."""
        with session_scope(self.engine) as s:
            cal = load_calendar(s)
            start, end = inp.at.astimezone(SHANGHAI).date(), inp.closes_at.astimezone(SHANGHAI).date()
            confirmed = all(cal.schedule(y).confirmed for y in range(start.year, end.year + 1) if _has(cal, y))
            row = deadlines.deadline(s, inp.case_id, inp.name)
            event_at = row.event_at if row is not None and row.closes_at == inp.closes_at else inp.at
            deadlines.upsert_deadline(s, case_id=inp.case_id, name=inp.name, event_at=event_at, closes_at=inp.closes_at,
                                 working_days=None, confirmed=confirmed, open=inp.open)

    @defn(name="update_case_result")
    def update_case_result(self, inp: ResultInput) -> None:
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if all(case.result.get(k) == v for k, v in inp.result.items()):
                return
            case.result, case.updated_at = {**case.result, **inp.result}, inp.at
            if inp.message:
                audit.record(s, action="result", at=inp.at, case_id=case.id, message=inp.message,
                             key=f"{case.id}.result.{inp.message}")

def _has(cal: object, year: int) -> bool:
    try:
        cal.schedule(year)  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def write_status(s: Session, inp: CaseStatusInput) -> None:
    """The case's status, closing time and result in one UPDATE, with its timeline event; nothing if the case is already
    in that status (a retry). Used by `set_case_status` and by `open_task` for a step that opens with a status."""
    # The three columns it needs, and one UPDATE (no case row loaded: this runs holding the write lock).
    case = s.execute(_CASE_STATUS, {"case_id": inp.case_id}).first()
    if case is None:
        raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
    if case.status == inp.status and (not inp.closed or case.closed_at is not None):
        return
    values: dict[str, object] = {"status": inp.status, "updated_at": inp.at}
    if inp.result:
        values["result"] = {**case.result, **inp.result}
    if inp.closed:
        values["closed_at"] = inp.at
    s.execute(update(_CASES).where(_CASES.c.id == inp.case_id).values(**values))
    audit.record(s, action="status", at=inp.at, case_id=inp.case_id, message=inp.message or inp.status,
                 before={"status": case.status}, after={"status": inp.status},
                 key=f"{inp.case_id}.status.{case.status}.{inp.status}.{inp.at.isoformat()}")

"""Per-step due times in working days: defaults from the process specs, overrides in the step_config table."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlmodel import Session

from db.models import StepConfig
from processes.registry import FALLBACK_DUE_WORKING_DAYS, due_days

_STEPS = StepConfig.__table__  # type: ignore[attr-defined]
_TIMING = select(_STEPS.c.due_working_days, _STEPS.c.reminder_working_days_before).where(
    _STEPS.c.type == bindparam("type"))


def default_due_days() -> dict[str, int]:
    """Task type -> default due working days, as every process declares them."""
    return due_days()


def step_timing(session: Session, task_type: str) -> tuple[int, int]:
    """(due working days, reminder working days before the due day) for a task type."""
    # A Core statement (issue 12, fifteenth round): every task that opens asks, and the ORM's lookup cost more than it.
    row = session.execute(_TIMING, {"type": task_type}).first()
    if row is not None:
        return row.due_working_days, row.reminder_working_days_before
    return due_days().get(task_type, FALLBACK_DUE_WORKING_DAYS), 1

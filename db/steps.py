"""Per-step due times in working days: defaults from the process specs, overrides in the step_config table."""

from __future__ import annotations

from sqlmodel import Session

from db.models import StepConfig
from processes.registry import FALLBACK_DUE_WORKING_DAYS, due_days


def default_due_days() -> dict[str, int]:
    """Task type -> default due working days, as every process declares them."""
    return due_days()


def step_timing(session: Session, task_type: str) -> tuple[int, int]:
    """(due working days, reminder working days before the due day) for a task type."""
    row = session.get(StepConfig, task_type)
    if row is not None:
        return row.due_working_days, row.reminder_working_days_before
    return due_days().get(task_type, FALLBACK_DUE_WORKING_DAYS), 1

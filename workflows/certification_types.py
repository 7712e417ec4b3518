"""Typed messages of the public notice and the certification workflow (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from workflows.types import CaseInput

# --- the public notice (shared with window-platform onboarding) -----------------------------------------------


class OpenNoticeInput(BaseModel):
    """Open a notice period of N working days from `at`, kept as the case's deadline `name`."""

    case_id: str
    name: str = "public_notice"
    working_days: int
    at: datetime


class NoticePeriod(BaseModel):
    """A notice's period: it starts the day after the event and closes at 24:00 of its last working day."""

    name: str
    starts_on: date
    ends_on: date
    closes_at: datetime
    confirmed: bool


class NoticeRef(BaseModel):
    case_id: str
    name: str = "public_notice"
    at: datetime


class ObjectionInput(BaseModel):
    """The Update that files an objection: real name and contact are required (anonymous ones are refused)."""

    name: str
    contact: str
    reason: str
    key: str


class ObjectionFiled(BaseModel):
    objection_id: int
    closes_at: datetime


class RecordObjectionInput(BaseModel):
    key: str
    case_id: str
    notice: str
    name: str
    contact: str
    reason: str
    at: datetime


class DecideObjectionInput(BaseModel):
    objection_id: int
    task_id: str
    decision: str
    comment: str = ""
    at: datetime


class NoticeOutcome(BaseModel):
    """How a notice ended: `upheld` holds the reason of the objection that stopped it."""

    period: NoticePeriod
    objections: int = 0
    upheld: str | None = None


class DeadlineChanged(BaseModel):
    """Signal: a calendar change moved one of the case's named deadlines."""

    name: str
    closes_at: datetime


# --- certification ---------------------------------------------------------------------------------------------


class PrepareInput(BaseModel):
    case_id: str
    at: datetime


class Prepared(BaseModel):
    """What the workflow needs from the database once: the named experts and the notice's subject."""

    experts: list[str]
    platform_name: str
    applicant: str


class GrantInput(BaseModel):
    case_id: str
    at: datetime


class Granted(BaseModel):
    granted_on: date
    valid_until: date
    expires_at: datetime
    reminder_days: list[int] | None = None  # the call's expiry reminders (None from a worker before they existed)


class SetDeadlineInput(BaseModel):
    """A deadline fixed by a rule (validity, annual report), shown on the case."""

    case_id: str
    name: str
    closes_at: datetime
    at: datetime
    open: bool = True


class ResultInput(BaseModel):
    """Merge figures into the case's result (expert scores, annual ratings) without changing its status."""

    case_id: str
    result: dict[str, Any]
    message: str = ""
    at: datetime


class RevokeInput(BaseModel):
    """The Update by which the department revokes a title (002 art. 17)."""

    reason: str
    actor: str


class RevokeResult(BaseModel):
    status: str


class CertificationState(BaseModel):
    """Everything carried from one run to the next across continue-as-new (one run per yearly cycle)."""

    granted_on: date
    valid_until: date
    expires_at: datetime
    cycle_years: list[int]
    cycle: int = 0
    counters: dict[str, int] = Field(default_factory=dict)
    ratings: dict[str, str] = Field(default_factory=dict)
    reminder_days: list[int] = Field(default_factory=lambda: [180, 30])
    reminders_sent: list[int] = Field(default_factory=list)


class CertificationRun(CaseInput):
    """The workflow's one input: the case, plus the title's state when a yearly run continues as new.

    One argument, because the API starts every case workflow with a single CaseInput."""

    state: CertificationState | None = None


# Activity names, referenced by string so workflows never import activity code.
OPEN_NOTICE = "open_public_notice"
NOTICE_PERIOD = "public_notice_period"
CLOSE_NOTICE = "close_public_notice"
RECORD_OBJECTION = "record_objection"
DECIDE_OBJECTION = "decide_objection"
PREPARE_CERTIFICATION = "prepare_certification"
GRANT_CERTIFICATION = "grant_certification"
SET_DEADLINE = "set_deadline"
UPDATE_RESULT = "update_case_result"

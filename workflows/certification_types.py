"""Typed messages of the certification workflow (Pydantic, no SQLModel tables); the notice's are in notice_types."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from workflows.types import CaseInput


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
PREPARE_CERTIFICATION = "prepare_certification"
GRANT_CERTIFICATION = "grant_certification"

"""Typed messages of the yearly assessments (P5; 004 art. 11-13) and their schedule (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# Signal `disconnect` to a connected window's onboarding workflow: the P4 contract's own model.
from workflows.window_types import DisconnectInput  # noqa: F401  (re-exported for the assessment workflow)


class PrepareInput(BaseModel):
    case_id: str
    at: datetime


class Prepared(BaseModel):
    """What a subject's case needs once: its campaign, the indicator set of the campaign's version, the known
    figures (pre-filled in the self-report) and the rectification period in force."""

    year: int
    kind: str
    subject_name: str
    subject_org_id: int | None = None
    window_case_id: str | None = None
    indicators: dict[str, Any]
    indicator_version: int
    figures: dict[str, Any] = Field(default_factory=dict)
    rectification_working_days: int = 30
    self_report_due: datetime | None = None


class RectificationInput(BaseModel):
    case_id: str
    working_days: int
    at: datetime


class RectificationDue(BaseModel):
    """The rectification deadline: 24:00 of the N-th working day after the notice (Civil Code art. 201, 203)."""

    closes_at: datetime
    due_on: str  # ISO date of the last day, Asia/Shanghai
    confirmed: bool = True


class RevokeSubjectInput(BaseModel):
    """The qualification of a subject is revoked (004 art. 13): a partner loses its signed status."""

    case_id: str
    kind: str
    org_id: int | None = None
    reason: str
    actor: str
    at: datetime


class ScheduleInput(BaseModel):
    """The schedule that opens a year's campaigns by itself. `once`: one firing (the Temporal Schedule's action);
    otherwise the long-running timer workflow that continues as new every year (works under the simulated clock)."""

    year: int | None = None
    once: bool = False
    # A run that follows the previous year's opens its year even late (the worker was down on the day); the very
    # first run, started after this year's opening day, leaves this year to the hub and waits for the next.
    catch_up: bool = False


class OpeningInput(BaseModel):
    year: int
    at: datetime


class Opening(BaseModel):
    """When the schedule opens the year's campaigns (the first working day of the set month, 09:00) and which kinds."""

    opens_at: datetime
    kinds: list[str]
    timer: bool = True  # False in real mode: the Temporal Schedule fires there, the long-running timer stands down


class OpenScheduledInput(BaseModel):
    year: int
    kinds: list[str]
    at: datetime


class SubjectCase(BaseModel):
    case_id: str
    org_id: int | None = None
    city: str | None = None


class OpenedCampaigns(BaseModel):
    """The cases to start: those opened now and any opened earlier that never started (a crash between the two)."""

    opened: list[str] = Field(default_factory=list)  # "year:kind" of the campaigns opened by this call
    cases: list[SubjectCase] = Field(default_factory=list)


# Activity names, referenced by string so workflows never import activity code.
PREPARE_ASSESSMENT = "assessment_prepare"
RECTIFICATION_DUE = "assessment_rectification_due"
REVOKE_SUBJECT = "assessment_revoke_subject"
OPENING_AT = "assessment_opening_at"
OPEN_SCHEDULED = "assessment_open_scheduled"

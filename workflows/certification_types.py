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


# --- the year's lists (002 art. 10, 12, 13): one 拟认定名单 notice, one certification notice, one city summary ------


class ListInput(BaseModel):
    """A case of a year's batch tells the batch where it stands: `candidate` (its decision approved it, it waits
    for the year's 拟认定名单) or not (it left the batch before the list, e.g. rejected)."""

    case_id: str
    at: datetime
    candidate: bool = True


class ListState(BaseModel):
    """The batch of the case's call year: whether its list is published, and which cases it lists."""

    year: int | None = None
    published: bool = False
    case_ids: list[str] = Field(default_factory=list)
    round: int = 1  # 1: the year's list; 2…: a supplementary list of cases decided after it was out


class ListPublished(BaseModel):
    """Signal to a waiting candidate: the year's list is published, its notice period opens now."""

    year: int | None = None
    case_ids: list[str] = Field(default_factory=list)


class BatchDocInput(BaseModel):
    """Draft (or find) one of the yearly documents of the case's batch: `kind` is public_notice, city_summary or
    certification_notice; `params` as the per-case draft gave them (the notice's period)."""

    case_id: str
    kind: str
    at: datetime
    params: dict[str, object] = Field(default_factory=dict)


class BatchDoc(BaseModel):
    """The yearly document drafted or found; `id` None when it is not due yet (e.g. other cases still in notice)."""

    id: str | None = None
    doc_number: str | None = None


JOIN_LIST = "join_certification_list"
DRAFT_BATCH_DOCUMENT = "draft_certification_batch_document"
LIST_SIGNAL = "list_published"

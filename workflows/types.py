"""Typed inputs and results of workflows, updates and activities (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CaseInput(BaseModel):
    """What every case workflow starts with."""

    case_id: str
    case_type: str
    applicant_username: str | None = None
    applicant_org_id: int | None = None
    city: str | None = None


class StepSpec(BaseModel):
    """One human step: who acts, what they may decide, how long they have."""

    step: str
    type: str
    title: str
    role: str
    decisions: list[str]
    form: str = ""
    city: str | None = None
    org_id: int | None = None
    assignee: str | None = None
    summary: str = ""
    exclude_actors_of: list[str] = Field(default_factory=list)
    # A due time fixed by a rule (e.g. "by the end of February") instead of N working days from opening.
    due_at: datetime | None = None
    # The form's initial data (e.g. figures the system already knows), kept as the open task's data until decided.
    prefill: dict[str, Any] = Field(default_factory=dict)
    # What the step's holder is told when it opens (issue 15: one notification per step): an applicant's step says
    # 轮到您办理 with this text as its body; another role's step is told only when a notice is given (subject, body).
    notice_subject: str = ""
    notice: str = ""
    # Opened without its own 轮到您办理 because the workflow has just told the holder (a return for correction).
    quiet: bool = False


class OpenTaskInput(BaseModel):
    task_id: str
    case_id: str
    spec: StepSpec
    excluded_users: list[str] = Field(default_factory=list)
    at: datetime
    # The case's status as the step opens, written in the task's own transaction (patch "status-with-step", issue 12:
    # one activity and one turn at the write lock fewer than a `set_case_status` before the step).
    status: CaseStatusInput | None = None


class TaskOpened(BaseModel):
    task_id: str
    due_at: datetime
    reminder_at: datetime | None


class DecisionInput(BaseModel):
    """The Update that completes a task (its id is the task id, so a double click is deduplicated)."""

    task_id: str
    decision: str
    actor: str
    comment: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class DecisionResult(BaseModel):
    task_id: str
    decision: str
    actor: str


class CloseTaskInput(BaseModel):
    task_id: str
    case_id: str
    decision: str
    actor: str
    comment: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    update_case_data: bool = False
    at: datetime


class DueChanged(BaseModel):
    """Signal: an admin extended a task, or a calendar change moved its due time."""

    task_id: str
    due_at: datetime
    reminder_at: datetime | None


class NotifyInput(BaseModel):
    """A message to users and/or everyone holding a role (optionally within a city or organisation)."""

    key: str
    subject: str
    body: str = ""
    kind: str = "info"
    case_id: str | None = None
    task_id: str | None = None
    usernames: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    city: str | None = None
    org_id: int | None = None
    due_at: datetime | None = None
    at: datetime


class CaseStatusInput(BaseModel):
    case_id: str
    status: str
    message: str = ""
    result: dict[str, Any] = Field(default_factory=dict)
    closed: bool = False
    at: datetime


class AccountDecisionInput(BaseModel):
    case_id: str
    approved: bool
    reason: str = ""
    actor: str
    at: datetime


class DraftDocumentInput(BaseModel):
    """Draft one official document for a case; `key` makes a retry return the same document."""

    key: str
    case_id: str
    kind: str
    issuer: str = "department"
    params: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class DocumentRef(BaseModel):
    id: str
    doc_number: str | None
    sha256: str


class FileProviderInput(BaseModel):
    case_id: str
    at: datetime


class CancelTasksInput(BaseModel):
    case_id: str
    reason: str
    at: datetime


# Activity names, referenced by string so workflows never import activity code.
OPEN_TASK = "open_task"
CLOSE_TASK = "close_task"
NOTIFY = "notify"
SET_CASE_STATUS = "set_case_status"
DECIDE_ACCOUNT = "decide_account"
DRAFT_DOCUMENT = "draft_document"
FILE_PROVIDER = "file_provider"
CANCEL_TASKS = "cancel_tasks"


# --- shared case parts: named deadlines and result figures (activities/cases.py) ---

SET_DEADLINE = "set_deadline"
UPDATE_RESULT = "update_case_result"


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


OpenTaskInput.model_rebuild()  # `status` names CaseStatusInput, defined below it

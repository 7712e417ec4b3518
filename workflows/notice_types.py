"""Typed messages of the public notice (公示), shared by every process that publishes one (Pydantic only)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

# Activity names, referenced by string so workflows never import activity code.
OPEN_NOTICE = "open_public_notice"
NOTICE_PERIOD = "public_notice_period"
CLOSE_NOTICE = "close_public_notice"
RECORD_OBJECTION = "record_objection"
DECIDE_OBJECTION = "decide_objection"


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

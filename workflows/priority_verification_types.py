"""Typed inputs of the priority verification workflow and its activity name (Pydantic, no tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PriorityRecordInput(BaseModel):
    """Record what the operator verified on the organisation (003 art. 11(3)); None keeps the declaration."""

    case_id: str
    specialized: bool | None = None
    credit_rating: str | None = None
    actor: str
    at: datetime


RECORD_PRIORITY = "priority_record"

"""Typed messages of the providers' star rating (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from workflows.types import CaseInput


class RatingRun(CaseInput):
    """The rating case (one per year, opened by the operator)."""


class RatingStep(BaseModel):
    case_id: str
    at: datetime
    changes: dict[str, Any] = Field(default_factory=dict)  # the operator's changes by org id


class RatingCount(BaseModel):
    providers: int


PROPOSE_RATING = "propose_provider_rating"
REVISE_RATING = "revise_provider_rating"
APPLY_RATING = "apply_provider_rating"

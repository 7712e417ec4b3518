"""The forms of reviewers' tasks."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReviewForm(BaseModel):
    """A reviewer's decision needs nothing but the decision and a comment."""


class ExpertOpinionForm(BaseModel):
    """An expert's review of a provider and its service items."""

    score: int | None = Field(default=None, ge=0, le=100, title="评分（0-100）")
    opinion: str = Field(default="", max_length=2000, title="评审意见")


class ObjectionReviewForm(BaseModel):
    """A public-notice objection's investigation: the finding goes in the comment; nothing else is needed."""
